//! The HTTP side: accepts loopback connections with hyper, turns each request into a
//! [`Request`], routes it, records it and writes the [`Reply`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::encoding::parse_pairs;
use super::script::{Endpoint, ScriptedResponse, oauth_error_body, zoom_error_body};
use super::state::{Shared, State, find};
use super::{api, oauth};

/// Larger request bodies are refused; the token endpoint's forms are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Serves connections until `stop` changes or its sender is dropped. Dropping the connection
/// set on the way out aborts keep-alive connections, so the port is free once this returns.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "mock zoom could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        tracing::debug!(%error, "mock zoom connection ended with an error");
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: http::Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    // Method and path only: queries, headers and bodies carry tokens and secrets.
    tracing::debug!(method = %parts.method, path = parts.uri.path(), "mock zoom request");

    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map(|b| b.to_bytes());
    let too_large = body.is_err();
    let request = Request::new(&parts, &body.unwrap_or_default());
    Ok(process(&shared, request, too_large).into_response())
}

/// A request reduced to what the handlers and the log need.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub query_pairs: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub form: Vec<(String, String)>,
}

impl Request {
    fn new(parts: &http::request::Parts, body: &[u8]) -> Request {
        let query = parts.uri.query().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_ascii_lowercase(), value)
            })
            .collect();
        let body = String::from_utf8_lossy(body).into_owned();
        let form_encoded = headers.iter().any(|(n, v)| {
            n == "content-type" && v.starts_with("application/x-www-form-urlencoded")
        });
        let form = if form_encoded {
            parse_pairs(&body)
        } else {
            Vec::new()
        };
        Request {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query_pairs: parse_pairs(&query),
            query,
            headers,
            body,
            form,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        find(&self.query_pairs, name)
    }

    /// A form field, or the query parameter of that name: Zoom's own examples put OAuth
    /// parameters in the query string of the POST, clients usually in the body.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.form, name).or_else(|| self.query_param(name))
    }
}

/// An answer, before it becomes a hyper response.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Serialises `value`; a failure (which the mock's own types cannot produce) is a 500.
    pub fn serialize(value: &impl serde::Serialize) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::json(200, body),
            Err(error) => {
                Reply::zoom_error(500, 500, &format!("mock could not serialise: {error}"))
            }
        }
    }

    pub fn zoom_error(status: u16, code: i64, message: &str) -> Reply {
        Reply::json(status, zoom_error_body(code, message))
    }

    pub fn oauth_error(status: u16, error: &str, reason: &str) -> Reply {
        Reply::json(status, oauth_error_body(error, reason))
    }

    pub fn redirect(location: String) -> Reply {
        Reply {
            status: 302,
            headers: vec![(LOCATION.as_str().to_owned(), location)],
            body: Vec::new(),
        }
    }

    fn scripted(response: ScriptedResponse) -> Reply {
        Reply {
            status: response.status,
            headers: response.headers,
            body: response.body.into(),
        }
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut builder = Response::builder().status(status);
        let typed = self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(CONTENT_TYPE.as_str()));
        if !typed && !self.body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json;charset=UTF-8");
        }
        for (name, value) in &self.headers {
            // Scripted headers come from tests and scenario files; skip what HTTP cannot carry.
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(name), Ok(value)) => builder = builder.header(name, value),
                _ => tracing::warn!(header = %name, "mock zoom skipped an invalid scripted header"),
            }
        }
        builder
            .body(Full::new(Bytes::from(self.body)))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}

fn process(shared: &Shared, request: Request, too_large: bool) -> Reply {
    let endpoint = Endpoint::from_path(&request.path);
    let mut state = shared.lock();

    let mut scripted = false;
    let reply = if too_large {
        Reply::zoom_error(413, 300, "Request body too large.")
    } else if let Some(response) = endpoint.and_then(|e| state.next_scripted(e)) {
        scripted = true;
        Reply::scripted(response)
    } else {
        dispatch(&mut state, shared, endpoint, &request)
    };

    state.record(endpoint, request, reply.status, scripted);
    reply
}

fn dispatch(
    state: &mut State,
    shared: &Shared,
    endpoint: Option<Endpoint>,
    request: &Request,
) -> Reply {
    let Some(endpoint) = endpoint else {
        return Reply::zoom_error(404, 404, "Resource not found.");
    };
    let method = match endpoint {
        Endpoint::Token | Endpoint::Revoke => Method::POST,
        _ => Method::GET,
    };
    if request.method != method.as_str() {
        return Reply::zoom_error(405, 405, "Method not allowed.");
    }

    let org = &shared.org;
    match endpoint {
        Endpoint::Token => oauth::token(state, request),
        Endpoint::Revoke => oauth::revoke(state, request),
        Endpoint::Authorize => oauth::authorize(state, request),
        Endpoint::Users => api::list_users(state, org, request),
        Endpoint::UsersMe => api::me(state, org, request),
        Endpoint::User => api::user(state, org, request),
        Endpoint::UsersSummary => api::summary(state, org, request),
        Endpoint::Roles => api::roles(state, org, request),
    }
}
