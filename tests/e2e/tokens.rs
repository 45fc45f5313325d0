//! Tokens and connecting: CASES.md 6–11, and the credential faults around them (a failed
//! reconnect, missing scopes, a member instead of an admin).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gatehouse_tests::host_harness::keyvalue::{Backend, SqliteBackend};
use gatehouse_tests::host_harness::mock_zoom::{
    DEFAULT_SCOPES, Endpoint, IdentityRole, MockConfig, MockZoom, ScriptedResponse,
};
use gatehouse_tests::host_harness::types::Error;
use gatehouse_tests::*;
use serde_json::json;

const HOUR: Duration = Duration::from_secs(3_600);
const LIST_USERS_SCOPE: &str = "user:read:list_users:admin";

/// CASES.md 6: wrong client credentials. Connect fails saying the client credentials are
/// wrong, no users request is made, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_credentials_fail_connect_without_a_users_request_or_a_write() {
    // The app's secret was rotated; the operator still has the old one.
    let mock = start(MockConfig {
        client_secret: "rotated-secret-the-client-does-not-know".into(),
        ..MockConfig::default()
    })
    .await;
    let store = memory_store();
    let mut session = session(&routed_grants(&mock, store.clone())).await;

    let error = plugin_error(
        session
            .connect(&s2s_params_with_secret(&mock, "demo-secret"))
            .await,
    );

    let Error::InvalidCredentials(message) = &error else {
        panic!("expected invalid credentials, got {error:?}");
    };
    assert!(message.contains("client id or secret"), "{message}");
    assert!(
        message.contains("Invalid client_id or client_secret"),
        "{message}"
    );
    let tokens = requests_to(&mock, Endpoint::Token);
    assert_eq!(tokens.len(), 1, "no retry of a credential failure");
    assert_eq!(tokens[0].status, 400);
    assert_eq!(mock.count(Endpoint::Users), 0);
    assert!(snapshot(&*store).is_empty(), "nothing was stored");
}

/// Kind: a reconnect with a wrong secret must leave the working connection exactly as it was:
/// same bytes stored, and listing still works with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_reconnect_with_a_wrong_secret_keeps_the_working_connection() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let before = stored(&*zoom.store, CONNECTION_KEY).unwrap();

    let error = plugin_error(
        zoom.session
            .connect(&s2s_params_with_secret(&mock, "not-the-secret"))
            .await,
    );

    assert!(matches!(error, Error::InvalidCredentials(_)), "{error:?}");
    assert_eq!(mock.count(Endpoint::Token), 1);
    assert_eq!(mock.count(Endpoint::Users), 0);
    assert_eq!(stored(&*zoom.store, CONNECTION_KEY).unwrap(), before);

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();
    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert_eq!(
        mock.count(Endpoint::Token),
        1,
        "the stored token still works"
    );
}

/// CASES.md 7: the token lacks `user:read:list_users:admin`. Connect fails naming the scope,
/// as a configuration problem, without retrying, and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scope_on_connect_names_the_scope_without_retrying() {
    let mock = start(MockConfig {
        scopes: vec!["user:read:user:admin".into()],
        ..MockConfig::default()
    })
    .await;
    let store = memory_store();
    let mut session = session(&routed_grants(&mock, store.clone())).await;

    let error = plugin_error(session.connect(&s2s_params(&mock)).await);

    assert_eq!(error, Error::MissingScope(LIST_USERS_SCOPE.into()));
    let users = requests_to(&mock, Endpoint::Users);
    assert_eq!(users.len(), 1, "no retries");
    assert_eq!(
        users[0].status, 400,
        "the mock answered with code 4711 and the scope"
    );
    assert_eq!(mock.count(Endpoint::Token), 1, "no new token either");
    assert!(snapshot(&*store).is_empty());
}

/// Kind: CASES.md 7's answer arriving mid-listing, with Zoom's exact body: the listing fails
/// naming the scope, with one request and no new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scope_mid_listing_names_the_scope_without_retrying() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Users,
        vec![ScriptedResponse::json(
            400,
            &json!({
                "code": 4711,
                "message": "Invalid access token, does not contain scopes:[user:read:list_users:admin]."
            }),
        )],
    );

    let listing = zoom.session.list_users().await.unwrap();
    let error = plugin_error(zoom.session.next_batch(&listing).await);

    assert_eq!(error, Error::MissingScope(LIST_USERS_SCOPE.into()));
    assert_eq!(mock.count(Endpoint::Users), 1);
    assert_eq!(mock.count(Endpoint::Token), 0);
    let summary = zoom.session.listing_summary(&listing).await.unwrap();
    assert!(!summary.complete);
}

