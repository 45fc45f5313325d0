//! Evaluation: a fixed corpus of directories, policies and accounts with the findings every
//! plugin must produce, determinism, and no I/O during evaluation.
//!
//! The corpus pins the shared semantics of `evaluate-access`, so every plugin's findings mean
//! the same thing to a compliance team. Each scenario lists its expected findings as
//! `(check, email, state)`; extra or missing findings fail the check.

use super::{Check, Context, FIXED_CLOCK_SECS, Outcome, fail};
use crate::evaluation::Evaluated;
use crate::types::{
    AccessException, AccessRule, AccessTicket, Account, AccountStatus, Evaluation,
    EvaluationRequest, FindingState, ListingSummary, Policy, StaffMember, StaffStatus, TraceScope,
};

pub fn checks() -> Vec<Check> {
    vec![
        Check::new("evaluation/all-staff", |cx| {
            Box::pin(corpus(cx, all_staff()))
        }),
        Check::new("evaluation/grace-period", |cx| {
            Box::pin(corpus(cx, grace()))
        }),
        Check::new("evaluation/role-based", |cx| {
            Box::pin(corpus(cx, role_based()))
        }),
        Check::new("evaluation/ticket-based", |cx| {
            Box::pin(corpus(cx, ticket_based()))
        }),
        Check::new("evaluation/exceptions-and-privilege", |cx| {
            Box::pin(corpus(cx, exceptions()))
        }),
        Check::new("evaluation/identity", |cx| Box::pin(corpus(cx, identity()))),
        Check::new("evaluation/incomplete-listing", |cx| {
            Box::pin(incomplete(cx))
        }),
        Check::new("evaluation/deterministic", |cx| Box::pin(deterministic(cx))),
        Check::new("evaluation/traces-on-request", |cx| {
            Box::pin(traces_on_request(cx))
        }),
        Check::new("evaluation/no-io", |cx| Box::pin(no_io(cx))),
    ]
}

const AT: i64 = FIXED_CLOCK_SECS as i64;
const DAY: i64 = 86_400;

struct Scenario {
    request: EvaluationRequest,
    expected: Vec<(&'static str, &'static str, FindingState)>,
}

fn account(email: &str, status: AccountStatus) -> Account {
    Account {
        id: (status != AccountStatus::Pending).then(|| format!("id-{email}")),
        email: email.into(),
        first_name: String::new(),
        last_name: String::new(),
        display_name: email.into(),
        status,
        role: "Member".into(),
        license: "licensed".into(),
        last_login: None,
        created: None,
    }
}

fn staff(email: &str, status: StaffStatus, roles: &[&str]) -> StaffMember {
    StaffMember {
        email: email.into(),
        aliases: Vec::new(),
        name: email.split('@').next().unwrap_or_default().into(),
        status,
        offboarded_at: (status == StaffStatus::Offboarded).then_some(AT - 10 * DAY),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        employee_id: None,
    }
}

fn request(
    accounts: Vec<Account>,
    staff: Vec<StaffMember>,
    access: AccessRule,
) -> EvaluationRequest {
    let listed = accounts.len() as u32;
    EvaluationRequest {
        accounts,
        listing: ListingSummary {
            complete: true,
            incomplete_reason: None,
            listed,
            expected: listed,
        },
        staff,
        tickets: Vec::new(),
        policy: Policy {
            access,
            offboarding_grace: 0,
            mappings: Vec::new(),
            exceptions: Vec::new(),
            privileged_roles: None,
        },
        at: AT,
        trace: TraceScope::None,
    }
}

use AccountStatus::{Active, Inactive, Pending};
use FindingState::{Due, Failing};
use StaffStatus::Offboarded;

