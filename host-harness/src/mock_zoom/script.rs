//! Scripted responses: canned answers queued per endpoint and served, in order, before the
//! mock's normal behaviour, so a test can stage "page 1, then a 401, then page 2".

use serde::{Deserialize, Serialize};

/// The routes the mock answers, for scripting, counting and reading the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /oauth/token`.
    Token,
    /// `POST /oauth/revoke`.
    Revoke,
    /// `GET /oauth/authorize`.
    Authorize,
    /// `GET /v2/users`, the listing.
    Users,
    /// `GET /v2/users/me`.
    UsersMe,
    /// `GET /v2/users/{id-or-email}`.
    User,
    /// `GET /v2/users/summary`.
    UsersSummary,
    /// `GET /v2/roles`.
    Roles,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 8] = [
        Endpoint::Token,
        Endpoint::Revoke,
        Endpoint::Authorize,
        Endpoint::Users,
        Endpoint::UsersMe,
        Endpoint::User,
        Endpoint::UsersSummary,
        Endpoint::Roles,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Maps a request path to its endpoint; `None` for paths Zoom would answer 404 to.
    pub(crate) fn from_path(path: &str) -> Option<Endpoint> {
        let path = path.strip_suffix('/').unwrap_or(path);
        match path {
            "/oauth/token" => Some(Endpoint::Token),
            "/oauth/revoke" => Some(Endpoint::Revoke),
            "/oauth/authorize" => Some(Endpoint::Authorize),
            "/v2/users" => Some(Endpoint::Users),
            "/v2/users/me" => Some(Endpoint::UsersMe),
            "/v2/users/summary" => Some(Endpoint::UsersSummary),
            "/v2/roles" => Some(Endpoint::Roles),
            _ => match path.strip_prefix("/v2/users/") {
                Some(rest) if !rest.is_empty() && !rest.contains('/') => Some(Endpoint::User),
                _ => None,
            },
        }
    }
}

/// The status that marks a [`ScriptedResponse::pass_through`] entry; no real response has it.
pub const PASS_THROUGH_STATUS: u16 = 0;

/// One canned answer. Build it with the helpers, which produce Zoom's exact error bodies, or
/// literally for anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedResponse {
    /// The HTTP status; [`PASS_THROUGH_STATUS`] (0) means "serve this request normally".
    pub status: u16,
    /// Extra response headers, sent as given. `content-type: application/json;charset=UTF-8`
    /// is added unless one is given here.
    pub headers: Vec<(String, String)>,
    /// The body, sent byte for byte (it need not be valid JSON).
    pub body: String,
}

#[derive(Serialize)]
struct ZoomErrorBody<'a> {
    code: i64,
    message: &'a str,
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    reason: &'a str,
    error: &'a str,
}

/// The body of an API error, `{"code":…,"message":…}`, keys in Zoom's order.
pub(crate) fn zoom_error_body(code: i64, message: &str) -> String {
    serde_json::to_string(&ZoomErrorBody { code, message }).unwrap_or_default()
}

/// The body of an OAuth error, `{"reason":…,"error":…}`, keys in Zoom's order.
pub(crate) fn oauth_error_body(error: &str, reason: &str) -> String {
    serde_json::to_string(&OAuthErrorBody { reason, error }).unwrap_or_default()
}

/// Zoom's per-second rate limit message; clients tell the two kinds of 429 apart by it.
pub const QPS_LIMIT_MESSAGE: &str =
    "You have reached the maximum per-second rate limit for this API. Try again later.";

/// Zoom's daily rate limit message.
pub const DAILY_LIMIT_MESSAGE: &str = "You have reached the maximum daily rate limit for this API. \
     Refer to the response header for details on when you can make another request.";

impl ScriptedResponse {
    /// A response with the given status and body and no extra headers.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        ScriptedResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        ScriptedResponse::new(status, body.to_string())
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// An entry that consumes its turn but is answered normally, so a script can say "page 1
    /// as usual, then a 401".
    pub fn pass_through() -> Self {
        ScriptedResponse::new(PASS_THROUGH_STATUS, "")
    }

    /// Whether this entry is [`ScriptedResponse::pass_through`].
    pub fn is_pass_through(&self) -> bool {
        self.status == PASS_THROUGH_STATUS
    }

    /// An API error: `{"code":code,"message":message}` with HTTP `status`.
    pub fn zoom_error(status: u16, code: i64, message: &str) -> Self {
        ScriptedResponse::new(status, zoom_error_body(code, message))
    }

