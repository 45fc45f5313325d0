//! Rule-by-rule tests of [`evaluate`], most of them tables over the boundaries of one rule.

use std::cmp::Reverse;

use super::{Check, evaluate, normalise_email};
use crate::model::{
    AccessException, AccessRule, AccessTicket, Account, AccountMapping, AccountStatus, Decision,
    Evaluation, EvaluationRequest, Finding, FindingState, ListingSummary, MatchKind, Policy,
    Ruling, Severity, StaffMatch, StaffMember, StaffStatus, Timestamp, TraceScope,
};

use FindingState::{Due, Failing};

/// 2024-05-01T09:30:00Z.
const AT: Timestamp = 1_714_555_800;
const HOUR: Timestamp = 3_600;
const DAY: Timestamp = 86_400;
const WEEK: u64 = 7 * 86_400;

/// Org role names in a table row.
type Roles = &'static [&'static str];

/// Lets a fixture be adjusted in place inside a table: `member(..).with(|m| m.roles = ..)`.
trait With: Sized {
    fn with(mut self, change: impl FnOnce(&mut Self)) -> Self {
        change(&mut self);
        self
    }
}

impl<T> With for T {}

fn member(email: &str, name: &str) -> StaffMember {
    StaffMember {
        email: email.to_owned(),
        aliases: Vec::new(),
        name: name.to_owned(),
        status: StaffStatus::Active,
        offboarded_at: None,
        roles: Vec::new(),
        employee_id: None,
    }
}

fn jo() -> StaffMember {
    member("jo@example.com", "Jo Blogs")
}

fn ann() -> StaffMember {
    member("ann@example.com", "Ann Lee")
}

fn bob() -> StaffMember {
    member("bob@example.com", "Bob Ray")
}

fn offboarded(member: StaffMember, at: Option<Timestamp>) -> StaffMember {
    member.with(|m| {
        m.status = StaffStatus::Offboarded;
        m.offboarded_at = at;
    })
}

fn account(email: &str) -> Account {
    Account {
        id: Some(format!("id-{}", email.trim())),
        email: email.to_owned(),
        first_name: String::new(),
        last_name: String::new(),
        display_name: String::new(),
        status: AccountStatus::Active,
        role: "Member".to_owned(),
        license: "licensed".to_owned(),
        last_login: None,
        created: None,
    }
}

fn ticket(id: &str, email: &str) -> AccessTicket {
    AccessTicket {
        id: id.to_owned(),
        email: email.to_owned(),
        status: "approved".to_owned(),
        starts_at: None,
        expires_at: None,
    }
}

fn exception(account: &str, expires_at: Option<Timestamp>) -> AccessException {
    AccessException {
        account: account.to_owned(),
        reason: "board meeting room".to_owned(),
        approved_by: "cfo@example.com".to_owned(),
        expires_at,
    }
}

fn mapping(account: &str, staff: &str) -> AccountMapping {
    AccountMapping {
        account: account.to_owned(),
        staff: staff.to_owned(),
    }
}

/// A complete listing under the all-staff rule with a week's grace, evaluated at [`AT`].
fn request(accounts: Vec<Account>, staff: Vec<StaffMember>) -> EvaluationRequest {
    let listed = u32::try_from(accounts.len()).unwrap_or(u32::MAX);
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
            access: AccessRule::AllStaff,
            offboarding_grace: WEEK,
            mappings: Vec::new(),
            exceptions: Vec::new(),
            privileged_roles: None,
        },
        at: AT,
        trace: TraceScope::All,
    }
}

/// The email of the account a decision or finding refers to.
fn email_of(request: &EvaluationRequest, account: u32) -> &str {
    &request.accounts[account as usize].email
}

fn id_of(request: &EvaluationRequest, account: u32) -> Option<&str> {
    request.accounts[account as usize].id.as_deref()
}

/// The primary email of the staff member a finding refers to.
fn staff_email_of(request: &EvaluationRequest, staff: Option<u32>) -> Option<&str> {
    staff.map(|staff| request.staff[staff as usize].email.as_str())
}

/// A decision with the account and staff member it points at in place of their positions.
type JoinedDecision<'r> = (
    &'r Account,
    bool,
    Option<(&'r StaffMember, MatchKind)>,
    Ruling,
    &'r [String],
    &'r [String],
);

/// A finding with the account and staff member it points at in place of their positions.
type JoinedFinding<'r> = (
    &'r str,
    Severity,
    FindingState,
    &'r Account,
    Option<&'r StaffMember>,
    &'r str,
);

/// An evaluation as its caller reads it, positions joined back to the request: comparable
/// across requests that list the same accounts in a different order.
pub(super) fn joined<'r>(
    request: &'r EvaluationRequest,
    evaluation: &'r Evaluation,
) -> (bool, Vec<JoinedDecision<'r>>, Vec<JoinedFinding<'r>>) {
    let account = |index: u32| &request.accounts[index as usize];
    let staff = |index: u32| &request.staff[index as usize];
    let decisions = evaluation
        .decisions
        .iter()
        .map(|d| {
            (
                account(d.account),
                d.allowed,
                d.matched.map(|m| (staff(m.staff), m.via)),
                d.decided_by,
                d.checks.as_slice(),
                d.trace.as_slice(),
            )
        })
        .collect();
    let findings = evaluation
        .findings
        .iter()
        .map(|f| {
            (
                f.check.as_str(),
                f.severity,
                f.state,
                account(f.account),
                f.staff.map(staff),
                f.reason.as_str(),
            )
        })
        .collect();
    (evaluation.conclusive, decisions, findings)
}

fn one_decision(evaluation: &Evaluation) -> &Decision {
    assert_eq!(
        evaluation.decisions.len(),
        1,
        "decisions: {:#?}",
        evaluation.decisions
    );
    &evaluation.decisions[0]
}

fn one_finding(evaluation: &Evaluation) -> &Finding {
    assert_eq!(
        evaluation.findings.len(),
        1,
        "findings: {:#?}",
        evaluation.findings
    );
    &evaluation.findings[0]
}

/// Each finding as (check, state, account email), in output order.
fn summary<'e>(
    request: &'e EvaluationRequest,
    evaluation: &'e Evaluation,
) -> Vec<(&'e str, FindingState, &'e str)> {
    evaluation
        .findings
        .iter()
        .map(|finding| {
            (
                finding.check.as_str(),
                finding.state,
                email_of(request, finding.account),
            )
        })
        .collect()
}

fn check_ids(evaluation: &Evaluation) -> Vec<&str> {
    evaluation
        .findings
        .iter()
        .map(|finding| finding.check.as_str())
        .collect()
}

fn assert_mentions(text: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(
            text.contains(fragment),
            "{text:?} does not mention {fragment:?}"
        );
    }
}

fn traced(decision: &Decision, fragment: &str) -> bool {
    decision.trace.iter().any(|line| line.contains(fragment))
}

// Matching.

#[test]
fn padded_uppercase_account_email_matches_lowercase_primary_email() {
    let request = request(
        vec![account("  Jo.Blogs@Example.com ")],
        vec![member("jo.blogs@example.com", "Jo Blogs")],
    );
    let evaluation = evaluate(&request);

    let decision = one_decision(&evaluation);
    assert!(evaluation.findings.is_empty(), "{:#?}", evaluation.findings);
    assert!(decision.allowed);
    assert_eq!(decision.decided_by, Ruling::Policy);
    assert_eq!(
        email_of(&request, decision.account),
        "  Jo.Blogs@Example.com "
    );
    assert_eq!(
        decision.matched,
        Some(StaffMatch {
            staff: 0,
            via: MatchKind::PrimaryEmail
        })
    );
    assert_mentions(
        &decision.trace[0],
        &["Jo.Blogs@Example.com matched Jo Blogs (jo.blogs@example.com) by primary email"],
    );
}

