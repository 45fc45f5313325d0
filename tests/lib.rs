//! Shared helpers for gatehouse's end-to-end tests: the real Zoom component, run by the real
//! host, talking over loopback to a real mock Zoom server.
//!
//! Every test starts its own [`MockZoom`] and storage; the host and the compiled component are
//! shared ([`zoom`]) because compiling the component is the slowest step of a test. Routes send
//! both of the plugin's declared hosts (`zoom.us`, `api.zoom.us`) to the mock, so no request
//! leaves the machine.
//!
//! ```no_run
//! use gatehouse_tests::*;
//! use host_harness::mock_zoom::{Endpoint, MockConfig};
//!
//! # async fn run() {
//! let mock = start(MockConfig::default()).await;
//! let mut zoom = connected(&mock).await;
//! let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();
//! assert!(summary.complete);
//! assert_eq!(accounts.len(), 2_400);
//! assert_eq!(mock.count(Endpoint::Token), 0, "the token from connect was reused");
//! # }
//! ```

use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use host_harness::http::Route;
use host_harness::keyvalue::{Backend, MemoryBackend};
use host_harness::mock_zoom::{Endpoint, MockConfig, MockZoom, Pages, RecordedRequest, UserStatus};
use host_harness::types::{self, Parameter};
use host_harness::{CallError, Grants, Host, HostConfig, Plugin, Session};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OnceCell;

pub use host_harness;

/// The plugin's id, which is also the namespace the host keeps its keys under.
pub const NAMESPACE: &str = "zoom";

/// The key the plugin stores its working connection under.
pub const CONNECTION_KEY: &str = "connection";

/// The host every test shares. Its epoch thread and engine are independent of any tokio
/// runtime, so tests on different runtimes can use it.
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new(HostConfig::default()).expect("the host starts"))
}

/// The Zoom component loaded once into [`host`]. `tokio::sync::OnceCell` waits without tying
/// the waiter to the runtime of the test that happens to load it.
pub async fn zoom() -> &'static Plugin {
    static PLUGIN: OnceCell<Plugin> = OnceCell::const_new();
    PLUGIN.get_or_init(|| zoom_plugin(host())).await
}

/// Loads the Zoom component into `host`, for tests that need a host of their own.
pub async fn zoom_plugin(host: &Host) -> Plugin {
    let plugin = host
        .load(host_harness::ZOOM_PLUGIN_WASM)
        .await
        .expect("the zoom component loads");
    assert_eq!(plugin.id(), NAMESPACE);
    plugin
}

/// Starts a mock Zoom on 127.0.0.1.
pub async fn start(config: MockConfig) -> MockZoom {
    MockZoom::start(config).await.expect("the mock zoom starts")
}

/// Grants for `store` with both Zoom hosts routed to the mock.
pub fn routed_grants(mock: &MockZoom, store: Arc<dyn Backend>) -> Grants {
    let base = mock.base_url();
    let mut grants = Grants::new(store);
    grants.routes = ["zoom.us", "api.zoom.us"]
        .iter()
        .map(|host| {
            format!("{host}={base}")
                .parse::<Route>()
                .expect("the route parses")
        })
        .collect();
    grants
}

/// Plugin parameters from name-value pairs.
pub fn params(pairs: &[(&str, &str)]) -> Vec<Parameter> {
    pairs
        .iter()
        .map(|(name, value)| Parameter {
            name: (*name).to_owned(),
            value: (*value).to_owned(),
        })
        .collect()
}

/// Server-to-server parameters with the mock's credentials.
pub fn s2s_params(mock: &MockZoom) -> Vec<Parameter> {
    s2s_params_with_secret(mock, &mock.config().client_secret)
}

/// Server-to-server parameters with the mock's account and client id and the given secret.
pub fn s2s_params_with_secret(mock: &MockZoom, secret: &str) -> Vec<Parameter> {
    let config = mock.config();
    params(&[
        ("auth", "server-to-server"),
        ("account_id", &config.account_id),
        ("client_id", &config.client_id),
        ("client_secret", secret),
    ])
}

