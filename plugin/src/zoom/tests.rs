//! Connecting, authorising, disconnecting and keeping tokens fresh, against the fake platform.
//! Cases N refer to `/work/shared/zoom/CASES.md`.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;

use super::fake::{
    Fake, START_MS, code_token, me, no_roles, oauth_error, page, raw, reply, token, users,
    zoom_error,
};
use super::platform::TransportError;
use super::store::{self, AuthKind};
use super::*;
use crate::model::Error;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn s2s_params() -> Vec<(String, String)> {
    params(&[
        ("account_id", "ACC1"),
        ("client_id", "client-1"),
        ("client_secret", "SECRET_1"),
    ])
}

/// The answers of a successful proof: one page of active users and `/v2/users/me`.
fn expect_proof(fake: &mut Fake) {
    fake.expect("GET /v2/users", page("", 1, users(0, 1)))
        .expect("GET /v2/users/me", me("0", "Owner"));
}

#[test]
fn describe_names_the_methods_hosts_and_scopes() {
    let info = describe();

    assert_eq!(info.id, "zoom");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.hosts, ["https://zoom.us", "https://api.zoom.us"]);
    assert_eq!(
        info.scopes,
        [
            "user:read:list_users:admin",
            "user:read:user:admin",
            "role:read:list_roles:admin"
        ]
    );
    let methods: Vec<_> = info.auth_methods.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(methods, ["server-to-server", "authorization-code"]);
    let secrets: Vec<_> = info
        .auth_methods
        .iter()
        .flat_map(|m| &m.parameters)
        .filter(|p| p.secret)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(secrets, ["client_secret", "client_secret", "code"]);
}

#[test]
fn server_to_server_connect_mints_once_proves_and_stores_the_connection_in_one_write() {
    let mut fake = Fake::new();
    let fixture = include_str!("fixtures/token-s2s.json");
    fake.expect("POST /oauth/token", raw(200, fixture));
    expect_proof(&mut fake);

    let connection = connect(&mut fake, &s2s_params()).unwrap();

    assert_eq!(connection.auth_method, "server-to-server");
    assert_eq!(connection.account_id, "ACC1");
    assert_eq!(connection.authorized_by, "admin@example.com");
    assert_eq!(connection.authorized_role, "Owner");
    assert_eq!(connection.scopes, SCOPES);

    let token = &fake.sent[0];
    assert_eq!(
        token.header("authorization"),
        Some("Basic Y2xpZW50LTE6U0VDUkVUXzE=")
    );
    assert_eq!(
        token.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        token.form("grant_type").as_deref(),
        Some("account_credentials")
    );
    assert_eq!(token.form("account_id").as_deref(), Some("ACC1"));

    let users = &fake.sent[1];
    assert_eq!(users.query("status").as_deref(), Some("active"));
    assert_eq!(users.query("page_size").as_deref(), Some("1"));
    let bearer = "Bearer eyJhbGciOiJIUzUxMiJ9.made-up.token";
    assert_eq!(users.header("authorization"), Some(bearer));
    assert_eq!(fake.sent[2].header("authorization"), Some(bearer));

    assert_eq!(fake.sets, ["connection"]);
    let stored = fake.stored().unwrap();
    assert_eq!(stored.method, AuthKind::ServerToServer);
    assert_eq!(stored.client_secret, "SECRET_1");
    assert_eq!(stored.expires_at_ms, START_MS + 3_599_000);
    assert_eq!(stored.refresh_token, None);
    assert!(fake.script_is_done());
}

#[test]
fn unknown_auth_method_is_invalid_input() {
    let mut fake = Fake::new();
    let mut params = s2s_params();
    params.push(("auth".to_string(), "password".to_string()));

    let error = connect(&mut fake, &params).unwrap_err();

    assert!(matches!(error, Error::InvalidInput(m) if m.contains("`password`")));
    assert!(fake.sent.is_empty());
}

#[test]
fn missing_or_empty_parameters_are_invalid_input_naming_the_parameter() {
    for name in ["account_id", "client_id", "client_secret"] {
        for blank in [None, Some(" \n")] {
            let mut params: Vec<_> = s2s_params()
                .into_iter()
                .filter(|(n, _)| n != name)
                .collect();
            if let Some(value) = blank {
                params.push((name.to_string(), value.to_string()));
            }
            let mut fake = Fake::new();

            let error = connect(&mut fake, &params).unwrap_err();

            let expected = format!("missing parameter `{name}`");
            assert!(
                matches!(&error, Error::InvalidInput(m) if m.contains(&expected)),
                "{error:?}"
            );
            assert!(fake.sent.is_empty());
        }
    }
}

