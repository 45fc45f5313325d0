//! The evaluation's types across the component boundary: the request from WIT into the model,
//! the result back. Moves rather than copies wherever the two types agree.
//!
//! The benchmark probe (`host-harness/benches/probe`) compiles this file too, so that it pays
//! exactly what the plugin pays at its boundary; it only relies on a `wit` alias for the
//! generated types in the parent module and on `crate::model`.

use super::wit;
use crate::model;

fn account(account: wit::Account) -> model::Account {
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

pub(super) fn request(request: wit::EvaluationRequest) -> model::EvaluationRequest {
    let policy = request.policy;
    model::EvaluationRequest {
        accounts: request.accounts.into_iter().map(account).collect(),
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
        trace: match request.trace {
            wit::TraceScope::None => model::TraceScope::None,
            wit::TraceScope::All => model::TraceScope::All,
            wit::TraceScope::Accounts(emails) => model::TraceScope::Accounts(emails),
        },
    }
}

pub(super) fn evaluation(evaluation: model::Evaluation) -> wit::Evaluation {
    wit::Evaluation {
        conclusive: evaluation.conclusive,
        inconclusive_reason: evaluation.inconclusive_reason,
        decisions: evaluation
            .decisions
            .into_iter()
            .map(|d| wit::Decision {
                account: d.account,
                allowed: d.allowed,
                matched: d.matched.map(|m| wit::StaffMatch {
                    staff: m.staff,
                    via: match m.via {
                        model::MatchKind::PrimaryEmail => wit::MatchKind::PrimaryEmail,
                        model::MatchKind::Alias => wit::MatchKind::Alias,
                        model::MatchKind::Mapping => wit::MatchKind::Mapping,
                    },
                }),
                decided_by: match d.decided_by {
                    model::Ruling::Inactive => wit::Ruling::Inactive,
                    model::Ruling::Exception => wit::Ruling::Exception,
                    model::Ruling::Identity => wit::Ruling::Identity,
                    model::Ruling::Inconclusive => wit::Ruling::Inconclusive,
                    model::Ruling::Offboarding => wit::Ruling::Offboarding,
                    model::Ruling::Policy => wit::Ruling::Policy,
                },
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
                account: f.account,
                staff: f.staff,
                reason: f.reason,
            })
            .collect(),
    }
}