#[test]
fn padded_uppercase_directory_email_matches_the_account_email() {
    let evaluation = evaluate(&request(
        vec![account("jo@example.com")],
        vec![member(" JO@EXAMPLE.COM ", "Jo Blogs")],
    ));

    let decision = one_decision(&evaluation);
    assert!(decision.allowed);
    assert_eq!(
        decision.matched,
        Some(StaffMatch {
            staff: 0,
            via: MatchKind::PrimaryEmail
        })
    );
}

#[test]
fn account_email_matches_a_staff_alias_case_insensitively() {
    let staff = vec![jo().with(|m| m.aliases = vec!["Joanna.B@Example.com".to_owned()])];
    let evaluation = evaluate(&request(vec![account("joanna.b@EXAMPLE.com")], staff));

    let decision = one_decision(&evaluation);
    assert!(decision.allowed);
    assert_eq!(
        decision.matched,
        Some(StaffMatch {
            staff: 0,
            via: MatchKind::Alias
        })
    );
    assert_mentions(&decision.trace[0], &["Jo Blogs (jo@example.com) by alias"]);
}

#[test]
fn non_ascii_emails_match_case_insensitively() {
    let evaluation = evaluate(&request(
        vec![account(" ZOË.ÅSTRÖM@Exämple.com")],
        vec![member("zoë.åström@exämple.com", "Zoë Åström")],
    ));

    let decision = one_decision(&evaluation);
    assert!(decision.allowed, "{decision:#?}");
    assert_eq!(
        decision.matched.as_ref().map(|m| m.via),
        Some(MatchKind::PrimaryEmail)
    );
    assert_mentions(&decision.trace[0], &["Zoë Åström (zoë.åström@exämple.com)"]);
}

#[test]
fn normalise_email_trims_and_lowercases_unicode() {
    let cases = [
        ("  Jo.Blogs@Example.com ", "jo.blogs@example.com"),
        ("\tÅSA@EXAMPLE.SE\n", "åsa@example.se"),
        ("ΣΟΦΊΑ@example.gr", "σοφία@example.gr"),
        ("", ""),
        ("   ", ""),
    ];
    for (raw, expected) in cases {
        assert_eq!(normalise_email(raw), expected, "normalising {raw:?}");
    }
}

#[test]
fn account_matching_two_staff_members_is_ambiguous_and_names_both() {
    let shared = || vec!["team@example.com".to_owned()];
    let staff = vec![
        bob().with(|m| m.aliases = shared()),
        ann().with(|m| m.aliases = shared()),
    ];
    let request = request(vec![account("Team@Example.com")], staff);
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "ambiguous-identity");
    assert_eq!((finding.severity, finding.state), (Severity::High, Failing));
    assert_eq!(email_of(&request, finding.account), "Team@Example.com");
    assert_eq!(finding.staff, None);
    assert_eq!(one_decision(&evaluation).decided_by, Ruling::Identity);
    assert_mentions(
        &finding.reason,
        &[
            "Team@Example.com matches 2 staff members",
            "Ann Lee (ann@example.com) by alias and Bob Ray (bob@example.com) by alias",
        ],
    );

    let decision = one_decision(&evaluation);
    assert!(!decision.allowed);
    assert_eq!(decision.matched, None);
    assert_eq!(decision.checks, ["ambiguous-identity"]);
}

#[test]
fn address_that_is_one_members_primary_email_and_anothers_alias_is_ambiguous() {
    let staff = vec![
        ann(),
        bob().with(|m| m.aliases = vec!["ANN@example.com".to_owned()]),
    ];
    let evaluation = evaluate(&request(vec![account("ann@example.com")], staff));

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "ambiguous-identity");
    assert_mentions(
        &finding.reason,
        &[
            "Ann Lee (ann@example.com) by primary email",
            "Bob Ray (bob@example.com) by alias",
        ],
    );
}

#[test]
fn member_repeating_their_own_address_as_an_alias_is_not_ambiguous() {
    let staff =
        vec![jo().with(|m| m.aliases = vec!["JO@example.com".to_owned(), "jo@x.com".into()])];
    let evaluation = evaluate(&request(vec![account("jo@example.com")], staff));

    let decision = one_decision(&evaluation);
    assert!(evaluation.findings.is_empty(), "{:#?}", evaluation.findings);
    assert_eq!(
        decision.matched.as_ref().map(|m| m.via),
        Some(MatchKind::PrimaryEmail)
    );
}

#[test]
fn duplicate_directory_records_for_one_address_are_ambiguous() {
    let rehired = jo().with(|m| m.name = "Jo Blogs (rehired)".to_owned());
    let staff = vec![offboarded(jo(), Some(AT - 400 * DAY)), rehired];
    let evaluation = evaluate(&request(vec![account("jo@example.com")], staff));

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "ambiguous-identity");
    assert_mentions(
        &finding.reason,
        &["Jo Blogs (jo@example.com)", "Jo Blogs (rehired)"],
    );
}

// Mappings.

#[test]
fn mapping_matches_an_account_to_its_staff_member_and_the_trace_says_so() {
    let mut request = request(vec![account("JB-Zoom@Example.com ")], vec![jo()]);
    request.policy.mappings = vec![mapping("jb-zoom@example.com", "jo@example.com")];
    let evaluation = evaluate(&request);

    let decision = one_decision(&evaluation);
    assert!(decision.allowed);
    assert_eq!(
        decision.matched,
        Some(StaffMatch {
            staff: 0,
            via: MatchKind::Mapping
        })
    );
    assert_mentions(
        &decision.trace[0],
        &["JB-Zoom@Example.com (mapped to jo@example.com) matched Jo Blogs (jo@example.com)"],
    );
}

#[test]
fn mapping_target_resolves_through_staff_aliases_trimmed_and_case_insensitively() {
    let staff = vec![jo().with(|m| m.aliases = vec!["joanna@example.com".to_owned()])];
    let mut request = request(vec![account("conference@example.com")], staff);
    request.policy.mappings = vec![mapping("conference@example.com", "  Joanna@EXAMPLE.com ")];
    let evaluation = evaluate(&request);

    let decision = one_decision(&evaluation);
    assert!(decision.allowed);
    assert_eq!(
        decision.matched.as_ref().map(|m| m.via),
        Some(MatchKind::Mapping)
    );
    assert_mentions(&decision.trace[0], &["Jo Blogs (jo@example.com) by alias"]);
}

#[test]
fn mapping_to_unknown_staff_is_not_in_directory_and_names_the_target() {
    let mut request = request(vec![account("jb-zoom@example.com")], vec![jo()]);
    request.policy.mappings = vec![mapping("jb-zoom@example.com", "ghost@example.com")];
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "not-in-directory");
    assert_eq!((finding.severity, finding.state), (Severity::High, Failing));
    assert_mentions(
        &finding.reason,
        &[
            "jb-zoom@example.com",
            "mapped to ghost@example.com",
            "matches no staff member",
        ],
    );
    assert_eq!(one_decision(&evaluation).matched, None);
}

#[test]
fn mapping_to_offboarded_staff_reports_offboarded_with_access() {
    let mut request = request(
        vec![account("jb-zoom@example.com")],
        vec![offboarded(jo(), Some(AT - 30 * DAY))],
    );
    request.policy.mappings = vec![mapping("jb-zoom@example.com", "jo@example.com")];
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "offboarded-with-access");
    assert_eq!(finding.state, Failing);
    assert_eq!(finding.staff, Some(0));
    assert_mentions(
        &finding.reason,
        &["jb-zoom@example.com", "Jo Blogs (jo@example.com)"],
    );
    assert_eq!(
        one_decision(&evaluation).matched.as_ref().map(|m| m.via),
        Some(MatchKind::Mapping)
    );
}