/// Kind: the scope to read who authorised the app is missing; connect names that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_user_read_scope_on_connect_names_that_scope() {
    let mock = start(MockConfig {
        scopes: vec![LIST_USERS_SCOPE.into(), "role:read:list_roles:admin".into()],
        ..MockConfig::default()
    })
    .await;
    let mut session = session(&routed_grants(&mock, memory_store())).await;

    let error = plugin_error(session.connect(&s2s_params(&mock)).await);

    assert_eq!(error, Error::MissingScope("user:read:user:admin".into()));
    assert_eq!(mock.count(Endpoint::UsersMe), 1);
}

/// CASES.md 8: `/v2/users` answers 401 code 124 twice. One new token is obtained and the call
/// retried once; the second 401 is an authentication error, not a loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_token_twice_gets_one_new_token_and_one_retry_then_fails() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Users,
        vec![
            ScriptedResponse::invalid_token(),
            ScriptedResponse::invalid_token(),
        ],
    );

    let listing = zoom.session.list_users().await.unwrap();
    let error = plugin_error(zoom.session.next_batch(&listing).await);

    let Error::InvalidCredentials(message) = &error else {
        panic!("expected an authentication error, got {error:?}");
    };
    assert!(message.contains("GET /v2/users"), "{message}");
    assert!(message.contains("code 124"), "{message}");
    assert_eq!(mock.count(Endpoint::Token), 1, "exactly one new token");
    assert_eq!(mock.count(Endpoint::Users), 2, "exactly one retry");
    let users = requests_to(&mock, Endpoint::Users);
    assert_ne!(
        users[0].header("authorization"),
        users[1].header("authorization"),
        "the retry carries the new token"
    );
}

/// CASES.md 9: the token expires between page 1 and page 2. One new token is obtained, and the
/// listing continues from `t2` to the complete list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiring_mid_listing_is_renewed_once_and_the_listing_continues_from_t2() {
    use gatehouse_tests::host_harness::mock_zoom::UserStatus;

    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![
            page(30, 42, Some("t2"), rows(UserStatus::Active, 1..31)),
            page(30, 42, Some(""), rows(UserStatus::Active, 31..43)),
        ],
    )]))
    .await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Users,
        vec![
            ScriptedResponse::pass_through(),
            ScriptedResponse::expired_token(),
        ],
    );

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 42);
    assert!(summary.complete, "{summary:?}");
    assert_eq!(
        mock.count(Endpoint::Token),
        1,
        "the new token obtained once"
    );
    assert_eq!(
        listing_queries(&mock),
        vec![
            query("active", None),
            query("active", Some("t2")),
            query("active", Some("t2")),
            query("inactive", None),
            query("pending", None),
        ],
        "the retry continues from t2, not from the first page"
    );
    let statuses: Vec<u16> = requests_to(&mock, Endpoint::Users)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 401, 200, 200, 200]);
}

/// CASES.md 10: `expires_in` is relative. The stored expiry is the minting time plus 3599 s, and
/// an hour later (by the plugin's clock and the mock's) a new token is obtained before the
/// first call, not after a 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_expiry_is_stored_absolute_and_an_hour_later_renewed_before_any_401() {
    let mock = start(MockConfig::default()).await;
    let store = memory_store();
    let start_at = now_whole_seconds();

    let mut grants = routed_grants(&mock, store.clone());
    grants.clock = Some(start_at);
    let mut first = session(&grants).await;
    first.connect(&s2s_params(&mock)).await.unwrap();
    drop(first);

    let token = requests_to(&mock, Endpoint::Token);
    assert_eq!(token.len(), 1);
    let stored = stored_connection(&*store);
    assert_eq!(stored["expires_at_ms"], json!(millis(start_at) + 3_599_000));

    mock.clear_requests();
    mock.advance_clock(HOUR);
    grants.clock = Some(start_at + HOUR);
    let mut later = session(&grants).await;
    let (accounts, summary) = later.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert_eq!(
        answered(&mock, 401),
        0,
        "no call was made with the old token"
    );
    let requests = mock.requests();
    assert_eq!(requests[0].endpoint, Some(Endpoint::Token), "renewed first");
    assert_eq!(mock.count(Endpoint::Token), 1);
    let renewed = stored_connection(&*store);
    assert_eq!(
        renewed["expires_at_ms"],
        json!(millis(start_at + HOUR) + 3_599_000)
    );
    assert_ne!(renewed["access_token"], stored["access_token"]);
}

