//! A deliberately hostile integration plugin, for the host's sandbox tests.
//!
//! It exports the plugin world like any integration, but `connect` does not connect: its
//! `attack` parameter picks something an untrusted plugin might try (reach a forbidden address,
//! spin forever, exhaust memory, read another plugin's keys, flood storage, read the
//! environment), and the outcome comes back as `invalid-input("<what the guest saw>")` so
//! that a test can assert on what the sandbox let through.
//!
//! ```text
//! connect([attack=fetch, url=https://169.254.169.254/latest/meta-data/])
//!     -> Err(invalid-input("denied"))
//! ```
//!
//! Attacks that never return (`loop`, `memory`, `sleep`) are stopped by the host or not at
//! all. `evaluate-access` answers about accounts the request does not have. None of this is
//! an example to follow.

use std::fmt::Write as _;
use std::time::Duration;

use ::wasi::http::outgoing_handler;
use ::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use ::wasi::io::streams::StreamError;

wit_bindgen::generate!({
    path: "../../wit",
    world: "gatehouse:integration/plugin",
    with: {
        "wasi:http/types@0.2.12": ::wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": ::wasi::http::outgoing_handler,
        "wasi:io/error@0.2.12": ::wasi::io::error,
        "wasi:io/poll@0.2.12": ::wasi::io::poll,
        "wasi:io/streams@0.2.12": ::wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": ::wasi::clocks::monotonic_clock,
    },
    generate_all,
});

use self::wasi::keyvalue::store;
use self::wasi::logging::logging::{self, Level};
use exports::gatehouse::integration::integration::{Guest, GuestListing, Listing};
use gatehouse::integration::types as wit;

/// The id this plugin claims; the host keys its storage by it.
const ID: &str = "hostile";

/// What the memory bomb allocates per step.
const MEMORY_CHUNK: usize = 64 * 1024 * 1024;

/// Upper bounds on the loops that run "until refused", so that a host that never refuses
/// still gets an answer.
const MAX_REQUESTS: u32 = 10_000;
const MAX_FLOOD_WRITES: u32 = 100_000;

struct Component;

impl Guest for Component {
    type Listing = EmptyListing;

    fn describe() -> wit::PluginInfo {
        let parameter = |name: &str| wit::ParameterSpec {
            name: name.to_owned(),
            description: format!("the {name} of the attack"),
            secret: false,
            required: false,
        };
        wit::PluginInfo {
            id: ID.to_owned(),
            name: "Hostile test plugin".to_owned(),
            version: "0.1.0".to_owned(),
            auth_methods: vec![wit::AuthMethod {
                id: "attack".to_owned(),
                description: "connect runs the attack named by `attack`".to_owned(),
                parameters: [
                    "attack", "url", "key", "value", "secret", "secs", "count", "size", "addr",
                ]
                .into_iter()
                .map(parameter)
                .collect(),
            }],
            hosts: [
                "https://api.zoom.us",
                "https://localhost",
                "https://169.254.169.254",
                "https://127.0.0.1",
                "http://plain.example",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect(),
            scopes: Vec::new(),
        }
    }

    fn authorize_url(
        _params: Vec<wit::Parameter>,
        _redirect_uri: String,
    ) -> Result<wit::AuthorizationRequest, wit::Error> {
        Err(unsupported())
    }

    fn connect(params: Vec<wit::Parameter>) -> Result<wit::Connection, wit::Error> {
        let params = Params(params);
        let outcome = match params.get("attack") {
            "fetch" | "huge" => fetch(params.get("url")),
            "loop" => spin(),
            "memory" => hoard_memory(),
            "sleep" => sleep(params.number("secs", 3600)),
            "many-requests" => many_requests(params.get("url")),
            "kv-read" => kv_read(params.get("key")),
            "kv-write" => kv_write(params.get("key"), params.get("value")),
            "kv-flood" => kv_flood(params.number("size", 64 * 1024)),
            "log-secret" => log_secret(params.get("secret")),
            "log-forge" => log_forge(),
            "stdout-flood" => stdout_flood(params.number("size", 1024 * 1024)),
            "hold-fields" => hold_fields(params.number("count", 1000), params.number("size", 0)),
            "env" => environment(params.get("addr")),
            other => format!("unknown attack {other:?}"),
        };
        Err(wit::Error::InvalidInput(outcome))
    }

    fn disconnect() -> Result<(), wit::Error> {
        Ok(())
    }

    fn list_users() -> Result<Listing, wit::Error> {
        Err(unsupported())
    }

    /// Answers about accounts the request does not have: one decision per account, each
    /// pointing one past the last, as a plugin that mixed up two requests might.
    fn evaluate_access(request: wit::EvaluationRequest) -> Result<wit::Evaluation, wit::Error> {
        let past_the_end = u32::try_from(request.accounts.len()).unwrap_or(u32::MAX);
        let decision = || wit::Decision {
            account: past_the_end,
            allowed: true,
            matched: None,
            decided_by: wit::Ruling::Policy,
            checks: Vec::new(),
            trace: Vec::new(),
        };
        Ok(wit::Evaluation {
            conclusive: true,
            inconclusive_reason: None,
            decisions: request.accounts.iter().map(|_| decision()).collect(),
            findings: Vec::new(),
        })
    }
}

/// A listing with nothing in it; `list-users` never hands one out.
struct EmptyListing;

impl GuestListing for EmptyListing {
    fn next(&self) -> Result<Option<Vec<wit::Account>>, wit::Error> {
        Ok(None)
    }

