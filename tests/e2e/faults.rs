//! Provider and transport faults beyond CASES.md: server errors, broken bodies, an unreachable
//! or refused host, and tokens that die every few requests.

use gatehouse_tests::host_harness::http::Origin;
use gatehouse_tests::host_harness::mock_zoom::{Endpoint, MockConfig, ScriptedResponse};
use gatehouse_tests::host_harness::types::{Error, ProviderFailure};
use gatehouse_tests::*;
use serde_json::json;

/// The provider failure in `error`, or a panic naming what came instead.
fn provider_failure(error: Error) -> ProviderFailure {
    match error {
        Error::ProviderError(failure) => failure,
        other => panic!("expected a provider error, got {other:?}"),
    }
}

/// Kind: transient server errors. Two 5xx answers (one an HTML-ish proxy page) are retried with
/// backoff, the third attempt succeeds, and the listing completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_then_success_are_retried_within_the_bound() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Users,
        vec![
            ScriptedResponse::new(500, "upstream timeout")
                .with_header("Content-Type", "text/plain"),
            ScriptedResponse::new(502, "<html><body>Bad Gateway</body></html>")
                .with_header("Content-Type", "text/html"),
        ],
    );

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    let users = requests_to(&mock, Endpoint::Users);
    let first_page: Vec<u16> = users.iter().take(3).map(|r| r.status).collect();
    assert_eq!(first_page, [500, 502, 200]);
    assert!(users[..3].iter().all(|r| r.query == users[0].query));
}

/// Kind: a provider that answers 5xx forever. The call gives up after a bounded number of
/// requests (one and three retries) with a provider error naming `GET /v2/users`, and the
/// session stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_server_errors_give_up_with_a_provider_error_naming_the_endpoint() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Users,
        vec![ScriptedResponse::new(503, "Service Unavailable"); 4],
    );

    let listing = zoom.session.list_users().await.unwrap();
    let failure = provider_failure(plugin_error(zoom.session.next_batch(&listing).await));

    assert_eq!(failure.endpoint, "GET /v2/users");
    assert_eq!(failure.status, Some(503));
    assert!(
        failure.message.contains("gave up after 4 attempts"),
        "{}",
        failure.message
    );
    assert_eq!(mock.count(Endpoint::Users), 4);
    assert_eq!(mock.count(Endpoint::Token), 0);

    // The provider recovers; the same listing resumes from where it stopped.
    let mut accounts = Vec::new();
    while let Some(batch) = zoom.session.next_batch(&listing).await.unwrap() {
        accounts.extend(batch);
    }
    let summary = zoom.session.listing_summary(&listing).await.unwrap();
    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
}

/// Kind: a body cut off mid-row. It is a provider error naming the endpoint, not a trap: the
/// same session and listing carry on and complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_provider_error_and_the_session_stays_usable() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(Endpoint::Users, vec![ScriptedResponse::malformed_json()]);

    let listing = zoom.session.list_users().await.unwrap();
    let failure = provider_failure(plugin_error(zoom.session.next_batch(&listing).await));

    assert_eq!(failure.endpoint, "GET /v2/users");
    assert_eq!(failure.status, Some(200));
    assert!(
        failure.message.starts_with("malformed JSON"),
        "{}",
        failure.message
    );
    let summary = zoom.session.listing_summary(&listing).await.unwrap();
    assert!(!summary.complete);
    assert!(
        summary
            .incomplete_reason
            .as_deref()
            .is_some_and(|r| r.contains("malformed JSON")),
        "{summary:?}"
    );

    let mut accounts = Vec::new();
    while let Some(batch) = zoom.session.next_batch(&listing).await.unwrap() {
        accounts.extend(batch);
    }
    let summary = zoom.session.listing_summary(&listing).await.unwrap();
    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    distinct_keys(&accounts);
}

/// Kind: well-formed JSON of the wrong shape: `users` is an object. A provider error that says
/// so, not a panic, and not an empty page taken for the end of the listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_that_is_not_an_array_is_a_provider_error_saying_so() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let body = json!({
        "page_size": 300,
        "total_records": 1,
        "next_page_token": "",
        "users": {"id": "u1", "email": "user1@example.com", "type": 1},
    });
    mock.script(Endpoint::Users, vec![ScriptedResponse::json(200, &body)]);

    let listing = zoom.session.list_users().await.unwrap();
    let failure = provider_failure(plugin_error(zoom.session.next_batch(&listing).await));

    assert_eq!(failure.endpoint, "GET /v2/users");
    assert_eq!(failure.status, Some(200));
    assert!(
        failure
            .message
            .contains("`users` is an object, not an array"),
        "{}",
        failure.message
    );
    assert_eq!(
        mock.count(Endpoint::Users),
        1,
        "no retry of a malformed answer"
    );
    let summary = zoom.session.listing_summary(&listing).await.unwrap();
    assert!(!summary.complete);
}

/// Kind: the API host does not answer (connection refused). Connect retries a bounded number
/// of times, fails with a provider error without an HTTP status, and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_host_fails_connect_after_bounded_retries() {
    let mock = start(MockConfig::default()).await;
    // A loopback port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let store = memory_store();
    let mut grants = routed_grants(&mock, store.clone());
    grants.routes[1] = format!("api.zoom.us={dead}").parse().unwrap();
    let mut session = session(&grants).await;

    let failure = provider_failure(plugin_error(session.connect(&s2s_params(&mock)).await));

    assert_eq!(failure.endpoint, "GET /v2/users");
    assert_eq!(failure.status, None);
    assert!(
        failure.message.contains("gave up after 4 attempts"),
        "{}",
        failure.message
    );
    assert_eq!(
        session.requests_made(),
        5,
        "one token request, four attempts"
    );
    assert!(snapshot(&*store).is_empty());
}

/// Kind: the operator's allow-list leaves out the API host. The host refuses the request and
/// the plugin fails at once, since asking again cannot help.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_host_refuses_fails_at_once_without_retries() {
    let mock = start(MockConfig::default()).await;
    let mut grants = routed_grants(&mock, memory_store());
    grants.allow = Some(vec!["https://zoom.us".parse::<Origin>().unwrap()]);
    let mut session = session(&grants).await;

    let failure = provider_failure(plugin_error(session.connect(&s2s_params(&mock)).await));

    assert_eq!(failure.endpoint, "GET /v2/users");
    assert!(
        failure.message.contains("the host refused the request"),
        "{}",
        failure.message
    );
    assert_eq!(mock.count(Endpoint::Token), 1);
    assert_eq!(mock.count(Endpoint::Users), 0);
    assert_eq!(
        session.requests_made(),
        2,
        "one refused attempt, no retries"
    );
}

/// Kind: tokens that die every three API requests (the mock's fault). Each page that meets a
/// dead token renews it once and carries on; the listing completes, and every 401 is followed
/// by exactly one token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expiring_every_few_requests_are_renewed_and_the_listing_completes() {
    let mock = start(MockConfig {
        expire_token_after_requests: Some(3),
        ..MockConfig::default()
    })
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    distinct_keys(&accounts);
    let unauthorised = answered(&mock, 401);
    assert!(unauthorised >= 2, "the fault struck: {unauthorised}");
    assert_eq!(mock.count(Endpoint::Token), unauthorised);
    let requests = mock.requests();
    for (i, request) in requests.iter().enumerate() {
        if request.status == 401 {
            assert_eq!(requests[i + 1].endpoint, Some(Endpoint::Token));
        }
    }
}