/// Runs the authorization-code flow against the mock: `authorize-url`, the redirect the mock
/// answers with, and `connect` with the code and state it carried.
async fn authorize_and_connect(
    mock: &MockZoom,
    grants: &gatehouse_tests::host_harness::Grants,
    redirect_uri: &str,
) -> gatehouse_tests::host_harness::types::Connection {
    let config = mock.config();
    let mut session = session(grants).await;
    let request = session
        .authorize_url(&params(&[("client_id", &config.client_id)]), redirect_uri)
        .await
        .unwrap();
    assert_eq!(
        query_param(&request.url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(&request.url, "state"),
        Some(request.state.clone())
    );

    let (status, location) = follow_on_mock(mock, &request.url).await;
    assert_eq!(status, 302);
    let location = location.expect("the mock redirects");
    assert!(location.starts_with(redirect_uri), "{location}");
    let code = query_param(&location, "code").expect("a code");
    let state = query_param(&location, "state").expect("the state comes back");
    assert_eq!(state, request.state);

    session
        .connect(&params(&[
            ("auth", "authorization-code"),
            ("code", &code),
            ("state", &state),
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
            ("redirect_uri", redirect_uri),
        ]))
        .await
        .unwrap()
}

/// CASES.md 11: refresh tokens rotate and the old one dies. After an authorization-code
/// connect, three refreshes in three separate runs over one SQLite file all succeed, each
/// presenting the refresh token the previous run stored; once the grant is revoked the
/// connection needs re-authorisation, after exactly one refresh attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_refresh_tokens_survive_three_runs_and_a_revoked_grant_asks_for_reauthorisation() {
    let redirect_uri = "http://127.0.0.1:8976/callback";
    let mock = start(MockConfig {
        redirect_uris: vec![redirect_uri.into()],
        ..MockConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gatehouse.db");
    let open = || -> Arc<dyn Backend> { Arc::new(SqliteBackend::open(&path).unwrap()) };
    let start_at = now_whole_seconds();
    let grants_at = |store: Arc<dyn Backend>, at: SystemTime| {
        let mut grants = routed_grants(&mock, store);
        grants.clock = Some(at);
        grants
    };

    let connection = authorize_and_connect(&mock, &grants_at(open(), start_at), redirect_uri).await;
    assert_eq!(connection.auth_method, "authorization-code");
    assert_eq!(connection.authorized_role, "Owner");
    let exchange = &requests_to(&mock, Endpoint::Token)[0];
    assert_eq!(
        exchange.form_param("grant_type"),
        Some("authorization_code")
    );
    assert!(exchange.form_param("code_verifier").is_some(), "PKCE");
    assert_eq!(mock.count(Endpoint::Authorize), 1);

    let mut at = start_at;
    for run in 1..=3 {
        let store = open();
        let presented = stored_connection(&*store)["refresh_token"].clone();
        assert!(
            presented.is_string(),
            "run {run}: a refresh token is stored"
        );

        // An hour passes on both clocks between runs: the access token has expired.
        at += HOUR;
        mock.advance_clock(HOUR);
        mock.clear_requests();
        let mut session = session(&grants_at(store.clone(), at)).await;
        let (accounts, summary) = session.list_all(|_| {}).await.unwrap();

        assert!(summary.complete, "run {run}: {summary:?}");
        assert_eq!(accounts.len(), mock.organisation().users().len());
        let tokens = requests_to(&mock, Endpoint::Token);
        assert_eq!(tokens.len(), 1, "run {run}: one refresh");
        assert_eq!(tokens[0].form_param("grant_type"), Some("refresh_token"));
        assert_eq!(
            tokens[0].form_param("refresh_token"),
            presented.as_str(),
            "run {run}: the refresh token the previous run stored"
        );
        assert_eq!(tokens[0].status, 200, "run {run}");
        assert_eq!(answered(&mock, 401), 0, "run {run}");
        let rotated = stored_connection(&*store)["refresh_token"].clone();
        assert_ne!(rotated, presented, "run {run}: the rotated token is stored");
    }

    // An admin removes the app. The plugin still believes its access token fresh.
    mock.revoke_all_grants();
    mock.clear_requests();
    let mut session = session(&grants_at(open(), at)).await;
    let listing = session.list_users().await.unwrap();
    let error = plugin_error(session.next_batch(&listing).await);

    assert!(
        matches!(error, Error::ReauthorizationRequired(_)),
        "{error:?}"
    );
    let tokens = requests_to(&mock, Endpoint::Token);
    assert_eq!(
        tokens.len(),
        1,
        "exactly one refresh attempt, no retry storm"
    );
    assert_eq!(tokens[0].form_param("grant_type"), Some("refresh_token"));
    assert_eq!(tokens[0].status, 400);
    let endpoints: Vec<_> = mock.requests().iter().map(|r| r.endpoint).collect();
    assert_eq!(
        endpoints,
        [Some(Endpoint::Roles), Some(Endpoint::Token)],
        "the first call's 401, the one refresh, and nothing after"
    );
}

/// Kind: a member (not Owner or Admin) authorised the app. As Zoom does, the mock grants a
/// member no `:admin` scope, but `user:read:user` lets the plugin read who it is. The operator
/// must be told to authorise as an Owner or Admin, not to add a scope the member cannot have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_connecting_is_told_an_owner_or_admin_must_authorise() {
    let mut scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    scopes.push("user:read:user".into());
    let mock = start(MockConfig {
        identity: IdentityRole::Member,
        scopes,
        ..MockConfig::default()
    })
    .await;
    let store = memory_store();
    let mut session = session(&routed_grants(&mock, store.clone())).await;

    let error = plugin_error(session.connect(&s2s_params(&mock)).await);

    let Error::InsufficientRole(message) = &error else {
        panic!("expected insufficient role, got {error:?}");
    };
    assert!(message.contains("Member"), "{message}");
    assert!(message.contains("Owner or Admin"), "{message}");
    assert!(snapshot(&*store).is_empty());
}

/// Kind: a member whose token can list users (the role check itself): `/v2/users/me` says
/// Member, so connect refuses with insufficient-role and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_identity_is_refused_with_insufficient_role_and_nothing_stored() {
    let mock = start(MockConfig::default()).await;
    mock.script(
        Endpoint::UsersMe,
        vec![ScriptedResponse::json(
            200,
            &json!({
                "id": "m1",
                "email": "member@acme.example",
                "type": 2,
                "role_id": "2",
                "role_name": "Member",
                "account_id": "acct-demo",
                "status": "active",
            }),
        )],
    );
    let store = memory_store();
    let mut session = session(&routed_grants(&mock, store.clone())).await;

    let error = plugin_error(session.connect(&s2s_params(&mock)).await);

    let Error::InsufficientRole(message) = &error else {
        panic!("expected insufficient role, got {error:?}");
    };
    assert!(message.contains("member@acme.example"), "{message}");
    assert!(message.contains("Member"), "{message}");
    assert!(snapshot(&*store).is_empty(), "nothing was stored");

    // Not sticky: the Owner connects afterwards.
    let connection = session.connect(&s2s_params(&mock)).await.unwrap();
    assert_eq!(connection.authorized_role, "Owner");
}