    fn summary(&self) -> wit::ListingSummary {
        wit::ListingSummary {
            complete: false,
            incomplete_reason: Some("unsupported".to_owned()),
            listed: 0,
            expected: 0,
        }
    }
}

export!(Component);

fn unsupported() -> wit::Error {
    wit::Error::InvalidInput("unsupported".to_owned())
}

/// Connection parameters by name; a missing one reads as empty.
struct Params(Vec<wit::Parameter>);

impl Params {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|p| p.name == name)
            .map_or("", |p| p.value.as_str())
    }

    fn number(&self, name: &str, default: u64) -> u64 {
        self.get(name).parse().unwrap_or(default)
    }
}

// --- Outbound HTTP ---------------------------------------------------------------------------

/// How one GET ended, as the guest saw it.
enum Fetched {
    /// The whole body arrived.
    Complete { status: u16, bytes: u64 },
    /// The host refused the request (`http-request-denied`).
    Denied,
    /// The request failed before a response arrived.
    Failed(String),
    /// The response started but its body failed part-way.
    BodyFailed {
        status: u16,
        bytes: u64,
        error: String,
    },
}

impl Fetched {
    fn describe(&self) -> String {
        match self {
            Fetched::Complete { status, bytes } => format!("status {status}, {bytes} bytes"),
            Fetched::Denied => "denied".to_owned(),
            Fetched::Failed(error) => format!("error: {error}"),
            Fetched::BodyFailed {
                status,
                bytes,
                error,
            } => format!("status {status}, body error after {bytes} bytes: {error}"),
        }
    }
}

fn fetch(url: &str) -> String {
    get(url).describe()
}

fn failed(code: ErrorCode) -> Fetched {
    match code {
        ErrorCode::HttpRequestDenied => Fetched::Denied,
        other => Fetched::Failed(format!("{other:?}")),
    }
}

