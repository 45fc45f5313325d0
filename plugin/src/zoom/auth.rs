//! OAuth with Zoom: obtaining, renewing and revoking tokens, and PKCE.
//!
//! Zoom's token endpoint takes the client with HTTP Basic auth and a form body:
//!
//! - server-to-server: `grant_type=account_credentials`; no refresh token, a new token is
//!   minted instead, and minting one has been seen to invalidate the previous one;
//! - authorization code: `grant_type=authorization_code` with the PKCE verifier, then
//!   `grant_type=refresh_token`. Every refresh returns a new refresh token and invalidates the
//!   old one, so the new set is written to storage before anything uses it.
//!
//! A [`Session`] holds the current token set and renews it [`DEFAULT_RENEWAL_MARGIN_MS`] before
//! its absolute expiry, at most once per call into the plugin (see [`Budget::minted`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::http::{self, Budget, basic_auth, echo, form_encode, provider_error};
use super::platform::{Level, Method, Platform};
use super::store::{self, AuthKind, StoredConnection};
use crate::model::Error;

pub const TOKEN_URL: &str = "https://zoom.us/oauth/token";
pub const REVOKE_URL: &str = "https://zoom.us/oauth/revoke";
pub const AUTHORIZE_URL: &str = "https://zoom.us/oauth/authorize";
const TOKEN_ENDPOINT: &str = "POST /oauth/token";
const REVOKE_ENDPOINT: &str = "POST /oauth/revoke";

/// A token is renewed this long before it expires, so that it cannot lapse mid-request.
pub const DEFAULT_RENEWAL_MARGIN_MS: i64 = 60_000;

/// Assumed when a token answer gives no usable `expires_in` (Zoom documents 3600).
pub const DEFAULT_TOKEN_LIFETIME_SECS: i64 = 3_600;

/// `expires_in` beyond this is not believed: a day is far more than Zoom grants.
const MAX_TOKEN_LIFETIME_SECS: i64 = 86_400;

/// What a token request asks for.
pub enum Grant<'a> {
    AccountCredentials {
        account_id: &'a str,
    },
    AuthorizationCode {
        code: &'a str,
        redirect_uri: &'a str,
        verifier: &'a str,
    },
    RefreshToken {
        refresh_token: &'a str,
    },
}

/// A token answer.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub expires_at_ms: i64,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
}

impl StoredConnection {
    /// Takes a new token set. A refresh answer without a refresh token keeps the old one: Zoom
    /// always sends one, and dropping ours on a quirk would lose the grant.
    pub fn apply(&mut self, tokens: TokenSet) {
        self.access_token = tokens.access_token;
        self.expires_at_ms = tokens.expires_at_ms;
        if tokens.refresh_token.is_some() {
            self.refresh_token = tokens.refresh_token;
        }
        if !tokens.scopes.is_empty() {
            self.scopes = tokens.scopes;
        }
    }

    fn expires_soon(&self, now_ms: i64) -> bool {
        now_ms.saturating_add(DEFAULT_RENEWAL_MARGIN_MS) >= self.expires_at_ms
    }
}

/// Asks Zoom's token endpoint for a token set.
pub fn request_token(
    p: &mut impl Platform,
    budget: &mut Budget,
    client_id: &str,
    client_secret: &str,
    grant: &Grant<'_>,
) -> Result<TokenSet, Error> {
    let form: Vec<(&str, &str)> = match grant {
        Grant::AccountCredentials { account_id } => {
            vec![
                ("grant_type", "account_credentials"),
                ("account_id", account_id),
            ]
        }
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ],
        Grant::RefreshToken { refresh_token } => {
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ]
        }
    };
    let authorization = basic_auth(client_id, client_secret);
    let body = form_encode(&form).into_bytes();
    let request = http::request(Method::Post, TOKEN_URL.to_string(), authorization, body);

    // The expiry counts from before the request, so that it errs early rather than late.
    let sent_at_ms = p.now_millis();
    let response = http::send(p, budget, &request, TOKEN_ENDPOINT)?;
    // Once Zoom answered, a token may have been minted and older ones invalidated.
    budget.minted = true;

    if !(200..300).contains(&response.status) {
        return Err(token_error(grant, response.status, &response.body));
    }
    parse_token_set(&response.body, response.status, sent_at_ms)
}