#[test]
fn secrets_pasted_with_a_trailing_newline_are_trimmed() {
    let mut fake = Fake::new();
    fake.expect("POST /oauth/token", token("TOK_1", 3600));
    expect_proof(&mut fake);
    let params = params(&[
        ("account_id", "ACC1"),
        ("client_id", "client-1"),
        ("client_secret", "SECRET_1\n"),
    ]);

    connect(&mut fake, &params).unwrap();

    assert_eq!(
        fake.sent[0].header("authorization"),
        Some("Basic Y2xpZW50LTE6U0VDUkVUXzE=")
    );
}

/// Case 6.
#[test]
fn wrong_client_credentials_fail_connect_without_a_users_request_and_keep_the_stored_connection() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    let before = fake.kv.clone();
    let rejection = oauth_error("invalid_client", "Invalid client_id or client_secret");
    fake.expect("POST /oauth/token", rejection);

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    let Error::InvalidCredentials(message) = error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("zoom rejected the client id or secret: check"),
        "{message}"
    );
    assert_eq!(fake.endpoints(), ["POST /oauth/token"]);
    assert_eq!(fake.kv, before);
    assert!(fake.sets.is_empty());
}

/// Case 7.
#[test]
fn missing_scope_is_reported_by_name_without_retries() {
    for code in [4711, 4700] {
        let mut fake = Fake::new();
        fake.connected(AuthKind::ServerToServer);
        let before = fake.kv.clone();
        let message = "Invalid access token, does not contain scopes:[user:read:list_users:admin].";
        // `/v2/users/me` is read only to tell a Member from an Owner or Admin missing a scope.
        fake.expect("POST /oauth/token", token("TOK_1", 3600))
            .expect("GET /v2/users", zoom_error(400, code, message))
            .expect("GET /v2/users/me", me("0", "Owner"));

        let error = connect(&mut fake, &s2s_params()).unwrap_err();

        assert_eq!(
            error,
            Error::MissingScope("user:read:list_users:admin".to_string())
        );
        let endpoints = ["POST /oauth/token", "GET /v2/users", "GET /v2/users/me"];
        assert_eq!(fake.endpoints(), endpoints);
        assert!(fake.sleeps.is_empty());
        assert_eq!(fake.kv, before);
    }
}

#[test]
fn missing_scope_without_a_named_scope_reports_the_one_the_endpoint_needs() {
    let mut fake = Fake::new();
    fake.expect("POST /oauth/token", token("TOK_1", 3600))
        .expect("GET /v2/users", page("", 1, users(0, 1)))
        .expect(
            "GET /v2/users/me",
            zoom_error(400, 4711, "Invalid access token."),
        );

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    assert_eq!(
        error,
        Error::MissingScope("user:read:user:admin".to_string())
    );
}

#[test]
fn a_member_cannot_authorise_and_the_error_names_the_user_and_the_fix() {
    let mut fake = Fake::new();
    fake.expect("POST /oauth/token", token("TOK_1", 3600))
        .expect("GET /v2/users", page("", 1, users(0, 1)))
        .expect("GET /v2/users/me", me("2", "Member"));

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    let Error::InsufficientRole(message) = error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("admin@example.com has the Zoom role Member"),
        "{message}"
    );
    assert!(message.contains("Owner or Admin"), "{message}");
    assert!(fake.kv.is_empty());
}

/// Regression: Zoom grants a Member no `:admin` scope, so listing users answered 4711 and
/// `connect` told a Member to add `user:read:list_users:admin`, a scope no Member can have,
/// instead of that an Owner or Admin must authorise.
#[test]
fn a_member_whose_token_cannot_list_users_is_told_an_owner_or_admin_must_authorise() {
    let mut fake = Fake::new();
    let member_token = reply(
        200,
        json!({ "access_token": "TOK_member", "expires_in": 3600, "scope": "user:read:user" }),
    );
    fake.expect("POST /oauth/token", member_token);
    fake.respond_with(|request| {
        if request.url.contains("/v2/users/me") {
            return Ok(me("2", "Member"));
        }
        let message = "Invalid access token, does not contain scopes:[user:read:list_users:admin].";
        Ok(zoom_error(400, 4711, message))
    });

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    let Error::InsufficientRole(message) = error else {
        panic!("{error:?}")
    };
    assert!(message.contains("Member"), "{message}");
    assert!(message.contains("Owner or Admin"), "{message}");
    let endpoints = ["POST /oauth/token", "GET /v2/users", "GET /v2/users/me"];
    assert_eq!(fake.endpoints(), endpoints);
    assert!(fake.kv.is_empty());
}

