//! Outbound HTTP for plugins: deny by default, allow exactly what was declared and granted.
//!
//! A plugin declares the origins it needs (`describe().hosts`); the operator may narrow that
//! list, never widen it. Every request is checked against the resulting allow-list, then:
//!
//! - a routed origin (`--route api.zoom.us=http://127.0.0.1:8080`) is rewritten to its target
//!   and sent there, loopback and plain HTTP included: routing is the operator's explicit word;
//! - any other origin must be `https`, and every address its name resolves to must be public:
//!   private, loopback, link-local and cloud metadata addresses are refused.
//!
//! Timeouts are clamped to host maxima the guest cannot raise, responses are cut off past a
//! size limit, and each call may make a bounded number of requests.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One allow-list entry: `scheme://host[:port]`, parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub scheme: Scheme,
    /// Lower case, without brackets for IPv6 literals.
    pub host: String,
    pub port: u16,
}

/// Why an origin or route did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid origin {input:?}: {problem}")]
pub struct OriginError {
    input: String,
    problem: &'static str,
}

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |problem| OriginError {
            input: input.to_owned(),
            problem,
        };
        let (scheme, rest) = input
            .split_once("://")
            .ok_or(fail("expected scheme://host"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(fail("the scheme must be http or https")),
        };
        // A trailing slash is common when copying a base URL; anything past it is not.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Err(fail("the host is missing"));
        }
        if rest.contains(['/', '?', '#', '@']) {
            return Err(fail(
                "only scheme://host[:port] is allowed, no path, query or user",
            ));
        }
        let authority: http::uri::Authority = rest.parse().map_err(|_| fail("bad host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() || host.contains('*') {
            return Err(fail(
                "the host must be a name or an address, without wildcards",
            ));
        }
        let port = match authority.port_u16() {
            Some(0) => return Err(fail("port 0 is not a port")),
            Some(port) => port,
            None if authority.as_str().ends_with(':') => return Err(fail("empty port")),
            None => scheme.default_port(),
        };
        Ok(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            write!(f, "{}://{host}", self.scheme.as_str())
        } else {
            write!(f, "{}://{host}:{}", self.scheme.as_str(), self.port)
        }
    }
}

/// Sends requests for a declared host name to another origin: how tests and the demo point a
/// plugin at a mock server on loopback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The declared host name, lower case (any scheme and port of it).
    pub host: String,
    pub target: Origin,
}

impl FromStr for Route {
    type Err = OriginError;

    /// Parses `HOST=scheme://host[:port]`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |problem| OriginError {
            input: input.to_owned(),
            problem,
        };
        let (host, target) = input.split_once('=').ok_or(fail("expected HOST=URL"))?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() || host.contains(['/', ':', '=']) {
            return Err(fail(
                "the routed host must be a bare name such as api.zoom.us",
            ));
        }
        Ok(Route {
            host,
            target: target.trim().parse()?,
        })
    }
}

/// Limits on a plugin's outbound HTTP. Each has a default the guest cannot raise.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Longest wait for a connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Longest wait for the response to start. Default 30 s.
    pub first_byte_timeout: Duration,
    /// Longest pause inside a response body. Default 30 s.
    pub between_bytes_timeout: Duration,
    /// Largest response body. Default 16 MiB.
    pub max_response_bytes: u64,
    /// Requests one call into the plugin may make. Default 10,000.
    pub max_requests_per_call: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(30),
            between_bytes_timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
            max_requests_per_call: 10_000,
        }
    }
}

/// The allow-list of one plugin: its declared origins, narrowed by the operator.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<Origin>,
    routes: Vec<Route>,
    limits: HttpLimits,
}

impl OutboundPolicy {
    /// `declared` comes from the plugin; `granted`, when given, is the operator's list and
    /// only removes entries. Routes for hosts the plugin did not declare are ignored.
    pub fn new(
        declared: &[Origin],
        granted: Option<&[Origin]>,
        routes: Vec<Route>,
        limits: HttpLimits,
    ) -> Self {
        let allowed: Vec<Origin> = declared
            .iter()
            .filter(|origin| granted.is_none_or(|granted| granted.contains(origin)))
            .cloned()
            .collect();
        let routes = routes
            .into_iter()
            .filter(|r| allowed.iter().any(|o| o.host == r.host))
            .collect();
        Self {
            allowed,
            routes,
            limits,
        }
    }

    pub fn allowed(&self) -> &[Origin] {
        &self.allowed
    }

    pub fn limits(&self) -> HttpLimits {
        self.limits
    }

    fn route(&self, host: &str) -> Option<&Origin> {
        self.routes
            .iter()
            .find(|route| route.host == host)
            .map(|route| &route.target)
    }
}

/// Why a request was refused, for the host's log; the guest only sees "request denied".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("{0} is not an allowed origin")]
    NotAllowed(String),
    #[error("{0} uses plain http, which is only allowed for routed hosts")]
    PlainHttp(String),
    #[error("{origin} resolves to {address}, a private, loopback or link-local address")]
    PrivateAddress { origin: String, address: IpAddr },
    #[error("{0} could not be resolved")]
    Unresolvable(String),
    #[error("this call already made {0} requests, the limit")]
    TooManyRequests(u32),
    #[error("the request has no usable URL")]
    BadUri,
}