/// Reads a token answer. Only `access_token` is indispensable; the rest has safe defaults.
fn parse_token_set(body: &[u8], status: u16, sent_at_ms: i64) -> Result<TokenSet, Error> {
    let malformed = |what: String| {
        provider_error(
            TOKEN_ENDPOINT,
            Some(status),
            format!("malformed JSON: {what}"),
        )
    };
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(malformed("the token answer is not an object".to_string()));
    };

    let access_token = match object.get("access_token") {
        Some(Value::String(token)) if !token.trim().is_empty() => token.trim().to_string(),
        _ => {
            return Err(malformed(
                "the token answer has no `access_token`".to_string(),
            ));
        }
    };
    let lifetime = match object.get("expires_in") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let lifetime = lifetime
        .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS)
        .clamp(0, MAX_TOKEN_LIFETIME_SECS);
    let refresh_token = object
        .get("refresh_token")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_string);
    let scopes = object
        .get("scope")
        .and_then(Value::as_str)
        .map(|scope| scope.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();

    Ok(TokenSet {
        access_token,
        expires_at_ms: sent_at_ms.saturating_add(lifetime * 1000),
        refresh_token,
        scopes,
    })
}

/// What a rejected token request means, by grant. Zoom answers
/// `{"reason": "…", "error": "invalid_client" | "invalid_grant" | …}`.
fn token_error(grant: &Grant<'_>, status: u16, body: &[u8]) -> Error {
    let (error, reason) = oauth_refusal(body);

    if error == "invalid_client" {
        return Error::InvalidCredentials(format!(
            "zoom rejected the client id or secret: check the client id and client secret of \
             the Zoom app ({reason})"
        ));
    }
    match grant {
        Grant::RefreshToken { .. } if error == "invalid_grant" => reauthorization_required(),
        Grant::AuthorizationCode { .. } if (400..500).contains(&status) => {
            Error::InvalidCredentials(format!(
                "zoom rejected the authorization code ({error}: {reason}); codes are single-use \
                 and expire after 5 minutes: authorise again with `harness authorize-url`"
            ))
        }
        Grant::AccountCredentials { .. } if (400..500).contains(&status) => {
            Error::InvalidCredentials(format!(
                "zoom rejected the server-to-server token request ({error}: {reason}); check \
                 the account id, and that the app is an activated server-to-server app"
            ))
        }
        _ => provider_error(TOKEN_ENDPOINT, Some(status), format!("{error}: {reason}")),
    }
}

/// The `error` code and the reason of an OAuth refusal, echo-safe; the whole body as the
/// reason when it is not the JSON object Zoom sends.
fn oauth_refusal(body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => {
            let text = |key: &str| object.get(key).and_then(Value::as_str).map(echo);
            let reason = text("reason")
                .or_else(|| text("message"))
                .unwrap_or_default();
            (text("error").unwrap_or_default(), reason)
        }
        _ => (String::new(), echo(&String::from_utf8_lossy(body))),
    }
}

fn reauthorization_required() -> Error {
    Error::ReauthorizationRequired(
        "the Zoom grant was revoked or expired; authorise again with `harness authorize-url`"
            .to_string(),
    )
}

/// Revokes the connection's grant at Zoom.
///
/// A refresh token (the code flow) is what lets a copy of the store mint new access tokens,
/// so it is the one revoked: that ends the whole grant, access token included (Zoom uninstalls
/// the app; RFC 7009 asks the same of every server). Only when that fails is the access token
/// revoked as well, on its own request, so that one failure cannot spare both. The error is
/// the last one, when nothing could be revoked.
pub fn revoke(
    p: &mut impl Platform,
    budget: &mut Budget,
    connection: &StoredConnection,
) -> Result<(), Error> {
    let refresh_token = connection.refresh_token.as_deref().unwrap_or_default();
    if !refresh_token.is_empty() {
        let Err(error) = revoke_token(p, budget, connection, refresh_token) else {
            return Ok(());
        };
        if connection.access_token.is_empty() {
            return Err(error);
        }
        let message = format!(
            "could not revoke the zoom refresh token ({}); revoking the access token instead",
            super::describe_error(&error)
        );
        p.log(Level::Warn, &message);
    }
    revoke_token(p, budget, connection, &connection.access_token)
}

