//! Authenticated calls to Zoom's REST API (`https://api.zoom.us/v2/…`).
//!
//! [`get_json`] adds the bearer token (renewed shortly before it expires), retries once with a
//! new token after HTTP 401, and reads the body as a JSON object. Every other refusal comes
//! back as a [`Rejection`] so that the caller can decide what Zoom's code means for it (a
//! listing restarts on an expired page token; role names degrade on a missing permission);
//! `Error::from` gives the default meaning.

use serde_json::{Map, Value};

use super::auth::Session;
use super::http::{self, Budget, ZoomErrorBody, provider_error};
use super::platform::{Level, Method, Platform};
use crate::model::Error;

pub const API_BASE: &str = "https://api.zoom.us";

/// Zoom's code for an access token without a needed scope (4700 in older answers).
const CODE_MISSING_SCOPE: [i64; 2] = [4711, 4700];

/// A call that did not succeed.
#[derive(Debug)]
pub enum CallError {
    /// Zoom answered with an error the caller may interpret.
    Rejected(Rejection),
    /// Anything else: transport, rate limit, authentication, malformed answers, storage.
    Failed(Error),
}

impl From<Error> for CallError {
    fn from(error: Error) -> Self {
        CallError::Failed(error)
    }
}

impl From<CallError> for Error {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Rejected(rejection) => rejection.into_error(),
            CallError::Failed(error) => error,
        }
    }
}

/// A Zoom error answer (4xx other than 401 and 429).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub endpoint: String,
    pub status: u16,
    pub code: Option<i64>,
    pub message: String,
    /// The scope the endpoint needs, named when Zoom's message does not say.
    pub scope: &'static str,
}

impl Rejection {
    /// The missing scope, if that is what Zoom said. Its message names it:
    /// `Invalid access token, does not contain scopes:[user:read:list_users:admin].`
    pub fn missing_scope(&self) -> Option<String> {
        let missing =
            self.status == 400 && self.code.is_some_and(|c| CODE_MISSING_SCOPE.contains(&c));
        if !missing {
            return None;
        }
        let named = self
            .message
            .split_once('[')
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(scopes, _)| scopes.trim())
            .filter(|scopes| !scopes.is_empty());
        Some(named.unwrap_or(self.scope).to_string())
    }

    /// What the answer means when the caller has no special use for it.
    pub fn into_error(self) -> Error {
        if let Some(scope) = self.missing_scope() {
            return Error::MissingScope(scope);
        }
        let code = self
            .code
            .map_or_else(|| "no code".to_string(), |code| format!("code {code}"));
        let message = format!("zoom error ({code}): {}", self.message);
        provider_error(&self.endpoint, Some(self.status), message)
    }
}

/// A successful answer's status and body.
pub struct Json {
    pub status: u16,
    pub body: Map<String, Value>,
}

/// `GET {API_BASE}{path}?{query}` with the session's token. `scope` is what the endpoint
/// needs, for the error when Zoom does not name it.
pub fn get_json(
    p: &mut impl Platform,
    session: &mut Session,
    budget: &mut Budget,
    path: &str,
    query: &[(&str, &str)],
    scope: &'static str,
) -> Result<Json, CallError> {
    let endpoint = format!("GET {path}");
    let url = http::url(API_BASE, path, query);
    session.ensure_fresh(p, budget)?;

    loop {
        let bearer = format!("Bearer {}", session.access_token());
        let request = http::request(Method::Get, url.clone(), bearer, Vec::new());
        let response = http::send(p, budget, &request, &endpoint)?;
        let error = || ZoomErrorBody::parse(&response.body);

        if response.status == 401 {
            // Zoom says code 124 for an invalid, expired or superseded token. One new token
            // may help; if this call already has a fresh one, another would not.
            let error = error();
            if budget.minted {
                return Err(CallError::Failed(fresh_token_rejected(&endpoint, &error)));
            }
            let message = format!("{endpoint} answered HTTP 401; renewing the token once");
            p.log(Level::Warn, &message);
            session.renew(p, budget)?;
            budget.minted = true;
            continue;
        }

        if !(200..300).contains(&response.status) {
            let ZoomErrorBody { code, message } = error();
            let status = response.status;
            return Err(CallError::Rejected(Rejection {
                endpoint,
                status,
                code,
                message,
                scope,
            }));
        }
        return parse_object(&endpoint, response.status, &response.body).map_err(CallError::from);
    }
}

fn fresh_token_rejected(endpoint: &str, error: &ZoomErrorBody) -> Error {
    let code = error
        .code
        .map_or_else(String::new, |code| format!("code {code}: "));
    Error::InvalidCredentials(format!(
        "zoom rejected a fresh access token for {endpoint} ({code}{}); check that the app is \
         activated and still authorised, then connect again",
        error.message
    ))
}

/// The body as a JSON object; anything else names the endpoint that sent it.
pub fn parse_object(endpoint: &str, status: u16, body: &[u8]) -> Result<Json, Error> {
    let malformed =
        |what: String| provider_error(endpoint, Some(status), format!("malformed JSON: {what}"));
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(body)) => Ok(Json { status, body }),
        Ok(other) => Err(malformed(format!(
            "expected an object, got {}",
            kind_of(&other)
        ))),
        Err(e) => Err(malformed(e.to_string())),
    }
}

pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string field that Zoom may also send as a number (`role_id`, `id`), trimmed; `None` when
/// absent, null, or of another type.
pub fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
