//! A benchmark-only plugin component that splits the cost of `evaluate-access` into what
//! crossing the component boundary costs and what evaluating costs.
//!
//! It compiles the Zoom plugin's own `model` and `evaluate` sources (by path) with the same
//! profile as the plugin, and converts between WIT and model types exactly as the plugin's
//! `component.rs` does. `connect([mode=…])` picks what the next `evaluate-access` calls do:
//!
//! - `full`: what the plugin does: lift, convert, evaluate, convert back, lower;
//! - `in`: lift and convert the request, drop it, answer an empty evaluation: the inbound
//!   crossing;
//! - `stash`: evaluate and keep the result in the instance, answer an empty evaluation;
//! - `out`: ignore the request and answer the kept result: the outbound crossing.
//!
//! Never a plugin to ship: it declares no hosts and lists nothing.

use std::cell::RefCell;

#[path = "../../../../plugin/src/evaluate/mod.rs"]
#[allow(
    dead_code,
    reason = "the plugin exports helpers the probe does not call"
)]
mod evaluate;
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

fn empty() -> wit::Evaluation {
    wit::Evaluation {
        conclusive: true,
        inconclusive_reason: None,
        decisions: Vec::new(),
        findings: Vec::new(),
    }
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
            Mode::Full => Ok(evaluation(evaluate::evaluate(&evaluation_request(request)))),
            Mode::In => {
                drop(evaluation_request(request));
                Ok(empty())
            }
            Mode::Stash => {
                let result = evaluate::evaluate(&evaluation_request(request));
                STASHED.with(|s| *s.borrow_mut() = Some(result));
                Ok(empty())
            }
            Mode::Out => match STASHED.with(|s| s.borrow_mut().take()) {
                Some(stashed) => Ok(evaluation(stashed)),
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

// The conversions below are those of plugin/src/component.rs, kept identical so that the
// probe pays what the plugin pays at its boundary.

fn account_from_wit(account: wit::Account) -> model::Account {
    model::Account {
        id: account.id,
        email: account.email,
        first_name: account.first_name,
        last_name: account.last_name,
        display_name: account.display_name,
        status: match account.status {
            wit::AccountStatus::Active => model::AccountStatus::Active,
            wit::AccountStatus::Inactive => model::AccountStatus::Inactive,
            wit::AccountStatus::Pending => model::AccountStatus::Pending,
        },
        role: account.role,
        license: account.license,
        last_login: account.last_login,
        created: account.created,
    }
}

fn evaluation_request(request: wit::EvaluationRequest) -> model::EvaluationRequest {
    let policy = request.policy;
    model::EvaluationRequest {
        accounts: request.accounts.into_iter().map(account_from_wit).collect(),
        listing: model::ListingSummary {
            complete: request.listing.complete,
            incomplete_reason: request.listing.incomplete_reason,
            listed: request.listing.listed,
            expected: request.listing.expected,
        },
        staff: request
            .staff
            .into_iter()
            .map(|s| model::StaffMember {
                email: s.email,
                aliases: s.aliases,
                name: s.name,
                status: match s.status {
                    wit::StaffStatus::Active => model::StaffStatus::Active,
                    wit::StaffStatus::OnLeave => model::StaffStatus::OnLeave,
                    wit::StaffStatus::Offboarded => model::StaffStatus::Offboarded,
                },
                offboarded_at: s.offboarded_at,
                roles: s.roles,
                employee_id: s.employee_id,
            })
            .collect(),
        tickets: request
            .tickets
            .into_iter()
            .map(|t| model::AccessTicket {
                id: t.id,
                email: t.email,
                status: t.status,
                starts_at: t.starts_at,
                expires_at: t.expires_at,
            })
            .collect(),
        policy: model::Policy {
            access: match policy.access {
                wit::AccessRule::AllStaff => model::AccessRule::AllStaff,
                wit::AccessRule::RoleBased(roles) => model::AccessRule::RoleBased(roles),
                wit::AccessRule::TicketBased => model::AccessRule::TicketBased,
            },
            offboarding_grace: policy.offboarding_grace,
            mappings: policy
                .mappings
                .into_iter()
                .map(|m| model::AccountMapping {
                    account: m.account,
                    staff: m.staff,
                })
                .collect(),
            exceptions: policy
                .exceptions
                .into_iter()
                .map(|e| model::AccessException {
                    account: e.account,
                    reason: e.reason,
                    approved_by: e.approved_by,
                    expires_at: e.expires_at,
                })
                .collect(),
            privileged_roles: policy.privileged_roles,
        },
        at: request.at,
    }
}

fn evaluation(evaluation: model::Evaluation) -> wit::Evaluation {
    wit::Evaluation {
        conclusive: evaluation.conclusive,
        inconclusive_reason: evaluation.inconclusive_reason,
        decisions: evaluation
            .decisions
            .into_iter()
            .map(|d| wit::Decision {
                email: d.email,
                account_id: d.account_id,
                allowed: d.allowed,
                matched: d.matched.map(|m| wit::StaffMatch {
                    staff_email: m.staff_email,
                    via: match m.via {
                        model::MatchKind::PrimaryEmail => wit::MatchKind::PrimaryEmail,
                        model::MatchKind::Alias => wit::MatchKind::Alias,
                        model::MatchKind::Mapping => wit::MatchKind::Mapping,
                    },
                }),
                checks: d.checks,
                trace: d.trace,
            })
            .collect(),
        findings: evaluation
            .findings
            .into_iter()
            .map(|f| wit::Finding {
                check: f.check,
                severity: match f.severity {
                    model::Severity::Low => wit::Severity::Low,
                    model::Severity::Medium => wit::Severity::Medium,
                    model::Severity::High => wit::Severity::High,
                    model::Severity::Critical => wit::Severity::Critical,
                },
                state: match f.state {
                    model::FindingState::Failing => wit::FindingState::Failing,
                    model::FindingState::Due => wit::FindingState::Due,
                },
                email: f.email,
                account_id: f.account_id,
                staff_email: f.staff_email,
                reason: f.reason,
            })
            .collect(),
    }
}