#[test]
fn mapping_wins_over_an_ambiguous_raw_email() {
    let shared = || vec!["team@example.com".to_owned()];
    let staff = vec![
        ann().with(|m| m.aliases = shared()),
        bob().with(|m| m.aliases = shared()),
    ];
    let mut request = request(vec![account("team@example.com")], staff);
    request.policy.mappings = vec![mapping("team@example.com", "bob@example.com")];
    let evaluation = evaluate(&request);

    assert!(evaluation.findings.is_empty(), "{:#?}", evaluation.findings);
    let decision = one_decision(&evaluation);
    assert_eq!(
        decision.matched,
        Some(StaffMatch {
            staff: 1,
            via: MatchKind::Mapping
        })
    );
}

#[test]
fn mapping_wins_over_a_raw_email_that_matches_someone_else() {
    let mut request = request(
        vec![account("ann@example.com")],
        vec![ann(), offboarded(bob(), None)],
    );
    request.policy.mappings = vec![mapping("ann@example.com", "bob@example.com")];
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "offboarded-with-access");
    assert_eq!(
        staff_email_of(&request, finding.staff),
        Some("bob@example.com")
    );
}

#[test]
fn mappings_of_one_account_to_different_people_are_ambiguous() {
    let mut request = request(vec![account("shared@example.com")], vec![ann(), bob()]);
    request.policy.mappings = vec![
        mapping("shared@example.com", "ann@example.com"),
        mapping("SHARED@example.com", "bob@example.com"),
    ];
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "ambiguous-identity");
    assert_mentions(
        &finding.reason,
        &[
            "mapped to ann@example.com and bob@example.com",
            "Ann Lee (ann@example.com)",
            "Bob Ray (bob@example.com)",
        ],
    );
}

#[test]
fn repeated_mappings_to_one_person_are_not_ambiguous() {
    let staff = vec![jo().with(|m| m.aliases = vec!["joanna@example.com".to_owned()])];
    let mut request = request(vec![account("jb@example.com")], staff);
    request.policy.mappings = vec![
        mapping("jb@example.com", "jo@example.com"),
        mapping("jb@example.com", "joanna@example.com"),
        mapping("jb@example.com", "ghost@example.com"),
    ];
    let evaluation = evaluate(&request);

    assert!(evaluation.findings.is_empty(), "{:#?}", evaluation.findings);
    assert_eq!(
        one_decision(&evaluation).matched.as_ref().map(|m| m.via),
        Some(MatchKind::Mapping)
    );
}

#[test]
fn mapping_to_an_address_two_members_share_is_ambiguous() {
    let shared = || vec!["team@example.com".to_owned()];
    let staff = vec![
        ann().with(|m| m.aliases = shared()),
        bob().with(|m| m.aliases = shared()),
    ];
    let mut request = request(vec![account("zoom-team@example.com")], staff);
    request.policy.mappings = vec![mapping("zoom-team@example.com", "team@example.com")];
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "ambiguous-identity");
    assert_mentions(
        &finding.reason,
        &["(mapped to team@example.com) matches 2 staff members"],
    );
}

#[test]
fn mapping_identifies_an_account_whose_email_is_not_an_address() {
    let mut request = request(vec![account("Room-1")], vec![jo()]);
    request.policy.mappings = vec![mapping("room-1", "jo@example.com")];
    let evaluation = evaluate(&request);

    assert!(evaluation.findings.is_empty(), "{:#?}", evaluation.findings);
    assert_eq!(
        one_decision(&evaluation).matched.as_ref().map(|m| m.via),
        Some(MatchKind::Mapping)
    );
}

#[test]
fn blank_mapping_and_exception_keys_cover_no_account() {
    let mut request = request(vec![account("  ")], vec![jo()]);
    request.policy.mappings = vec![mapping("", "jo@example.com")];
    request.policy.exceptions = vec![exception(" ", None)];
    let evaluation = evaluate(&request);

    assert_eq!(check_ids(&evaluation), ["unidentifiable-account"]);
}

// Account statuses.

#[test]
fn inactive_accounts_never_fail_any_check() {
    let privileged = || Some(vec!["it".to_owned()]);
    let cases: Vec<(&str, EvaluationRequest)> = vec![
        (
            "offboarded owner",
            request(
                vec![account("jo@example.com")],
                vec![offboarded(jo(), None)],
            ),
        ),
        (
            "no staff member",
            request(vec![account("ghost@example.com")], vec![jo()]),
        ),
        (
            "two staff members",
            request(vec![account("jo@example.com")], vec![jo(), jo()]),
        ),
        ("unusable email", request(vec![account("")], vec![jo()])),
        (
            "expired exception",
            request(vec![account("jo@example.com")], vec![jo()]).with(|r| {
                r.policy.exceptions = vec![exception("jo@example.com", Some(AT - 1))];
            }),
        ),
        (
            "role not allowed",
            request(vec![account("jo@example.com")], vec![jo()])
                .with(|r| r.policy.access = AccessRule::RoleBased(vec!["eng".to_owned()])),
        ),
        (
            "no ticket",
            request(vec![account("jo@example.com")], vec![jo()])
                .with(|r| r.policy.access = AccessRule::TicketBased),
        ),
        (
            "privileged without a privileged org role",
            request(
                vec![account("jo@example.com").with(|a| a.role = "Admin".to_owned())],
                vec![jo()],
            )
            .with(|r| r.policy.privileged_roles = privileged()),
        ),
    ];

    for (case, active) in cases {
        assert!(
            !evaluate(&active).findings.is_empty(),
            "{case}: active account should fail"
        );

        let inactive = active.with(|r| r.accounts[0].status = AccountStatus::Inactive);
        let evaluation = evaluate(&inactive);
        let decision = one_decision(&evaluation);
        assert!(
            evaluation.findings.is_empty(),
            "{case}: {:#?}",
            evaluation.findings
        );
        assert!(decision.allowed, "{case}");
        assert!(decision.checks.is_empty(), "{case}");
        assert!(
            traced(decision, "inactive: no access, nothing to check"),
            "{case}: {decision:#?}"
        );
    }
}

#[test]
fn inactive_accounts_still_record_which_staff_member_they_match() {
    let inactive = account("jo@example.com").with(|a| a.status = AccountStatus::Inactive);
    let evaluation = evaluate(&request(
        vec![inactive],
        vec![offboarded(jo(), Some(AT - DAY))],
    ));

    let decision = one_decision(&evaluation);
    assert_eq!(decision.matched.map(|m| m.staff), Some(0));
    assert_eq!(decision.decided_by, Ruling::Inactive);
    assert_mentions(&decision.trace[0], &["matched Jo Blogs (jo@example.com)"]);
}

#[test]
fn pending_invitations_have_access_and_are_checked() {
    let pending = |email: &str| {
        account(email).with(|a| {
            a.status = AccountStatus::Pending;
            a.id = None;
        })
    };
    let accounts = vec![
        pending("ghost@example.com"),
        pending("jo@example.com"),
        pending("ann@example.com"),
    ];
    let staff = vec![offboarded(jo(), Some(AT - 30 * DAY)), ann()];
    let request = request(accounts, staff);
    let evaluation = evaluate(&request);

    assert_eq!(
        summary(&request, &evaluation),
        [
            ("offboarded-with-access", Failing, "jo@example.com"),
            ("not-in-directory", Failing, "ghost@example.com"),
        ]
    );
    assert_eq!(id_of(&request, evaluation.findings[0].account), None);

    let ann = &evaluation.decisions[0];
    assert_eq!(email_of(&request, ann.account), "ann@example.com");
    assert!(ann.allowed);
    assert!(traced(
        ann,
        "pending: an invitation that grants access once accepted"
    ));
}