/// The Member check after a missing scope only ever replaces it with a clearer error: when
/// `/v2/users/me` cannot say who authorised the token, the missing scope is what is reported.
#[test]
fn a_missing_list_scope_stands_when_the_authorising_user_cannot_be_read_either() {
    let mut fake = Fake::new();
    let message = "Invalid access token, does not contain scopes:[user:read:list_users:admin].";
    fake.expect("POST /oauth/token", token("TOK_1", 3600))
        .expect("GET /v2/users", zoom_error(400, 4711, message))
        .expect(
            "GET /v2/users/me",
            zoom_error(400, 4711, "Invalid access token."),
        );

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    assert_eq!(
        error,
        Error::MissingScope("user:read:list_users:admin".to_string())
    );
    assert!(fake.sleeps.is_empty());
}

#[test]
fn owner_or_admin_is_recognised_by_role_id_or_role_name() {
    let admin_by_id = reply(200, json!({ "email": "a@example.com", "role_id": 1 }));
    let admin_by_name = reply(
        200,
        json!({ "email": "a@example.com", "role_id": "xY7", "role_name": "Admin" }),
    );
    for (answer, role) in [(admin_by_id, "Admin"), (admin_by_name, "Admin")] {
        let mut fake = Fake::new();
        fake.expect("POST /oauth/token", token("TOK_1", 3600))
            .expect("GET /v2/users", page("", 1, users(0, 1)))
            .expect("GET /v2/users/me", answer);

        let connection = connect(&mut fake, &s2s_params()).unwrap();

        assert_eq!(connection.authorized_role, role);
        // Without `account_id` in /users/me, the parameter stands.
        assert_eq!(connection.account_id, "ACC1");
    }
}

#[test]
fn failed_reconnect_leaves_the_stored_connection_untouched() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    let before = fake.kv.clone();
    fake.expect("POST /oauth/token", token("TOK_new", 3600))
        .expect("GET /v2/users", page("", 1, users(0, 1)));
    for _ in 0..4 {
        fake.expect("GET /v2/users/me", raw(503, "unavailable"));
    }

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    let Error::ProviderError(failure) = error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.endpoint, "GET /v2/users/me");
    assert_eq!(failure.status, Some(503));
    assert_eq!(fake.kv, before);
    assert!(fake.sets.is_empty());
}

#[test]
fn a_connection_that_cannot_be_stored_is_a_storage_error() {
    let mut fake = Fake::new();
    fake.fail_sets = true;
    fake.expect("POST /oauth/token", token("TOK_1", 3600));
    expect_proof(&mut fake);

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    assert!(matches!(error, Error::Storage(m) if m.contains("disk full")));
}

#[test]
fn a_fresh_token_rejected_during_connect_fails_without_a_second_mint() {
    let mut fake = Fake::new();
    fake.expect("POST /oauth/token", token("TOK_1", 3600))
        .expect(
            "GET /v2/users",
            zoom_error(401, 124, "Invalid access token."),
        );

    let error = connect(&mut fake, &s2s_params()).unwrap_err();

    let Error::InvalidCredentials(message) = error else {
        panic!("{error:?}")
    };
    assert!(message.starts_with("zoom rejected a fresh access token for GET /v2/users"));
    assert_eq!(fake.count("POST /oauth/token"), 1);
}

#[test]
fn a_token_that_lives_shorter_than_the_margin_is_not_minted_twice_in_one_call() {
    let mut fake = Fake::new();
    fake.expect("POST /oauth/token", token("TOK_1", 10));
    expect_proof(&mut fake);

    connect(&mut fake, &s2s_params()).unwrap();

    assert_eq!(fake.count("POST /oauth/token"), 1);
}