fn all_staff() -> Scenario {
    let request = request(
        vec![
            account("jo@acme.example", Active),
            account("Kim@Acme.example", Active),
            account("left.properly@acme.example", Inactive),
            account("stranger@elsewhere.example", Active),
            account("new@acme.example", Pending),
        ],
        vec![
            staff("jo@acme.example", StaffStatus::Active, &[]),
            staff("kim@acme.example", Offboarded, &[]),
            staff("left.properly@acme.example", Offboarded, &[]),
            staff("new@acme.example", StaffStatus::Active, &[]),
        ],
        AccessRule::AllStaff,
    );
    Scenario {
        request,
        expected: vec![
            ("offboarded-with-access", "Kim@Acme.example", Failing),
            ("not-in-directory", "stranger@elsewhere.example", Failing),
        ],
    }
}

fn grace() -> Scenario {
    let mut recent = staff("recent@acme.example", Offboarded, &[]);
    recent.offboarded_at = Some(AT - 3600);
    let mut exact = staff("exact@acme.example", Offboarded, &[]);
    exact.offboarded_at = Some(AT - DAY);
    let mut request = request(
        vec![
            account("recent@acme.example", Active),
            account("exact@acme.example", Pending),
        ],
        vec![recent, exact],
        AccessRule::AllStaff,
    );
    request.policy.offboarding_grace = DAY as u64;
    Scenario {
        request,
        expected: vec![
            ("offboarded-with-access", "exact@acme.example", Failing),
            ("offboarded-with-access", "recent@acme.example", Due),
        ],
    }
}

fn role_based() -> Scenario {
    let request = request(
        vec![
            account("eng@acme.example", Active),
            account("sales@acme.example", Active),
        ],
        vec![
            staff("eng@acme.example", StaffStatus::Active, &["Engineering"]),
            staff("sales@acme.example", StaffStatus::Active, &["Sales"]),
        ],
        AccessRule::RoleBased(vec!["engineering".into()]),
    );
    Scenario {
        request,
        expected: vec![("role-not-allowed", "sales@acme.example", Failing)],
    }
}

fn ticket_based() -> Scenario {
    let ticket =
        |id: &str, email: &str, status: &str, starts: Option<i64>, expires: Option<i64>| {
            AccessTicket {
                id: id.into(),
                email: email.into(),
                status: status.into(),
                starts_at: starts,
                expires_at: expires,
            }
        };
    let mut request = request(
        ["valid", "expired", "future", "unapproved", "none"]
            .iter()
            .map(|n| account(&format!("{n}@acme.example"), Active))
            .collect(),
        ["valid", "expired", "future", "unapproved", "none"]
            .iter()
            .map(|n| staff(&format!("{n}@acme.example"), StaffStatus::Active, &[]))
            .collect(),
        AccessRule::TicketBased,
    );
    request.tickets = vec![
        ticket(
            "T1",
            "valid@acme.example",
            "approved",
            Some(AT - DAY),
            Some(AT + DAY),
        ),
        ticket("T2", "expired@acme.example", "approved", None, Some(AT)),
        ticket("T3", "future@acme.example", "approved", Some(AT + 1), None),
        ticket("T4", "unapproved@acme.example", "requested", None, None),
    ];
    Scenario {
        request,
        expected: vec![
            ("no-valid-ticket", "expired@acme.example", Failing),
            ("no-valid-ticket", "future@acme.example", Failing),
            ("no-valid-ticket", "none@acme.example", Failing),
            ("no-valid-ticket", "unapproved@acme.example", Failing),
        ],
    }
}

