//! An in-memory [`Platform`] for the unit tests: scripted HTTP answers, a map for storage, a
//! manual clock that `sleep_millis` advances, and deterministic randomness.
//!
//! Every request is recorded with the stored connection as it was when the request left, so
//! that a test can check what was durable before a token was used. Every log line is checked
//! for secrets as it is written: test secrets carry the markers in [`SECRET_MARKERS`].

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

use super::platform::{Level, Method, Platform, Request, Response, TransportError};
use super::store::{self, AuthKind, StoredConnection};

/// Every token, secret and code in the tests contains one of these; no log line may.
pub const SECRET_MARKERS: [&str; 6] = ["TOK_", "SECRET_", "RT_", "CODE_", "Bearer", "Basic "];

/// 2027-01-15T08:00:00Z, where every fake clock starts.
pub const START_MS: i64 = 1_800_000_000_000;

type Responder = Box<dyn FnMut(&Request) -> Result<Response, TransportError>>;

pub struct Fake {
    pub sent: Vec<Sent>,
    pub kv: HashMap<String, Vec<u8>>,
    /// Keys written, in order.
    pub sets: Vec<String>,
    pub now_ms: i64,
    pub sleeps: Vec<u64>,
    pub logs: Vec<(Level, String)>,
    pub fail_sets: bool,
    script: VecDeque<Scripted>,
    responder: Option<Responder>,
    random: u8,
}

/// An expected request and its answer.
struct Scripted {
    endpoint: String,
    reply: Result<Response, TransportError>,
    /// What another run stores while this request is in flight.
    written_meanwhile: Option<StoredConnection>,
}

/// A request as sent.
pub struct Sent {
    pub request: Request,
    pub stored: Option<StoredConnection>,
    pub at_ms: i64,
}

impl Sent {
    /// `GET /v2/users`: method and path.
    pub fn endpoint(&self) -> String {
        format!(
            "{} {}",
            self.request.method.as_str(),
            path(&self.request.url)
        )
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let (_, query) = self.request.url.split_once('?')?;
        find_pair(query, name)
    }

    /// A field of the form-encoded body.
    pub fn form(&self, name: &str) -> Option<String> {
        find_pair(std::str::from_utf8(&self.request.body).ok()?, name)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, value) = self.request.headers.iter().find(|(key, _)| key == name)?;
        Some(value)
    }
}

impl Fake {
    pub fn new() -> Fake {
        Fake {
            sent: Vec::new(),
            kv: HashMap::new(),
            sets: Vec::new(),
            now_ms: START_MS,
            sleeps: Vec::new(),
            logs: Vec::new(),
            fail_sets: false,
            script: VecDeque::new(),
            responder: None,
            random: 0,
        }
    }

    /// Expects a request to `endpoint` (`POST /oauth/token`) next, and answers it.
    pub fn expect(&mut self, endpoint: &str, response: Response) -> &mut Fake {
        self.push(endpoint, Ok(response), None)
    }

    pub fn expect_failure(&mut self, endpoint: &str, error: TransportError) -> &mut Fake {
        self.push(endpoint, Err(error), None)
    }

    /// Like [`Fake::expect`], and another run stores `connection` while the request is in
    /// flight: a race the plugin cannot see coming.
    pub fn expect_while_another_run_stores(
        &mut self,
        endpoint: &str,
        response: Response,
        connection: &StoredConnection,
    ) -> &mut Fake {
        self.push(endpoint, Ok(response), Some(connection.clone()))
    }

    fn push(
        &mut self,
        endpoint: &str,
        reply: Result<Response, TransportError>,
        written_meanwhile: Option<StoredConnection>,
    ) -> &mut Fake {
        self.script.push_back(Scripted {
            endpoint: endpoint.to_string(),
            reply,
            written_meanwhile,
        });
        self
    }

    /// Answers requests once the script is used up.
    pub fn respond_with(
        &mut self,
        responder: impl FnMut(&Request) -> Result<Response, TransportError> + 'static,
    ) {
        self.responder = Some(Box::new(responder));
    }

    pub fn script_is_done(&self) -> bool {
        self.script.is_empty()
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.sent.iter().map(Sent::endpoint).collect()
    }

    pub fn count(&self, endpoint: &str) -> usize {
        self.sent
            .iter()
            .filter(|sent| sent.endpoint() == endpoint)
            .count()
    }

    pub fn stored(&self) -> Option<StoredConnection> {
        let bytes = self.kv.get(store::CONNECTION_KEY)?;
        Some(serde_json::from_slice(bytes).expect("stored connection"))
    }

    pub fn warnings(&self) -> Vec<&str> {
        let warnings = self.logs.iter().filter(|(level, _)| *level == Level::Warn);
        warnings.map(|(_, message)| message.as_str()).collect()
    }

    /// Stores a working connection, as a successful `connect` would have.
    pub fn connected(&mut self, method: AuthKind) -> StoredConnection {
        let mut connection = StoredConnection::new(method, "client-1", "SECRET_1", self.now_ms);
        connection.account_id = "ACC1".to_string();
        connection.access_token = "TOK_stored".to_string();
        connection.expires_at_ms = self.now_ms + 3_600_000;
        if method == AuthKind::AuthorizationCode {
            connection.refresh_token = Some("RT_1".to_string());
        }
        connection.scopes = vec!["user:read:list_users:admin".to_string()];
        connection.authorized_by = "admin@example.com".to_string();
        connection.authorized_role = "Owner".to_string();
        let bytes = serde_json::to_vec(&connection).expect("encode");
        self.kv.insert(store::CONNECTION_KEY.to_string(), bytes);
        connection
    }