#[test]
fn on_leave_owner_is_judged_exactly_like_an_active_one() {
    let on_leave = || {
        jo().with(|m| {
            m.status = StaffStatus::OnLeave;
            m.roles = vec!["eng".to_owned()];
        })
    };
    let cases = [
        (AccessRule::AllStaff, Vec::<&str>::new()),
        (AccessRule::RoleBased(vec!["Eng".to_owned()]), vec![]),
        (
            AccessRule::RoleBased(vec!["sales".to_owned()]),
            vec!["role-not-allowed"],
        ),
    ];
    for (rule, expected) in cases {
        let mut request = request(vec![account("jo@example.com")], vec![on_leave()]);
        request.policy.access = rule.clone();
        let evaluation = evaluate(&request);

        assert_eq!(check_ids(&evaluation), expected, "under {rule:?}");
        let decision = one_decision(&evaluation);
        assert_eq!(decision.allowed, expected.is_empty(), "under {rule:?}");
        assert!(
            traced(decision, "owner is on leave: still employed"),
            "under {rule:?}"
        );
    }
}

// Offboarding.

#[test]
fn offboarded_owner_within_grace_is_due_not_failing() {
    let staff = vec![offboarded(jo(), Some(AT - DAY))];
    let evaluation = evaluate(&request(vec![account("jo@example.com")], staff));

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "offboarded-with-access");
    assert_eq!((finding.severity, finding.state), (Severity::Critical, Due));
    assert_eq!(finding.account, 0);
    assert_eq!(finding.staff, Some(0));
    assert_eq!(one_decision(&evaluation).decided_by, Ruling::Offboarding);
    assert_mentions(
        &finding.reason,
        &[
            "Account jo@example.com",
            "Jo Blogs (jo@example.com)",
            "offboarded at 2024-04-30T09:30:00Z",
            "grace period of 7 days, which ends at 2024-05-07T09:30:00Z",
        ],
    );

    let decision = one_decision(&evaluation);
    assert!(!decision.allowed, "a due finding still denies");
    assert_eq!(decision.checks, ["offboarded-with-access"]);
    assert_eq!(
        decision.trace.last().map(String::as_str),
        Some("not allowed: offboarded-with-access (due)")
    );
}

#[test]
fn grace_period_turns_due_into_failing_exactly_at_its_end() {
    let offboarded_at = AT - 3 * DAY;
    let grace_end = offboarded_at + DAY;
    let cases = [
        (grace_end - 1, Due, "ends at"),
        (grace_end, Failing, "ended at"),
        (grace_end + 1, Failing, "ended at"),
        (offboarded_at, Due, "ends at"),
    ];
    for (at, state, wording) in cases {
        let mut request = request(
            vec![account("jo@example.com")],
            vec![offboarded(jo(), Some(offboarded_at))],
        );
        request.policy.offboarding_grace = 86_400;
        request.at = at;
        let evaluation = evaluate(&request);

        let finding = one_finding(&evaluation);
        assert_eq!(finding.check, "offboarded-with-access");
        assert_eq!(finding.state, state, "at {at}, grace ends at {grace_end}");
        assert_mentions(&finding.reason, &["1 day", wording]);
    }
}

#[test]
fn zero_grace_fails_from_the_moment_of_offboarding() {
    let cases = [(AT - 1, None), (AT, Some(Failing))];
    for (at, state) in cases {
        let mut request = request(
            vec![account("jo@example.com")],
            vec![offboarded(jo(), Some(AT))],
        );
        request.policy.offboarding_grace = 0;
        request.at = at;

        let expected: Vec<_> = state
            .map(|state| ("offboarded-with-access", state, "jo@example.com"))
            .into_iter()
            .collect();
        assert_eq!(summary(&request, &evaluate(&request)), expected, "at {at}");
    }
}

#[test]
fn offboarded_owner_without_a_date_fails_and_says_no_grace_can_be_computed() {
    let evaluation = evaluate(&request(
        vec![account("jo@example.com")],
        vec![offboarded(jo(), None)],
    ));

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "offboarded-with-access");
    assert_eq!(
        (finding.severity, finding.state),
        (Severity::Critical, Failing)
    );
    assert_mentions(
        &finding.reason,
        &[
            "jo@example.com",
            "Jo Blogs (jo@example.com)",
            "no offboarding date",
            "no grace period can be computed",
        ],
    );
}

#[test]
fn grace_beyond_the_timestamp_range_ends_at_the_end_of_time_instead_of_wrapping() {
    let offboarded_at = Timestamp::MAX - 10;
    let cases = [(Timestamp::MAX - 1, Due), (Timestamp::MAX, Failing)];
    for (at, state) in cases {
        let mut request = request(
            vec![account("jo@example.com")],
            vec![offboarded(jo(), Some(offboarded_at))],
        );
        request.policy.offboarding_grace = u64::MAX;
        request.at = at;

        assert_eq!(one_finding(&evaluate(&request)).state, state, "at {at}");
    }
}

/// The grace period once silenced the policy: an Admin account failing its checks the day
/// before its owner left showed only a due finding the day after, and the run exited 0.
#[test]
fn within_the_grace_period_the_policy_still_applies_and_after_it_offboarding_decides_alone() {
    let admin = account("jo@example.com").with(|a| a.role = "Admin".to_owned());
    let mut request = request(vec![admin], vec![offboarded(jo(), Some(AT - DAY))]);
    request.policy.access = AccessRule::TicketBased;
    request.policy.privileged_roles = Some(vec!["it".to_owned()]);

    let evaluation = evaluate(&request);
    assert_eq!(
        summary(&request, &evaluation),
        [
            ("no-valid-ticket", Failing, "jo@example.com"),
            ("privileged-not-allowed", Failing, "jo@example.com"),
            ("offboarded-with-access", Due, "jo@example.com"),
        ]
    );
    assert_eq!(one_decision(&evaluation).decided_by, Ruling::Offboarding);

    request.at = AT + 7 * DAY;
    assert_eq!(
        summary(&request, &evaluate(&request)),
        [("offboarded-with-access", Failing, "jo@example.com")]
    );
}

// Absence from the directory.

#[test]
fn account_matching_nobody_is_not_in_directory() {
    let evaluation = evaluate(&request(vec![account("ghost@example.com")], vec![jo()]));

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "not-in-directory");
    assert_eq!((finding.severity, finding.state), (Severity::High, Failing));
    assert_eq!(finding.staff, None);
    assert_eq!(one_decision(&evaluation).decided_by, Ruling::Identity);
    assert_mentions(
        &finding.reason,
        &[
            "Account ghost@example.com",
            "matches no staff member",
            "must belong to a staff member",
        ],
    );
    assert!(evaluation.conclusive);
    assert_eq!(evaluation.inconclusive_reason, None);
}

#[test]
fn empty_directory_makes_every_account_with_access_not_in_directory() {
    let accounts = vec![
        account("b@example.com"),
        account("a@example.com").with(|a| a.status = AccountStatus::Pending),
        account("c@example.com").with(|a| a.status = AccountStatus::Inactive),
    ];
    let request = request(accounts, Vec::new());
    let evaluation = evaluate(&request);

    assert_eq!(
        summary(&request, &evaluation),
        [
            ("not-in-directory", Failing, "a@example.com"),
            ("not-in-directory", Failing, "b@example.com"),
        ]
    );
    assert_eq!(evaluation.decisions.len(), 3);
}

