//! Sending one request with bounded fault handling: what every Zoom call shares.
//!
//! [`send`] returns the first answer that is neither a server error nor a rate limit; the
//! callers decide what a 4xx means. What it absorbs, and the bounds:
//!
//! - HTTP 5xx, timeouts and failed connections: up to [`DEFAULT_MAX_TRANSIENT_RETRIES`]
//!   retries, with exponential backoff from [`DEFAULT_BACKOFF_MS`] plus jitter;
//! - a request the host refused: fails at once, since asking again cannot help;
//! - HTTP 429: waits as Zoom asks when the wait is short (at most
//!   [`DEFAULT_MAX_RATE_LIMIT_WAIT_MS`] each and [`DEFAULT_MAX_TOTAL_WAIT_MS`] in one call),
//!   and fails fast with [`Error::RateLimited`] on a daily limit or a longer wait.
//!
//! A [`Budget`] is made per call into the plugin (one `connect`, one page of a listing) and
//! caps its requests and waits, so no fault can make a call loop.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::platform::{Level, Method, Platform, Request, Response, TransportError};
use super::time::{format_rfc3339, next_utc_midnight, parse_http_date, parse_rfc3339};
use crate::model::{Error, ProviderFailure, RateLimit, Timestamp};

/// Retries after a 5xx, a timeout or a failed connection, per request.
pub const DEFAULT_MAX_TRANSIENT_RETRIES: u32 = 3;

/// The first backoff after a transient fault; it doubles per retry, plus up to as much jitter.
pub const DEFAULT_BACKOFF_MS: u64 = 500;

/// Rate-limited retries per request.
pub const DEFAULT_MAX_RATE_LIMIT_RETRIES: u32 = 5;

/// The wait after a 429 that names none; it doubles per retry, plus up to as much jitter.
pub const DEFAULT_RATE_LIMIT_WAIT_MS: u64 = 1_000;

/// The longest single wait on a rate limit; Zoom asking for more fails the call instead.
pub const DEFAULT_MAX_RATE_LIMIT_WAIT_MS: u64 = 30_000;

/// The most one call into the plugin waits in all.
pub const DEFAULT_MAX_TOTAL_WAIT_MS: u64 = 120_000;

/// The most requests one call into the plugin sends, retries included.
pub const DEFAULT_MAX_REQUESTS_PER_CALL: u32 = 32;

/// Zoom error bodies are echoed into messages; this keeps a hostile one short.
const MAX_ECHOED_CHARS: usize = 200;

/// What one call into the plugin may still spend.
#[derive(Debug, Default)]
pub struct Budget {
    requests: u32,
    waited_ms: u64,
    /// Whether this call already obtained a token; a second would only invalidate the first.
    pub minted: bool,
}

impl Budget {
    pub fn new() -> Self {
        Budget::default()
    }

    fn take_request(&mut self, endpoint: &str) -> Result<(), Error> {
        if self.requests >= DEFAULT_MAX_REQUESTS_PER_CALL {
            return Err(provider_error(
                endpoint,
                None,
                format!("gave up after {DEFAULT_MAX_REQUESTS_PER_CALL} requests in one call"),
            ));
        }
        self.requests += 1;
        Ok(())
    }
}

/// Sends `request`, absorbing transient faults and short rate limits within the budget.
/// `endpoint` (method and path, no query) is what errors and logs name.
pub fn send(
    p: &mut impl Platform,
    budget: &mut Budget,
    request: &Request,
    endpoint: &str,
) -> Result<Response, Error> {
    let mut transient_retries = 0;
    let mut rate_limit_retries = 0;
    loop {
        budget.take_request(endpoint)?;

        let (fault, status) = match p.send(request) {
            Ok(response) if response.status == 429 => {
                let wait = rate_limit_wait(p, budget, &response, rate_limit_retries)?;
                rate_limit_retries += 1;
                let message = format!(
                    "{endpoint} was rate limited; retry {rate_limit_retries} of \
                     {DEFAULT_MAX_RATE_LIMIT_RETRIES} in {wait} ms"
                );
                p.log(Level::Warn, &message);
                wait_for(p, budget, wait);
                continue;
            }
            Ok(response) if response.status >= 500 => {
                (format!("HTTP {}", response.status), Some(response.status))
            }
            Ok(response) => return Ok(response),
            Err(TransportError::Timeout(message)) => {
                (format!("timed out: {}", scrub(&message)), None)
            }
            Err(TransportError::Connection(message)) => {
                (format!("connection failed: {}", scrub(&message)), None)
            }
            Err(TransportError::Denied(message)) => {
                let message = format!("the host refused the request: {}", scrub(&message));
                return Err(provider_error(endpoint, None, message));
            }
            Err(TransportError::Other(message)) => {
                return Err(provider_error(endpoint, None, scrub(&message)));
            }
        };

        if transient_retries >= DEFAULT_MAX_TRANSIENT_RETRIES {
            let attempts = transient_retries + 1;
            // A status travels in the error's own field; repeating it in the text would read
            // "(HTTP 502): HTTP 502".
            let fault = if status.is_some() {
                "zoom kept answering with a server error".to_string()
            } else {
                fault
            };
            let message = format!("{fault} (gave up after {attempts} attempts)");
            return Err(provider_error(endpoint, status, message));
        }
        let wait = backoff(p, DEFAULT_BACKOFF_MS, transient_retries);
        transient_retries += 1;
        let message = format!(
            "{endpoint} failed ({fault}); retry {transient_retries} of \
             {DEFAULT_MAX_TRANSIENT_RETRIES} in {wait} ms"
        );
        p.log(Level::Warn, &message);
        wait_for(p, budget, wait);
    }
}

