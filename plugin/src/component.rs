//! The component boundary: WIT exports onto the native modules, and the [`Platform`] the Zoom
//! client runs on, made of `wasi:http`, `wasi:keyvalue` and `wasi:logging`.
//!
//! Only this file knows about WIT types; everything else works on [`crate::model`].

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use ::wasi::http::outgoing_handler;
use ::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use ::wasi::io::streams::StreamError;

use crate::model;
use crate::zoom::platform::{Level, Method, Platform, Request, Response, TransportError};
use crate::{evaluate, zoom};

mod evaluation;

wit_bindgen::generate!({
    path: "../wit",
    world: "gatehouse:integration/plugin",
    with: {
        "wasi:http/types@0.2.12": ::wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": ::wasi::http::outgoing_handler,
        "wasi:io/error@0.2.12": ::wasi::io::error,
        "wasi:io/poll@0.2.12": ::wasi::io::poll,
        "wasi:io/streams@0.2.12": ::wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": ::wasi::clocks::monotonic_clock,
    },
    // Key-value and logging have no crate of their own: generate them here.
    generate_all,
});

use self::wasi::keyvalue::store;
use self::wasi::logging::logging;
use exports::gatehouse::integration::integration::{Guest, GuestListing, Listing as ListingRes};
use gatehouse::integration::types as wit;

/// Timeouts the plugin asks for; the host may lower them, never raise them.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(30);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(30);

/// The platform inside a component instance.
struct WasiPlatform {
    bucket: Option<store::Bucket>,
}

impl WasiPlatform {
    fn new() -> Self {
        Self { bucket: None }
    }

    fn bucket(&mut self) -> Result<&store::Bucket, String> {
        if self.bucket.is_none() {
            let bucket = store::open("default").map_err(kv_error)?;
            self.bucket = Some(bucket);
        }
        self.bucket.as_ref().ok_or_else(|| "no bucket".to_owned())
    }
}

fn kv_error(error: store::Error) -> String {
    match error {
        store::Error::NoSuchStore => "no such store".to_owned(),
        store::Error::AccessDenied => "access denied".to_owned(),
        store::Error::Other(message) => message,
    }
}

impl Platform for WasiPlatform {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        send(request)
    }

    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.bucket()?.get(key).map_err(kv_error)
    }

    fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        self.bucket()?.set(key, value).map_err(kv_error)
    }

    fn delete(&mut self, key: &str) -> Result<(), String> {
        self.bucket()?.delete(key).map_err(kv_error)
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

    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        ::wasi::random::random::get_random_bytes(n as u64)
    }

    fn log(&mut self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => logging::Level::Trace,
            Level::Debug => logging::Level::Debug,
            Level::Info => logging::Level::Info,
            Level::Warn => logging::Level::Warn,
            Level::Error => logging::Level::Error,
        };
        logging::log(level, "zoom", message);
    }
}

/// Splits an absolute URL into scheme, authority and path-with-query.
fn split_url(url: &str) -> Result<(Scheme, &str, &str), TransportError> {
    let bad = || TransportError::Other(format!("not an absolute http(s) URL: {url}"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return Err(bad()),
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    Ok((scheme, authority, path))
}

fn transport_error(code: ErrorCode) -> TransportError {
    match code {
        // The host logs why; the guest only learns that its sandbox said no.
        ErrorCode::HttpRequestDenied => TransportError::Denied(
            "not an allowed origin or address (the host's log says why)".into(),
        ),
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportError::Timeout(format!("{code:?}")),
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTerminated
        | ErrorCode::HttpResponseIncomplete
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsAlertReceived(_) => TransportError::Connection(format!("{code:?}")),
        other => TransportError::Other(format!("{other:?}")),
    }
}

fn other(what: &str) -> TransportError {
    TransportError::Other(what.to_owned())
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// One HTTP exchange over `wasi:http`, body read whole.
fn send(request: &Request) -> Result<Response, TransportError> {
    let (scheme, authority, path) = split_url(&request.url)?;
    let headers = Fields::new();
    for (name, value) in &request.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| TransportError::Other(format!("header {name}: {e:?}")))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
    };
    outgoing.set_method(&method).map_err(|()| other("method"))?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| other("scheme"))?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| other("authority"))?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| other("path"))?;
    let body = outgoing.body().map_err(|()| other("request body"))?;

    let options = RequestOptions::new();
    // The host clamps these; failing to set one only means the host's default applies.
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)));
    let _ = options.set_first_byte_timeout(Some(nanos(FIRST_BYTE_TIMEOUT)));
    let _ = options.set_between_bytes_timeout(Some(nanos(BETWEEN_BYTES_TIMEOUT)));

    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(transport_error)?;
    {
        let stream = body.write().map_err(|()| other("request body stream"))?;
        for chunk in request.body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| stream_error(&e))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(transport_error)?;

    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(transport_error(code)),
        Some(Err(())) | None => return Err(other("response already taken")),
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();

    let incoming = response.consume().map_err(|()| other("response body"))?;
    let mut bytes = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| other("response body stream"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(error) => return Err(stream_error(&error)),
            }
        }
    }
    let _ = IncomingBody::finish(incoming);
    Ok(Response {
        status,
        headers,
        body: bytes,
    })
}

