//! Zoom's OAuth host: `POST /oauth/token` (server-to-server, authorization code with PKCE,
//! refresh with rotation), `GET /oauth/authorize` and `POST /oauth/revoke`, and the access
//! tokens the API side checks.
//!
//! The rules are Zoom's as API.md records them, including the ones clients get wrong: a
//! refresh answer carries a new refresh token and the old one is dead from then on; minting a
//! server-to-server token can invalidate the previous one; codes are single-use.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::config::{IdentityRole, MockConfig};
use super::encoding::{base64_decode, base64url_encode, encode_component, random_token};
use super::server::{Reply, Request};
use super::state::State;

/// Why an access token was refused; each has Zoom's own message under code 124.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRefusal {
    Invalid,
    Expired,
}

impl TokenRefusal {
    pub fn reply(self) -> Reply {
        match self {
            TokenRefusal::Invalid => Reply::zoom_error(401, 124, "Invalid access token."),
            TokenRefusal::Expired => Reply::zoom_error(401, 124, "Access token is expired."),
        }
    }
}

struct AccessToken {
    /// The authorization-code grant it belongs to; `None` for server-to-server.
    grant: Option<u64>,
    scopes: Vec<String>,
    expires_at: Instant,
    /// API requests left before the "expire after N requests" fault expires it.
    requests_left: Option<u32>,
}

struct RefreshToken {
    grant: u64,
    /// False once rotated or revoked. Zoom answers a dead token exactly like an unknown one.
    live: bool,
}

enum Challenge {
    S256(String),
    Plain(String),
}

struct AuthCode {
    redirect_uri: String,
    challenge: Option<Challenge>,
    expires_at: Instant,
}

/// Every token and code the mock has issued.
#[derive(Default)]
pub(crate) struct Tokens {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    codes: HashMap<String, AuthCode>,
    current_s2s: Option<String>,
    next_grant: u64,
}

impl Tokens {
    /// Checks a bearer token for one API request and counts the request against it.
    pub fn use_access(
        &mut self,
        token: Option<&str>,
        now: Instant,
    ) -> Result<&[String], TokenRefusal> {
        let token = token
            .and_then(|t| self.access.get_mut(t))
            .ok_or(TokenRefusal::Invalid)?;
        if now >= token.expires_at {
            return Err(TokenRefusal::Expired);
        }
        match &mut token.requests_left {
            Some(0) => return Err(TokenRefusal::Expired),
            Some(left) => *left -= 1,
            None => {}
        }
        Ok(&token.scopes)
    }

    fn mint(&mut self, config: &MockConfig, grant: Option<u64>, now: Instant) -> String {
        let token = jwt_like();
        let access = AccessToken {
            grant,
            scopes: granted_scopes(config),
            expires_at: now + config.token_lifetime,
            requests_left: config.expire_token_after_requests,
        };
        self.access.insert(token.clone(), access);
        token
    }

    fn mint_refresh(&mut self, grant: u64) -> String {
        let token = jwt_like();
        self.refresh
            .insert(token.clone(), RefreshToken { grant, live: true });
        token
    }

    fn revoke_grant(&mut self, grant: u64) {
        self.access.retain(|_, t| t.grant != Some(grant));
        for refresh in self.refresh.values_mut().filter(|r| r.grant == grant) {
            refresh.live = false;
        }
    }

    /// Every refresh token and every access token stops working, as when an admin removes the
    /// app. Server-to-server tokens can be minted again afterwards (the app still exists).
    pub fn revoke_all(&mut self) {
        self.access.clear();
        self.current_s2s = None;
        for refresh in self.refresh.values_mut() {
            refresh.live = false;
        }
    }

    /// Every access token issued so far expires after `n` more API requests.
    pub fn expire_after(&mut self, n: u32) {
        for token in self.access.values_mut() {
            token.requests_left = Some(n);
        }
    }

    /// Issues an authorization code as `GET /oauth/authorize` would.
    pub fn issue_code(
        &mut self,
        config: &MockConfig,
        redirect_uri: &str,
        challenge: Option<&str>,
        now: Instant,
    ) -> String {
        let code = random_token(32);
        let challenge = challenge.map(|c| Challenge::S256(c.to_owned()));
        let expires_at = now + config.code_lifetime;
        let redirect_uri = redirect_uri.to_owned();
        self.codes.insert(
            code.clone(),
            AuthCode {
                redirect_uri,
                challenge,
                expires_at,
            },
        );
        code
    }