/// How Zoom described a limit. Its headers are often missing or contradict each other; the
/// message text is the reliable sign, so it is read first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LimitKind {
    Daily,
    Short,
}

/// How long to wait before retrying a 429, or the error that ends the call instead.
fn rate_limit_wait(
    p: &mut impl Platform,
    budget: &Budget,
    response: &Response,
    retries_so_far: u32,
) -> Result<u64, Error> {
    let now_ms = p.now_millis();
    let now = now_ms.div_euclid(1000);
    let hint_at = response
        .header("retry-after")
        .and_then(|value| retry_after(value, now_ms));

    if limit_kind(response) == LimitKind::Daily {
        // A daily limit lasts hours: fail fast and say when it ends. Without a usable date, Zoom
        // resets daily limits at 00:00 UTC.
        let retry_at = hint_at
            .map(|at_ms| at_ms.div_euclid(1000))
            .filter(|at| *at > now)
            .unwrap_or_else(|| next_utc_midnight(now));
        return Err(rate_limited(retry_at));
    }

    // Waiting at least a second even when told less: Zoom's short limits are per second.
    let wait = match hint_at {
        Some(at_ms) => u64::try_from(at_ms - now_ms)
            .unwrap_or(0)
            .max(DEFAULT_RATE_LIMIT_WAIT_MS),
        None => backoff(p, DEFAULT_RATE_LIMIT_WAIT_MS, retries_so_far),
    };
    let too_long = wait > DEFAULT_MAX_RATE_LIMIT_WAIT_MS
        || budget.waited_ms + wait > DEFAULT_MAX_TOTAL_WAIT_MS
        || retries_so_far >= DEFAULT_MAX_RATE_LIMIT_RETRIES;
    if too_long {
        let wait_secs = i64::try_from(wait.div_ceil(1000)).unwrap_or(i64::MAX);
        return Err(rate_limited(now.saturating_add(wait_secs)));
    }
    Ok(wait)
}

fn limit_kind(response: &Response) -> LimitKind {
    let message = ZoomErrorBody::parse(&response.body)
        .message
        .to_ascii_lowercase();
    if message.contains("daily") {
        return LimitKind::Daily;
    }
    if message.contains("per-second") || message.contains("per second") {
        return LimitKind::Short;
    }
    let header = response
        .header("x-ratelimit-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if header.contains("daily") {
        LimitKind::Daily
    } else {
        LimitKind::Short
    }
}

/// `Retry-After` as an absolute time in ms: seconds, an HTTP-date, or (Zoom, on daily limits)
/// an ISO-8601 date-time.
fn retry_after(value: &str, now_ms: i64) -> Option<i64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = value.parse().ok()?;
        return now_ms.checked_add(seconds.checked_mul(1000)?);
    }
    let at = parse_rfc3339(value).or_else(|| parse_http_date(value))?;
    at.checked_mul(1000)
}

fn rate_limited(retry_at: Timestamp) -> Error {
    Error::RateLimited(RateLimit {
        retry_at: Some(retry_at),
        message: format!("rate limited until {}", format_rfc3339(retry_at)),
    })
}

/// `base · 2^retry` plus up to as much again in jitter, so that retrying clients spread out.
fn backoff(p: &mut impl Platform, base_ms: u64, retry: u32) -> u64 {
    let step = base_ms.saturating_mul(1 << retry.min(16));
    let random = p.random_bytes(2);
    let fraction = match random.as_slice() {
        [high, low, ..] => u64::from(u16::from_be_bytes([*high, *low])),
        _ => 0,
    };
    step + step * fraction / u64::from(u16::MAX)
}

fn wait_for(p: &mut impl Platform, budget: &mut Budget, ms: u64) {
    budget.waited_ms += ms;
    p.sleep_millis(ms);
}