    fn check_log_line(&self, message: &str) {
        for marker in SECRET_MARKERS {
            assert!(
                !message.contains(marker),
                "log line leaks a secret: {message}"
            );
        }
        assert!(
            !has_query_string(message),
            "log line has a query string: {message}"
        );
        if let Some(bytes) = self.kv.get(store::AUTHORIZATIONS_KEY) {
            let pending: Value = serde_json::from_slice(bytes).expect("authorizations");
            let flows = pending["by_state"].as_object().cloned().unwrap_or_default();
            for flow in flows.values() {
                let verifier = flow["verifier"].as_str().unwrap_or("never matches");
                assert!(
                    !message.contains(verifier),
                    "log line leaks a verifier: {message}"
                );
            }
        }
    }
}

impl Platform for Fake {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        let stored = self.stored();
        self.sent.push(Sent {
            request: request.clone(),
            stored,
            at_ms: self.now_ms,
        });
        let endpoint = format!("{} {}", request.method.as_str(), path(&request.url));

        if let Some(scripted) = self.script.pop_front() {
            assert_eq!(
                endpoint,
                scripted.endpoint,
                "unexpected request (request {})",
                self.sent.len()
            );
            if let Some(connection) = scripted.written_meanwhile {
                let bytes = serde_json::to_vec(&connection).expect("encode");
                self.kv.insert(store::CONNECTION_KEY.to_string(), bytes);
            }
            return scripted.reply;
        }
        match self.responder.as_mut() {
            Some(responder) => responder(request),
            None => panic!("unscripted request: {endpoint}"),
        }
    }

    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.kv.get(key).cloned())
    }

    fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        if self.fail_sets {
            return Err("disk full".to_string());
        }
        self.sets.push(key.to_string());
        self.kv.insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&mut self, key: &str) -> Result<(), String> {
        self.kv.remove(key);
        Ok(())
    }

    fn now_millis(&self) -> i64 {
        self.now_ms
    }

    fn sleep_millis(&mut self, ms: u64) {
        self.sleeps.push(ms);
        self.now_ms += i64::try_from(ms).expect("sleep fits");
    }

    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                self.random = self.random.wrapping_add(37);
                self.random
            })
            .collect()
    }

    fn log(&mut self, level: Level, message: &str) {
        self.check_log_line(message);
        self.logs.push((level, message.to_string()));
    }
}

/// A JSON answer.
pub fn reply(status: u16, body: Value) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
    }
}

pub fn raw(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

pub fn with_headers(mut response: Response, headers: &[(&str, &str)]) -> Response {
    let headers = headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()));
    response.headers.extend(headers);
    response
}

/// A server-to-server token answer.
pub fn token(access_token: &str, expires_in: i64) -> Response {
    reply(
        200,
        json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "scope": "user:read:list_users:admin user:read:user:admin",
            "api_url": "https://api.zoom.us"
        }),
    )
}

/// An authorization-code or refresh answer.
pub fn code_token(access_token: &str, refresh_token: &str) -> Response {
    reply(
        200,
        json!({
            "access_token": access_token,
            "token_type": "bearer",
            "refresh_token": refresh_token,
            "expires_in": 3599,
            "scope": "user:read:list_users:admin user:read:user:admin"
        }),
    )
}

pub fn zoom_error(status: u16, code: i64, message: &str) -> Response {
    reply(status, json!({ "code": code, "message": message }))
}

pub fn oauth_error(error: &str, reason: &str) -> Response {
    reply(400, json!({ "reason": reason, "error": error }))
}

/// A page of `GET /v2/users`.
pub fn page(next_page_token: &str, total_records: u64, users: Vec<Value>) -> Response {
    let body = json!({
        "next_page_token": next_page_token,
        "page_size": 300,
        "total_records": total_records,
        "users": users
    });
    reply(200, body)
}

/// Users `from..to` with ids and emails.
pub fn users(from: u64, to: u64) -> Vec<Value> {
    (from..to)
        .map(|i| {
            let email = format!("user{i}@example.com");
            json!({ "id": format!("u{i}"), "email": email, "type": 1 })
        })
        .collect()
}

pub fn me(role_id: &str, role_name: &str) -> Response {
    reply(
        200,
        json!({
            "id": "me1",
            "email": "admin@example.com",
            "role_id": role_id,
            "role_name": role_name,
            "account_id": "ACC1",
            "type": 2
        }),
    )
}

pub fn no_roles() -> Response {
    reply(200, json!({ "roles": [], "total_records": 0 }))
}

fn path(url: &str) -> &str {
    let without_query = url.split_once('?').map_or(url, |(base, _)| base);
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..])
}

fn find_pair(encoded: &str, name: &str) -> Option<String> {
    encoded.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// `?name=` anywhere in a log line.
fn has_query_string(message: &str) -> bool {
    message.split('?').skip(1).any(|after| {
        let name_len = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .count();
        name_len > 0 && after[name_len..].starts_with('=')
    })
}

#[test]
fn the_fake_reads_back_what_it_was_sent() {
    let sent = Sent {
        request: Request {
            method: Method::Post,
            url: "https://zoom.us/oauth/revoke?token=a%2Bb&x=1".to_string(),
            headers: vec![("accept".to_string(), "application/json".to_string())],
            body: b"grant_type=refresh_token&refresh_token=RT_%2F1".to_vec(),
        },
        stored: None,
        at_ms: 0,
    };
    assert_eq!(sent.endpoint(), "POST /oauth/revoke");
    assert_eq!(sent.query("token").as_deref(), Some("a+b"));
    assert_eq!(sent.form("refresh_token").as_deref(), Some("RT_/1"));
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert!(has_query_string("GET /v2/users?status=active"));
    assert!(!has_query_string("revoke?… failed"));
}