/// RFC 7636, appendix B.
#[test]
fn pkce_challenge_is_base64url_sha256_of_the_verifier_without_padding() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    assert_eq!(
        auth::pkce_challenge(verifier),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn authorize_url_keeps_the_verifier_under_the_state_and_sends_only_the_challenge() {
    let mut fake = Fake::new();
    let redirect = "https://example.com/zoom/callback?x=1";

    let request =
        authorize_url(&mut fake, &params(&[("client_id", "client-1")]), redirect).unwrap();

    let pending = store::load_authorizations(&mut fake, START_MS).unwrap();
    let flow = &pending.by_state[&request.state];
    assert_eq!(flow.redirect_uri, redirect);
    assert_eq!(flow.created_at_ms, START_MS);
    assert_eq!(flow.verifier.len(), 43);
    assert_eq!(request.state.len(), 22);
    assert!(
        request
            .state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    );

    let challenge = auth::pkce_challenge(&flow.verifier);
    let expected = format!(
        "https://zoom.us/oauth/authorize?response_type=code&client_id=client-1\
         &redirect_uri=https%3A%2F%2Fexample.com%2Fzoom%2Fcallback%3Fx%3D1&state={}\
         &code_challenge={challenge}&code_challenge_method=S256",
        request.state
    );
    assert_eq!(request.url, expected);
    assert!(!request.url.contains(&flow.verifier));
    assert!(fake.sent.is_empty());
}

#[test]
fn authorize_url_refuses_a_missing_client_id_or_a_relative_redirect_uri() {
    let mut fake = Fake::new();

    let no_client = authorize_url(&mut fake, &[], "https://example.com/cb").unwrap_err();
    let relative = authorize_url(&mut fake, &params(&[("client_id", "c")]), "/cb").unwrap_err();

    assert!(matches!(no_client, Error::InvalidInput(m) if m.contains("`client_id`")));
    assert!(matches!(relative, Error::InvalidInput(m) if m.contains("redirect uri")));
    assert!(fake.kv.is_empty());
}

fn code_params(state: &str) -> Vec<(String, String)> {
    params(&[
        ("auth", "authorization-code"),
        ("client_id", "client-1"),
        ("client_secret", "SECRET_1"),
        ("redirect_uri", "https://example.com/cb"),
        ("code", "CODE_1"),
        ("state", state),
    ])
}

fn start_authorization(fake: &mut Fake) -> String {
    let client = params(&[("client_id", "client-1")]);
    authorize_url(fake, &client, "https://example.com/cb")
        .unwrap()
        .state
}

#[test]
fn authorization_code_connect_exchanges_the_code_with_the_stored_verifier() {
    let mut fake = Fake::new();
    let state = start_authorization(&mut fake);
    let verifier = store::load_authorizations(&mut fake, START_MS)
        .unwrap()
        .by_state[&state]
        .verifier
        .clone();
    fake.expect("POST /oauth/token", code_token("TOK_1", "RT_1"));
    expect_proof(&mut fake);

    let connection = connect(&mut fake, &code_params(&state)).unwrap();

    let exchange = &fake.sent[0];
    assert_eq!(
        exchange.form("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(exchange.form("code").as_deref(), Some("CODE_1"));
    assert_eq!(
        exchange.form("redirect_uri").as_deref(),
        Some("https://example.com/cb")
    );
    assert_eq!(exchange.form("code_verifier"), Some(verifier));
    assert_eq!(
        exchange.header("authorization"),
        Some("Basic Y2xpZW50LTE6U0VDUkVUXzE=")
    );

    assert_eq!(connection.auth_method, "authorization-code");
    assert_eq!(connection.account_id, "ACC1");
    let stored = fake.stored().unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("RT_1"));
    assert_eq!(stored.account_id, "ACC1");
    // The used verifier is gone.
    let pending = store::load_authorizations(&mut fake, START_MS).unwrap();
    assert!(pending.by_state.is_empty());
}

#[test]
fn an_authorization_older_than_ten_minutes_is_refused() {
    let mut fake = Fake::new();
    let state = start_authorization(&mut fake);
    fake.now_ms += 10 * 60 * 1000;

    let error = connect(&mut fake, &code_params(&state)).unwrap_err();

    assert!(matches!(error, Error::InvalidInput(m) if m.contains("unknown or expired `state`")));
    assert!(fake.sent.is_empty());
}

#[test]
fn a_state_from_elsewhere_or_a_different_redirect_uri_is_refused_before_zoom_is_asked() {
    let mut fake = Fake::new();
    let state = start_authorization(&mut fake);
    let mut other_redirect = code_params(&state);
    other_redirect[3].1 = "https://evil.example/cb".to_string();

    let unknown = connect(&mut fake, &code_params("forged")).unwrap_err();
    let mismatch = connect(&mut fake, &other_redirect).unwrap_err();

    assert!(matches!(unknown, Error::InvalidInput(m) if m.contains("`state`")));
    assert!(matches!(mismatch, Error::InvalidInput(m) if m.contains("`redirect_uri`")));
    assert!(fake.sent.is_empty());
}

#[test]
fn a_rejected_authorization_code_is_invalid_credentials_and_stores_nothing() {
    let mut fake = Fake::new();
    let state = start_authorization(&mut fake);
    fake.expect(
        "POST /oauth/token",
        oauth_error("invalid_grant", "Invalid authorization code"),
    );

    let error = connect(&mut fake, &code_params(&state)).unwrap_err();

    let Error::InvalidCredentials(message) = error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("authorise again with `harness authorize-url`"),
        "{message}"
    );
    assert_eq!(fake.stored(), None);
}

#[test]
fn pending_authorizations_are_capped() {
    let mut fake = Fake::new();
    for _ in 0..40 {
        start_authorization(&mut fake);
        fake.now_ms += 1;
    }

    let now_ms = fake.now_ms;
    let pending = store::load_authorizations(&mut fake, now_ms).unwrap();

    assert_eq!(
        pending.by_state.len(),
        store::DEFAULT_MAX_PENDING_AUTHORIZATIONS
    );
}

/// Regression: `disconnect` revoked only the access token, so the refresh token (and any copy
/// of it, in a backup of the store) could still mint tokens; and it sent the token in the URL's
/// query, which the host's trace logging prints.
#[test]
fn disconnect_revokes_the_refresh_token_in_the_form_body_then_deletes_every_key() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::AuthorizationCode);
    start_authorization(&mut fake);
    fake.expect(
        "POST /oauth/revoke",
        reply(200, json!({ "status": "success" })),
    );

    disconnect(&mut fake).unwrap();

    // Revoking the refresh token ends the whole grant, access token included.
    assert_eq!(fake.endpoints(), ["POST /oauth/revoke"]);
    let revoke = &fake.sent[0];
    assert_eq!(revoke.request.url, "https://zoom.us/oauth/revoke");
    assert_eq!(revoke.form("token").as_deref(), Some("RT_1"));
    assert_eq!(
        revoke.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        revoke.header("authorization"),
        Some("Basic Y2xpZW50LTE6U0VDUkVUXzE=")
    );
    assert!(fake.kv.is_empty());
}

