//! The Zoom provider pack: connection, listing and resilience checks against the built-in
//! mock Zoom, and the sandbox checks run on a real connect-and-list session.
//!
//! Every check starts its own mock, so the request counts it asserts on are its own. Where a
//! check reproduces a case of `CASES.md`, it loads the scenario file shipped with the mock
//! (`host-harness/src/mock_zoom/scenarios/`), the same file `harness mock-zoom --scenario`
//! serves by hand.

use std::sync::Arc;

use serde_json::json;

use super::{Check, Context, Outcome, fail};
use crate::errors::CallError;
use crate::logging::LogRecord;
use crate::mock_zoom::{
    AccountCounts, Endpoint, MockConfig, MockZoom, Pages, Scenario, ScriptedResponse, UserStatus,
};
use crate::types::{self, Account, ListingSummary};
use crate::{Grants, Session};

pub fn checks() -> Vec<Check> {
    vec![
        Check::new("connection/good-credentials-connect-and-persist", |cx| {
            Box::pin(persist(cx))
        }),
        Check::new("connection/wrong-credentials-store-nothing", |cx| {
            Box::pin(wrong(cx))
        }),
        Check::new("connection/missing-scope-is-named", |cx| {
            Box::pin(scope(cx))
        }),
        Check::new("connection/calls-before-connect-fail", |cx| {
            Box::pin(before(cx))
        }),
        Check::new("listing/empty-account", |cx| Box::pin(empty(cx))),
        Check::new("listing/one-page", |cx| Box::pin(sized(cx, 40))),
        Check::new("listing/many-pages", |cx| Box::pin(sized(cx, 2_400))),
        Check::new("listing/all-statuses", |cx| Box::pin(statuses(cx))),
        Check::new("listing/following-pages", |cx| {
            Box::pin(expect_count(cx, CASE_01, 42))
        }),
        Check::new("listing/optional-page-fields-absent", |cx| {
            Box::pin(expect_count(cx, CASE_02, 301))
        }),
        Check::new("listing/incomplete-when-rows-are-missing", |cx| {
            Box::pin(short(cx))
        }),
        Check::new("listing/duplicates-removed", |cx| Box::pin(duplicates(cx))),
        Check::new("listing/malformed-response-is-a-provider-error", |cx| {
            Box::pin(malformed(cx))
        }),
        Check::new("resilience/token-expires-mid-listing", |cx| {
            Box::pin(expiry(cx))
        }),
        Check::new("resilience/rate-limit-with-hint", |cx| {
            Box::pin(qps(cx, true))
        }),
        Check::new("resilience/rate-limit-without-hint", |cx| {
            Box::pin(qps(cx, false))
        }),
        Check::new("resilience/daily-limit-fails-fast", |cx| {
            Box::pin(daily(cx))
        }),
        Check::new("resilience/transient-server-error", |cx| {
            Box::pin(transient(cx))
        }),
        Check::new("resilience/expired-page-token", |cx| {
            Box::pin(page_token(cx))
        }),
    ]
}

/// Sandbox manners for `plugin_id`; the Zoom pack observes a real session against the mock.
pub fn sandbox_checks_for(plugin_id: &str) -> Vec<Check> {
    if plugin_id != "zoom" {
        return vec![Check::new("sandbox/manners", |_| {
            Box::pin(async {
                Outcome::Skip("no provider pack for this plugin: nothing to observe".into())
            })
        })];
    }
    vec![
        Check::new("sandbox/declared-hosts-only", |cx| {
            Box::pin(declared_only(cx))
        }),
        Check::new("sandbox/no-secret-in-logs", |cx| Box::pin(no_secrets(cx))),
    ]
}

/// A started mock, or the check's failure.
macro_rules! mock {
    ($config:expr) => {
        match MockZoom::start($config).await {
            Ok(mock) => mock,
            Err(error) => fail!("cannot start the mock Zoom: {error}"),
        }
    };
}

