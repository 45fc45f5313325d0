//! A benchmark-only plugin component that splits the cost of `evaluate-access` into what
//! crossing the component boundary costs and what evaluating costs.
//!
//! It compiles the Zoom plugin's own `model`, `evaluate` and boundary conversion sources (by
//! path) with the same profile as the plugin. `connect([mode=…])` picks what the next
//! `evaluate-access` calls do:
//!
//! - `full`: what the plugin does: lift, convert, evaluate, convert back, lower;
//! - `in`: lift and convert the request, drop it, answer a one-line error: the inbound
//!   crossing;
//! - `stash`: evaluate and keep the result in the instance, answer the same error;
//! - `out`: ignore the request and answer the kept result: the outbound crossing. The host
//!   lifts all of it, then refuses it as an answer about accounts its (emptied) request does
//!   not have, which costs next to nothing after the lifting.
//!
//! Never a plugin to ship: it declares no hosts and lists nothing.

use std::cell::RefCell;

#[path = "../../../../plugin/src/evaluate/mod.rs"]
#[allow(
    dead_code,
    reason = "the plugin exports helpers the probe does not call"
)]
mod evaluate;
/// The plugin's own conversions between WIT and model types, so that the probe pays what the
/// plugin pays at its boundary.
#[path = "../../../../plugin/src/component/evaluation.rs"]
mod evaluation;
#[path = "../../../../plugin/src/model.rs"]
#[allow(
    dead_code,
    reason = "the plugin's model has types only the Zoom client uses"
)]
mod model;

wit_bindgen::generate!({
    path: "../../../wit",
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

use exports::gatehouse::integration::integration::{Guest, GuestListing, Listing};
use gatehouse::integration::types as wit;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Full,
    In,
    Stash,
    Out,
}

thread_local! {
    static MODE: RefCell<Mode> = const { RefCell::new(Mode::Full) };
    static STASHED: RefCell<Option<model::Evaluation>> = const { RefCell::new(None) };
}

/// What `in` and `stash` answer: an error, since the host would refuse an evaluation with no
/// decision for the request's accounts, and an error costs least to send back.
fn no_answer() -> wit::Error {
    wit::Error::InvalidInput("probe: no evaluation in this mode".to_owned())
}

struct Component;

impl Guest for Component {
    type Listing = NoListing;

    fn describe() -> wit::PluginInfo {
        wit::PluginInfo {
            id: "bench-probe".to_owned(),
            name: "benchmark probe".to_owned(),
            version: "0.1.0".to_owned(),
            auth_methods: Vec::new(),
            hosts: Vec::new(),
            scopes: Vec::new(),
        }
    }

    fn authorize_url(
        _params: Vec<wit::Parameter>,
        _redirect_uri: String,
    ) -> Result<wit::AuthorizationRequest, wit::Error> {
        Err(wit::Error::InvalidInput("not supported".to_owned()))
    }

    fn connect(params: Vec<wit::Parameter>) -> Result<wit::Connection, wit::Error> {
        let mode = params
            .iter()
            .find(|p| p.name == "mode")
            .map(|p| p.value.as_str());
        let mode = match mode {
            Some("full") => Mode::Full,
            Some("in") => Mode::In,
            Some("stash") => Mode::Stash,
            Some("out") => Mode::Out,
            other => return Err(wit::Error::InvalidInput(format!("unknown mode {other:?}"))),
        };
        MODE.with(|m| *m.borrow_mut() = mode);
        Ok(wit::Connection {
            auth_method: "none".to_owned(),
            account_id: String::new(),
            authorized_by: String::new(),
            authorized_role: String::new(),
            scopes: Vec::new(),
        })
    }

    fn disconnect() -> Result<(), wit::Error> {
        Ok(())
    }

    fn list_users() -> Result<Listing, wit::Error> {
        Err(wit::Error::InvalidInput("not supported".to_owned()))
    }

    fn evaluate_access(request: wit::EvaluationRequest) -> Result<wit::Evaluation, wit::Error> {
        match MODE.with(|m| *m.borrow()) {
            Mode::Full => Ok(evaluation::evaluation(evaluate::evaluate(&evaluation::request(request)))),
            Mode::In => {
                drop(evaluation::request(request));
                Err(no_answer())
            }
            Mode::Stash => {
                let result = evaluate::evaluate(&evaluation::request(request));
                STASHED.with(|s| *s.borrow_mut() = Some(result));
                Err(no_answer())
            }
            Mode::Out => match STASHED.with(|s| s.borrow_mut().take()) {
                Some(stashed) => Ok(evaluation::evaluation(stashed)),
                None => Err(wit::Error::InvalidInput("nothing stashed".to_owned())),
            },
        }
    }
}

/// Never handed out.
struct NoListing;

impl GuestListing for NoListing {
    fn next(&self) -> Result<Option<Vec<wit::Account>>, wit::Error> {
        Ok(None)
    }

    fn summary(&self) -> wit::ListingSummary {
        wit::ListingSummary {
            complete: false,
            incomplete_reason: None,
            listed: 0,
            expected: 0,
        }
    }
}

export!(Component);