    /// Mints a server-to-server-like token without a request (for tests that skip OAuth).
    /// Unlike a real mint it does not supersede other tokens.
    pub fn issue_access(&mut self, config: &MockConfig, now: Instant) -> String {
        self.mint(config, None, now)
    }
}

/// The scopes a token gets. Zoom never grants `:admin` scopes to an ordinary member.
fn granted_scopes(config: &MockConfig) -> Vec<String> {
    config
        .scopes
        .iter()
        .filter(|s| config.identity != IdentityRole::Member || !s.ends_with(":admin"))
        .cloned()
        .collect()
}

/// A token shaped like Zoom's (a JWT-looking string); only its value matters to the mock.
fn jwt_like() -> String {
    format!(
        "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.{}.{}",
        random_token(96),
        random_token(43)
    )
}

#[derive(Serialize)]
struct TokenAnswer<'a> {
    access_token: &'a str,
    token_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    expires_in: u64,
    scope: String,
    api_url: &'a str,
}

fn token_answer(config: &MockConfig, access: &str, refresh: Option<&str>) -> Reply {
    Reply::serialize(&TokenAnswer {
        access_token: access,
        token_type: "bearer",
        refresh_token: refresh,
        expires_in: config.token_lifetime.as_secs(),
        scope: granted_scopes(config).join(" "),
        api_url: &config.api_url,
    })
}

fn invalid_client() -> Reply {
    Reply::oauth_error(400, "invalid_client", "Invalid client_id or client_secret")
}

fn invalid_grant() -> Reply {
    Reply::oauth_error(400, "invalid_grant", "Invalid Token!")
}

/// Whether the request carries `Authorization: Basic base64(client_id:client_secret)`.
fn client_authenticated(config: &MockConfig, request: &Request) -> bool {
    let Some((scheme, encoded)) = request
        .header("authorization")
        .and_then(|h| h.split_once(' '))
    else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Some(decoded) = base64_decode(encoded.trim()).and_then(|b| String::from_utf8(b).ok())
    else {
        return false;
    };
    decoded.split_once(':') == Some((config.client_id.as_str(), config.client_secret.as_str()))
}

/// `POST /oauth/token`.
pub(crate) fn token(state: &mut State, request: &Request) -> Reply {
    if !client_authenticated(&state.config, request) {
        return invalid_client();
    }
    let now = state.now();
    match request.param("grant_type") {
        Some("account_credentials") => account_credentials(state, request, now),
        Some("authorization_code") => authorization_code(state, request, now),
        Some("refresh_token") => refresh(state, request, now),
        _ => Reply::oauth_error(400, "unsupported_grant_type", "Unsupported grant type"),
    }
}

fn account_credentials(state: &mut State, request: &Request, now: Instant) -> Reply {
    if request.param("account_id") != Some(state.config.account_id.as_str()) {
        return Reply::oauth_error(400, "invalid_request", "Invalid account_id");
    }
    let tokens = &mut state.tokens;
    if state.config.rotate_s2s_tokens
        && let Some(previous) = tokens.current_s2s.take()
    {
        tokens.access.remove(&previous);
    }
    let access = tokens.mint(&state.config, None, now);
    tokens.current_s2s = Some(access.clone());
    token_answer(&state.config, &access, None)
}

fn authorization_code(state: &mut State, request: &Request, now: Instant) -> Reply {
    // Single use: the code is gone whatever the outcome of this exchange.
    let Some(code) = request
        .param("code")
        .and_then(|c| state.tokens.codes.remove(c))
    else {
        return Reply::oauth_error(400, "invalid_grant", "Invalid authorization code");
    };
    if now >= code.expires_at {
        return Reply::oauth_error(400, "invalid_grant", "Invalid authorization code");
    }
    if request.param("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Reply::oauth_error(400, "invalid_request", "Redirect URI mismatch.");
    }
    if let Some(challenge) = &code.challenge {
        let verified = match (challenge, request.param("code_verifier")) {
            (Challenge::S256(expected), Some(verifier)) => {
                base64url_encode(&Sha256::digest(verifier.as_bytes())) == *expected
            }
            (Challenge::Plain(expected), Some(verifier)) => verifier == expected,
            (_, None) => false,
        };
        if !verified {
            return Reply::oauth_error(400, "invalid_grant", "Invalid code_verifier");
        }
    }

    let tokens = &mut state.tokens;
    let grant = tokens.next_grant;
    tokens.next_grant += 1;
    let access = tokens.mint(&state.config, Some(grant), now);
    let refresh = tokens.mint_refresh(grant);
    token_answer(&state.config, &access, Some(&refresh))
}