/// The value of a result, or the check's failure naming the step.
macro_rules! step {
    ($what:literal, $result:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => fail!("{} failed: {error}", $what),
        }
    };
}

/// A shipped scenario (`host-harness/src/mock_zoom/scenarios/`), split into the mock's
/// configuration and the scripted responses, which a check applies once connected so that
/// they meet the listing rather than `connect`.
type Scripts = Vec<(Endpoint, Vec<ScriptedResponse>)>;

fn scenario(text: &str) -> Result<(MockConfig, Scripts), String> {
    let scenario = Scenario::from_toml(text).map_err(|e| format!("shipped scenario: {e}"))?;
    let mut config = scenario
        .to_config()
        .map_err(|e| format!("shipped scenario: {e}"))?;
    let scripts = std::mem::take(&mut config.scripts);
    Ok((config, scripts))
}

/// Starts the mock of a shipped scenario, connects, then queues the scenario's scripts.
async fn scenario_connected(cx: &Context, text: &str) -> Result<(MockZoom, Grants), String> {
    let (config, scripts) = scenario(text)?;
    let mock = MockZoom::start(config)
        .await
        .map_err(|e| format!("cannot start the mock: {e}"))?;
    let grants = routed(cx, &mock);
    connect(cx, &grants, &mock)
        .await
        .map_err(|e| format!("connect failed: {e}"))?;
    mock.clear_requests();
    for (endpoint, responses) in scripts {
        mock.script(endpoint, responses);
    }
    Ok((mock, grants))
}

const CASE_01: &str = include_str!("../mock_zoom/scenarios/case-01-following-pages.toml");
const CASE_02: &str =
    include_str!("../mock_zoom/scenarios/case-02-optional-page-fields-absent.toml");
const CASE_03: &str = include_str!("../mock_zoom/scenarios/case-03-fewer-rows-than-announced.toml");
const CASE_09: &str = include_str!("../mock_zoom/scenarios/case-09-token-expires-mid-listing.toml");
const CASE_12: &str = include_str!("../mock_zoom/scenarios/case-12-per-second-limit.toml");
const CASE_13: &str = include_str!("../mock_zoom/scenarios/case-13-daily-limit.toml");

/// Connects to a shipped scenario's mock and lists; a setup failure fails the check.
macro_rules! scenario_list {
    ($cx:expr, $text:expr) => {
        match scenario_connected($cx, $text).await {
            Ok((mock, grants)) => (list($cx, &grants).await, mock, grants),
            Err(error) => fail!("{error}"),
        }
    };
}

fn routed(cx: &Context, mock: &MockZoom) -> Grants {
    let mut grants = cx.grants();
    for host in ["zoom.us", "api.zoom.us"] {
        if let Ok(route) = format!("{host}={}", mock.base_url()).parse() {
            grants.routes.push(route);
        }
    }
    grants
}

fn s2s(mock: &MockZoom, secret: Option<&str>) -> Vec<types::Parameter> {
    let config = mock.config();
    [
        ("auth", "server-to-server"),
        ("account_id", config.account_id.as_str()),
        ("client_id", config.client_id.as_str()),
        ("client_secret", secret.unwrap_or(&config.client_secret)),
    ]
    .into_iter()
    .map(|(name, value)| types::Parameter {
        name: name.into(),
        value: value.into(),
    })
    .collect()
}

async fn session(cx: &Context, grants: &Grants) -> Result<Session, CallError> {
    Ok(cx.plugin.session(grants).await?)
}

async fn connect(cx: &Context, grants: &Grants, mock: &MockZoom) -> Result<(), CallError> {
    session(cx, grants)
        .await?
        .connect(&s2s(mock, None))
        .await
        .map(drop)
}

async fn list(cx: &Context, grants: &Grants) -> Result<(Vec<Account>, ListingSummary), CallError> {
    session(cx, grants).await?.list_all(|_| {}).await
}