/// Kind: an Admin (not only the Owner) may connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_identity_connects() {
    let mock = start(MockConfig {
        identity: IdentityRole::Admin,
        ..MockConfig::default()
    })
    .await;
    let mut session = session(&routed_grants(&mock, memory_store())).await;

    let connection = session.connect(&s2s_params(&mock)).await.unwrap();

    assert_eq!(connection.authorized_role, "Admin");
    assert_eq!(connection.account_id, mock.config().account_id);
    assert_eq!(connection.auth_method, "server-to-server");
}

/// A mock that accepts `REDIRECT_URI`, and grants for a store on it.
const REDIRECT_URI: &str = "http://127.0.0.1:8976/callback";

async fn code_flow_mock() -> MockZoom {
    start(MockConfig {
        redirect_uris: vec![REDIRECT_URI.into()],
        ..MockConfig::default()
    })
    .await
}

/// Kind: CASES.md 9 under the authorization-code flow. The refresh mid-listing rotates the
/// refresh token; the rotated one is stored before the listing goes on, and the listing
/// completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_mid_listing_stores_the_rotated_refresh_token_and_the_listing_completes() {
    let mock = code_flow_mock().await;
    let store = memory_store();
    let grants = routed_grants(&mock, store.clone());
    authorize_and_connect(&mock, &grants, REDIRECT_URI).await;
    let before = stored_connection(&*store)["refresh_token"].clone();
    mock.clear_requests();
    mock.script(
        Endpoint::Users,
        vec![
            ScriptedResponse::pass_through(),
            ScriptedResponse::expired_token(),
        ],
    );

    let mut session = session(&grants).await;
    let (accounts, summary) = session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    let tokens = requests_to(&mock, Endpoint::Token);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].form_param("refresh_token"), before.as_str());
    let after = stored_connection(&*store)["refresh_token"].clone();
    assert_ne!(after, before);
    // The stored token is the live one: the old one is dead at Zoom, the new one works.
    assert_eq!(refresh_on_mock(&mock, before.as_str().unwrap()).await, 400);
    assert_eq!(refresh_on_mock(&mock, after.as_str().unwrap()).await, 200);
}