/// Regression: the revoked token travelled in the URL's query, which the host's trace logging
/// prints.
#[test]
fn disconnect_of_a_server_to_server_connection_revokes_the_access_token_in_the_form_body() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    fake.expect(
        "POST /oauth/revoke",
        reply(200, json!({ "status": "success" })),
    );

    disconnect(&mut fake).unwrap();

    let revoke = &fake.sent[0];
    assert_eq!(revoke.request.url, "https://zoom.us/oauth/revoke");
    assert_eq!(revoke.query("token"), None);
    assert_eq!(revoke.form("token").as_deref(), Some("TOK_stored"));
    assert!(fake.kv.is_empty());
}

/// Regression guard for the fix above: the two revocations are independent, so a refused
/// refresh-token revocation does not spare the access token.
#[test]
fn disconnect_revokes_the_access_token_when_revoking_the_refresh_token_fails() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::AuthorizationCode);
    fake.expect(
        "POST /oauth/revoke",
        oauth_error("invalid_client", "Invalid client_id or client_secret"),
    )
    .expect(
        "POST /oauth/revoke",
        reply(200, json!({ "status": "success" })),
    );

    disconnect(&mut fake).unwrap();

    assert_eq!(fake.sent[0].form("token").as_deref(), Some("RT_1"));
    assert_eq!(fake.sent[1].form("token").as_deref(), Some("TOK_stored"));
    assert!(
        fake.warnings()
            .iter()
            .any(|w| w.starts_with("could not revoke the zoom refresh token"))
    );
    assert!(fake.kv.is_empty());
}

#[test]
fn disconnect_deletes_even_when_revoking_fails_and_logs_without_the_token() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    fake.expect_failure(
        "POST /oauth/revoke",
        TransportError::Denied("not allowed".into()),
    );

    disconnect(&mut fake).unwrap();

    assert!(fake.kv.is_empty());
    assert!(
        fake.warnings()
            .iter()
            .any(|w| w.starts_with("could not revoke the zoom token"))
    );
}

/// A refresh token Zoom no longer accepts (rotated away, revoked, expired) has nothing left to
/// revoke: the grant is over, and that is a successful disconnect.
#[test]
fn disconnect_treats_a_token_zoom_calls_invalid_as_already_revoked() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::AuthorizationCode);
    fake.expect(
        "POST /oauth/revoke",
        oauth_error("invalid_grant", "Invalid Token!"),
    );

    disconnect(&mut fake).unwrap();

    assert_eq!(fake.sent.len(), 1);
    assert!(fake.kv.is_empty());
}