/// Connects, forgets the connection's requests, lists.
async fn connect_and_list(
    cx: &Context,
    mock: &MockZoom,
) -> Result<(Vec<Account>, ListingSummary), String> {
    let grants = routed(cx, mock);
    connect(cx, &grants, mock)
        .await
        .map_err(|e| format!("connect failed: {e}"))?;
    mock.clear_requests();
    list(cx, &grants)
        .await
        .map_err(|e| format!("listing failed: {e}"))
}

fn org(total: usize) -> MockConfig {
    MockConfig {
        accounts: AccountCounts::split(total),
        ..MockConfig::default()
    }
}

fn pages(status: UserStatus, bodies: Vec<serde_json::Value>) -> Pages {
    Pages {
        status,
        pages: bodies,
    }
}

fn row(id: &str, email: &str) -> serde_json::Value {
    json!({"id": id, "email": email, "type": 1, "status": "active", "role_id": "2",
           "first_name": "A", "last_name": "B", "display_name": "A B"})
}

async fn persist(cx: &Context) -> Outcome {
    let mock = mock!(MockConfig::default());
    let grants = routed(cx, &mock);
    step!("connect", connect(cx, &grants, &mock).await);
    let keys = step!("reading the store", grants.store.list_keys("zoom", 0, 100));
    if keys.is_empty() {
        fail!("connect stored nothing");
    }
    step!("listing in a new instance", list(cx, &grants).await);
    match mock.count(Endpoint::Token) {
        1 => Outcome::Pass,
        n => fail!("{n} token requests for connect then list; the stored token must be reused"),
    }
}

async fn wrong(cx: &Context) -> Outcome {
    let mock = mock!(MockConfig::default());
    let grants = routed(cx, &mock);
    let result = step!("instantiating", session(cx, &grants).await)
        .connect(&s2s(&mock, Some("not-the-secret")))
        .await;
    match result {
        Err(CallError::Plugin(types::Error::InvalidCredentials(_))) => {}
        other => fail!("expected invalid-credentials, got {other:?}"),
    }
    if mock.count(Endpoint::Users) != 0 {
        fail!("users were requested with credentials the token endpoint rejected");
    }
    match step!("reading the store", grants.store.list_keys("zoom", 0, 100)).as_slice() {
        [] => Outcome::Pass,
        keys => fail!("a failed connect stored {keys:?}"),
    }
}

async fn scope(cx: &Context) -> Outcome {
    let config = MockConfig {
        scopes: vec![
            "user:read:user:admin".into(),
            "role:read:list_roles:admin".into(),
        ],
        ..MockConfig::default()
    };
    let mock = mock!(config);
    let grants = routed(cx, &mock);
    let result = step!("instantiating", session(cx, &grants).await)
        .connect(&s2s(&mock, None))
        .await;
    match result {
        Err(CallError::Plugin(types::Error::MissingScope(scope)))
            if scope.contains("user:read:list_users:admin") =>
        {
            Outcome::Pass
        }
        other => fail!("expected missing-scope naming user:read:list_users:admin, got {other:?}"),
    }
}

async fn before(cx: &Context) -> Outcome {
    let mock = mock!(MockConfig::default());
    match list(cx, &routed(cx, &mock)).await {
        Err(CallError::Plugin(types::Error::NotConnected(_))) => {}
        other => fail!("list-users before connect: expected not-connected, got {other:?}"),
    }
    if mock.requests().is_empty() {
        Outcome::Pass
    } else {
        fail!("requests were made before connect")
    }
}