/// One GET over raw `wasi:http`, counting the body's bytes without keeping them.
fn get(url: &str) -> Fetched {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Fetched::Failed(format!("not a URL: {url}"));
    };
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => Scheme::Other(other.to_owned()),
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };

    let request = OutgoingRequest::new(Fields::new());
    let set = request
        .set_method(&Method::Get)
        .and_then(|()| request.set_scheme(Some(&scheme)))
        .and_then(|()| request.set_authority(Some(authority)))
        .and_then(|()| request.set_path_with_query(Some(path)));
    if set.is_err() {
        return Fetched::Failed(format!("the request for {url} could not be built"));
    }
    let Ok(body) = request.body() else {
        return Fetched::Failed("no request body".to_owned());
    };

    // Ask for an hour on every timeout: the host must clamp these to its own maxima.
    let options = RequestOptions::new();
    let hour = Duration::from_secs(3600).as_nanos() as u64;
    let _ = options.set_connect_timeout(Some(hour));
    let _ = options.set_first_byte_timeout(Some(hour));
    let _ = options.set_between_bytes_timeout(Some(hour));

    let future = match outgoing_handler::handle(request, Some(options)) {
        Ok(future) => future,
        Err(code) => return failed(code),
    };
    if let Err(code) = OutgoingBody::finish(body, None) {
        return failed(code);
    }
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return failed(code),
        Some(Err(())) | None => return Fetched::Failed("no response".to_owned()),
    };

    let status = response.status();
    let Ok(incoming) = response.consume() else {
        return Fetched::Failed("no response body".to_owned());
    };
    let mut bytes = 0u64;
    {
        let Ok(stream) = incoming.stream() else {
            return Fetched::Failed("no response body stream".to_owned());
        };
        loop {
            match stream.blocking_read(1024 * 1024) {
                Ok(chunk) => bytes += chunk.len() as u64,
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(error)) => {
                    let error = match ::wasi::http::types::http_error_code(&error) {
                        Some(code) => format!("{code:?}"),
                        None => error.to_debug_string(),
                    };
                    return Fetched::BodyFailed {
                        status,
                        bytes,
                        error,
                    };
                }
            }
        }
    }

    // A body that ended early may report why only through its trailers.
    let trailers = IncomingBody::finish(incoming);
    trailers.subscribe().block();
    match trailers.get() {
        Some(Ok(Err(code))) => Fetched::BodyFailed {
            status,
            bytes,
            error: format!("{code:?}"),
        },
        _ => Fetched::Complete { status, bytes },
    }
}

/// Requests the URL until something refuses; reports how many completed first.
fn many_requests(url: &str) -> String {
    for done in 0..MAX_REQUESTS {
        match get(url) {
            Fetched::Complete { .. } => {}
            other => return format!("{done} succeeded, then {}", other.describe()),
        }
    }
    format!("{MAX_REQUESTS} succeeded, never refused")
}

// --- Compute, memory, time -------------------------------------------------------------------

fn spin() -> ! {
    loop {
        std::hint::black_box(0);
    }
}

/// Allocates and touches memory forever, never freeing any.
fn hoard_memory() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = Vec::with_capacity(MEMORY_CHUNK);
        chunk.resize(MEMORY_CHUNK, 0xA5);
        hoard.push(chunk);
        std::hint::black_box(&hoard);
    }
}

/// Blocks in a host call (a clock pollable) instead of spinning in wasm code.
fn sleep(secs: u64) -> String {
    std::thread::sleep(Duration::from_secs(secs));
    format!("slept {secs} s")
}

/// Keeps `count` header maps of `size` bytes each alive in the host's resource table: memory
/// the host allocates for the guest, outside the guest's linear memory.
fn hold_fields(count: u64, size: u64) -> String {
    let value = vec![b'x'; usize::try_from(size).unwrap_or(0)];
    let mut held = Vec::new();
    for _ in 0..count {
        let fields = Fields::new();
        if let Err(error) = fields.append("x-hoard", &value) {
            return format!("held {}, then error: {error:?}", held.len());
        }
        held.push(fields);
    }
    format!("held {}", held.len())
}

// --- Key-value -------------------------------------------------------------------------------

fn kv_message(error: store::Error) -> String {
    match error {
        store::Error::NoSuchStore => "no such store".to_owned(),
        store::Error::AccessDenied => "access denied".to_owned(),
        store::Error::Other(message) => message,
    }
}

/// Reads the key through every bucket name worth trying, and lists what each bucket shows.
fn kv_read(key: &str) -> String {
    let mut report = String::new();
    for name in ["default", "zoom"] {
        let bucket = match store::open(name) {
            Ok(bucket) => bucket,
            Err(error) => {
                let _ = write!(report, "{name}: open error {}; ", kv_message(error));
                continue;
            }
        };
        let value = match bucket.get(key) {
            Ok(Some(value)) => format!("found {:?}", String::from_utf8_lossy(&value)),
            Ok(None) => "none".to_owned(),
            Err(error) => format!("error {}", kv_message(error)),
        };
        let keys = list_keys(&bucket);
        let _ = write!(report, "{name}: get={value} keys={keys}; ");
    }
    report
}

