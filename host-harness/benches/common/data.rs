//! Evaluation inputs at any size, derived from the mock's generated organisation the way
//! `harness demo` derives its staff directory and policy: the staff directory holds every
//! employee (some under a newer primary address with the Zoom address as alias) and everyone
//! who left; it is topped up with members who have no Zoom account until it has as many
//! members as there are accounts.

use host_harness::inputs::{self, Format};
use host_harness::mock_zoom::{GENERATED_AT, Organisation};
use host_harness::types::{
    AccessRule, AccessTicket, Account, EvaluationRequest, ListingSummary, StaffMember, StaffStatus,
    TraceScope,
};

/// The policy types, as the policy file spells them.
pub const POLICIES: [&str; 3] = ["all-staff", "role-based", "ticket-based"];

/// Org roles a role-based policy allows: all departments but Legal, Executive, Human Resources
/// and Developers, so that a few percent of accounts fail on role.
const ALLOWED_ROLES: [&str; 9] = [
    "Engineering",
    "Sales",
    "Support",
    "Marketing",
    "Product",
    "Operations",
    "Finance",
    "IT",
    "Design",
];

const DAY: i64 = 86_400;

/// The evaluation time: a day after the organisation was generated.
pub const AT: i64 = GENERATED_AT + DAY;

/// The directory for `organisation`, topped up to `members` members.
pub fn staff(organisation: &Organisation, members: usize) -> Vec<StaffMember> {
    let csv = host_harness::demo::staff_csv(organisation);
    let mut staff = inputs::parse_staff("staff.csv", &csv, Format::Csv).expect("staff parses");
    let mut n = 0;
    while staff.len() < members {
        staff.push(StaffMember {
            email: format!("no-zoom-{n}@acme.example"),
            aliases: Vec::new(),
            name: format!("No Zoom {n}"),
            status: StaffStatus::Active,
            offboarded_at: None,
            roles: vec!["Operations".to_owned()],
            employee_id: Some(format!("E{n:07}")),
        });
        n += 1;
    }
    staff
}

/// A quarter of the directory holds a current approved ticket, a quarter an expired one, a
/// quarter one still awaiting approval, and a quarter none.
fn tickets(staff: &[StaffMember]) -> Vec<AccessTicket> {
    staff
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 3)
        .map(|(i, member)| {
            let (status, starts_at, expires_at) = match i % 4 {
                0 => ("approved", Some(AT - 30 * DAY), Some(AT + 30 * DAY)),
                1 => ("approved", Some(AT - 60 * DAY), Some(AT - DAY)),
                _ => ("requested", None, None),
            };
            AccessTicket {
                id: format!("T{i}"),
                email: member.email.clone(),
                status: status.to_owned(),
                starts_at,
                expires_at,
            }
        })
        .collect()
}

/// One request under `policy` (one of [`POLICIES`]). All three share the demo policy's
/// grace period and meeting-room exceptions; role-based also allows only IT as Owner or Admin.
pub fn request(
    policy: &str,
    organisation: &Organisation,
    accounts: Vec<Account>,
    listing: ListingSummary,
    staff: Vec<StaffMember>,
) -> EvaluationRequest {
    let toml = host_harness::demo::policy_toml(organisation);
    let mut rules = inputs::parse_policy("policy.toml", &toml).expect("policy parses");
    let mut tickets_for = Vec::new();
    match policy {
        "all-staff" => {}
        "role-based" => {
            rules.access = AccessRule::RoleBased(ALLOWED_ROLES.map(str::to_owned).to_vec());
            rules.privileged_roles = Some(vec!["IT".to_owned()]);
        }
        "ticket-based" => {
            rules.access = AccessRule::TicketBased;
            tickets_for = tickets(&staff);
        }
        other => panic!("unknown policy {other}"),
    }
    EvaluationRequest {
        accounts,
        listing,
        staff,
        tickets: tickets_for,
        policy: rules,
        at: AT,
        trace: TraceScope::None,
    }
}