#[test]
fn incomplete_listing_suppresses_not_in_directory_but_keeps_presence_findings() {
    let accounts = vec![
        account("ghost@example.com"),
        account("jo@example.com"),
        account("no-address"),
    ];
    let mut request = request(accounts, vec![offboarded(jo(), None)]);
    request.listing.complete = false;
    request.listing.incomplete_reason = Some("listed 3 of 12 accounts".to_owned());
    let evaluation = evaluate(&request);

    assert!(!evaluation.conclusive);
    assert_eq!(
        evaluation.inconclusive_reason.as_deref(),
        Some("listed 3 of 12 accounts")
    );
    assert_eq!(
        summary(&request, &evaluation),
        [
            ("offboarded-with-access", Failing, "jo@example.com"),
            ("unidentifiable-account", Failing, "no-address"),
        ]
    );

    let ghost = &evaluation.decisions[0];
    assert_eq!(email_of(&request, ghost.account), "ghost@example.com");
    assert_eq!(ghost.decided_by, Ruling::Inconclusive);
    assert_eq!(
        ghost.trace.last().map(String::as_str),
        Some("not judged: no failing or due check, and none concluded from absence")
    );
    assert!(ghost.allowed);
    assert!(traced(
        ghost,
        "the listing is incomplete: not-in-directory is not concluded"
    ));
}

#[test]
fn incomplete_listing_without_a_reason_gets_a_default_one() {
    for given in [None, Some(String::new()), Some("  ".to_owned())] {
        let mut request = request(Vec::new(), Vec::new());
        request.listing.complete = false;
        request.listing.incomplete_reason = given.clone();
        let evaluation = evaluate(&request);

        assert!(!evaluation.conclusive);
        let reason = evaluation.inconclusive_reason.unwrap_or_default();
        assert_mentions(&reason, &["listing is incomplete"]);
        assert!(!reason.trim().is_empty(), "given {given:?}");
    }
}

#[test]
fn complete_listing_is_conclusive_whatever_reason_it_carries() {
    let mut request = request(vec![account("ghost@example.com")], Vec::new());
    request.listing.incomplete_reason = Some("stale".to_owned());
    let evaluation = evaluate(&request);

    assert!(evaluation.conclusive);
    assert_eq!(evaluation.inconclusive_reason, None);
    assert_eq!(check_ids(&evaluation), ["not-in-directory"]);
}

// Unusable emails.

#[test]
fn accounts_without_a_usable_email_are_unidentifiable() {
    for email in ["", "   ", "room-1", "@example.com", "jo@", "@", " \t "] {
        let request = request(vec![account(email)], vec![jo()]);
        let evaluation = evaluate(&request);

        let finding = one_finding(&evaluation);
        assert_eq!(finding.check, "unidentifiable-account", "email {email:?}");
        assert_eq!(
            (finding.severity, finding.state),
            (Severity::Medium, Failing)
        );
        assert_eq!(email_of(&request, finding.account), email);
        assert_mentions(
            &finding.reason,
            &["no usable email address", &format!("id-{}", email.trim())],
        );
        assert_eq!(one_decision(&evaluation).checks, ["unidentifiable-account"]);
    }
}

#[test]
fn unidentifiable_reason_shows_the_raw_value_or_says_it_is_empty() {
    let cases = [
        (account("room-1"), "Account \"room-1\" (id id-room-1)"),
        (
            account("").with(|a| a.id = None),
            "Account with an empty email (no id)",
        ),
    ];
    for (account, expected) in cases {
        let evaluation = evaluate(&request(vec![account], Vec::new()));
        assert_mentions(&one_finding(&evaluation).reason, &[expected]);
    }
}

// Role-based access.

#[test]
fn role_based_policy_compares_org_roles_trimmed_and_case_insensitively() {
    let cases: [(Roles, Roles, bool); 7] = [
        (&["Engineering"], &["engineering"], true),
        (&[" ENGINEERING "], &["Engineering"], true),
        (&["sales", "eng"], &["hr", "eng"], true),
        (&["sales"], &["eng"], false),
        (&[], &["eng"], false),
        (&["eng"], &[], false),
        (&[""], &["", " "], false),
    ];
    for (held, allowed, expected) in cases {
        let owner = jo().with(|m| m.roles = held.iter().map(|r| (*r).to_owned()).collect());
        let mut request = request(vec![account("jo@example.com")], vec![owner]);
        request.policy.access =
            AccessRule::RoleBased(allowed.iter().map(|r| (*r).to_owned()).collect());
        let evaluation = evaluate(&request);

        let decision = one_decision(&evaluation);
        assert_eq!(
            decision.allowed, expected,
            "holding {held:?}, allowed {allowed:?}"
        );
        let failing: &[&str] = if expected { &[] } else { &["role-not-allowed"] };
        assert_eq!(
            check_ids(&evaluation),
            failing,
            "holding {held:?}, allowed {allowed:?}"
        );
    }
}

#[test]
fn role_not_allowed_reason_names_the_account_the_owner_and_the_roles() {
    let owner = jo().with(|m| m.roles = vec!["sales".to_owned()]);
    let mut request = request(vec![account("jo@example.com")], vec![owner]);
    request.policy.access = AccessRule::RoleBased(vec!["eng".to_owned(), "it".to_owned()]);
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!((finding.severity, finding.state), (Severity::High, Failing));
    assert_eq!(finding.staff, Some(0));
    assert_mentions(
        &finding.reason,
        &[
            "Account jo@example.com",
            "Jo Blogs (jo@example.com)",
            "role-based policy",
            "\"eng\", \"it\"",
            "holds \"sales\"",
        ],
    );
}

// Ticket-based access.

fn ticket_request(tickets: Vec<AccessTicket>) -> EvaluationRequest {
    let staff = vec![jo().with(|m| m.aliases = vec!["joanna@example.com".to_owned()])];
    request(vec![account("jo@example.com")], staff).with(|r| {
        r.policy.access = AccessRule::TicketBased;
        r.tickets = tickets;
    })
}

#[test]
fn ticket_validity_is_half_open_at_start_and_expiry() {
    let cases = [
        (None, None, None),
        (Some(AT), None, None),
        (Some(AT - 1), Some(AT + 1), None),
        (
            Some(AT + 1),
            None,
            Some("is approved but not valid until 2024-05-01T09:30:01Z"),
        ),
        (None, Some(AT + 1), None),
        (None, Some(AT), Some("expired at 2024-05-01T09:30:00Z")),
        (
            None,
            Some(AT - HOUR),
            Some("expired at 2024-05-01T08:30:00Z"),
        ),
    ];
    for (starts_at, expires_at, problem) in cases {
        let evaluation = evaluate(&ticket_request(vec![ticket("T-1", "jo@example.com").with(
            |t| {
                t.starts_at = starts_at;
                t.expires_at = expires_at;
            },
        )]));

        let case = format!("ticket from {starts_at:?} to {expires_at:?}");
        match problem {
            None => {
                assert!(
                    evaluation.findings.is_empty(),
                    "{case}: {:#?}",
                    evaluation.findings
                );
                assert!(traced(
                    one_decision(&evaluation),
                    "ticket \"T-1\" is approved and valid"
                ));
            }
            Some(problem) => {
                let finding = one_finding(&evaluation);
                assert_eq!(finding.check, "no-valid-ticket", "{case}");
                assert_eq!((finding.severity, finding.state), (Severity::High, Failing));
                assert_mentions(&finding.reason, &["\"T-1\"", problem]);
            }
        }
    }
}

#[test]
fn ticket_status_is_compared_trimmed_and_case_insensitively() {
    let cases = [
        (" Approved ", true),
        ("APPROVED", true),
        ("pending", false),
        ("", false),
    ];
    for (status, covers) in cases {
        let evaluation = evaluate(&ticket_request(vec![
            ticket("T-1", "jo@example.com").with(|t| t.status = status.to_owned()),
        ]));

        assert_eq!(evaluation.findings.is_empty(), covers, "status {status:?}");
        if !covers {
            assert_mentions(
                &one_finding(&evaluation).reason,
                &["\"T-1\" has status", "not approved"],
            );
        }
    }
}