async fn empty(cx: &Context) -> Outcome {
    let empty_page =
        json!({"page_size": 300, "total_records": 0, "next_page_token": "", "users": []});
    let config = MockConfig {
        pages: vec![pages(UserStatus::Active, vec![empty_page])],
        ..MockConfig::default()
    };
    let mock = mock!(config);
    let (accounts, summary) = match connect_and_list(cx, &mock).await {
        Ok(listed) => listed,
        Err(error) => fail!("{error}"),
    };
    if !accounts.is_empty() || !summary.complete {
        fail!(
            "expected 0 accounts, complete; got {} ({summary:?})",
            accounts.len()
        );
    }
    Outcome::Pass
}

async fn sized(cx: &Context, total: usize) -> Outcome {
    let mock = mock!(org(total));
    let (accounts, summary) = match connect_and_list(cx, &mock).await {
        Ok(listed) => listed,
        Err(error) => fail!("{error}"),
    };
    if accounts.len() != total || !summary.complete {
        fail!(
            "expected {total} accounts, complete; got {} ({summary:?})",
            accounts.len()
        );
    }
    // One page per 300 accounts of each status, nothing more.
    let organisation = mock.organisation();
    let pages: usize = [
        UserStatus::Active,
        UserStatus::Inactive,
        UserStatus::Pending,
    ]
    .iter()
    .map(|s| organisation.count(*s).div_ceil(300).max(1))
    .sum();
    match mock.count(Endpoint::Users) {
        n if n == pages => Outcome::Pass,
        n => fail!("{n} requests to /v2/users for {pages} pages"),
    }
}

async fn statuses(cx: &Context) -> Outcome {
    let mock = mock!(org(600));
    let (accounts, _) = match connect_and_list(cx, &mock).await {
        Ok(listed) => listed,
        Err(error) => fail!("{error}"),
    };
    let organisation = mock.organisation();
    for (status, listed) in [
        (UserStatus::Active, types::AccountStatus::Active),
        (UserStatus::Inactive, types::AccountStatus::Inactive),
        (UserStatus::Pending, types::AccountStatus::Pending),
    ] {
        let got = accounts.iter().filter(|a| a.status == listed).count();
        if got != organisation.count(status) {
            fail!(
                "{} {status:?} accounts listed of {}",
                got,
                organisation.count(status)
            );
        }
    }
    let same_query = mock
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::Users))
        .all(|r| r.query_param("page_size") == Some("300") && r.query_param("status").is_some());
    if same_query {
        Outcome::Pass
    } else {
        fail!("a page was requested without status or page_size 300")
    }
}

async fn expect_count(cx: &Context, text: &str, expected: usize) -> Outcome {
    let (listed, _, _) = scenario_list!(cx, text);
    match listed {
        Ok((accounts, summary)) if accounts.len() == expected && summary.complete => Outcome::Pass,
        Ok((accounts, summary)) => {
            fail!(
                "expected {expected} accounts, complete; got {} ({summary:?})",
                accounts.len()
            )
        }
        Err(error) => fail!("listing failed: {error}"),
    }
}

async fn short(cx: &Context) -> Outcome {
    let (listed, _, _) = scenario_list!(cx, CASE_03);
    match listed {
        Ok((_, summary)) if !summary.complete && summary.incomplete_reason.is_some() => {
            Outcome::Pass
        }
        Ok((accounts, summary)) => {
            fail!(
                "1 row of 12 announced was reported as {} accounts, {summary:?}",
                accounts.len()
            )
        }
        Err(error) => fail!("listing failed: {error}"),
    }
}

async fn duplicates(cx: &Context) -> Outcome {
    let first = json!({"page_size": 300, "total_records": 3, "next_page_token": "p2",
                       "users": [row("u1", "one@acme.example"), row("u2", "two@acme.example")]});
    let second = json!({"page_size": 300, "total_records": 3, "next_page_token": "",
                        "users": [row("u2", "two@acme.example"), row("u3", "three@acme.example")]});
    let config = MockConfig {
        pages: vec![pages(UserStatus::Active, vec![first, second])],
        ..MockConfig::default()
    };
    let mock = mock!(config);
    match connect_and_list(cx, &mock).await {
        Ok((accounts, _)) if accounts.len() == 3 => Outcome::Pass,
        Ok((accounts, _)) => fail!("{} accounts listed, 3 distinct expected", accounts.len()),
        Err(error) => fail!("{error}"),
    }
}