/// A fresh in-memory store.
pub fn memory_store() -> Arc<dyn Backend> {
    Arc::new(MemoryBackend::new())
}

/// A connected session and what it was connected with.
pub struct Connected {
    pub store: Arc<dyn Backend>,
    pub grants: Grants,
    pub session: Session,
    pub connection: types::Connection,
}

/// Connects with server-to-server credentials on a fresh in-memory store, then empties the
/// mock's request log, so that what a test counts starts after `connect`.
pub async fn connected(mock: &MockZoom) -> Connected {
    connected_with(mock, memory_store()).await
}

/// As [`connected`], on the given store.
pub async fn connected_with(mock: &MockZoom, store: Arc<dyn Backend>) -> Connected {
    let grants = routed_grants(mock, store.clone());
    let mut session = session(&grants).await;
    let connection = session
        .connect(&s2s_params(mock))
        .await
        .expect("connect succeeds");
    mock.clear_requests();
    Connected {
        store,
        grants,
        session,
        connection,
    }
}

/// A new instance of the shared Zoom plugin.
pub async fn session(grants: &Grants) -> Session {
    zoom()
        .await
        .session(grants)
        .await
        .expect("the plugin instantiates")
}

/// The plugin's own error, or a panic naming what came instead.
pub fn plugin_error<T>(result: Result<T, CallError>) -> types::Error {
    match result {
        Err(CallError::Plugin(error)) => error,
        Err(CallError::Host(error)) => panic!("expected an error from the plugin, got {error}"),
        Ok(_) => panic!(
            "expected an error from the plugin, got a {}",
            std::any::type_name::<T>()
        ),
    }
}

/// The raw value of one of the plugin's keys.
pub fn stored(store: &dyn Backend, key: &str) -> Option<Vec<u8>> {
    store.get(NAMESPACE, key).expect("the store reads")
}

/// The stored connection as JSON; panics when there is none.
pub fn stored_connection(store: &dyn Backend) -> Value {
    let bytes = stored(store, CONNECTION_KEY).expect("a connection is stored");
    serde_json::from_slice(&bytes).expect("the stored connection is JSON")
}

/// Every key and value in the plugin's namespace, in key order.
pub fn snapshot(store: &dyn Backend) -> Vec<(String, Vec<u8>)> {
    let keys = store
        .list_keys(NAMESPACE, 0, 1_000)
        .expect("the store lists keys");
    keys.into_iter()
        .map(|key| {
            let value = stored(store, &key).expect("a listed key has a value");
            (key, value)
        })
        .collect()
}

/// The recorded requests to one endpoint, oldest first.
pub fn requests_to(mock: &MockZoom, endpoint: Endpoint) -> Vec<RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|request| request.endpoint == Some(endpoint))
        .collect()
}

/// How many recorded requests were answered with `status`.
pub fn answered(mock: &MockZoom, status: u16) -> usize {
    mock.requests()
        .iter()
        .filter(|request| request.status == status)
        .count()
}

/// `(status, page_size, next_page_token)` of each `/v2/users` request, for comparing a
/// listing's queries at a glance.
pub fn listing_queries(mock: &MockZoom) -> Vec<(String, String, Option<String>)> {
    requests_to(mock, Endpoint::Users)
        .iter()
        .map(|request| {
            let param = |name| request.query_param(name).unwrap_or("<none>").to_owned();
            let token = request.query_param("next_page_token").map(str::to_owned);
            (param("status"), param("page_size"), token)
        })
        .collect()
}

/// The query a listing sends for `status`: 300 a page, optionally continued.
pub fn query(status: &str, token: Option<&str>) -> (String, String, Option<String>) {
    (
        status.to_owned(),
        "300".to_owned(),
        token.map(str::to_owned),
    )
}