#[test]
fn owner_without_any_ticket_fails_and_the_reason_says_none_exists() {
    let evaluation = evaluate(&ticket_request(vec![ticket("T-9", "ann@example.com")]));

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "no-valid-ticket");
    assert_eq!(finding.staff, Some(0));
    assert_mentions(
        &finding.reason,
        &[
            "Account jo@example.com",
            "Jo Blogs (jo@example.com), who has no access ticket",
            "ticket-based policy requires an approved ticket valid at 2024-05-01T09:30:00Z",
        ],
    );
}

#[test]
fn ticket_filed_under_an_alias_or_padded_uppercase_email_covers_the_owner() {
    for email in ["joanna@example.com", "  JO@Example.COM "] {
        let evaluation = evaluate(&ticket_request(vec![ticket("T-1", email)]));
        assert!(
            evaluation.findings.is_empty(),
            "ticket for {email:?}: {:#?}",
            evaluation.findings
        );
    }
}

#[test]
fn ticket_filed_under_a_mapped_account_email_does_not_cover_the_owner() {
    let mut request = ticket_request(vec![ticket("T-1", "jb-zoom@example.com")]);
    request.accounts = vec![account("jb-zoom@example.com")];
    request.policy.mappings = vec![mapping("jb-zoom@example.com", "jo@example.com")];

    assert_eq!(check_ids(&evaluate(&request)), ["no-valid-ticket"]);
}

#[test]
fn ticket_reason_reports_the_ticket_nearest_to_granting_access() {
    let pending = ticket("A-pending", "jo@example.com").with(|t| t.status = "pending".to_owned());
    let old = ticket("B-old", "jo@example.com").with(|t| t.expires_at = Some(AT - 10 * DAY));
    let recent = ticket("C-recent", "jo@example.com").with(|t| t.expires_at = Some(AT - DAY));
    let later = ticket("D-later", "jo@example.com").with(|t| t.starts_at = Some(AT + DAY));
    let cases = [
        (
            vec![pending.clone()],
            "\"A-pending\" has status \"pending\"",
        ),
        (vec![pending.clone(), old.clone()], "\"B-old\" expired"),
        (
            vec![old.clone(), recent.clone(), pending.clone()],
            "\"C-recent\" expired",
        ),
        (
            vec![recent, later, old, pending],
            "\"D-later\" is approved but not valid until",
        ),
    ];
    for (tickets, expected) in cases {
        let evaluation = evaluate(&ticket_request(tickets));
        assert_mentions(&one_finding(&evaluation).reason, &[expected]);
    }
}

#[test]
fn one_covering_ticket_is_enough_among_failing_ones() {
    let evaluation = evaluate(&ticket_request(vec![
        ticket("T-1", "jo@example.com").with(|t| t.expires_at = Some(AT - DAY)),
        ticket("T-2", "joanna@example.com").with(|t| t.expires_at = Some(AT + DAY)),
        ticket("T-3", "jo@example.com").with(|t| t.status = "rejected".to_owned()),
    ]));

    assert!(evaluation.findings.is_empty(), "{:#?}", evaluation.findings);
    assert!(traced(
        one_decision(&evaluation),
        "ticket \"T-2\" is approved and valid"
    ));
}

// Privileged Zoom roles.

#[test]
fn privileged_zoom_roles_need_a_privileged_org_role() {
    let cases: [(&str, Option<Roles>, Roles, bool); 8] = [
        ("Admin", Some(&["it"]), &[], false),
        (" OWNER ", Some(&["it"]), &["eng"], false),
        ("admin", Some(&["IT"]), &["it "], true),
        ("Owner", Some(&["it", "security"]), &["security"], true),
        ("Member", Some(&["it"]), &[], true),
        ("Administrator", Some(&["it"]), &[], true),
        ("Admin", None, &[], true),
        ("Admin", Some(&[]), &["it"], false),
    ];
    for (zoom_role, privileged, held, allowed) in cases {
        let owner = jo().with(|m| m.roles = held.iter().map(|r| (*r).to_owned()).collect());
        let account = account("jo@example.com").with(|a| a.role = zoom_role.to_owned());
        let mut request = request(vec![account], vec![owner]);
        request.policy.privileged_roles =
            privileged.map(|roles| roles.iter().map(|r| (*r).to_owned()).collect());
        let evaluation = evaluate(&request);

        let case = format!("Zoom role {zoom_role:?}, privileged {privileged:?}, holding {held:?}");
        let expected: &[&str] = if allowed {
            &[]
        } else {
            &["privileged-not-allowed"]
        };
        assert_eq!(check_ids(&evaluation), expected, "{case}");
        assert_eq!(one_decision(&evaluation).allowed, allowed, "{case}");
    }
}

#[test]
fn privileged_reason_names_the_account_its_role_the_owner_and_the_allowed_roles() {
    let account = account("jo@example.com").with(|a| a.role = "Admin".to_owned());
    let mut request = request(vec![account], vec![jo()]);
    request.policy.privileged_roles = Some(vec!["it-admins".to_owned()]);
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "privileged-not-allowed");
    assert_eq!((finding.severity, finding.state), (Severity::High, Failing));
    assert_mentions(
        &finding.reason,
        &[
            "Account jo@example.com",
            "privileged Zoom role Admin",
            "Jo Blogs (jo@example.com)",
            "\"it-admins\"",
        ],
    );
}

#[test]
fn unmatched_privileged_account_is_only_not_in_directory() {
    let account = account("ghost@example.com").with(|a| a.role = "Owner".to_owned());
    let mut request = request(vec![account], vec![jo()]);
    request.policy.privileged_roles = Some(vec!["it".to_owned()]);

    assert_eq!(check_ids(&evaluate(&request)), ["not-in-directory"]);
}

#[test]
fn access_rule_and_privilege_failures_are_reported_together() {
    let account = account("jo@example.com").with(|a| a.role = "Admin".to_owned());
    let mut request = request(vec![account], vec![jo()]);
    request.policy.access = AccessRule::TicketBased;
    request.policy.privileged_roles = Some(vec!["it".to_owned()]);
    let evaluation = evaluate(&request);

    assert_eq!(
        check_ids(&evaluation),
        ["no-valid-ticket", "privileged-not-allowed"]
    );
    assert_eq!(
        one_decision(&evaluation).checks,
        ["no-valid-ticket", "privileged-not-allowed"]
    );
}

// Exceptions.

#[test]
fn unexpired_exception_allows_an_account_regardless_of_policy() {
    let cases: Vec<(&str, EvaluationRequest)> = vec![
        (
            "no staff member",
            request(vec![account("ghost@example.com")], vec![jo()]),
        ),
        (
            "offboarded owner",
            request(
                vec![account("ghost@example.com")],
                vec![offboarded(member("ghost@example.com", "Gus Host"), None)],
            ),
        ),
        (
            "two staff members",
            request(
                vec![account("ghost@example.com")],
                vec![
                    member("ghost@example.com", "Gus Host"),
                    member("Ghost@example.com", "Gus Host II"),
                ],
            ),
        ),
        (
            "unusable email",
            request(vec![account("ghost")], Vec::new()),
        ),
        (
            "role not allowed",
            request(
                vec![account("ghost@example.com")],
                vec![member("ghost@example.com", "G")],
            )
            .with(|r| r.policy.access = AccessRule::RoleBased(vec!["eng".to_owned()])),
        ),
    ];
    for (case, without) in cases {
        assert!(
            !evaluate(&without).findings.is_empty(),
            "{case}: should fail without exception"
        );

        let email = without.accounts[0].email.clone();
        let with = without.with(|r| {
            r.policy.exceptions = vec![exception(&email.to_uppercase(), Some(AT + 1))];
        });
        let evaluation = evaluate(&with);
        let decision = one_decision(&evaluation);
        assert!(
            evaluation.findings.is_empty(),
            "{case}: {:#?}",
            evaluation.findings
        );
        assert!(decision.allowed, "{case}");
        assert!(
            traced(
                decision,
                "exception applies (reason \"board meeting room\", approved by \"cfo@example.com\""
            ),
            "{case}: {decision:#?}"
        );
    }
}