pub fn provider_error(endpoint: &str, status: Option<u16>, message: String) -> Error {
    Error::ProviderError(ProviderFailure {
        endpoint: endpoint.to_string(),
        status,
        message,
    })
}

/// Removes query strings from a host's error text, as from every log line: a URL's query may
/// carry a page token.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_query = false;
    for c in message.chars() {
        if c == '?' {
            in_query = true;
            out.push_str("?…");
        } else if c.is_whitespace() {
            in_query = false;
            out.push(c);
        } else if !in_query {
            out.push(c);
        }
    }
    out
}

/// The `{"code": …, "message": …}` body of a Zoom API error, read leniently: the code may be a
/// number or a string, and either may be missing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ZoomErrorBody {
    pub code: Option<i64>,
    pub message: String,
}

impl ZoomErrorBody {
    pub fn parse(body: &[u8]) -> Self {
        let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) else {
            // Not JSON (a proxy's HTML page, say): keep a short piece of the text.
            return ZoomErrorBody {
                code: None,
                message: echo(&String::from_utf8_lossy(body)),
            };
        };
        let code = match object.get("code") {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let message = object.get("message").and_then(|m| m.as_str()).map(echo);
        ZoomErrorBody {
            code,
            message: message.unwrap_or_default(),
        }
    }
}

/// Untrusted provider text shortened for an error message.
pub fn echo(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `base` + `path` + the query, percent-encoded.
pub fn url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = format!("{base}{path}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(&form_encode(query));
    }
    url
}

/// `application/x-www-form-urlencoded`, encoding everything but RFC 3986's unreserved
/// characters.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect();
    encoded.join("&")
}

pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `Basic base64(client_id:client_secret)`, how Zoom's OAuth endpoints take the client.
pub fn basic_auth(client_id: &str, client_secret: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{client_id}:{client_secret}"))
    )
}

/// A request with the headers every Zoom call carries.
pub fn request(method: Method, url: String, authorization: String, body: Vec<u8>) -> Request {
    let mut headers = vec![
        ("authorization".to_string(), authorization),
        ("accept".to_string(), "application/json".to_string()),
        (
            "user-agent".to_string(),
            concat!("gatehouse-zoom/", env!("CARGO_PKG_VERSION")).into(),
        ),
    ];
    if method == Method::Post {
        let form = "application/x-www-form-urlencoded".to_string();
        headers.push(("content-type".to_string(), form));
    }
    Request {
        method,
        url,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        let url = url(
            "https://api.zoom.us",
            "/v2/users",
            &[("next_page_token", "a b+c/=&é")],
        );
        assert_eq!(
            url,
            "https://api.zoom.us/v2/users?next_page_token=a%20b%2Bc%2F%3D%26%C3%A9"
        );
        assert_eq!(
            super::url("https://zoom.us", "/oauth/token", &[]),
            "https://zoom.us/oauth/token"
        );
    }

    #[test]
    fn basic_auth_is_base64_of_id_colon_secret() {
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn scrub_removes_query_strings_from_host_messages() {
        let message = "error sending https://zoom.us/oauth/revoke?token=TOK_x: reset";
        assert_eq!(
            scrub(message),
            "error sending https://zoom.us/oauth/revoke?… reset"
        );
    }

    #[test]
    fn zoom_error_bodies_are_read_leniently() {
        let body = ZoomErrorBody::parse(br#"{"code":"124","message":"Invalid access token."}"#);
        assert_eq!(
            body,
            ZoomErrorBody {
                code: Some(124),
                message: "Invalid access token.".into()
            }
        );
        let html = ZoomErrorBody::parse(b"<html>bad gateway</html>");
        assert_eq!(
            html,
            ZoomErrorBody {
                code: None,
                message: "<html>bad gateway</html>".into()
            }
        );
        let long = ZoomErrorBody::parse("x".repeat(5000).as_bytes());
        assert_eq!(long.message.chars().count(), MAX_ECHOED_CHARS + 1);
    }

    #[test]
    fn retry_after_accepts_seconds_http_dates_and_iso_date_times() {
        let now_ms = 1_000_000;
        assert_eq!(retry_after("3", now_ms), Some(1_003_000));
        assert_eq!(
            retry_after("2030-01-02T00:00:00Z", now_ms),
            Some(1_893_542_400_000)
        );
        let http_date = retry_after("Wed, 02 Jan 2030 00:00:00 GMT", now_ms);
        assert_eq!(http_date, Some(1_893_542_400_000));
        assert_eq!(retry_after("soon", now_ms), None);
        assert_eq!(retry_after("-5", now_ms), None);
        assert_eq!(retry_after("99999999999999999999", now_ms), None);
    }
}