fn refresh(state: &mut State, request: &Request, now: Instant) -> Reply {
    let tokens = &mut state.tokens;
    let presented = request
        .param("refresh_token")
        .and_then(|t| tokens.refresh.get_mut(t));
    let Some(old) = presented.filter(|r| r.live) else {
        return invalid_grant();
    };
    // Rotation: the presented token dies now, and only the one in this answer works next.
    old.live = false;
    let grant = old.grant;
    let access = tokens.mint(&state.config, Some(grant), now);
    let refresh = tokens.mint_refresh(grant);
    token_answer(&state.config, &access, Some(&refresh))
}

/// `GET /oauth/authorize`: Zoom shows a consent page; the mock consents at once and redirects.
pub(crate) fn authorize(state: &mut State, request: &Request) -> Reply {
    let config = &state.config;
    if request.query_param("response_type") != Some("code") {
        return Reply::oauth_error(400, "unsupported_response_type", "Invalid response_type");
    }
    if request.query_param("client_id") != Some(config.client_id.as_str()) {
        return Reply::oauth_error(400, "invalid_client", "Invalid client_id");
    }
    let Some(redirect_uri) = request
        .query_param("redirect_uri")
        .filter(|r| !r.is_empty())
    else {
        return Reply::oauth_error(400, "invalid_request", "Invalid redirect uri");
    };
    if !config.redirect_uris.is_empty() && !config.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Reply::oauth_error(400, "invalid_request", "Invalid redirect uri");
    }
    let challenge = match (
        request.query_param("code_challenge"),
        request.query_param("code_challenge_method"),
    ) {
        (None, _) => None,
        (Some(c), Some("S256")) => Some(Challenge::S256(c.to_owned())),
        // RFC 7636: without a method the challenge is the verifier itself.
        (Some(c), None | Some("plain")) => Some(Challenge::Plain(c.to_owned())),
        (Some(_), Some(_)) => {
            return Reply::oauth_error(400, "invalid_request", "Unsupported code_challenge_method");
        }
    };

    let now = state.now();
    let code = random_token(32);
    let expires_at = now + state.config.code_lifetime;
    let auth = AuthCode {
        redirect_uri: redirect_uri.to_owned(),
        challenge,
        expires_at,
    };
    state.tokens.codes.insert(code.clone(), auth);

    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{separator}code={}", encode_component(&code));
    if let Some(client_state) = request.query_param("state") {
        location.push_str("&state=");
        location.push_str(&encode_component(client_state));
    }
    Reply::redirect(location)
}

/// `POST /oauth/revoke` with `token` in the form body (or, as in Zoom's examples, the query).
/// Revoking uninstalls the app at Zoom, so any live token of an authorization-code grant, access
/// or refresh, takes the whole grant with it; a server-to-server token stops working alone.
/// Unknown and dead tokens are answered with success too (RFC 7009).
pub(crate) fn revoke(state: &mut State, request: &Request) -> Reply {
    if !client_authenticated(&state.config, request) {
        return invalid_client();
    }
    let Some(token) = request.param("token") else {
        return Reply::oauth_error(400, "invalid_request", "Missing token");
    };
    let tokens = &mut state.tokens;
    let grant = match tokens.access.get(token) {
        Some(access) => access.grant,
        None => tokens
            .refresh
            .get(token)
            .filter(|refresh| refresh.live)
            .map(|refresh| refresh.grant),
    };
    match grant {
        Some(grant) => tokens.revoke_grant(grant),
        None => {
            tokens.access.remove(token);
            if tokens.current_s2s.as_deref() == Some(token) {
                tokens.current_s2s = None;
            }
        }
    }
    Reply::json(200, r#"{"status":"success"}"#)
}
