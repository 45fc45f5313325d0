//! Properties of [`evaluate`] over generated requests.
//!
//! The generators draw emails, roles and times from small pools, with padding, case and
//! non-ASCII variants of the same addresses, so that collisions (aliases shared between
//! members, mappings, exceptions and tickets naming the accounts) are common rather than rare.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::tests::joined;
use super::{evaluate, normalise_email};
use crate::model::{
    AccessException, AccessRule, AccessTicket, Account, AccountMapping, AccountStatus,
    EvaluationRequest, FindingState, ListingSummary, Policy, StaffMember, StaffStatus, Timestamp,
    TraceScope,
};

const AT: Timestamp = 1_714_555_800;

const EMAILS: &[&str] = &[
    "jo@example.com",
    " JO@Example.com ",
    "ann@example.com",
    "bob@example.com",
    "team@example.com",
    "Team@Example.com",
    "zoë@exämple.com",
    "ZOË@EXÄMPLE.COM",
    "room",
    "",
    "@example.com",
];

const ROLES: &[&str] = &["eng", " ENG", "it", "sales", ""];

fn email() -> impl Strategy<Value = String> {
    select(EMAILS).prop_map(str::to_owned)
}

fn role() -> impl Strategy<Value = String> {
    select(ROLES).prop_map(str::to_owned)
}

/// Mostly near [`AT`], so that grace periods, tickets and exceptions straddle it, with the
/// extremes of the range now and then.
fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        8 => AT - 20..AT + 20,
        1 => Just(Timestamp::MIN),
        1 => Just(Timestamp::MAX),
    ]
}

fn staff_member() -> impl Strategy<Value = StaffMember> {
    let status = select(
        &[
            StaffStatus::Active,
            StaffStatus::OnLeave,
            StaffStatus::Offboarded,
        ][..],
    );
    (
        email(),
        vec(email(), 0..3),
        select(&["Jo", "Ann", ""][..]),
        status,
        option::of(timestamp()),
    )
        .prop_flat_map(|fields| (Just(fields), vec(role(), 0..3)))
        .prop_map(
            |((email, aliases, name, status, offboarded_at), roles)| StaffMember {
                email,
                aliases,
                name: name.to_owned(),
                status,
                offboarded_at,
                roles,
                employee_id: None,
            },
        )
}

fn account() -> impl Strategy<Value = Account> {
    let status = select(
        &[
            AccountStatus::Active,
            AccountStatus::Inactive,
            AccountStatus::Pending,
        ][..],
    );
    let id = option::of(select(&["u1", "u2", "u3"][..]));
    let zoom_role = select(&["Owner", "admin ", "Member", "Custom"][..]);
    (id, email(), status, zoom_role).prop_map(|(id, email, status, role)| Account {
        id: id.map(str::to_owned),
        email,
        first_name: String::new(),
        last_name: String::new(),
        display_name: String::new(),
        status,
        role: role.to_owned(),
        license: "licensed".to_owned(),
        last_login: None,
        created: None,
    })
}