    /// An OAuth error: `{"reason":reason,"error":error}` with HTTP `status`.
    pub fn oauth_error(status: u16, error: &str, reason: &str) -> Self {
        ScriptedResponse::new(status, oauth_error_body(error, reason))
    }

    /// HTTP 401 code 124 "Invalid access token." (CASES.md 8).
    pub fn invalid_token() -> Self {
        ScriptedResponse::zoom_error(401, 124, "Invalid access token.")
    }

    /// HTTP 401 code 124 "Access token is expired." (CASES.md 9).
    pub fn expired_token() -> Self {
        ScriptedResponse::zoom_error(401, 124, "Access token is expired.")
    }

    /// HTTP 400 code 4711 naming the missing scope (CASES.md 7).
    pub fn missing_scope(scope: &str) -> Self {
        let message = format!("Invalid access token, does not contain scopes:[{scope}].");
        ScriptedResponse::zoom_error(400, 4711, &message)
    }

    /// HTTP 400 code 300 for an expired or unknown `next_page_token`.
    pub fn invalid_page_token() -> Self {
        ScriptedResponse::zoom_error(400, 300, "The next page token is invalid or expired.")
    }

    /// HTTP 400 code 200 "No permission.", as `/v2/roles` answers on a free plan.
    pub fn no_permission() -> Self {
        ScriptedResponse::zoom_error(400, 200, "No permission.")
    }

    /// The token endpoint's answer to wrong client credentials (CASES.md 6).
    pub fn invalid_client() -> Self {
        ScriptedResponse::oauth_error(400, "invalid_client", "Invalid client_id or client_secret")
    }

    /// The token endpoint's answer to a stale, rotated or revoked refresh token (CASES.md 11).
    pub fn invalid_grant() -> Self {
        ScriptedResponse::oauth_error(400, "invalid_grant", "Invalid Token!")
    }

    /// HTTP 429 for the per-second limit, `Retry-After` in seconds (CASES.md 12).
    pub fn rate_limited_qps(retry_after_secs: u64) -> Self {
        ScriptedResponse::zoom_error(429, 429, QPS_LIMIT_MESSAGE)
            .with_header("X-RateLimit-Category", "Medium")
            .with_header("X-RateLimit-Type", "QPS")
            .with_header("X-RateLimit-Limit", "20")
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("Retry-After", retry_after_secs.to_string())
    }

    /// HTTP 429 for the daily limit; `Retry-After` is the reset time as an ISO-8601 date-time,
    /// e.g. `"2030-01-02T00:00:00Z"` (CASES.md 13).
    pub fn rate_limited_daily(reset_at: &str) -> Self {
        ScriptedResponse::zoom_error(429, 429, DAILY_LIMIT_MESSAGE)
            .with_header("X-RateLimit-Category", "Medium")
            .with_header("X-RateLimit-Type", "Daily-limit")
            .with_header("X-RateLimit-Limit", "2000")
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("Retry-After", reset_at)
    }

    /// HTTP 200 whose body is cut off mid-row, as a dropped proxy connection leaves it.
    pub fn malformed_json() -> Self {
        ScriptedResponse::new(
            200,
            r#"{"next_page_token":"","page_size":30,"total_records":2,"users":[{"id":"#,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_endpoints() {
        assert_eq!(Endpoint::from_path("/v2/users"), Some(Endpoint::Users));
        assert_eq!(Endpoint::from_path("/v2/users/"), Some(Endpoint::Users));
        assert_eq!(Endpoint::from_path("/v2/users/me"), Some(Endpoint::UsersMe));
        assert_eq!(
            Endpoint::from_path("/v2/users/a@b.example"),
            Some(Endpoint::User)
        );
        assert_eq!(Endpoint::from_path("/v2/users/x/settings"), None);
        assert_eq!(Endpoint::from_path("/oauth/token"), Some(Endpoint::Token));
        assert_eq!(Endpoint::from_path("/"), None);
        for (i, endpoint) in Endpoint::ALL.iter().enumerate() {
            assert_eq!(endpoint.index(), i);
        }
    }

    #[test]
    fn error_helpers_produce_zoom_bodies_byte_for_byte() {
        assert_eq!(
            ScriptedResponse::invalid_client().body,
            r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#
        );
        assert_eq!(
            ScriptedResponse::missing_scope("user:read:list_users:admin").body,
            concat!(
                r#"{"code":4711,"message":"Invalid access token, does not contain "#,
                r#"scopes:[user:read:list_users:admin]."}"#
            )
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(&ScriptedResponse::malformed_json().body)
                .is_err()
        );
    }
}