/// `POST /oauth/revoke` for one token. The token goes in the form body, not in the query that
/// Zoom's examples use: hosts and proxies log URLs, never bodies.
fn revoke_token(
    p: &mut impl Platform,
    budget: &mut Budget,
    connection: &StoredConnection,
    token: &str,
) -> Result<(), Error> {
    let authorization = basic_auth(&connection.client_id, &connection.client_secret);
    let body = form_encode(&[("token", token)]).into_bytes();
    let request = http::request(Method::Post, REVOKE_URL.to_string(), authorization, body);

    let response = http::send(p, budget, &request, REVOKE_ENDPOINT)?;
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    let (error, reason) = oauth_refusal(&response.body);
    // Zoom calls the token itself invalid: it was revoked, rotated away or has expired, so
    // nothing is left to revoke. Wrong client credentials are not that: the grant lives on.
    let invalid_token = error == "invalid_grant"
        || error == "invalid_token"
        || reason.to_ascii_lowercase().contains("invalid token");
    if response.status == 400 && invalid_token {
        p.log(
            Level::Info,
            "zoom says the token is no longer valid: nothing left to revoke",
        );
        return Ok(());
    }
    Err(provider_error(
        REVOKE_ENDPOINT,
        Some(response.status),
        format!("{error}: {reason}"),
    ))
}

/// The S256 code challenge of RFC 7636: `base64url(sha256(verifier))`, without padding.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `bytes` random bytes as base64url: URL-safe, and valid as a PKCE verifier (RFC 7636 wants
/// 43 to 128 unreserved characters, which 32 bytes give).
pub fn random_token(p: &mut impl Platform, bytes: usize) -> Result<String, Error> {
    let random = p.random_bytes(bytes);
    // A short answer from the host would make a guessable state or verifier: refuse it.
    if random.len() < bytes {
        let message = format!("the host returned {} of {bytes} random bytes", random.len());
        return Err(provider_error("host random", None, message));
    }
    Ok(URL_SAFE_NO_PAD.encode(&random[..bytes]))
}

/// The current token set, renewed before it expires.
pub struct Session {
    connection: StoredConnection,
    /// Whether renewals are written to storage. `connect` keeps its session unsaved until every
    /// check has passed.
    saved: bool,
    /// A refreshed grant whose write failed: Zoom already invalidated the stored refresh
    /// token, so this one is kept and written again before its access token is used.
    rotation_unsaved: bool,
}

impl Session {
    /// The stored connection, or `NotConnected`.
    pub fn load(p: &mut impl Platform) -> Result<Session, Error> {
        let connection = store::load_connection(p)?.ok_or_else(not_connected)?;
        Ok(Session {
            connection,
            saved: true,
            rotation_unsaved: false,
        })
    }

    /// A session for a connection that is not stored (yet).
    pub fn unsaved(connection: StoredConnection) -> Session {
        Session {
            connection,
            saved: false,
            rotation_unsaved: false,
        }
    }

    pub fn connection(&self) -> &StoredConnection {
        &self.connection
    }

    pub fn into_connection(self) -> StoredConnection {
        self.connection
    }

    pub fn access_token(&self) -> &str {
        &self.connection.access_token
    }

    /// Renews the token if it expires within the margin, unless this call already obtained one:
    /// a second mint would only supersede the first.
    pub fn ensure_fresh(
        &mut self,
        p: &mut impl Platform,
        budget: &mut Budget,
    ) -> Result<(), Error> {
        if self.rotation_unsaved {
            self.store_rotated_grant(p)?;
        }
        if budget.minted || !self.connection.expires_soon(p.now_millis()) {
            return Ok(());
        }
        self.renew(p, budget)
    }

    /// Replaces the token: with one another run already stored if there is one, else by minting
    /// (server-to-server) or refreshing (authorization code).
    pub fn renew(&mut self, p: &mut impl Platform, budget: &mut Budget) -> Result<(), Error> {
        if self.adopt_stored_token(p)? {
            return Ok(());
        }

        match self.connection.method {
            AuthKind::ServerToServer => self.mint(p, budget),
            AuthKind::AuthorizationCode => self.refresh(p, budget),
        }
    }

    /// Another run may have renewed the token since this session read it; minting or
    /// refreshing again would invalidate that run's token (or fail on a rotated refresh token),
    /// so the stored one is taken when it is newer and still good.
    fn adopt_stored_token(&mut self, p: &mut impl Platform) -> Result<bool, Error> {
        if !self.saved {
            return Ok(false);
        }
        let stored = self.load_stored(p)?;

        let changed = stored.access_token != self.connection.access_token
            || stored.refresh_token != self.connection.refresh_token;
        if !changed {
            return Ok(false);
        }
        let usable = !stored.expires_soon(p.now_millis());
        self.connection = stored;
        if usable {
            p.log(Level::Info, "using the zoom token another run renewed");
        }
        Ok(usable)
    }