/// `disconnect` once reported success when Zoom could not be reached: the stored connection
/// was gone but the months-long refresh token still valid at Zoom, and nobody was told.
#[test]
fn disconnect_that_cannot_revoke_a_refresh_token_deletes_every_key_and_says_so() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::AuthorizationCode);
    for _ in 0..2 {
        fake.expect_failure(
            "POST /oauth/revoke",
            TransportError::Denied("not allowed".into()),
        );
    }

    let error = disconnect(&mut fake).unwrap_err();

    let Error::ProviderError(failure) = &error else {
        panic!("expected a provider error, got {error:?}");
    };
    assert_eq!(failure.endpoint, "POST /oauth/revoke");
    assert!(
        failure
            .message
            .starts_with("the stored connection was deleted, but zoom did not revoke the grant"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("Added Apps"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains("RT_1"), "{}", failure.message);
    assert!(fake.kv.is_empty());
}

#[test]
fn disconnect_without_a_connection_succeeds_without_requests() {
    let mut fake = Fake::new();

    disconnect(&mut fake).unwrap();
    disconnect(&mut fake).unwrap();

    assert!(fake.sent.is_empty());
}

#[test]
fn disconnect_removes_an_unreadable_connection() {
    let mut fake = Fake::new();
    fake.kv
        .insert("connection".to_string(), b"{not json".to_vec());

    disconnect(&mut fake).unwrap();

    assert!(fake.kv.is_empty());
    assert!(fake.sent.is_empty());
}

#[test]
fn an_unreadable_stored_connection_is_a_storage_error() {
    let mut fake = Fake::new();
    fake.kv.insert("connection".to_string(), b"[1,2]".to_vec());

    let error = Listing::start(&mut fake).err().unwrap();

    assert!(matches!(error, Error::Storage(m) if m.contains("connect again")));
}

/// Case 10.
#[test]
fn relative_expiry_is_stored_absolute_and_renewed_before_the_call_an_hour_later() {
    let mut fake = Fake::new();
    fake.expect("POST /oauth/token", token("TOK_1", 3599));
    expect_proof(&mut fake);
    connect(&mut fake, &s2s_params()).unwrap();
    assert_eq!(fake.stored().unwrap().expires_at_ms, START_MS + 3_599_000);

    fake.now_ms += 3_600_000;
    fake.expect("POST /oauth/token", token("TOK_2", 3599))
        .expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", page("", 0, vec![]));
    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    assert_eq!(
        fake.endpoints()[3..],
        ["POST /oauth/token", "GET /v2/roles", "GET /v2/users"]
    );
    assert_eq!(fake.sent[4].header("authorization"), Some("Bearer TOK_2"));
    assert_eq!(
        fake.stored().unwrap().expires_at_ms,
        fake.now_ms + 3_599_000
    );
}

#[test]
fn a_token_is_renewed_within_the_last_minute_and_reused_before() {
    for (left_ms, mints) in [(61_000, 0), (59_000, 1)] {
        let mut fake = Fake::new();
        let mut connection = fake.connected(AuthKind::ServerToServer);
        connection.expires_at_ms = START_MS + left_ms;
        store::save_connection(&mut fake, &connection).unwrap();
        if mints == 1 {
            fake.expect("POST /oauth/token", token("TOK_2", 3600));
        }
        fake.expect("GET /v2/roles", no_roles())
            .expect("GET /v2/users", page("", 0, vec![]));

        let mut listing = Listing::start(&mut fake).unwrap();
        listing.next(&mut fake).unwrap();

        assert_eq!(fake.count("POST /oauth/token"), mints, "{left_ms} ms left");
    }
}

/// The code flow's token is about to expire, so the first call refreshes it.
fn expiring_code_connection(fake: &mut Fake) {
    let mut connection = fake.connected(AuthKind::AuthorizationCode);
    connection.expires_at_ms = fake.now_ms + 1_000;
    store::save_connection(fake, &connection).unwrap();
}

#[test]
fn a_rotated_refresh_token_is_stored_before_the_new_access_token_is_used() {
    let mut fake = Fake::new();
    expiring_code_connection(&mut fake);
    fake.expect("POST /oauth/token", code_token("TOK_2", "RT_2"))
        .expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", page("", 0, vec![]));

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    let refresh = &fake.sent[0];
    assert_eq!(refresh.form("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(refresh.form("refresh_token").as_deref(), Some("RT_1"));
    let first_use = &fake.sent[1];
    assert_eq!(first_use.header("authorization"), Some("Bearer TOK_2"));
    let durable = first_use.stored.as_ref().unwrap();
    assert_eq!(durable.refresh_token.as_deref(), Some("RT_2"));
    assert_eq!(durable.access_token, "TOK_2");
}

/// Zoom's rotation, as the mock of case 11 plays it: only the latest refresh token works.
fn rotating_zoom(fake: &mut Fake) -> Rc<RefCell<u32>> {
    let refreshes = Rc::new(RefCell::new(0u32));
    let counter = Rc::clone(&refreshes);
    fake.respond_with(move |request| {
        let url = &request.url;
        if url.starts_with("https://zoom.us/oauth/token") {
            let body = String::from_utf8(request.body.clone()).unwrap();
            let mut n = counter.borrow_mut();
            if !body.contains(&format!("refresh_token=RT_{}", *n + 1)) {
                return Ok(oauth_error("invalid_grant", "Invalid Token!"));
            }
            *n += 1;
            return Ok(code_token(
                &format!("TOK_{}", *n + 1),
                &format!("RT_{}", *n + 1),
            ));
        }
        if url.contains("/v2/roles") {
            return Ok(no_roles());
        }
        Ok(page("", 0, vec![]))
    });
    refreshes
}

/// Case 11.
#[test]
fn three_refreshes_in_a_row_across_runs_all_succeed() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::AuthorizationCode);
    let refreshes = rotating_zoom(&mut fake);

    for run in 1..=3 {
        fake.now_ms += 3_600_000;
        let mut listing = Listing::start(&mut fake).unwrap();
        while listing.next(&mut fake).unwrap().is_some() {}
        assert!(listing.summary().complete, "run {run}");
    }

    assert_eq!(*refreshes.borrow(), 3);
    assert_eq!(
        fake.stored().unwrap().refresh_token.as_deref(),
        Some("RT_4")
    );
}

/// Case 11, the revoked end.
#[test]
fn a_revoked_grant_needs_reauthorisation_without_retries() {
    let mut fake = Fake::new();
    expiring_code_connection(&mut fake);
    fake.expect(
        "POST /oauth/token",
        oauth_error("invalid_grant", "Invalid Token!"),
    );

    let mut listing = Listing::start(&mut fake).unwrap();
    let error = listing.next(&mut fake).unwrap_err();

    let expected =
        "the Zoom grant was revoked or expired; authorise again with `harness authorize-url`";
    assert_eq!(error, Error::ReauthorizationRequired(expected.to_string()));
    assert_eq!(fake.endpoints(), ["POST /oauth/token"]);
    assert!(fake.sleeps.is_empty());
}

/// The grant another run stores while this run's refresh is in flight: it refreshed first, so
/// Zoom has already rotated `RT_1` into `RT_2`.
fn winners_grant(fake: &Fake, expires_in_ms: i64) -> store::StoredConnection {
    let mut connection = fake.stored().unwrap();
    connection.access_token = "TOK_winner".to_string();
    connection.refresh_token = Some("RT_2".to_string());
    connection.expires_at_ms = fake.now_ms + expires_in_ms;
    connection
}

/// Regression: two runs refreshed at once. The one that read the store before the other wrote
/// presented the refresh token Zoom had just rotated, got `invalid_grant`, and asked a person
/// to re-authorise a healthy grant.
#[test]
fn a_refresh_that_lost_a_race_uses_the_token_the_winner_stored() {
    let mut fake = Fake::new();
    expiring_code_connection(&mut fake);
    let winner = winners_grant(&fake, 3_600_000);
    let refused = oauth_error("invalid_grant", "Invalid Token!");
    fake.expect_while_another_run_stores("POST /oauth/token", refused, &winner)
        .expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", page("", 0, vec![]));

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    assert_eq!(fake.count("POST /oauth/token"), 1);
    assert_eq!(fake.sent[0].form("refresh_token").as_deref(), Some("RT_1"));
    let first_use = &fake.sent[1];
    assert_eq!(first_use.header("authorization"), Some("Bearer TOK_winner"));
    assert_eq!(fake.stored(), Some(winner));
}

/// The same race, but the winner's access token is about to expire too: one refresh with the
/// winner's refresh token, its rotation stored before use.
#[test]
fn a_refresh_that_lost_a_race_to_an_expiring_grant_refreshes_once_with_the_winners_token() {
    let mut fake = Fake::new();
    expiring_code_connection(&mut fake);
    let winner = winners_grant(&fake, 1_000);
    let refused = oauth_error("invalid_grant", "Invalid Token!");
    fake.expect_while_another_run_stores("POST /oauth/token", refused, &winner)
        .expect("POST /oauth/token", code_token("TOK_3", "RT_3"))
        .expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", page("", 0, vec![]));

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    assert_eq!(fake.sent[1].form("refresh_token").as_deref(), Some("RT_2"));
    let first_use = &fake.sent[2];
    assert_eq!(first_use.header("authorization"), Some("Bearer TOK_3"));
    let durable = first_use.stored.as_ref().unwrap();
    assert_eq!(durable.refresh_token.as_deref(), Some("RT_3"));
}

/// Taking over a rotated grant is tried once: when its refresh token is refused as well, the
/// grant is gone, and no third refresh follows.
#[test]
fn a_grant_refused_again_after_taking_the_winners_refresh_token_needs_reauthorisation() {
    let mut fake = Fake::new();
    expiring_code_connection(&mut fake);
    let winner = winners_grant(&fake, 1_000);
    let refused = || oauth_error("invalid_grant", "Invalid Token!");
    fake.expect_while_another_run_stores("POST /oauth/token", refused(), &winner)
        .expect("POST /oauth/token", refused());

    let mut listing = Listing::start(&mut fake).unwrap();
    let error = listing.next(&mut fake).unwrap_err();

    assert!(
        matches!(error, Error::ReauthorizationRequired(_)),
        "{error:?}"
    );
    assert_eq!(fake.endpoints(), ["POST /oauth/token", "POST /oauth/token"]);
    assert!(fake.sleeps.is_empty());
}

#[test]
fn a_refreshed_grant_that_cannot_be_stored_is_a_storage_error_and_is_not_used() {
    let mut fake = Fake::new();
    expiring_code_connection(&mut fake);
    fake.fail_sets = true;
    fake.expect("POST /oauth/token", code_token("TOK_2", "RT_2"));

    let mut listing = Listing::start(&mut fake).unwrap();
    let error = listing.next(&mut fake).unwrap_err();

    assert!(matches!(error, Error::Storage(m) if m.contains("rotated the refresh token")));
    assert_eq!(fake.endpoints(), ["POST /oauth/token"]);

    // Once storage works again, the rotated grant is written first, then used; never refreshed
    // again with the refresh token Zoom already invalidated.
    fake.fail_sets = false;
    fake.expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", page("", 0, vec![]));
    listing.next(&mut fake).unwrap();
    assert_eq!(fake.count("POST /oauth/token"), 1);
    let first_use = &fake.sent[1];
    assert_eq!(first_use.header("authorization"), Some("Bearer TOK_2"));
    let durable = first_use.stored.as_ref().unwrap();
    assert_eq!(durable.refresh_token.as_deref(), Some("RT_2"));
}

#[test]
fn a_minted_token_that_cannot_be_stored_is_still_used() {
    let mut fake = Fake::new();
    let mut connection = fake.connected(AuthKind::ServerToServer);
    connection.expires_at_ms = START_MS;
    store::save_connection(&mut fake, &connection).unwrap();
    fake.fail_sets = true;
    fake.expect("POST /oauth/token", token("TOK_2", 3600))
        .expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", page("", 0, vec![]));

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    assert!(
        fake.warnings()
            .iter()
            .any(|w| w.contains("new zoom token was not stored"))
    );
}

#[test]
fn a_token_another_run_renewed_is_used_instead_of_minting_again() {
    let mut fake = Fake::new();
    let mut connection = fake.connected(AuthKind::ServerToServer);
    let mut listing = Listing::start(&mut fake).unwrap();
    connection.access_token = "TOK_other_run".to_string();
    store::save_connection(&mut fake, &connection).unwrap();
    fake.expect(
        "GET /v2/roles",
        zoom_error(401, 124, "Access token is expired."),
    )
    .expect("GET /v2/roles", no_roles())
    .expect("GET /v2/users", page("", 0, vec![]));

    listing.next(&mut fake).unwrap();

    assert_eq!(fake.count("POST /oauth/token"), 0);
    assert_eq!(
        fake.sent[1].header("authorization"),
        Some("Bearer TOK_other_run")
    );
}

/// Case 8.
#[test]
fn an_invalid_token_twice_gets_one_new_token_then_fails_without_a_loop() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    let invalid = || zoom_error(401, 124, "Invalid access token.");
    fake.expect("GET /v2/roles", no_roles())
        .expect("GET /v2/users", invalid())
        .expect("POST /oauth/token", token("TOK_2", 3600))
        .expect("GET /v2/users", invalid());

    let mut listing = Listing::start(&mut fake).unwrap();
    let error = listing.next(&mut fake).unwrap_err();

    let Error::InvalidCredentials(message) = error else {
        panic!("{error:?}")
    };
    assert!(message.contains("zoom rejected a fresh access token for GET /v2/users"));
    assert!(message.contains("code 124: Invalid access token."));
    assert_eq!(fake.count("POST /oauth/token"), 1);
    assert!(fake.script_is_done());
}

#[test]
fn listing_without_a_connection_is_not_connected() {
    let mut fake = Fake::new();

    let error = Listing::start(&mut fake).err().unwrap();

    assert!(matches!(error, Error::NotConnected(_)));
}