fn exceptions() -> Scenario {
    let mut admin = account("admin@acme.example", Active);
    admin.role = "Admin".into();
    let mut it_admin = account("it@acme.example", Active);
    it_admin.role = "Owner".into();
    let mut request = request(
        vec![
            account("lobby-room@acme.example", Active),
            account("old-room@acme.example", Active),
            admin,
            it_admin,
        ],
        vec![
            staff("admin@acme.example", StaffStatus::Active, &["Sales"]),
            staff("it@acme.example", StaffStatus::Active, &["IT"]),
        ],
        AccessRule::AllStaff,
    );
    let exception = |account: &str, expires_at| AccessException {
        account: account.into(),
        reason: "meeting room".into(),
        approved_by: "it-lead@acme.example".into(),
        expires_at,
    };
    request.policy.exceptions = vec![
        exception("lobby-room@acme.example", Some(AT + DAY)),
        exception("old-room@acme.example", Some(AT)),
    ];
    request.policy.privileged_roles = Some(vec!["IT".into()]);
    Scenario {
        request,
        expected: vec![
            ("exception-expired", "old-room@acme.example", Failing),
            ("not-in-directory", "old-room@acme.example", Failing),
            ("privileged-not-allowed", "admin@acme.example", Failing),
        ],
    }
}

fn identity() -> Scenario {
    let mut twin = staff("pat.smith@acme.example", StaffStatus::Active, &[]);
    twin.aliases = vec!["pat@acme.example".into()];
    let mut other = staff("pat.jones@acme.example", StaffStatus::Active, &[]);
    other.aliases = vec!["PAT@acme.example".into()];
    let mut aliased = staff("sam@acme.example", StaffStatus::Active, &[]);
    aliased.aliases = vec!["sam.old@acme.example".into()];
    let request = request(
        vec![
            account("pat@acme.example", Active),
            account("", Active),
            account("  SAM.OLD@acme.example ", Active),
        ],
        vec![twin, other, aliased],
        AccessRule::AllStaff,
    );
    Scenario {
        request,
        expected: vec![
            ("ambiguous-identity", "pat@acme.example", Failing),
            ("unidentifiable-account", "", Failing),
        ],
    }
}

async fn evaluate(
    cx: &Context,
    request: &EvaluationRequest,
) -> Result<crate::types::Evaluation, String> {
    let mut session = cx
        .plugin
        .session(&cx.grants())
        .await
        .map_err(|e| e.to_string())?;
    session
        .evaluate_access(request)
        .await
        .map_err(|e| e.to_string())
}

fn state_name(state: FindingState) -> &'static str {
    match state {
        Failing => "failing",
        Due => "due",
    }
}

async fn corpus(cx: &Context, scenario: Scenario) -> Outcome {
    let evaluation = match evaluate(cx, &scenario.request).await {
        Ok(evaluation) => evaluation,
        Err(error) => fail!("evaluate-access failed: {error}"),
    };
    let evaluated = match Evaluated::new(&scenario.request, &evaluation) {
        Ok(evaluated) => evaluated,
        Err(error) => fail!("{error}"),
    };
    let mut got: Vec<(String, String, &str)> = evaluated
        .findings()
        .map(|(f, account, _)| (f.check.clone(), account.email.clone(), state_name(f.state)))
        .collect();
    let mut want: Vec<(String, String, &str)> = scenario
        .expected
        .iter()
        .map(|(check, email, state)| ((*check).into(), (*email).into(), state_name(*state)))
        .collect();
    got.sort();
    want.sort();
    if got != want {
        fail!("expected findings {want:?}, got {got:?}");
    }
    if let Some((empty, account, _)) = evaluated
        .findings()
        .find(|(f, _, _)| f.reason.trim().is_empty())
    {
        fail!(
            "finding {} on {:?} has no reason",
            empty.check,
            account.email
        );
    }
    Outcome::Pass
}

async fn incomplete(cx: &Context) -> Outcome {
    let mut scenario = all_staff();
    scenario.request.listing.complete = false;
    scenario.request.listing.incomplete_reason = Some("listed 4 of 12 accounts".into());
    let evaluation = match evaluate(cx, &scenario.request).await {
        Ok(evaluation) => evaluation,
        Err(error) => fail!("evaluate-access failed: {error}"),
    };
    if evaluation.conclusive {
        fail!("an incomplete listing was evaluated as conclusive");
    }
    if evaluation
        .findings
        .iter()
        .any(|f| f.check == "not-in-directory")
    {
        fail!("not-in-directory was concluded from an incomplete listing");
    }
    if !evaluation
        .findings
        .iter()
        .any(|f| f.check == "offboarded-with-access")
    {
        fail!("an offboarded owner's account present in the listing was not reported");
    }
    Outcome::Pass
}