/// The per-instance hook wasmtime calls for every outgoing request.
pub struct OutboundHooks {
    plugin_id: String,
    policy: Arc<OutboundPolicy>,
    requests: Arc<AtomicU32>,
    denied: Arc<AtomicU32>,
}

impl OutboundHooks {
    /// `requests` counts every request (the caller resets it per call); `denied` counts
    /// refusals.
    pub fn new(
        plugin_id: String,
        policy: Arc<OutboundPolicy>,
        requests: Arc<AtomicU32>,
        denied: Arc<AtomicU32>,
    ) -> Self {
        Self {
            plugin_id,
            policy,
            requests,
            denied,
        }
    }
}

/// Where an allowed request goes.
enum Destination {
    Routed(Origin),
    Public,
}

/// Decides whether a request may leave, before any address is resolved.
fn check(policy: &OutboundPolicy, uri: &http::Uri) -> Result<(Origin, Destination), Denial> {
    let scheme = match uri.scheme_str() {
        Some("https") => Scheme::Https,
        Some("http") => Scheme::Http,
        _ => return Err(Denial::BadUri),
    };
    let host = uri.host().ok_or(Denial::BadUri)?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(scheme.default_port());
    let origin = Origin { scheme, host, port };

    if !policy.allowed.contains(&origin) {
        return Err(Denial::NotAllowed(origin.to_string()));
    }
    if let Some(target) = policy.route(&origin.host) {
        return Ok((origin.clone(), Destination::Routed(target.clone())));
    }
    if scheme == Scheme::Http {
        return Err(Denial::PlainHttp(origin.to_string()));
    }
    Ok((origin, Destination::Public))
}

/// Whether an address must never be reached by a plugin unless explicitly routed there.
pub fn is_forbidden_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) embeds an IPv4 address that decides where it really goes.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    }
}

fn is_forbidden_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        // Carrier-grade NAT (100.64.0.0/10) and the benchmark range are not public either.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn rewrite(uri: &http::Uri, target: &Origin) -> Result<http::Uri, Denial> {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let authority = if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    http::Uri::builder()
        .scheme(target.scheme.as_str())
        .authority(authority)
        .path_and_query(path)
        .build()
        .map_err(|_| Denial::BadUri)
}