fn ticket() -> impl Strategy<Value = AccessTicket> {
    let status = select(&["approved", " Approved ", "pending", ""][..]);
    (
        select(&["T-1", "T-2"][..]),
        email(),
        status,
        option::of(timestamp()),
        option::of(timestamp()),
    )
        .prop_map(|(id, email, status, starts_at, expires_at)| AccessTicket {
            id: id.to_owned(),
            email,
            status: status.to_owned(),
            starts_at,
            expires_at,
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    let access = prop_oneof![
        Just(AccessRule::AllStaff),
        vec(role(), 0..3).prop_map(AccessRule::RoleBased),
        Just(AccessRule::TicketBased),
    ];
    let grace = prop_oneof![0..30_u64, Just(u64::MAX)];
    let mapping = (email(), email()).prop_map(|(account, staff)| AccountMapping { account, staff });
    let exception =
        (email(), option::of(timestamp())).prop_map(|(account, expires_at)| AccessException {
            account,
            reason: "room".to_owned(),
            approved_by: "cfo".to_owned(),
            expires_at,
        });
    let privileged = option::of(vec(role(), 0..3));
    (
        access,
        grace,
        vec(mapping, 0..3),
        vec(exception, 0..3),
        privileged,
    )
        .prop_map(
            |(access, offboarding_grace, mappings, exceptions, privileged_roles)| Policy {
                access,
                offboarding_grace,
                mappings,
                exceptions,
                privileged_roles,
            },
        )
}

fn trace_scope() -> impl Strategy<Value = TraceScope> {
    prop_oneof![
        Just(TraceScope::None),
        Just(TraceScope::All),
        vec(email(), 0..3).prop_map(TraceScope::Accounts),
    ]
}

fn request() -> impl Strategy<Value = EvaluationRequest> {
    let listing = (
        any::<bool>(),
        option::of(select(&["page 3 failed", ""][..])),
    );
    (
        vec(account(), 0..12),
        listing,
        vec(staff_member(), 0..8),
        vec(ticket(), 0..5),
        policy(),
    )
        .prop_flat_map(|fields| (Just(fields), timestamp(), trace_scope()))
        .prop_map(
            |((accounts, (complete, reason), staff, tickets, policy), at, trace)| {
                EvaluationRequest {
                    listing: ListingSummary {
                        complete,
                        incomplete_reason: reason.map(str::to_owned),
                        listed: 0,
                        expected: 0,
                    },
                    accounts,
                    staff,
                    tickets,
                    policy,
                    at,
                    trace,
                }
            },
        )
}

/// Any text at all where the request carries text, and any time and grace.
fn hostile_request() -> impl Strategy<Value = EvaluationRequest> {
    let text = || any::<String>();
    let member = (
        text(),
        vec(text(), 0..2),
        text(),
        option::of(any::<i64>()),
        vec(text(), 0..2),
    )
        .prop_map(|(email, aliases, name, offboarded_at, roles)| StaffMember {
            email,
            aliases,
            name,
            status: StaffStatus::Offboarded,
            offboarded_at,
            roles,
            employee_id: None,
        });
    let account = (option::of(text()), text(), text()).prop_map(|(id, email, role)| Account {
        id,
        email,
        first_name: String::new(),
        last_name: String::new(),
        display_name: String::new(),
        status: AccountStatus::Pending,
        role,
        license: String::new(),
        last_login: None,
        created: None,
    });
    (
        request(),
        vec(account, 0..4),
        vec(member, 0..4),
        any::<i64>(),
        any::<u64>(),
    )
        .prop_map(|(mut request, accounts, staff, at, grace)| {
            request.accounts.extend(accounts);
            request.staff.extend(staff);
            request.at = at;
            request.policy.offboarding_grace = grace;
            request
        })
}

proptest! {
    #[test]
    fn evaluation_is_deterministic(request in request()) {
        prop_assert_eq!(evaluate(&request), evaluate(&request));
    }

    #[test]
    fn shuffled_accounts_give_the_same_evaluation(
        (request, shuffled) in request().prop_flat_map(|request| {
            let accounts = Just(request.accounts.clone()).prop_shuffle();
            (Just(request), accounts)
        })
    ) {
        let reordered = EvaluationRequest { accounts: shuffled, ..request.clone() };
        let (given, shuffled) = (evaluate(&request), evaluate(&reordered));
        prop_assert_eq!(joined(&request, &given), joined(&reordered, &shuffled));
    }

    #[test]
    fn tracing_changes_nothing_but_the_trace_lines(request in request()) {
        let traced = EvaluationRequest { trace: TraceScope::All, ..request.clone() };
        let untraced = EvaluationRequest { trace: TraceScope::None, ..request };
        let (mut traced, untraced) = (evaluate(&traced), evaluate(&untraced));
        for decision in &mut traced.decisions {
            prop_assert!(!decision.trace.is_empty());
            decision.trace.clear();
        }
        prop_assert_eq!(traced, untraced);
    }

    #[test]
    fn adding_an_unexpired_exception_never_adds_a_finding(
        request in request(),
        pick in any::<Index>(),
        lasts in option::of(1..1_000_i64),
        shout in any::<bool>(),
    ) {
        let named = match request.accounts.as_slice() {
            [] => "jo@example.com".to_owned(),
            accounts => accounts[pick.index(accounts.len())].email.clone(),
        };
        let account = if shout { named.to_uppercase() } else { named };
        let expires_at = lasts.map(|lasts| request.at.saturating_add(lasts));
        let mut excepted = request.clone();
        excepted.policy.exceptions.push(AccessException {
            account: account.clone(),
            reason: "added".to_owned(),
            approved_by: "test".to_owned(),
            expires_at,
        });
        // Saturation at the end of time would make the exception already expired.
        prop_assume!(expires_at.is_none_or(|expires_at| request.at < expires_at));

        let before = evaluate(&request).findings;
        let after = evaluate(&excepted);
        for finding in &after.findings {
            prop_assert!(before.contains(finding), "new finding {:#?}", finding);
        }

        let key = normalise_email(&account);
        if !key.is_empty() {
            for decision in &after.decisions {
                if normalise_email(&excepted.accounts[decision.account as usize].email) == key {
                    prop_assert!(decision.allowed, "excepted account denied: {:#?}", decision);
                }
            }
        }
    }

    #[test]
    fn evaluation_keeps_its_invariants(request in request()) {
        let evaluation = evaluate(&request);

        prop_assert_eq!(evaluation.decisions.len(), request.accounts.len());
        prop_assert_eq!(evaluation.conclusive, request.listing.complete);
        prop_assert_eq!(evaluation.inconclusive_reason.is_some(), !request.listing.complete);
        let checks: usize = evaluation.decisions.iter().map(|d| d.checks.len()).sum();
        prop_assert_eq!(checks, evaluation.findings.len());

        let email = |account: u32| normalise_email(&request.accounts[account as usize].email);
        let mut seen = vec![false; request.accounts.len()];
        for decision in &evaluation.decisions {
            prop_assert_eq!(decision.allowed, decision.checks.is_empty());
            let asked = match &request.trace {
                TraceScope::None => false,
                TraceScope::All => true,
                TraceScope::Accounts(emails) => {
                    emails.iter().any(|asked| normalise_email(asked) == email(decision.account))
                }
            };
            prop_assert_eq!(!decision.trace.is_empty(), asked);
            let account = decision.account as usize;
            prop_assert!(!seen[account], "two decisions for account {}", account);
            seen[account] = true;
            if let Some(matched) = decision.matched {
                prop_assert!((matched.staff as usize) < request.staff.len());
            }
        }
        for pair in evaluation.decisions.windows(2) {
            prop_assert!(email(pair[0].account) <= email(pair[1].account));
        }
        for pair in evaluation.findings.windows(2) {
            let key = |f: &crate::model::Finding| {
                (f.state, std::cmp::Reverse(f.severity), f.check.clone())
            };
            prop_assert!(key(&pair[0]) <= key(&pair[1]), "out of order: {:#?}", pair);
        }

        for finding in &evaluation.findings {
            let account = &request.accounts[finding.account as usize];
            prop_assert_ne!(account.status, AccountStatus::Inactive, "inactive account failed");
            prop_assert!(finding.state == FindingState::Failing || finding.check == "offboarded-with-access");
            if !request.listing.complete {
                prop_assert_ne!(finding.check.as_str(), "not-in-directory");
            }
        }
    }

    /// Sorting compares these prefixes before the strings; they must never disagree.
    #[test]
    fn sort_prefixes_order_as_their_strings_do(a in ".{0,24}", b in ".{0,24}", nul in any::<bool>()) {
        let (a, b) = if nul { (a + "\0", b) } else { (a, b) };
        let by_prefix = super::sort_prefix(&a).cmp(&super::sort_prefix(&b)).then_with(|| a.cmp(&b));
        prop_assert_eq!(by_prefix, a.cmp(&b));
    }

    #[test]
    fn evaluation_never_panics_on_hostile_input(request in hostile_request()) {
        let evaluation = evaluate(&request);
        prop_assert_eq!(evaluation.decisions.len(), request.accounts.len());
    }
}
