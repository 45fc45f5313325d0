//! The native baseline's [`Platform`]: the plugin's Zoom client compiled for the host, talking
//! plain HTTP/1.1 to the mock over `std::net::TcpStream`.
//!
//! Like the component, whose requests go through wasmtime-wasi-http's hyper client, it opens a
//! new connection for every request (and asks the server to close it): keep-alive would make
//! the baseline faster than anything the component can do today, and compare transports
//! rather than the cost of running inside wasm.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

use gatehouse_zoom::zoom::platform::{Level, Platform, Request, Response, TransportError};

/// The origins the plugin declares; both are served by the one mock.
const ROUTED: [&str; 2] = ["https://api.zoom.us", "https://zoom.us"];

/// Headers this client writes itself.
const OWN_HEADERS: [&str; 3] = ["host", "connection", "content-length"];

pub struct NativePlatform {
    mock: SocketAddr,
    store: HashMap<String, Vec<u8>>,
    random: u64,
    /// Requests sent, to check the baseline made the same calls as the component.
    pub requests: u64,
}

impl NativePlatform {
    pub fn new(mock: SocketAddr) -> Self {
        Self {
            mock,
            store: HashMap::new(),
            random: 0x9e37_79b9_7f4a_7c15,
            requests: 0,
        }
    }

    fn exchange(&self, request: &Request, path: &str) -> std::io::Result<Vec<u8>> {
        let mut head = format!(
            "{} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            request.method.as_str(),
            self.mock,
            request.body.len()
        );
        for (name, value) in &request.headers {
            if !OWN_HEADERS.iter().any(|own| name.eq_ignore_ascii_case(own)) {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&request.body);

        let mut stream = TcpStream::connect(self.mock)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.write_all(&bytes)?;
        let mut answer = Vec::with_capacity(128 * 1024);
        stream.read_to_end(&mut answer)?;
        Ok(answer)
    }
}

/// Splits a whole HTTP/1.1 response read to EOF. The mock always sends `content-length`.
fn parse(answer: &[u8]) -> Result<Response, TransportError> {
    let bad = |what: &str| TransportError::Other(format!("bad response: {what}"));
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of head"))?;
    let head = std::str::from_utf8(&answer[..split]).map_err(|_| bad("head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(|| bad("header"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut body = answer[split + 4..].to_vec();
    if headers.iter().any(|(n, _)| n == "transfer-encoding") {
        return Err(bad(
            "chunked bodies are not supported by the benchmark client",
        ));
    }
    if let Some((_, length)) = headers.iter().find(|(n, _)| n == "content-length") {
        let length: usize = length.parse().map_err(|_| bad("content-length"))?;
        if body.len() < length {
            return Err(TransportError::Connection("response cut short".into()));
        }
        body.truncate(length);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

impl Platform for NativePlatform {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        let path = ROUTED
            .iter()
            .find_map(|origin| request.url.strip_prefix(origin))
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .ok_or_else(|| TransportError::Denied("not a Zoom origin".into()))?;
        let path = if path.is_empty() { "/" } else { path };
        self.requests += 1;
        let answer = self
            .exchange(request, path)
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        parse(&answer)
    }

    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.store.get(key).cloned())
    }

    fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        self.store.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&mut self, key: &str) -> Result<(), String> {
        self.store.remove(key);
        Ok(())
    }

    fn now_millis(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }

    fn sleep_millis(&mut self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }

    /// Not secure, and needs not be: the benchmarks use server-to-server auth, which draws no
    /// random bytes.
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                // splitmix64
                self.random = self.random.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.random;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    }

    /// Dropped, as the component's log lines are when no subscriber listens.
    fn log(&mut self, _level: Level, _message: &str) {}
}