/// The guest's timeouts, never above the host's.
fn clamp(options: Option<RequestOptions>, limits: &HttpLimits) -> RequestOptions {
    let clamp = |asked: Option<Duration>, max: Duration| Some(asked.map_or(max, |d| d.min(max)));
    let options = options.unwrap_or_default();
    RequestOptions {
        connect_timeout: clamp(options.connect_timeout, limits.connect_timeout),
        first_byte_timeout: clamp(options.first_byte_timeout, limits.first_byte_timeout),
        between_bytes_timeout: clamp(options.between_bytes_timeout, limits.between_bytes_timeout),
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        let policy = self.policy.clone();
        let plugin = self.plugin_id.clone();
        let count = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let denied = self.denied.clone();
        Box::new(async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let deny = |denial: Denial| {
                denied.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(plugin = %plugin, %method, %path, reason = %denial,
                    "outbound request refused");
                HttpError::HttpRequestDenied
            };
            if count > policy.limits.max_requests_per_call {
                return Err(deny(Denial::TooManyRequests(
                    policy.limits.max_requests_per_call,
                )));
            }
            let (origin, destination) = check(&policy, request.uri()).map_err(deny)?;
            match destination {
                Destination::Routed(target) => {
                    *request.uri_mut() = rewrite(request.uri(), &target).map_err(deny)?;
                }
                Destination::Public => resolve_public(&origin).await.map_err(deny)?,
            }
            // Method, origin and path only: query strings and headers carry credentials.
            tracing::debug!(plugin = %plugin, %method, origin = %origin, %path,
                "outbound request");

            let limits = policy.limits;
            let options = clamp(options, &limits);
            let (response, io) = wasmtime_wasi_http::default_send_request(request, Some(options))
                .await
                .inspect_err(|error| {
                    tracing::debug!(plugin = %plugin, origin = %origin, ?error, "request failed")
                })?;
            if let Some(length) = response.headers().get(http::header::CONTENT_LENGTH)
                && let Some(length) = length.to_str().ok().and_then(|s| s.parse::<u64>().ok())
                && length > limits.max_response_bytes
            {
                return Err(HttpError::HttpResponseBodySize(Some(length)));
            }
            let response = response.map(|body| {
                LimitedBody {
                    inner: body.boxed_unsync(),
                    remaining: limits.max_response_bytes,
                }
                .boxed_unsync()
            });
            Ok((response, Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

/// Resolves the origin and refuses it if any address is not public: a public name that
/// resolves to 127.0.0.1 or 169.254.169.254 is the classic way to reach a host's internals.
///
/// TODO: the connection itself resolves the name again, so a resolver that answers differently
/// the second time (DNS rebinding) is not caught; close this by connecting to the checked
/// address once the request path lets us supply our own connector.
async fn resolve_public(origin: &Origin) -> Result<(), Denial> {
    let addresses = tokio::net::lookup_host((origin.host.as_str(), origin.port))
        .await
        .map_err(|_| Denial::Unresolvable(origin.to_string()))?;
    let mut any = false;
    for address in addresses {
        any = true;
        if is_forbidden_address(address.ip()) {
            return Err(Denial::PrivateAddress {
                origin: origin.to_string(),
                address: address.ip(),
            });
        }
    }
    if any {
        Ok(())
    } else {
        Err(Denial::Unresolvable(origin.to_string()))
    }
}

/// A response body that fails once it has produced more than its limit.
struct LimitedBody {
    inner: WasiBody,
    remaining: u64,
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        if let Some(data) = frame.data_ref() {
            let len = data.len() as u64;
            if len > self.remaining {
                return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(None))));
            }
            self.remaining -= len;
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Vec<Origin> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn origins_parse_with_default_ports_and_lower_case() {
        let origin: Origin = "HTTPS://API.Zoom.us".parse().unwrap();
        assert_eq!(
            origin,
            Origin {
                scheme: Scheme::Https,
                host: "api.zoom.us".into(),
                port: 443
            }
        );
        assert_eq!(origin.to_string(), "https://api.zoom.us");
        let origin: Origin = "http://127.0.0.1:8080/".parse().unwrap();
        assert_eq!(origin.port, 8080);
        assert_eq!(origin.to_string(), "http://127.0.0.1:8080");
    }

    #[test]
    fn malformed_origins_are_refused_with_the_reason() {
        for (input, problem) in [
            ("api.zoom.us", "expected scheme://host"),
            ("ftp://x.example", "the scheme must be http or https"),
            ("https://", "the host is missing"),
            ("https://x.example/v2", "no path"),
            ("https://user@x.example", "no path"),
            ("https://*.zoom.us", "wildcards"),
            ("https://x.example:0", "port 0"),
        ] {
            let error = input.parse::<Origin>().unwrap_err().to_string();
            assert!(error.contains(problem), "{input}: {error}");
        }
    }

    #[test]
    fn the_operator_narrows_but_never_widens_the_declared_list() {
        let declared = origins(&["https://zoom.us", "https://api.zoom.us"]);
        let granted = origins(&["https://api.zoom.us", "https://evil.example"]);
        let policy =
            OutboundPolicy::new(&declared, Some(&granted), Vec::new(), HttpLimits::default());
        assert_eq!(policy.allowed(), &origins(&["https://api.zoom.us"])[..]);
    }

    #[test]
    fn an_empty_list_denies_everything() {
        let policy = OutboundPolicy::new(&[], None, Vec::new(), HttpLimits::default());
        let uri: http::Uri = "https://api.zoom.us/v2/users".parse().unwrap();
        assert_eq!(
            check(&policy, &uri).err(),
            Some(Denial::NotAllowed("https://api.zoom.us".into()))
        );
    }

    #[test]
    fn routed_hosts_are_rewritten_and_others_need_https() {
        let declared = origins(&["https://api.zoom.us", "http://plain.example"]);
        let routes = vec!["api.zoom.us=http://127.0.0.1:9000".parse().unwrap()];
        let policy = OutboundPolicy::new(&declared, None, routes, HttpLimits::default());

        let uri: http::Uri = "https://api.zoom.us/v2/users?page_size=300"
            .parse()
            .unwrap();
        let Ok((_, Destination::Routed(target))) = check(&policy, &uri) else {
            panic!("expected a routed destination");
        };
        assert_eq!(
            rewrite(&uri, &target).unwrap().to_string(),
            "http://127.0.0.1:9000/v2/users?page_size=300"
        );

        let plain: http::Uri = "http://plain.example/".parse().unwrap();
        assert_eq!(
            check(&policy, &plain).err(),
            Some(Denial::PlainHttp("http://plain.example".into()))
        );
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_forbidden() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(is_forbidden_address(address.parse().unwrap()), "{address}");
        }
        for address in ["8.8.8.8", "2606:4700:4700::1111", "170.114.52.2"] {
            assert!(!is_forbidden_address(address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn guest_timeouts_are_clamped_to_the_host_maxima() {
        let limits = HttpLimits::default();
        let asked = RequestOptions {
            connect_timeout: Some(Duration::from_secs(3600)),
            first_byte_timeout: Some(Duration::from_secs(1)),
            between_bytes_timeout: None,
        };
        let options = clamp(Some(asked), &limits);
        assert_eq!(options.connect_timeout, Some(limits.connect_timeout));
        assert_eq!(options.first_byte_timeout, Some(Duration::from_secs(1)));
        assert_eq!(
            options.between_bytes_timeout,
            Some(limits.between_bytes_timeout)
        );
    }
}