async fn malformed(cx: &Context) -> Outcome {
    let mock = mock!(MockConfig::default());
    let grants = routed(cx, &mock);
    step!("connect", connect(cx, &grants, &mock).await);
    mock.script(Endpoint::Users, vec![ScriptedResponse::malformed_json()]);
    match list(cx, &grants).await {
        Err(CallError::Plugin(types::Error::ProviderError(failure)))
            if failure.endpoint.contains("/v2/users") =>
        {
            Outcome::Pass
        }
        other => fail!("expected a provider error naming /v2/users, got {other:?}"),
    }
}

async fn expiry(cx: &Context) -> Outcome {
    let (listed, mock, _) = scenario_list!(cx, CASE_09);
    let (accounts, summary) = step!("listing", listed);
    if accounts.len() != 42 || !summary.complete {
        fail!(
            "{} accounts, complete {}: the listing must survive a new token",
            accounts.len(),
            summary.complete
        );
    }
    match mock.count(Endpoint::Token) {
        1 => Outcome::Pass,
        n => fail!("{n} token requests while listing; exactly one new token was needed"),
    }
}

async fn qps(cx: &Context, hint: bool) -> Outcome {
    let (mock, grants) = if hint {
        match scenario_connected(cx, CASE_12).await {
            Ok(connected) => connected,
            Err(error) => fail!("{error}"),
        }
    } else {
        let mock = mock!(org(100));
        let grants = routed(cx, &mock);
        step!("connect", connect(cx, &grants, &mock).await);
        mock.clear_requests();
        let limited = ScriptedResponse::zoom_error(429, 429, crate::mock_zoom::QPS_LIMIT_MESSAGE);
        mock.script(Endpoint::Users, vec![limited]);
        (mock, grants)
    };
    let (accounts, summary) = step!("listing", list(cx, &grants).await);
    let total = mock.organisation().users().len();
    if accounts.len() != total || !summary.complete {
        fail!(
            "{} accounts of {total}, complete {} after one rate limit",
            accounts.len(),
            summary.complete
        );
    }
    let pages = pages_of(&mock);
    match mock.count(Endpoint::Users) {
        n if n == pages + 1 => Outcome::Pass,
        n => fail!("{n} requests to /v2/users: {pages} pages and one retry expected"),
    }
}

/// Pages a full listing of the mock's organisation takes at 300 a page.
fn pages_of(mock: &MockZoom) -> usize {
    let organisation = mock.organisation();
    [
        UserStatus::Active,
        UserStatus::Inactive,
        UserStatus::Pending,
    ]
    .iter()
    .map(|s| organisation.count(*s).div_ceil(300).max(1))
    .sum()
}

async fn daily(cx: &Context) -> Outcome {
    let (mock, grants) = match scenario_connected(cx, CASE_13).await {
        Ok(connected) => connected,
        Err(error) => fail!("{error}"),
    };
    let before = step!("reading the store", grants.store.get("zoom", "connection"));
    match list(cx, &grants).await {
        Err(CallError::Plugin(types::Error::RateLimited(limit)))
            if limit.retry_at == Some(1_893_542_400) => {}
        Err(error) => fail!("expected rate-limited until 2030-01-02T00:00:00Z, got: {error}"),
        Ok((accounts, _)) => fail!(
            "expected rate-limited until 2030-01-02T00:00:00Z; the plugin retried through a \
             daily limit and listed {} accounts",
            accounts.len()
        ),
    }
    if mock.count(Endpoint::Users) != 1 {
        fail!(
            "{} requests to /v2/users after a daily limit; it must fail fast",
            mock.count(Endpoint::Users)
        );
    }
    match grants.store.get("zoom", "connection") {
        Ok(after) if after == before => Outcome::Pass,
        _ => fail!("the stored connection changed after a rate-limited listing"),
    }
}