/// What tells accounts apart: the id, or the lower-cased email of a pending invitation.
pub fn account_key(account: &types::Account) -> String {
    match &account.id {
        Some(id) => format!("id:{id}"),
        None => format!("email:{}", account.email.trim().to_lowercase()),
    }
}

/// Asserts that no account appears twice, and returns their keys.
pub fn distinct_keys(accounts: &[types::Account]) -> HashSet<String> {
    let keys: HashSet<String> = accounts.iter().map(account_key).collect();
    assert_eq!(keys.len(), accounts.len(), "the listing has duplicates");
    keys
}

/// Minimal rows as Zoom could send them (`email` and `type`, plus `id` unless pending),
/// numbered like the scenario files' `users = N`: `u1`/`user1@example.com` onwards.
pub fn rows(status: UserStatus, numbers: Range<u32>) -> Vec<Value> {
    numbers
        .map(|n| {
            let mut row = json!({
                "email": format!("user{n}@example.com"),
                "type": 1,
                "status": status.as_str(),
            });
            if status != UserStatus::Pending {
                row["id"] = json!(format!("u{n}"));
            }
            row
        })
        .collect()
}

/// One `/v2/users` body; `next_page_token: None` leaves the key out entirely.
pub fn page(page_size: u32, total_records: u32, next: Option<&str>, users: Vec<Value>) -> Value {
    let mut page = json!({
        "page_size": page_size,
        "total_records": total_records,
        "users": users,
    });
    if let Some(token) = next {
        page["next_page_token"] = json!(token);
    }
    page
}

/// A mock replaying exact `/v2/users` bodies; statuses without pages list no accounts.
pub fn fixture_config(pages: Vec<(UserStatus, Vec<Value>)>) -> MockConfig {
    MockConfig {
        pages: pages
            .into_iter()
            .map(|(status, pages)| Pages { status, pages })
            .collect(),
        ..MockConfig::default()
    }
}

/// The current time in whole seconds, so that millisecond expiries compare exactly.
pub fn now_whole_seconds() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs();
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Milliseconds since the epoch.
pub fn millis(at: SystemTime) -> i64 {
    let since = at.duration_since(UNIX_EPOCH).expect("after 1970");
    i64::try_from(since.as_millis()).expect("fits")
}

/// An answer read by [`request_on_mock`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request straight to the mock, as a browser or another client of Zoom
/// would, outside the plugin.
pub async fn request_on_mock(
    mock: &MockZoom,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    let mut request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: zoom.us\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);

    let mut stream = TcpStream::connect(mock.addr())
        .await
        .expect("the mock accepts");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("the answer is read");

    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("an HTTP status line");
    let headers = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Follows a `https://zoom.us/…` URL against the mock and returns the status and the
/// `Location` header.
pub async fn follow_on_mock(mock: &MockZoom, url: &str) -> (u16, Option<String>) {
    let path = url
        .strip_prefix("https://zoom.us")
        .expect("an authorization URL at https://zoom.us");
    let response = request_on_mock(mock, "GET", path, &[("Accept", "*/*")], "").await;
    let location = response.header("location").map(str::to_owned);
    (response.status, location)
}

/// Presents `refresh_token` to the mock's token endpoint with the mock's client credentials,
/// as anyone holding a copy of it could; returns the HTTP status.
pub async fn refresh_on_mock(mock: &MockZoom, refresh_token: &str) -> u16 {
    use base64::Engine as _;

    let config = mock.config();
    let client = format!("{}:{}", config.client_id, config.client_secret);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(client)
    );
    let form = format!("grant_type=refresh_token&refresh_token={refresh_token}");
    let headers = [
        ("Authorization", basic.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    request_on_mock(mock, "POST", "/oauth/token", &headers, &form)
        .await
        .status
}

/// The decoded value of a query parameter of `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
