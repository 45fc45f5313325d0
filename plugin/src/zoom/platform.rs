//! The host capabilities the Zoom client needs, as one small trait.
//!
//! The client is written against [`Platform`] so that it compiles and is tested natively; the
//! component glue implements the trait with `wasi:http`, `wasi:keyvalue` and `wasi:logging`,
//! and the unit tests with an in-memory fake.

/// An HTTP method; the Zoom client needs only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// An outgoing request. Its headers and body carry secrets (tokens in `Authorization`, the
/// revoked token in the revoke request's body) and its URL may carry a page token, so the glue
/// must never log them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// Absolute, `https://…`.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A response as the host received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header. Names are compared ignoring case, in case a host does not
    /// lower-case them as promised.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host refused the request (an origin outside the allow-list): never retried.
    Denied(String),
    /// No answer in time: retried with backoff.
    Timeout(String),
    /// The connection failed (DNS, TLS, reset): retried with backoff.
    Connection(String),
    /// Anything else: not retried, since nothing says another attempt would fare better.
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// What the host provides. One instance serves one call into the plugin.
pub trait Platform {
    /// Sends one request and waits for the whole response.
    fn send(&mut self, request: &Request) -> Result<Response, TransportError>;

    /// Reads a key of the plugin's key-value storage.
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, String>;

    /// Writes a key; the write must be atomic and durable once it returns.
    fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String>;

    /// Deletes a key; deleting a missing key is not an error.
    fn delete(&mut self, key: &str) -> Result<(), String>;

    /// Wall clock, milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    fn sleep_millis(&mut self, ms: u64);

    /// Cryptographically secure random bytes (they become the OAuth `state` and PKCE verifier).
    fn random_bytes(&mut self, n: usize) -> Vec<u8>;

    /// Never called with tokens, secrets, codes, verifiers or query strings.
    fn log(&mut self, level: Level, message: &str);
}