/// Kind: an authorization code is single-use, and `connect` forgets the PKCE verifier it
/// used. Replaying the same code and state fails as invalid input, and the first connection
/// stays as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_state_cannot_connect_again_and_the_first_connection_stays() {
    let mock = code_flow_mock().await;
    let store = memory_store();
    let grants = routed_grants(&mock, store.clone());
    let config = mock.config().clone();
    let mut session = session(&grants).await;
    let request = session
        .authorize_url(&params(&[("client_id", &config.client_id)]), REDIRECT_URI)
        .await
        .unwrap();
    let (_, location) = follow_on_mock(&mock, &request.url).await;
    let location = location.unwrap();
    let code = query_param(&location, "code").unwrap();
    let connect = params(&[
        ("auth", "authorization-code"),
        ("code", &code),
        ("state", &request.state),
        ("client_id", &config.client_id),
        ("client_secret", &config.client_secret),
        ("redirect_uri", REDIRECT_URI),
    ]);
    session.connect(&connect).await.unwrap();
    let connected = stored(&*store, CONNECTION_KEY).unwrap();
    let pending = stored(&*store, "authorizations").unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&pending).contains(&request.state),
        "the used verifier is forgotten"
    );
    mock.clear_requests();

    let error = plugin_error(session.connect(&connect).await);

    let Error::InvalidInput(message) = &error else {
        panic!("expected invalid input, got {error:?}");
    };
    assert!(message.contains("state"), "{message}");
    assert!(mock.requests().is_empty(), "refused before asking Zoom");
    assert_eq!(stored(&*store, CONNECTION_KEY).unwrap(), connected);
}

/// Kind: `disconnect` of an authorization-code connection must revoke the grant at Zoom, not
/// only the current access token: afterwards the refresh token the plugin held is dead too, so
/// a copy of it (a backup of the store, a leaked log) cannot mint new tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_of_a_code_flow_connection_revokes_the_refresh_token_too() {
    let mock = code_flow_mock().await;
    let store = memory_store();
    let grants = routed_grants(&mock, store.clone());
    authorize_and_connect(&mock, &grants, REDIRECT_URI).await;
    let refresh_token = stored_connection(&*store)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut session = session(&grants).await;
    session.disconnect().await.unwrap();

    assert_eq!(mock.count(Endpoint::Revoke), 1);
    assert!(snapshot(&*store).is_empty());
    assert_eq!(
        refresh_on_mock(&mock, &refresh_token).await,
        400,
        "the grant is revoked at Zoom"
    );
}