    fn mint(&mut self, p: &mut impl Platform, budget: &mut Budget) -> Result<(), Error> {
        let connection = &self.connection;
        let grant = Grant::AccountCredentials {
            account_id: &connection.account_id,
        };
        let tokens = request_token(
            p,
            budget,
            &connection.client_id,
            &connection.client_secret,
            &grant,
        )?;
        self.connection.apply(tokens);
        p.log(Level::Info, "minted a new zoom server-to-server token");

        // The credentials are stored, so a lost token only costs the next run a mint: carry on.
        if self.saved
            && let Err(Error::Storage(message)) = store::save_connection(p, &self.connection)
        {
            p.log(
                Level::Warn,
                &format!("the new zoom token was not stored: {message}"),
            );
        }
        Ok(())
    }

    /// The stored connection, which must still be this session's app and account.
    fn load_stored(&self, p: &mut impl Platform) -> Result<StoredConnection, Error> {
        let stored = store::load_connection(p)?.ok_or_else(not_connected)?;
        let same_app = stored.client_id == self.connection.client_id
            && stored.account_id == self.connection.account_id;
        if !same_app {
            return Err(Error::NotConnected(
                "the zoom connection was replaced while this call ran; start again".to_string(),
            ));
        }
        Ok(stored)
    }

    /// Refreshes the grant. Zoom refusing the refresh token does not always mean the grant is
    /// gone: two runs may refresh at once, and the one that read the store before the other
    /// wrote presents a refresh token the winner has just rotated. So on `invalid_grant` the
    /// store is read again, and a grant rotated since is taken over: its access token while it
    /// is good, else one refresh with its refresh token. Never more than that one, so that a
    /// revoked grant still ends in `ReauthorizationRequired` after at most two requests.
    fn refresh(&mut self, p: &mut impl Platform, budget: &mut Budget) -> Result<(), Error> {
        let refused = match self.refresh_once(p, budget) {
            Err(error @ Error::ReauthorizationRequired(_)) if self.saved => error,
            other => return other,
        };

        let stored = self.load_stored(p)?;
        let rotated =
            stored.refresh_token.is_some() && stored.refresh_token != self.connection.refresh_token;
        if !rotated {
            return Err(refused);
        }
        self.connection = stored;
        if !self.connection.expires_soon(p.now_millis()) {
            p.log(
                Level::Info,
                "another run rotated the zoom grant first; using the token it stored",
            );
            return Ok(());
        }
        p.log(
            Level::Info,
            "another run rotated the zoom grant first; refreshing with the refresh token it stored",
        );
        self.refresh_once(p, budget)
    }

    /// One refresh with the session's refresh token, the rotated grant stored before it is used.
    fn refresh_once(&mut self, p: &mut impl Platform, budget: &mut Budget) -> Result<(), Error> {
        let connection = &self.connection;
        let Some(refresh_token) = connection.refresh_token.as_deref() else {
            return Err(reauthorization_required());
        };
        let grant = Grant::RefreshToken { refresh_token };
        let tokens = request_token(
            p,
            budget,
            &connection.client_id,
            &connection.client_secret,
            &grant,
        )?;
        self.connection.apply(tokens);

        // Zoom has just invalidated the old refresh token: the new one must be durable before
        // anything else happens, or a crash loses the grant.
        if self.saved {
            self.store_rotated_grant(p)?;
        }
        p.log(
            Level::Info,
            "refreshed the zoom token and stored the rotated grant",
        );
        Ok(())
    }

    /// Writes a refreshed grant; until that succeeds, its access token is not used.
    fn store_rotated_grant(&mut self, p: &mut impl Platform) -> Result<(), Error> {
        self.rotation_unsaved = true;
        store::save_connection(p, &self.connection).map_err(|e| match e {
            Error::Storage(message) => Error::Storage(format!(
                "{message}; zoom already rotated the refresh token, so the connection may need \
                 `harness authorize-url` again"
            )),
            other => other,
        })?;
        self.rotation_unsaved = false;
        Ok(())
    }
}

pub fn not_connected() -> Error {
    Error::NotConnected("zoom is not connected; run connect first".to_string())
}