fn list_keys(bucket: &store::Bucket) -> String {
    let mut keys = Vec::new();
    let mut cursor = None;
    // Bounded: a host that hands back the same cursor forever must not hang the test.
    for _ in 0..100 {
        match bucket.list_keys(cursor) {
            Ok(page) => {
                keys.extend(page.keys);
                cursor = page.cursor;
                if cursor.is_none() {
                    break;
                }
            }
            Err(error) => return format!("error {}", kv_message(error)),
        }
    }
    format!("{keys:?}")
}

fn kv_write(key: &str, value: &str) -> String {
    let result = store::open("default").and_then(|bucket| bucket.set(key, value.as_bytes()));
    match result {
        Ok(()) => "stored".to_owned(),
        Err(error) => format!("error: {}", kv_message(error)),
    }
}

/// Writes values of `size` bytes under fresh keys until the store refuses.
fn kv_flood(size: u64) -> String {
    let bucket = match store::open("default") {
        Ok(bucket) => bucket,
        Err(error) => return format!("open error: {}", kv_message(error)),
    };
    let value = vec![b'f'; usize::try_from(size).unwrap_or(0)];
    for stored in 0..MAX_FLOOD_WRITES {
        if let Err(error) = bucket.set(&format!("flood-{stored}"), &value) {
            return format!("stored {stored} values, then error: {}", kv_message(error));
        }
    }
    format!("stored {MAX_FLOOD_WRITES} values, never refused")
}

// --- Logging, stdio --------------------------------------------------------------------------

/// A plugin can always log what it was given; the host's job is only to attribute the lines.
fn log_secret(secret: &str) -> String {
    for level in [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Critical,
    ] {
        logging::log(
            level,
            ID,
            &format!("hostile says hi via wasi:logging: {secret}"),
        );
    }
    println!("hostile says hi on stdout: {secret}");
    eprintln!("hostile says hi on stderr: {secret}");
    "logged".to_owned()
}

/// Tries to forge a log line for another plugin with newlines and terminal escapes.
fn log_forge() -> String {
    logging::log(
        Level::Error,
        "hostile\nplugin=zoom",
        "innocent\nERROR plugin=zoom token leaked\x1b[2K\r",
    );
    "forged".to_owned()
}

/// Writes `size` bytes to stdout in 4 KiB lines, reporting how much the host took.
fn stdout_flood(size: u64) -> String {
    use std::io::Write as _;

    let line = format!("{}\n", "o".repeat(4095));
    let mut written = 0u64;
    let mut stdout = std::io::stdout();
    while written < size {
        if let Err(error) = stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush())
        {
            return format!("wrote {written} bytes, then error: {error}");
        }
        written += line.len() as u64;
    }
    format!("wrote {written} bytes")
}

// --- Ambient authority -----------------------------------------------------------------------

/// Looks for anything a plain Rust program could reach without asking: environment, arguments,
/// files, sockets, name resolution.
fn environment(addr: &str) -> String {
    let addr = if addr.is_empty() { "127.0.0.1:1" } else { addr };
    let outcome = |result: Result<String, std::io::Error>| match result {
        Ok(what) => format!("ok({what})"),
        Err(error) => format!("err({:?})", error.kind()),
    };

    let vars = std::env::vars().count();
    let args = std::env::args().count();
    let dir = outcome(std::fs::read_dir("/").map(|entries| entries.count().to_string()));
    let file = outcome(std::fs::read("/etc/passwd").map(|bytes| bytes.len().to_string()));
    let cwd = outcome(std::env::current_dir().map(|dir| dir.display().to_string()));
    let tcp = outcome(std::net::TcpStream::connect(addr).map(|_| "connected".to_owned()));
    let udp = outcome(std::net::UdpSocket::bind("127.0.0.1:0").map(|_| "bound".to_owned()));
    let dns = outcome(
        std::net::ToSocketAddrs::to_socket_addrs("localhost:80")
            .map(|found| found.count().to_string()),
    );
    format!(
        "vars={vars} args={args} read_dir={dir} read_file={file} cwd={cwd} tcp={tcp} \
         udp={udp} dns={dns}"
    )
}
