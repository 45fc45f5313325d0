//! The mock's mutable state, behind one `std::sync::Mutex` that is never held across an
//! `.await`: tokens, page cursors, scripts, the clock offset and the request log.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::api::{Cursors, Fixtures};
use super::config::MockConfig;
use super::oauth::Tokens;
use super::org::Organisation;
use super::script::{Endpoint, ScriptedResponse};
use super::server::Request;

/// One request as the mock received it, for tests to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The route it matched; `None` for a path the mock does not serve (answered 404).
    pub endpoint: Option<Endpoint>,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query, as sent (still percent-encoded).
    pub path: String,
    /// The raw query string without `?`; empty when there was none.
    pub query: String,
    /// The query decoded into pairs, in order.
    pub query_pairs: Vec<(String, String)>,
    /// Every header, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// A form-encoded body decoded into pairs (empty for other bodies).
    pub form: Vec<(String, String)>,
    /// The body as text (lossy for non-UTF-8).
    pub body: String,
    /// The HTTP status the mock answered.
    pub status: u16,
    /// Whether a scripted response answered it.
    pub scripted: bool,
}

impl RecordedRequest {
    /// The first query parameter called `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        find(&self.query_pairs, name)
    }

    /// The first form field called `name`.
    pub fn form_param(&self, name: &str) -> Option<&str> {
        find(&self.form, name)
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Everything a running mock shares between its connections.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub org: Organisation,
}

impl Shared {
    pub fn new(state: State, org: Organisation) -> Shared {
        Shared {
            state: Mutex::new(state),
            org,
        }
    }

    /// Locks the state. A panic while it was held (a bug in the mock) must not turn every later
    /// request into a second panic, so a poisoned lock is taken over as it is.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct State {
    pub config: MockConfig,
    /// Added to the real clock by `advance_clock`, so tests can expire tokens instantly.
    clock_offset: Duration,
    pub tokens: Tokens,
    pub cursors: Cursors,
    pub fixtures: Fixtures,
    scripts: [VecDeque<ScriptedResponse>; Endpoint::ALL.len()],
    counts: [usize; Endpoint::ALL.len()],
    log: Vec<RecordedRequest>,
}

impl State {
    pub fn new(mut config: MockConfig) -> State {
        let fixtures = Fixtures::new(std::mem::take(&mut config.pages));
        let scripts = std::mem::take(&mut config.scripts);
        let mut state = State {
            config,
            clock_offset: Duration::ZERO,
            tokens: Tokens::default(),
            cursors: Cursors::default(),
            fixtures,
            scripts: Default::default(),
            counts: [0; Endpoint::ALL.len()],
            log: Vec::new(),
        };
        for (endpoint, responses) in scripts {
            state.script(endpoint, responses);
        }
        state
    }

    /// The mock's clock: real time plus whatever tests advanced it by.
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    pub fn script(&mut self, endpoint: Endpoint, responses: Vec<ScriptedResponse>) {
        self.scripts[endpoint.index()].extend(responses);
    }

    /// The next scripted answer for `endpoint`; a pass-through entry is consumed and `None`
    /// returned, so the request is served normally.
    pub fn next_scripted(&mut self, endpoint: Endpoint) -> Option<ScriptedResponse> {
        self.scripts[endpoint.index()]
            .pop_front()
            .filter(|r| !r.is_pass_through())
    }

    pub fn record(
        &mut self,
        endpoint: Option<Endpoint>,
        request: Request,
        status: u16,
        scripted: bool,
    ) {
        if let Some(endpoint) = endpoint {
            self.counts[endpoint.index()] += 1;
        }
        if !self.config.record_requests {
            return;
        }
        self.log.push(RecordedRequest {
            endpoint,
            method: request.method,
            path: request.path,
            query: request.query,
            query_pairs: request.query_pairs,
            headers: request.headers,
            form: request.form,
            body: request.body,
            status,
            scripted,
        });
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.clone()
    }

    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.counts[endpoint.index()]
    }

    pub fn clear_requests(&mut self) {
        self.log.clear();
        self.counts = [0; Endpoint::ALL.len()];
    }
}
