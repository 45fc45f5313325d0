//! Rate limits: CASES.md 12 and 13, and 429s whose hint is an HTTP-date or missing.

use std::time::{Duration, Instant};

use gatehouse_tests::host_harness::errors::plugin_message;
use gatehouse_tests::host_harness::mock_zoom::{
    DAILY_LIMIT_MESSAGE, Endpoint, MockConfig, QPS_LIMIT_MESSAGE, ScriptedResponse,
};
use gatehouse_tests::host_harness::types::{Error, RateLimit};
use gatehouse_tests::*;

/// 2030-01-02T00:00:00Z in seconds since the epoch.
const DAILY_RESET: i64 = 1_893_542_400;

/// CASES.md 12: a per-second 429 with `Retry-After: 1`. The plugin waits (at least the second
/// asked for), retries the same query once, and the listing completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_second_limit_waits_the_second_asked_for_then_succeeds() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(Endpoint::Users, vec![ScriptedResponse::rate_limited_qps(1)]);

    let listing = zoom.session.list_users().await.unwrap();
    let started = Instant::now();
    let first = zoom.session.next_batch(&listing).await.unwrap().unwrap();
    let waited = started.elapsed();
    let mut accounts = first;
    while let Some(batch) = zoom.session.next_batch(&listing).await.unwrap() {
        accounts.extend(batch);
    }
    let summary = zoom.session.listing_summary(&listing).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    let users = requests_to(&mock, Endpoint::Users);
    assert_eq!((users[0].status, users[1].status), (429, 200));
    assert_eq!(users[0].query, users[1].query, "the same page asked again");
    assert_eq!(mock.count(Endpoint::Token), 0);
}

/// CASES.md 13: a daily limit with `Retry-After: 2030-01-02T00:00:00Z`. The run fails fast (one
/// request, no waiting until 2030) saying when the limit ends, and nothing stored changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_limit_fails_fast_with_the_reset_time_and_changes_nothing_stored() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let before = snapshot(&*zoom.store);
    let limited = ScriptedResponse::rate_limited_daily("2030-01-02T00:00:00Z");
    mock.script(Endpoint::Users, vec![limited; 5]);

    let listing = zoom.session.list_users().await.unwrap();
    let error = plugin_error(zoom.session.next_batch(&listing).await);

    let Error::RateLimited(RateLimit { retry_at, message }) = &error else {
        panic!("expected rate-limited, got {error:?}");
    };
    assert_eq!(*retry_at, Some(DAILY_RESET));
    assert!(
        message.contains("rate limited until 2030-01-02T00:00:00Z"),
        "{message}"
    );
    assert!(
        plugin_message(&error).starts_with("rate limited until 2030-01-02T00:00:00Z"),
        "{}",
        plugin_message(&error)
    );
    assert_eq!(
        mock.count(Endpoint::Users),
        1,
        "failed at once, without waiting or retrying"
    );
    let summary = zoom.session.listing_summary(&listing).await.unwrap();
    assert!(!summary.complete);
    let reason = summary.incomplete_reason.unwrap_or_default();
    assert!(reason.contains("2030-01-02T00:00:00Z"), "{reason}");
    assert_eq!(snapshot(&*zoom.store), before, "nothing stored changed");
}

/// Kind: a daily limit recognised by its message alone, with no headers at all: it still fails
/// fast, and says the limit ends at the next 00:00 UTC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_limit_without_headers_fails_fast_until_the_next_utc_midnight() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let body = serde_json::json!({"code": 429, "message": DAILY_LIMIT_MESSAGE});
    mock.script(Endpoint::Users, vec![ScriptedResponse::json(429, &body)]);

    let listing = zoom.session.list_users().await.unwrap();
    let error = plugin_error(zoom.session.next_batch(&listing).await);

    let Error::RateLimited(RateLimit { retry_at, .. }) = &error else {
        panic!("expected rate-limited, got {error:?}");
    };
    let now = millis(std::time::SystemTime::now()) / 1000;
    let midnight = (now / 86_400 + 1) * 86_400;
    assert_eq!(*retry_at, Some(midnight));
    assert_eq!(mock.count(Endpoint::Users), 1);
}

/// Kind: `Retry-After` as an HTTP-date a couple of seconds ahead (by the plugin's clock). It
/// waits that long, not the default second, and the retry succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_as_a_near_http_date_is_waited_for_then_succeeds() {
    let mock = start(MockConfig::default()).await;
    let at = now_whole_seconds();
    let mut grants = routed_grants(&mock, memory_store());
    grants.clock = Some(at);
    let mut session = session(&grants).await;
    session.connect(&s2s_params(&mock)).await.unwrap();
    mock.clear_requests();
    let retry_at = httpdate::fmt_http_date(at + Duration::from_secs(2));
    let limited = ScriptedResponse::new(429, "").with_header("Retry-After", retry_at);
    mock.script(Endpoint::Users, vec![limited]);

    let listing = session.list_users().await.unwrap();
    let started = Instant::now();
    let batch = session.next_batch(&listing).await.unwrap().unwrap();
    let waited = started.elapsed();

    assert_eq!(batch.len(), 300);
    assert!(waited >= Duration::from_secs(2), "waited only {waited:?}");
    let statuses: Vec<u16> = requests_to(&mock, Endpoint::Users)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

/// Kind: a per-second 429 whose `Retry-After` HTTP-date lies years ahead. Waiting is pointless:
/// the call fails fast with that date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_as_a_distant_http_date_fails_fast_with_that_date() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let body = serde_json::json!({"code": 429, "message": QPS_LIMIT_MESSAGE});
    let limited = ScriptedResponse::json(429, &body)
        .with_header("X-RateLimit-Type", "QPS")
        .with_header("Retry-After", "Wed, 02 Jan 2030 00:00:00 GMT");
    mock.script(Endpoint::Users, vec![limited; 3]);

    let listing = zoom.session.list_users().await.unwrap();
    let error = plugin_error(zoom.session.next_batch(&listing).await);

    assert_eq!(
        error,
        Error::RateLimited(RateLimit {
            retry_at: Some(DAILY_RESET),
            message: "rate limited until 2030-01-02T00:00:00Z".into(),
        })
    );
    assert_eq!(mock.count(Endpoint::Users), 1);
}

/// Kind: a bare 429, no body, no headers. The plugin backs off on its own and the retry
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_any_hint_backs_off_and_retries() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(Endpoint::Users, vec![ScriptedResponse::new(429, "")]);

    let started = Instant::now();
    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert!(started.elapsed() >= Duration::from_secs(1), "it backed off");
    let users = requests_to(&mock, Endpoint::Users);
    assert_eq!((users[0].status, users[1].status), (429, 200));
    assert_eq!(users[0].query, users[1].query);
}

/// Kind: a provider that keeps answering per-second 429s. Retries stop after a bound and the
/// call fails as rate-limited rather than looping (five one-second waits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_per_second_limits_give_up_after_a_bounded_number_of_retries() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Users,
        vec![ScriptedResponse::rate_limited_qps(1); 50],
    );

    let listing = zoom.session.list_users().await.unwrap();
    let error = plugin_error(zoom.session.next_batch(&listing).await);

    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    assert_eq!(
        mock.count(Endpoint::Users),
        6,
        "one request and five retries"
    );
}
