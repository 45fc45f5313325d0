//! The host's WIT types into the plugin's model types, so that the native baseline evaluates
//! exactly the request the component receives. Field for field, as `component.rs` does inside
//! the component.

use gatehouse_zoom::model;
use host_harness::types;

pub fn account(a: &types::Account) -> model::Account {
    model::Account {
        id: a.id.clone(),
        email: a.email.clone(),
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        display_name: a.display_name.clone(),
        status: match a.status {
            types::AccountStatus::Active => model::AccountStatus::Active,
            types::AccountStatus::Inactive => model::AccountStatus::Inactive,
            types::AccountStatus::Pending => model::AccountStatus::Pending,
        },
        role: a.role.clone(),
        license: a.license.clone(),
        last_login: a.last_login,
        created: a.created,
    }
}

pub fn staff(s: &types::StaffMember) -> model::StaffMember {
    model::StaffMember {
        email: s.email.clone(),
        aliases: s.aliases.clone(),
        name: s.name.clone(),
        status: match s.status {
            types::StaffStatus::Active => model::StaffStatus::Active,
            types::StaffStatus::OnLeave => model::StaffStatus::OnLeave,
            types::StaffStatus::Offboarded => model::StaffStatus::Offboarded,
        },
        offboarded_at: s.offboarded_at,
        roles: s.roles.clone(),
        employee_id: s.employee_id.clone(),
    }
}

pub fn request(r: &types::EvaluationRequest) -> model::EvaluationRequest {
    let policy = &r.policy;
    model::EvaluationRequest {
        accounts: r.accounts.iter().map(account).collect(),
        listing: model::ListingSummary {
            complete: r.listing.complete,
            incomplete_reason: r.listing.incomplete_reason.clone(),
            listed: r.listing.listed,
            expected: r.listing.expected,
        },
        staff: r.staff.iter().map(staff).collect(),
        tickets: r
            .tickets
            .iter()
            .map(|t| model::AccessTicket {
                id: t.id.clone(),
                email: t.email.clone(),
                status: t.status.clone(),
                starts_at: t.starts_at,
                expires_at: t.expires_at,
            })
            .collect(),
        policy: model::Policy {
            access: match &policy.access {
                types::AccessRule::AllStaff => model::AccessRule::AllStaff,
                types::AccessRule::RoleBased(roles) => model::AccessRule::RoleBased(roles.clone()),
                types::AccessRule::TicketBased => model::AccessRule::TicketBased,
            },
            offboarding_grace: policy.offboarding_grace,
            mappings: policy
                .mappings
                .iter()
                .map(|m| model::AccountMapping {
                    account: m.account.clone(),
                    staff: m.staff.clone(),
                })
                .collect(),
            exceptions: policy
                .exceptions
                .iter()
                .map(|e| model::AccessException {
                    account: e.account.clone(),
                    reason: e.reason.clone(),
                    approved_by: e.approved_by.clone(),
                    expires_at: e.expires_at,
                })
                .collect(),
            privileged_roles: policy.privileged_roles.clone(),
        },
        at: r.at,
        trace: match &r.trace {
            types::TraceScope::None => model::TraceScope::None,
            types::TraceScope::All => model::TraceScope::All,
            types::TraceScope::Accounts(emails) => model::TraceScope::Accounts(emails.clone()),
        },
    }
}