/// Kind: Zoom refuses to revoke (here: it no longer accepts the app's credentials). The
/// grant may outlive the connection, so `disconnect` deletes every key and then says that
/// the grant was not revoked, instead of reporting success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_that_zoom_refuses_to_revoke_deletes_every_key_and_reports_it() {
    use gatehouse_tests::host_harness::mock_zoom::ScriptedResponse;

    let mock = code_flow_mock().await;
    let store = memory_store();
    let grants = routed_grants(&mock, store.clone());
    authorize_and_connect(&mock, &grants, REDIRECT_URI).await;
    let refused = || {
        ScriptedResponse::oauth_error(400, "invalid_client", "Invalid client_id or client_secret")
    };
    mock.script(Endpoint::Revoke, vec![refused(), refused()]);

    let mut session = session(&grants).await;
    let error = plugin_error(session.disconnect().await);

    let Error::ProviderError(failure) = &error else {
        panic!("expected a provider error, got {error:?}");
    };
    assert_eq!(failure.status, Some(400));
    assert!(
        failure
            .message
            .starts_with("the stored connection was deleted, but zoom did not revoke the grant"),
        "{}",
        failure.message
    );
    assert_eq!(
        mock.count(Endpoint::Revoke),
        2,
        "refresh token, then access token"
    );
    assert!(snapshot(&*store).is_empty());
}

/// Kind: the PKCE verifier is kept ten minutes. Connecting eleven minutes after
/// `authorize-url` (by the plugin's clock) fails as invalid input, without asking Zoom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_older_than_ten_minutes_is_refused_without_asking_zoom() {
    let mock = code_flow_mock().await;
    let store = memory_store();
    let config = mock.config().clone();
    let start_at = now_whole_seconds();
    let mut grants = routed_grants(&mock, store.clone());
    grants.clock = Some(start_at);
    let request = session(&grants)
        .await
        .authorize_url(&params(&[("client_id", &config.client_id)]), REDIRECT_URI)
        .await
        .unwrap();
    let (_, location) = follow_on_mock(&mock, &request.url).await;
    let code = query_param(&location.unwrap(), "code").unwrap();
    mock.clear_requests();

    grants.clock = Some(start_at + Duration::from_secs(11 * 60));
    let error = plugin_error(
        session(&grants)
            .await
            .connect(&params(&[
                ("auth", "authorization-code"),
                ("code", &code),
                ("state", &request.state),
                ("client_id", &config.client_id),
                ("client_secret", &config.client_secret),
                ("redirect_uri", REDIRECT_URI),
            ]))
            .await,
    );

    let Error::InvalidInput(message) = &error else {
        panic!("expected invalid input, got {error:?}");
    };
    assert!(message.contains("expired `state`"), "{message}");
    assert!(mock.requests().is_empty());
    assert_eq!(stored(&*store, CONNECTION_KEY), None);
}

/// Kind: Zoom's authorization code lives five minutes. Exchanged after six, Zoom refuses it and
/// connect says the code was rejected (invalid credentials), once, storing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_authorization_code_is_rejected_once_and_nothing_is_stored() {
    let mock = code_flow_mock().await;
    let store = memory_store();
    let config = mock.config().clone();
    let start_at = now_whole_seconds();
    let mut grants = routed_grants(&mock, store.clone());
    grants.clock = Some(start_at);
    let mut session = session(&grants).await;
    let request = session
        .authorize_url(&params(&[("client_id", &config.client_id)]), REDIRECT_URI)
        .await
        .unwrap();
    let (_, location) = follow_on_mock(&mock, &request.url).await;
    let code = query_param(&location.unwrap(), "code").unwrap();
    mock.clear_requests();
    mock.advance_clock(Duration::from_secs(6 * 60));

    let error = plugin_error(
        session
            .connect(&params(&[
                ("auth", "authorization-code"),
                ("code", &code),
                ("state", &request.state),
                ("client_id", &config.client_id),
                ("client_secret", &config.client_secret),
                ("redirect_uri", REDIRECT_URI),
            ]))
            .await,
    );

    let Error::InvalidCredentials(message) = &error else {
        panic!("expected invalid credentials, got {error:?}");
    };
    assert!(message.contains("authorization code"), "{message}");
    assert_eq!(mock.count(Endpoint::Token), 1);
    assert_eq!(mock.count(Endpoint::Users), 0);
    assert_eq!(stored(&*store, CONNECTION_KEY), None);
}

/// A store whose first `stale` reads of the connection return the value it held when the
/// wrapper was made: what a run sees when it read the store just before another run wrote it.
struct StaleReads {
    inner: Arc<dyn Backend>,
    stale: std::sync::Mutex<(Vec<u8>, usize)>,
}