async fn deterministic(cx: &Context) -> Outcome {
    let mut request = exceptions().request;
    request.accounts.extend(all_staff().request.accounts);
    request.staff.extend(all_staff().request.staff);
    let given = request.clone();
    request.accounts.reverse();
    request.staff.reverse();
    let (first, second) = match (evaluate(cx, &given).await, evaluate(cx, &request).await) {
        (Ok(first), Ok(second)) => (first, second),
        (Err(error), _) | (_, Err(error)) => fail!("evaluate-access failed: {error}"),
    };
    if canonical(&given, &first) != canonical(&request, &second) {
        fail!("the same input in another order gave another evaluation");
    }
    Outcome::Pass
}

/// An evaluation with positions replaced by the emails and ids they point at, so that
/// evaluations of one request in two orders can be compared.
fn canonical(request: &EvaluationRequest, evaluation: &Evaluation) -> Vec<String> {
    let Ok(evaluated) = Evaluated::new(request, evaluation) else {
        return Vec::new();
    };
    let decisions = evaluated.decisions().map(|(d, account, owner)| {
        format!(
            "decision {} {:?} allowed={} owner={:?} {:?} {:?} {:?}",
            account.email,
            account.id,
            d.allowed,
            owner.map(|m| &m.email),
            d.decided_by,
            d.checks,
            d.trace
        )
    });
    let findings = evaluated.findings().map(|(f, account, owner)| {
        format!(
            "finding {} {:?} {:?} {} {:?} {:?} {}",
            f.check,
            f.severity,
            f.state,
            account.email,
            account.id,
            owner.map(|m| &m.email),
            f.reason
        )
    });
    let mut lines: Vec<String> = vec![format!(
        "{} {:?}",
        evaluation.conclusive, evaluation.inconclusive_reason
    )];
    lines.extend(decisions);
    lines.extend(findings);
    lines
}

/// Trace lines only for the accounts the request names, the verdicts the same either way.
async fn traces_on_request(cx: &Context) -> Outcome {
    let mut request = all_staff().request;
    request.trace = TraceScope::Accounts(vec![" KIM@acme.example".into()]);
    let traced = match evaluate(cx, &request).await {
        Ok(evaluation) => evaluation,
        Err(error) => fail!("evaluate-access failed: {error}"),
    };
    request.trace = TraceScope::None;
    let untraced = match evaluate(cx, &request).await {
        Ok(evaluation) => evaluation,
        Err(error) => fail!("evaluate-access failed: {error}"),
    };
    for decision in &traced.decisions {
        let email = &request.accounts[decision.account as usize].email;
        let asked = email.eq_ignore_ascii_case("kim@acme.example");
        if asked == decision.trace.is_empty() {
            fail!(
                "account {email} has {} trace lines; only kim@acme.example asked for them",
                decision.trace.len()
            );
        }
    }
    let mut stripped = traced;
    for decision in &mut stripped.decisions {
        decision.trace.clear();
    }
    if stripped != untraced {
        fail!("asking for a trace changed the verdicts");
    }
    Outcome::Pass
}

async fn no_io(cx: &Context) -> Outcome {
    // Every origin is refused and counted: an evaluation that tries the network shows here.
    let mut grants = cx.grants();
    grants.allow = Some(Vec::new());
    let mut session = match cx.plugin.session(&grants).await {
        Ok(session) => session,
        Err(error) => fail!("cannot instantiate: {error}"),
    };
    if let Err(error) = session.evaluate_access(&all_staff().request).await {
        fail!("evaluate-access failed: {error}");
    }
    match session.requests_made() {
        0 => Outcome::Pass,
        n => fail!("evaluate-access made {n} HTTP requests; it must do no I/O"),
    }
}