#[test]
fn exception_expires_exactly_at_its_expiry() {
    let cases = [
        (Some(AT + 1), Vec::<&str>::new()),
        (None, vec![]),
        (Some(AT), vec!["not-in-directory", "exception-expired"]),
        (
            Some(AT - DAY),
            vec!["not-in-directory", "exception-expired"],
        ),
    ];
    for (expires_at, expected) in cases {
        let mut request = request(vec![account("room@example.com")], vec![jo()]);
        request.policy.exceptions = vec![exception("room@example.com", expires_at)];

        assert_eq!(
            check_ids(&evaluate(&request)),
            expected,
            "exception until {expires_at:?}"
        );
    }
}

#[test]
fn expired_exception_is_reported_and_the_account_judged_by_the_policy() {
    let mut request = request(vec![account("jo@example.com")], vec![jo()]);
    request.policy.exceptions = vec![exception("jo@example.com", Some(AT - DAY))];
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "exception-expired");
    assert_eq!(
        (finding.severity, finding.state),
        (Severity::Medium, Failing)
    );
    assert_mentions(
        &finding.reason,
        &[
            "account jo@example.com",
            "\"board meeting room\"",
            "approved by \"cfo@example.com\"",
            "expired at 2024-04-30T09:30:00Z",
        ],
    );

    let decision = one_decision(&evaluation);
    assert_eq!(
        decision.matched.as_ref().map(|m| m.via),
        Some(MatchKind::PrimaryEmail)
    );
    assert!(traced(decision, "all-staff policy"), "{decision:#?}");
}

#[test]
fn one_unexpired_exception_among_expired_ones_allows_the_account() {
    let mut request = request(vec![account("room@example.com")], Vec::new());
    request.policy.exceptions = vec![
        exception("room@example.com", Some(AT - DAY)),
        exception("ROOM@example.com ", Some(AT + DAY)),
        exception("room@example.com", Some(AT - 1)),
    ];

    assert!(evaluate(&request).findings.is_empty());
}

// Output shape and order.

#[test]
fn findings_are_sorted_by_state_severity_check_email_and_account_id() {
    let accounts = vec![
        account("jo@example.com"),
        account("zed@example.com"),
        account("b@example.com").with(|a| a.id = Some("2".to_owned())),
        account("b@example.com").with(|a| a.id = Some("1".to_owned())),
        account("A@example.com"),
        account("no-address"),
        account("ann@example.com"),
    ];
    let staff = vec![
        offboarded(jo(), Some(AT - DAY)),
        offboarded(member("zed@example.com", "Zed"), None),
    ];
    let request = request(accounts, staff);
    let evaluation = evaluate(&request);

    let order: Vec<(&str, FindingState, &str, Option<&str>)> = evaluation
        .findings
        .iter()
        .map(|f| {
            (
                f.check.as_str(),
                f.state,
                email_of(&request, f.account),
                id_of(&request, f.account),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            (
                "offboarded-with-access",
                Failing,
                "zed@example.com",
                Some("id-zed@example.com")
            ),
            (
                "not-in-directory",
                Failing,
                "A@example.com",
                Some("id-A@example.com")
            ),
            (
                "not-in-directory",
                Failing,
                "ann@example.com",
                Some("id-ann@example.com")
            ),
            ("not-in-directory", Failing, "b@example.com", Some("1")),
            ("not-in-directory", Failing, "b@example.com", Some("2")),
            (
                "unidentifiable-account",
                Failing,
                "no-address",
                Some("id-no-address")
            ),
            (
                "offboarded-with-access",
                Due,
                "jo@example.com",
                Some("id-jo@example.com")
            ),
        ]
    );
}

#[test]
fn decisions_are_sorted_by_normalised_email_then_account_id_then_status() {
    let accounts = vec![
        account("b@example.com").with(|a| a.id = None),
        account("B@example.com").with(|a| a.id = Some("2".to_owned())),
        account(" a@example.com").with(|a| a.status = AccountStatus::Pending),
        account("a@example.com").with(|a| a.status = AccountStatus::Active),
        account("b@example.com").with(|a| a.id = Some("1".to_owned())),
    ];
    let request = request(accounts, Vec::new());
    let evaluation = evaluate(&request);

    let order: Vec<(&str, Option<&str>)> = evaluation
        .decisions
        .iter()
        .map(|d| (email_of(&request, d.account), id_of(&request, d.account)))
        .collect();
    assert_eq!(
        order,
        [
            ("a@example.com", Some("id-a@example.com")),
            (" a@example.com", Some("id-a@example.com")),
            ("b@example.com", None),
            ("b@example.com", Some("1")),
            ("B@example.com", Some("2")),
        ]
    );
}

#[test]
fn accounts_in_another_order_give_the_same_evaluation() {
    let accounts = vec![
        account("jo@example.com"),
        account("ghost@example.com"),
        account("JO@example.com").with(|a| a.role = "Admin".to_owned()),
        account("jo@example.com").with(|a| a.role = "Owner".to_owned()),
        account(""),
    ];
    let staff = vec![offboarded(jo(), Some(AT - DAY)), ann()];
    let forward = request(accounts, staff);
    let backward = forward.clone().with(|r| r.accounts.reverse());

    let (forwards, backwards) = (evaluate(&forward), evaluate(&backward));
    assert_eq!(joined(&forward, &forwards), joined(&backward, &backwards));
}

#[test]
fn every_account_gets_exactly_one_decision_even_when_listed_twice() {
    let request = request(
        vec![account("ghost@example.com"), account("ghost@example.com")],
        vec![],
    );
    let evaluation = evaluate(&request);

    assert_eq!(evaluation.decisions.len(), 2);
    assert_ne!(
        evaluation.decisions[0].account,
        evaluation.decisions[1].account
    );
    assert_eq!(
        summary(&request, &evaluation),
        [
            ("not-in-directory", Failing, "ghost@example.com"),
            ("not-in-directory", Failing, "ghost@example.com"),
        ]
    );
}

#[test]
fn empty_account_list_gives_an_empty_conclusive_evaluation() {
    for staff in [Vec::new(), vec![jo(), offboarded(ann(), None)]] {
        let evaluation = evaluate(&request(Vec::new(), staff));

        assert!(evaluation.conclusive);
        assert_eq!(evaluation.inconclusive_reason, None);
        assert!(evaluation.decisions.is_empty());
        assert!(evaluation.findings.is_empty());
    }
}

/// A request that fails every check at least once, for tests about every finding at once.
fn every_check() -> EvaluationRequest {
    let accounts = vec![
        account("gone@example.com"),
        account("ghost@example.com"),
        account("team@example.com"),
        account("room"),
        account("jo@example.com").with(|a| a.role = "Admin".to_owned()),
        account("expired@example.com"),
    ];
    let shared = || vec!["team@example.com".to_owned()];
    let staff = vec![
        offboarded(member("gone@example.com", "Gail One"), Some(AT - DAY)),
        ann().with(|m| m.aliases = shared()),
        bob().with(|m| m.aliases = shared()),
        jo(),
    ];
    request(accounts, staff).with(|r| {
        r.policy.access = AccessRule::RoleBased(vec!["eng".to_owned()]);
        r.policy.privileged_roles = Some(vec!["it".to_owned()]);
        r.policy.exceptions = vec![exception("expired@example.com", Some(AT - 1))];
    })
}

#[test]
fn a_decisions_checks_are_its_findings_in_finding_order() {
    let evaluation = evaluate(&every_check());

    let mut ids: Vec<&str> = check_ids(&evaluation);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids,
        [
            "ambiguous-identity",
            "exception-expired",
            "not-in-directory",
            "offboarded-with-access",
            "privileged-not-allowed",
            "role-not-allowed",
            "unidentifiable-account",
        ]
    );
    for decision in &evaluation.decisions {
        let own: Vec<&str> = evaluation
            .findings
            .iter()
            .filter(|f| f.account == decision.account)
            .map(|f| f.check.as_str())
            .collect();
        assert_eq!(decision.checks, own, "{decision:#?}");
        assert_eq!(decision.allowed, own.is_empty());
    }
}