fn stream_error(error: &StreamError) -> TransportError {
    match error {
        StreamError::Closed => TransportError::Connection("stream closed".into()),
        StreamError::LastOperationFailed(e) => {
            // The host reports a body over its size limit this way.
            TransportError::Connection(e.to_debug_string())
        }
    }
}

struct Component;

impl Guest for Component {
    type Listing = ListingResource;

    fn describe() -> wit::PluginInfo {
        plugin_info(zoom::describe())
    }

    fn authorize_url(
        params: Vec<wit::Parameter>,
        redirect_uri: String,
    ) -> Result<wit::AuthorizationRequest, wit::Error> {
        let params = pairs(params);
        let request =
            zoom::authorize_url(&mut WasiPlatform::new(), &params, &redirect_uri).map_err(error)?;
        Ok(wit::AuthorizationRequest {
            url: request.url,
            state: request.state,
        })
    }

    fn connect(params: Vec<wit::Parameter>) -> Result<wit::Connection, wit::Error> {
        let connection = zoom::connect(&mut WasiPlatform::new(), &pairs(params)).map_err(error)?;
        Ok(wit::Connection {
            auth_method: connection.auth_method,
            account_id: connection.account_id,
            authorized_by: connection.authorized_by,
            authorized_role: connection.authorized_role,
            scopes: connection.scopes,
        })
    }

    fn disconnect() -> Result<(), wit::Error> {
        zoom::disconnect(&mut WasiPlatform::new()).map_err(error)
    }

    fn list_users() -> Result<ListingRes, wit::Error> {
        let mut platform = WasiPlatform::new();
        let listing = zoom::Listing::start(&mut platform).map_err(error)?;
        Ok(ListingRes::new(ListingResource {
            state: RefCell::new((listing, platform)),
        }))
    }

    fn evaluate_access(request: wit::EvaluationRequest) -> Result<wit::Evaluation, wit::Error> {
        let request = evaluation::request(request);
        Ok(evaluation::evaluation(evaluate::evaluate(&request)))
    }
}

struct ListingResource {
    state: RefCell<(zoom::Listing, WasiPlatform)>,
}

impl GuestListing for ListingResource {
    fn next(&self) -> Result<Option<Vec<wit::Account>>, wit::Error> {
        let mut state = self.state.borrow_mut();
        let (listing, platform) = &mut *state;
        let batch = listing.next(platform).map_err(error)?;
        Ok(batch.map(|accounts| accounts.into_iter().map(account_to_wit).collect()))
    }

    fn summary(&self) -> wit::ListingSummary {
        summary_to_wit(self.state.borrow().0.summary())
    }
}

export!(Component);

fn pairs(params: Vec<wit::Parameter>) -> Vec<(String, String)> {
    params.into_iter().map(|p| (p.name, p.value)).collect()
}

fn plugin_info(info: model::PluginInfo) -> wit::PluginInfo {
    wit::PluginInfo {
        id: info.id,
        name: info.name,
        version: info.version,
        auth_methods: info
            .auth_methods
            .into_iter()
            .map(|method| wit::AuthMethod {
                id: method.id,
                description: method.description,
                parameters: method
                    .parameters
                    .into_iter()
                    .map(|p| wit::ParameterSpec {
                        name: p.name,
                        description: p.description,
                        secret: p.secret,
                        required: p.required,
                    })
                    .collect(),
            })
            .collect(),
        hosts: info.hosts,
        scopes: info.scopes,
    }
}

fn error(error: model::Error) -> wit::Error {
    use model::Error as E;
    match error {
        E::InvalidCredentials(m) => wit::Error::InvalidCredentials(m),
        E::MissingScope(m) => wit::Error::MissingScope(m),
        E::InsufficientRole(m) => wit::Error::InsufficientRole(m),
        E::ReauthorizationRequired(m) => wit::Error::ReauthorizationRequired(m),
        E::NotConnected(m) => wit::Error::NotConnected(m),
        E::RateLimited(limit) => wit::Error::RateLimited(wit::RateLimit {
            retry_at: limit.retry_at,
            message: limit.message,
        }),
        E::ProviderError(failure) => wit::Error::ProviderError(wit::ProviderFailure {
            endpoint: failure.endpoint,
            status: failure.status,
            message: failure.message,
        }),
        E::InvalidInput(m) => wit::Error::InvalidInput(m),
        E::IncompleteListing(m) => wit::Error::IncompleteListing(m),
        E::Storage(m) => wit::Error::Storage(m),
    }
}

fn account_to_wit(account: model::Account) -> wit::Account {
    wit::Account {
        id: account.id,
        email: account.email,
        first_name: account.first_name,
        last_name: account.last_name,
        display_name: account.display_name,
        status: match account.status {
            model::AccountStatus::Active => wit::AccountStatus::Active,
            model::AccountStatus::Inactive => wit::AccountStatus::Inactive,
            model::AccountStatus::Pending => wit::AccountStatus::Pending,
        },
        role: account.role,
        license: account.license,
        last_login: account.last_login,
        created: account.created,
    }
}

fn summary_to_wit(summary: model::ListingSummary) -> wit::ListingSummary {
    wit::ListingSummary {
        complete: summary.complete,
        incomplete_reason: summary.incomplete_reason,
        listed: summary.listed,
        expected: summary.expected,
    }
}