async fn transient(cx: &Context) -> Outcome {
    let mock = mock!(org(100));
    let grants = routed(cx, &mock);
    step!("connect", connect(cx, &grants, &mock).await);
    mock.clear_requests();
    let unavailable = ScriptedResponse::zoom_error(503, 503, "Service unavailable");
    mock.script(Endpoint::Users, vec![unavailable.clone(), unavailable]);
    let (accounts, summary) = step!("listing", list(cx, &grants).await);
    if accounts.len() != 100 || !summary.complete {
        fail!(
            "{} accounts, complete {} after two 503s",
            accounts.len(),
            summary.complete
        );
    }
    match mock.count(Endpoint::Users) {
        5 => Outcome::Pass,
        n => fail!("{n} requests to /v2/users: 3 pages and two retries expected"),
    }
}

async fn page_token(cx: &Context) -> Outcome {
    let mock = mock!(org(1_000));
    let grants = routed(cx, &mock);
    step!("connect", connect(cx, &grants, &mock).await);
    mock.clear_requests();
    mock.script(
        Endpoint::Users,
        vec![
            ScriptedResponse::pass_through(),
            ScriptedResponse::invalid_page_token(),
        ],
    );
    let (accounts, summary) = step!("listing", list(cx, &grants).await);
    if accounts.len() != 1_000 || !summary.complete {
        fail!(
            "{} accounts, complete {} after an expired page token",
            accounts.len(),
            summary.complete
        );
    }
    let bound = 2 * mock.organisation().count(UserStatus::Active).div_ceil(300) + 4;
    match mock.count(Endpoint::Users) {
        n if n <= bound => Outcome::Pass,
        n => fail!("{n} requests to /v2/users; at most {bound} expected"),
    }
}

async fn declared_only(cx: &Context) -> Outcome {
    let mock = mock!(MockConfig::default());
    let grants = routed(cx, &mock);
    let mut session = step!("instantiating", session(cx, &grants).await);
    step!("connect", session.connect(&s2s(&mock, None)).await);
    step!("listing", session.list_all(|_| {}).await);
    match session.requests_denied() {
        0 => Outcome::Pass,
        n => fail!("{n} requests to hosts the plugin did not declare were refused"),
    }
}

async fn no_secrets(cx: &Context) -> Outcome {
    let mock = mock!(MockConfig::default());
    let mut grants = routed(cx, &mock);
    let logs: Arc<std::sync::Mutex<Vec<LogRecord>>> = Arc::default();
    grants.capture_logs = Some(logs.clone());
    step!("connect", connect(cx, &grants, &mock).await);
    step!("listing", list(cx, &grants).await);
    // A rejected secret is the likeliest to be echoed in an error message.
    if let Ok(mut rejected) = session(cx, &grants).await {
        let _ = rejected
            .connect(&s2s(&mock, Some("canary-secret-7f3a")))
            .await;
    }
    let stored = step!("reading the store", grants.store.get("zoom", "connection"));
    let token = stored
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| {
            v.get("access_token")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        });
    let config = MockConfig::default();
    let mut secrets = vec![config.client_secret, "canary-secret-7f3a".to_owned()];
    secrets.extend(token);
    let logs = logs.lock().unwrap_or_else(|p| p.into_inner());
    if logs.is_empty() {
        return Outcome::Skip("the plugin logged nothing to inspect".into());
    }
    for record in logs.iter() {
        if let Some(secret) = secrets.iter().find(|s| record.message.contains(s.as_str())) {
            let shown = &secret[..secret.len().min(4)];
            fail!("a secret ({shown}…) appears in a {} log line", record.level);
        }
    }
    Outcome::Pass
}