#[test]
fn every_reason_is_one_sentence_naming_the_account() {
    let request = every_check();
    let evaluation = evaluate(&request);

    for finding in &evaluation.findings {
        let reason = &finding.reason;
        assert!(reason.ends_with('.'), "{reason:?}");
        assert_eq!(
            reason.matches(". ").count(),
            0,
            "more than one sentence: {reason:?}"
        );
        let email = email_of(&request, finding.account);
        assert!(reason.contains(email.trim()), "{reason:?} lacks {email:?}");
        if let Some(staff_email) = staff_email_of(&request, finding.staff) {
            assert!(
                reason.contains(staff_email),
                "{reason:?} lacks {staff_email:?}"
            );
        }
    }
}

#[test]
fn every_trace_starts_with_the_match_and_ends_with_the_outcome() {
    let request = every_check();
    let evaluation = evaluate(&request);

    for decision in &evaluation.decisions {
        let (Some(first), Some(last)) = (decision.trace.first(), decision.trace.last()) else {
            panic!("empty trace: {decision:#?}");
        };
        let trimmed = email_of(&request, decision.account).trim();
        assert!(
            first.contains(trimmed) || first.contains("no usable email"),
            "{first:?}"
        );
        let expected = match (decision.allowed, decision.decided_by) {
            (true, Ruling::Inconclusive) => "not judged:",
            (true, _) => "allowed:",
            (false, _) => "not allowed:",
        };
        assert!(last.starts_with(expected), "{decision:#?}");
    }
}

#[test]
fn checks_are_declared_in_output_order() {
    let mut expected = Check::ALL;
    expected.sort_by_key(|check| (Reverse(check.severity()), check.id()));

    assert_eq!(Check::ALL, expected);
    let mut declared = Check::ALL;
    declared.sort();
    assert_eq!(
        declared, expected,
        "derived order differs from the declared list"
    );
}

// Traces on request.

#[test]
fn only_the_accounts_the_request_names_get_trace_lines() {
    let mut request = request(
        vec![account("jo@example.com"), account("ann@example.com")],
        vec![jo(), ann()],
    );
    request.trace = TraceScope::Accounts(vec!["  ANN@Example.com ".to_owned()]);
    let evaluation = evaluate(&request);

    let traced: Vec<(&str, usize)> = evaluation
        .decisions
        .iter()
        .map(|d| (email_of(&request, d.account), d.trace.len()))
        .collect();
    assert_eq!(traced, [("ann@example.com", 5), ("jo@example.com", 0)]);
}

#[test]
fn untraced_decisions_still_say_who_matched_how_and_what_decided() {
    let mut request = request(
        vec![
            account("jo@example.com"),
            account("room@example.com"),
            account("ghost@example.com"),
        ],
        vec![ann(), jo()],
    );
    request.policy.exceptions = vec![exception("room@example.com", None)];
    request.trace = TraceScope::None;
    let evaluation = evaluate(&request);

    let decisions: Vec<(&str, Option<StaffMatch>, Ruling, bool)> = evaluation
        .decisions
        .iter()
        .map(|d| {
            assert!(d.trace.is_empty(), "{d:#?}");
            (
                email_of(&request, d.account),
                d.matched,
                d.decided_by,
                d.allowed,
            )
        })
        .collect();
    let by_primary = StaffMatch {
        staff: 1,
        via: MatchKind::PrimaryEmail,
    };
    assert_eq!(
        decisions,
        [
            ("ghost@example.com", None, Ruling::Identity, false),
            ("jo@example.com", Some(by_primary), Ruling::Policy, true),
            ("room@example.com", None, Ruling::Exception, true),
        ]
    );
}

/// A policy allowing thousands of roles once copied all of them into every reason, enough to
/// exhaust the plugin's memory over a large directory.
#[test]
fn a_policy_allowing_thousands_of_roles_keeps_each_reason_short() {
    let owner = jo().with(|m| m.roles = vec!["sales".to_owned()]);
    let mut request = request(vec![account("jo@example.com")], vec![owner]);
    let allowed: Vec<String> = (0..5_000).map(|n| format!("team-{n:04}")).collect();
    request.policy.access = AccessRule::RoleBased(allowed);
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "role-not-allowed");
    assert!(finding.reason.len() < 400, "{}", finding.reason);
    assert_mentions(
        &finding.reason,
        &["\"team-0000\"", "and 4990 more", "holds \"sales\""],
    );
}

/// Evaluated before the recorded leaving date, an owner was already reported as due: months
/// ahead, and whatever the policy said.
#[test]
fn owner_leaving_after_the_evaluation_time_is_judged_by_the_policy() {
    let leaving = || offboarded(jo(), Some(AT + 30 * DAY));
    let evaluation = evaluate(&request(vec![account("jo@example.com")], vec![leaving()]));
    let decision = one_decision(&evaluation);
    assert!(decision.allowed, "{decision:#?}");
    assert_eq!(decision.decided_by, Ruling::Policy);
    assert!(traced(
        decision,
        "owner is offboarded as of 2024-05-31T09:30:00Z, after the evaluation time"
    ));

    let mut ticketed = request(vec![account("jo@example.com")], vec![leaving()]);
    ticketed.policy.access = AccessRule::TicketBased;
    let evaluation = evaluate(&ticketed);
    assert_eq!(check_ids(&evaluation), ["no-valid-ticket"]);

    // From the leaving date on, offboarding is due as well, and the policy still applies.
    ticketed.at = AT + 30 * DAY;
    let evaluation = evaluate(&ticketed);
    assert_eq!(
        summary(&ticketed, &evaluation),
        [
            ("no-valid-ticket", Failing, "jo@example.com"),
            ("offboarded-with-access", Due, "jo@example.com"),
        ]
    );
}

/// Reasons lower-cased the operator's role names: `"IT"` read as `"it"`.
#[test]
fn reasons_show_org_roles_as_the_operator_wrote_them() {
    let admin = account("jo@example.com").with(|a| a.role = "Admin".to_owned());
    let owner = jo().with(|m| m.roles = vec!["Sales".to_owned()]);
    let mut request = request(vec![admin], vec![owner]);
    request.policy.privileged_roles = Some(vec!["IT".to_owned(), " it ".to_owned()]);
    let evaluation = evaluate(&request);

    let finding = one_finding(&evaluation);
    assert_eq!(finding.check, "privileged-not-allowed");
    assert_mentions(&finding.reason, &["(\"IT\")"]);
}

#[test]
fn the_ticket_trace_line_names_what_the_owner_lacks() {
    let mut request = request(vec![account("jo@example.com")], vec![jo()]);
    request.policy.access = AccessRule::TicketBased;
    let evaluation = evaluate(&request);

    assert!(traced(
        one_decision(&evaluation),
        "ticket-based policy: not met by the owner, who has no access ticket"
    ));
}