impl StaleReads {
    fn new(inner: Arc<dyn Backend>, reads: usize) -> Self {
        let value = inner.get(NAMESPACE, CONNECTION_KEY).unwrap().unwrap();
        StaleReads {
            inner,
            stale: std::sync::Mutex::new((value, reads)),
        }
    }
}

impl Backend for StaleReads {
    fn get(
        &self,
        namespace: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, gatehouse_tests::host_harness::keyvalue::StoreError> {
        let mut stale = self.stale.lock().unwrap();
        if namespace == NAMESPACE && key == CONNECTION_KEY && stale.1 > 0 {
            stale.1 -= 1;
            return Ok(Some(stale.0.clone()));
        }
        self.inner.get(namespace, key)
    }

    fn set(
        &self,
        namespace: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), gatehouse_tests::host_harness::keyvalue::StoreError> {
        self.inner.set(namespace, key, value)
    }

    fn delete(
        &self,
        namespace: &str,
        key: &str,
    ) -> Result<(), gatehouse_tests::host_harness::keyvalue::StoreError> {
        self.inner.delete(namespace, key)
    }

    fn list_keys(
        &self,
        namespace: &str,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<String>, gatehouse_tests::host_harness::keyvalue::StoreError> {
        self.inner.list_keys(namespace, offset, limit)
    }

    fn used_bytes(
        &self,
        namespace: &str,
    ) -> Result<u64, gatehouse_tests::host_harness::keyvalue::StoreError> {
        self.inner.used_bytes(namespace)
    }
}

/// Kind: two runs refresh at the same moment (two scheduled runs of the CLI). Run B checked the
/// store for a newer token just before run A stored its rotated grant, so B presents the refresh
/// token A has just used and Zoom answers `invalid_grant`. The grant is healthy: B must take
/// A's stored token rather than tell a person to re-authorise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_lost_a_race_adopts_the_winners_grant_instead_of_asking_to_reauthorise() {
    let mock = code_flow_mock().await;
    let store = memory_store();
    let start_at = now_whole_seconds();
    let mut grants = routed_grants(&mock, store.clone());
    grants.clock = Some(start_at);
    authorize_and_connect(&mock, &grants, REDIRECT_URI).await;

    // An hour later both runs find the access token expired. B read the store (when its listing
    // started, and when it looked for a newer token) before A wrote.
    mock.advance_clock(HOUR);
    let later = start_at + HOUR;
    let mut b_grants = routed_grants(&mock, Arc::new(StaleReads::new(store.clone(), 2)));
    b_grants.clock = Some(later);
    grants.clock = Some(later);
    let mut a = session(&grants).await;
    let (_, summary) = a.list_all(|_| {}).await.unwrap();
    assert!(summary.complete);
    mock.clear_requests();

    let mut b = session(&b_grants).await;
    let result = b.list_all(|_| {}).await;

    let refreshes = requests_to(&mock, Endpoint::Token);
    assert_eq!(refreshes.len(), 1, "B lost the race once");
    assert_eq!(refreshes[0].status, 400);
    let (accounts, summary) = result.expect("B carries on with A's grant");
    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
}

/// Kind: CASES.md 6 at renewal time (the app's secret was rotated after connect). The stale
/// token cannot be renewed: the listing fails with invalid credentials, makes no users request,
/// and the stored connection is left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_at_renewal_fail_the_listing_and_keep_the_stored_connection() {
    let mock = start(MockConfig::default()).await;
    let store = memory_store();
    let start_at = now_whole_seconds();
    let mut grants = routed_grants(&mock, store.clone());
    grants.clock = Some(start_at);
    session(&grants)
        .await
        .connect(&s2s_params(&mock))
        .await
        .unwrap();
    let before = snapshot(&*store);
    mock.clear_requests();
    mock.advance_clock(HOUR);
    mock.script(Endpoint::Token, vec![ScriptedResponse::invalid_client()]);

    grants.clock = Some(start_at + HOUR);
    let mut later = session(&grants).await;
    let listing = later.list_users().await.unwrap();
    let error = plugin_error(later.next_batch(&listing).await);

    assert!(matches!(error, Error::InvalidCredentials(_)), "{error:?}");
    assert_eq!(mock.count(Endpoint::Token), 1);
    assert_eq!(mock.count(Endpoint::Users), 0);
    assert_eq!(snapshot(&*store), before);
}
