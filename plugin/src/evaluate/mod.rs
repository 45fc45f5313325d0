//! Access evaluation: which Zoom accounts may exist, judged against the staff directory under
//! the operator's policy.
//!
//! [`evaluate`] is pure: the evaluation time comes in the request, nothing is read from the
//! clock, the network or the environment, and the output depends only on the request's content,
//! not on the order its accounts arrive in nor on any hash map's iteration order. It indexes
//! the directory, mappings, exceptions and tickets once, then judges each account with a few
//! hash lookups, so 100,000 accounts against 100,000 staff members take a fraction of a second.
//!
//! ```
//! use gatehouse_zoom::evaluate::evaluate;
//! use gatehouse_zoom::model::*;
//!
//! let request = EvaluationRequest {
//!     accounts: vec![Account {
//!         id: Some("u1".into()),
//!         email: "  Jo.Blogs@Example.com ".into(),
//!         first_name: "Jo".into(),
//!         last_name: "Blogs".into(),
//!         display_name: "Jo Blogs".into(),
//!         status: AccountStatus::Active,
//!         role: "Member".into(),
//!         license: "licensed".into(),
//!         last_login: None,
//!         created: None,
//!     }],
//!     listing: ListingSummary { complete: true, incomplete_reason: None, listed: 1, expected: 1 },
//!     staff: vec![StaffMember {
//!         email: "jo.blogs@example.com".into(),
//!         aliases: vec![],
//!         name: "Jo Blogs".into(),
//!         status: StaffStatus::Offboarded,
//!         offboarded_at: Some(1_000),
//!         roles: vec![],
//!         employee_id: None,
//!     }],
//!     tickets: vec![],
//!     policy: Policy {
//!         access: AccessRule::AllStaff,
//!         offboarding_grace: 600,
//!         mappings: vec![],
//!         exceptions: vec![],
//!         privileged_roles: None,
//!     },
//!     at: 1_200,
//!     trace: TraceScope::Accounts(vec!["jo.blogs@example.com".into()]),
//! };
//!
//! let evaluation = evaluate(&request);
//! let finding = &evaluation.findings[0];
//! assert_eq!(finding.check, "offboarded-with-access");
//! assert_eq!(finding.state, FindingState::Due);
//! assert_eq!(request.accounts[finding.account as usize].id.as_deref(), Some("u1"));
//! let decision = &evaluation.decisions[0];
//! assert!(!decision.allowed);
//! assert_eq!(decision.decided_by, Ruling::Offboarding);
//! assert!(decision.trace[0].contains("matched Jo Blogs (jo.blogs@example.com) by primary email"));
//! ```
//!
//! # How an account is judged
//!
//! 1. Its owner is resolved: explicit mappings first, then the directory's primary emails and
//!    aliases, all compared after [`normalise_email`].
//! 2. An inactive account has no access, so nothing about it can fail; it is allowed.
//! 3. An unexpired exception allows the account whatever else is true of it. An expired one is
//!    reported (`exception-expired`) and the account is judged as if there were none.
//! 4. No owner: `unidentifiable-account`, `ambiguous-identity` or `not-in-directory`; the last
//!    only from a complete listing, since it concludes from absence.
//! 5. An offboarded owner: `offboarded-with-access`, due during the grace period, when the
//!    owner is also judged as in 6.
//! 6. An active or on-leave owner: the access rule (`role-not-allowed`, `no-valid-ticket`) and,
//!    for Owner and Admin accounts, the privileged roles (`privileged-not-allowed`).
//!
//! # Decisions where the rules are silent
//!
//! - A usable email has a non-empty part on both sides of its last `@`; `@example.com` and
//!   `jo@` are as unusable as a blank email. Unusable emails are still looked up in the
//!   mappings and exceptions (unless blank), since those are keyed by whatever the operator
//!   wrote; a mapping thereby identifies the account and it is not unidentifiable.
//! - An explicit mapping replaces the account's email for matching: it wins over a raw email
//!   that is ambiguous or matches someone else, and a mapping to an address no staff member
//!   answers to makes the account `not-in-directory` (naming the target) rather than falling
//!   back to the email. Mappings of one account to different people are ambiguous.
//! - Two directory records answering to one address are two staff members, even when their
//!   content is identical: the directory needs fixing, and evaluation says so. A reason names
//!   the first five by email and counts the rest, so a widely shared alias stays readable.
//! - Of several mappings for one account, those naming nobody are passed over when another
//!   names someone.
//! - An unexpired exception silences every check, `offboarded-with-access` included: it is the
//!   operator's explicit word. Several exceptions for one account: the longest-lasting decides.
//! - Once the grace period has ended, offboarding decides alone: the account should not
//!   exist at all, and that one critical finding says so. Within the grace period the access
//!   rule and the privileged roles still apply as for an employed owner: the grace period
//!   defers removing the account, it does not excuse what was failing the day before.
//! - An offboarding date after the evaluation time (a leaving date recorded ahead, or a run
//!   reproduced at an earlier time) means the owner is still employed then: the policy
//!   decides, and the grace period starts only at that date.
//! - On-leave staff are still employed and are judged exactly like active staff.
//! - Tickets cover their staff member through the member's primary email and aliases only, not
//!   through an account email mapped to the member.
//! - When no ticket covers the owner, the reason describes the ticket nearest to granting
//!   access: one approved for later, else the one that expired last, else one not approved.
//! - Blank org roles never match, not even a blank entry in a policy's list; an empty list
//!   of allowed roles allows nobody.
//! - A due finding denies like a failing one: `allowed` means no failing or due check, and
//!   `checks` lists both. An account left unjudged because the listing is incomplete has no
//!   finding, so it is allowed, and its trace says why nothing was concluded.
//! - `exception-expired` is failing (medium) and comes with whatever the policy finds.
//! - Output order is total: accounts that tie on email, id and status are ordered by their
//!   remaining fields, so that even duplicated rows come out the same whatever the input order.
//! - `Decision` and `Finding` refer to the account and the staff member by position in the
//!   request rather than by a copy of their emails: the caller holds the request, and a large
//!   evaluation would otherwise carry every address back a second time. Reasons and trace
//!   lines show emails trimmed, with times in RFC 3339 UTC.
//! - Trace lines are written only for the accounts the request's [`TraceScope`] names: they
//!   cost more than the judging itself. Which staff record matched, how, and which rule
//!   decided are on every decision regardless.
//! - A grace period too long for the timestamp range ends at the end of time rather than
//!   wrapping around.

mod identity;
mod policy;
mod text;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use foldhash::HashSet;

use self::identity::{Candidate, Outcome, Resolution, Resolver, Route, describe_candidates};
use self::policy::{ExceptionStanding, Exceptions, RoleSet, TicketStanding, Tickets, same_label};
use crate::model::{
    AccessException, AccessRule, Account, AccountStatus, Decision, Evaluation, EvaluationRequest,
    Finding, FindingState, Ruling, Severity, StaffMatch, StaffMember, StaffStatus, Timestamp,
    TraceScope,
};

/// The most trace lines an account can get, so that its trace is allocated once.
const TRACE_LINES: usize = 7;

/// Why an incomplete listing is inconclusive, when the listing itself did not say.
const DEFAULT_INCONCLUSIVE_REASON: &str =
    "the account listing is incomplete, so accounts missing from the directory are not reported";

/// An email as evaluation compares it: trimmed and lower-cased, Unicode-aware, so that
/// `  Jo.Blogs@Example.com ` and `jo.blogs@example.com` are the same address.
pub fn normalise_email(s: &str) -> String {
    normalised(s).into_owned()
}

/// [`normalise_email`] for evaluation's own keys and lookups (emails, org roles, statuses),
/// without allocating for text that is already trimmed lower-case ASCII, as nearly all of a
/// well-kept directory is.
fn normalised(s: &str) -> Cow<'_, str> {
    let trimmed = s.trim();
    if trimmed
        .bytes()
        .all(|byte| byte.is_ascii() && !byte.is_ascii_uppercase())
    {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(trimmed.to_lowercase())
    }
}

/// Judges every account in the request: one [`Decision`] per account, and a [`Finding`] for
/// each check an account fails or is due to fail.
///
/// Decisions come ordered by normalised email, then account id, then status; findings by
/// state (failing first), severity (highest first), check id, email, then account id.
pub fn evaluate(request: &EvaluationRequest) -> Evaluation {
    let judge = Judge::new(request);
    let accounts = in_order(&request.accounts);

    let mut decisions = Vec::with_capacity(accounts.len());
    let mut findings = Findings::default();
    for listed in &accounts {
        let (decision, raised) = judge.account(listed).conclude(listed.index);
        for raised in raised {
            findings.push(raised, listed.index);
        }
        decisions.push(decision);
    }

    let listing = &request.listing;
    let inconclusive_reason = (!listing.complete).then(|| {
        let given = listing
            .incomplete_reason
            .as_deref()
            .filter(|reason| !reason.trim().is_empty());
        given.unwrap_or(DEFAULT_INCONCLUSIVE_REASON).to_owned()
    });
    Evaluation {
        conclusive: listing.complete,
        inconclusive_reason,
        decisions,
        findings: findings.into_vec(),
    }
}

/// The checks an account can fail, each with its stable id and severity.
///
/// Declared in output order, highest severity first and then by id, so that findings can be
/// grouped rather than sorted; a test holds the declaration to that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Check {
    OffboardedWithAccess,
    AmbiguousIdentity,
    NoValidTicket,
    NotInDirectory,
    PrivilegedNotAllowed,
    RoleNotAllowed,
    ExceptionExpired,
    UnidentifiableAccount,
}

impl Check {
    const ALL: [Check; 8] = [
        Check::OffboardedWithAccess,
        Check::AmbiguousIdentity,
        Check::NoValidTicket,
        Check::NotInDirectory,
        Check::PrivilegedNotAllowed,
        Check::RoleNotAllowed,
        Check::ExceptionExpired,
        Check::UnidentifiableAccount,
    ];

    const fn id(self) -> &'static str {
        match self {
            Check::OffboardedWithAccess => "offboarded-with-access",
            Check::AmbiguousIdentity => "ambiguous-identity",
            Check::NoValidTicket => "no-valid-ticket",
            Check::NotInDirectory => "not-in-directory",
            Check::PrivilegedNotAllowed => "privileged-not-allowed",
            Check::RoleNotAllowed => "role-not-allowed",
            Check::ExceptionExpired => "exception-expired",
            Check::UnidentifiableAccount => "unidentifiable-account",
        }
    }

    const fn severity(self) -> Severity {
        match self {
            Check::OffboardedWithAccess => Severity::Critical,
            Check::AmbiguousIdentity
            | Check::NoValidTicket
            | Check::NotInDirectory
            | Check::PrivilegedNotAllowed
            | Check::RoleNotAllowed => Severity::High,
            Check::ExceptionExpired | Check::UnidentifiableAccount => Severity::Medium,
        }
    }
}

/// An account with its normalised email, computed once for both sorting and lookups, and its
/// position in the request, by which decisions and findings refer to it.
struct Listed<'r> {
    account: &'r Account,
    index: u32,
    email: Cow<'r, str>,
    /// The first bytes of `email`, so that sorting settles most comparisons without reaching
    /// for two strings scattered across the heap.
    prefix: u128,
}

/// The first 16 bytes of a string as a number that orders as the bytes do: zero-padded, so
/// a string sorts before its extensions exactly as `str::cmp` has it, once full strings
/// break the ties between equal prefixes.
fn sort_prefix(text: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = text.len().min(16);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// The accounts in output order. Every field takes part so that the order is total: two
/// accounts that tie on email, id and status but differ elsewhere would otherwise come out in
/// input order, and a reordered listing would give a different evaluation.
fn in_order(accounts: &[Account]) -> Vec<Listed<'_>> {
    let mut listed: Vec<Listed<'_>> = accounts
        .iter()
        .zip(0..)
        .map(|(account, index)| {
            let email = normalised(&account.email);
            Listed {
                account,
                index,
                prefix: sort_prefix(&email),
                email,
            }
        })
        .collect();
    listed.sort_unstable_by(|a, b| {
        a.prefix
            .cmp(&b.prefix)
            .then_with(|| a.email.cmp(&b.email))
            .then_with(|| account_order(a.account, b.account))
    });
    listed
}

fn account_order(a: &Account, b: &Account) -> Ordering {
    a.id.cmp(&b.id)
        .then_with(|| a.status.cmp(&b.status))
        .then_with(|| a.email.cmp(&b.email))
        .then_with(|| a.role.cmp(&b.role))
        .then_with(|| a.license.cmp(&b.license))
        .then_with(|| a.first_name.cmp(&b.first_name))
        .then_with(|| a.last_name.cmp(&b.last_name))
        .then_with(|| a.display_name.cmp(&b.display_name))
        .then_with(|| a.last_login.cmp(&b.last_login))
        .then_with(|| a.created.cmp(&b.created))
}

/// An address is usable when there is something on both sides of its last `@`.
fn is_usable_email(normalised: &str) -> bool {
    normalised
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
}

/// Zoom's built-in roles that administer the account itself.
fn is_privileged_zoom_role(role: &str) -> bool {
    same_label(role, "owner") || same_label(role, "admin")
}

/// Findings in output order without a sort: one group per state and check, each filled in
/// account order, which is already by email and then account id.
struct Findings {
    groups: [Vec<Finding>; 2 * Check::ALL.len()],
}

impl Default for Findings {
    fn default() -> Self {
        Findings {
            groups: std::array::from_fn(|_| Vec::new()),
        }
    }
}

impl Findings {
    fn push(&mut self, raised: Raised, account: u32) {
        let failing_first = match raised.state {
            FindingState::Failing => 0,
            FindingState::Due => 1,
        };
        let group = failing_first * Check::ALL.len() + raised.check as usize;
        self.groups[group].push(raised.into_finding(account));
    }

    fn into_vec(self) -> Vec<Finding> {
        let mut findings = Vec::with_capacity(self.groups.iter().map(Vec::len).sum());
        for group in self.groups {
            findings.extend(group);
        }
        findings
    }
}

/// A check an account failed or is due to fail.
struct Raised {
    check: Check,
    state: FindingState,
    /// The matched staff member's position in the request.
    staff: Option<u32>,
    reason: String,
}

impl Raised {
    fn into_finding(self, account: u32) -> Finding {
        Finding {
            check: self.check.id().to_owned(),
            severity: self.check.severity(),
            state: self.state,
            account,
            staff: self.staff,
            reason: self.reason,
        }
    }
}

/// What judging one account concluded, before it becomes a [`Decision`].
struct Verdict {
    matched: Option<StaffMatch>,
    decided_by: Ruling,
    /// `None` when the account's trace was not asked for: its lines are then never written.
    trace: Option<Vec<String>>,
    raised: Vec<Raised>,
}

impl Verdict {
    fn raise(&mut self, check: Check, state: FindingState, staff: Option<u32>, reason: String) {
        self.raised.push(Raised {
            check,
            state,
            staff,
            reason,
        });
    }

    /// The matched staff member's position in the request: the owner whose findings these are.
    fn owner(&self) -> Option<u32> {
        self.matched.map(|matched| matched.staff)
    }

    /// Adds a trace line, written only if the trace was asked for.
    fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(trace) = &mut self.trace {
            trace.push(line());
        }
    }

    /// The decision, its checks in the same order as the findings and a last trace line with
    /// the outcome, and the raised checks to become findings. Every raised check is failing or
    /// due, so any of them denies.
    fn conclude(mut self, account: u32) -> (Decision, Vec<Raised>) {
        if let Some(trace) = &mut self.trace {
            trace.push(conclusion(self.decided_by, &self.raised));
        }
        let decision = Decision {
            account,
            allowed: self.raised.is_empty(),
            matched: self.matched,
            decided_by: self.decided_by,
            checks: self
                .raised
                .iter()
                .map(|raised| raised.check.id().to_owned())
                .collect(),
            trace: self.trace.unwrap_or_default(),
        };
        (decision, self.raised)
    }
}

/// The last trace line: the outcome.
fn conclusion(decided_by: Ruling, raised: &[Raised]) -> String {
    if raised.is_empty() && decided_by == Ruling::Inconclusive {
        return "not judged: no failing or due check, and none concluded from absence".to_owned();
    }
    if raised.is_empty() {
        return "allowed: no failing or due check".to_owned();
    }
    let mut denied = String::from("not allowed: ");
    for (index, raised) in raised.iter().enumerate() {
        if index > 0 {
            denied.push_str(", ");
        }
        denied.push_str(raised.check.id());
        denied.push_str(" (");
        denied.push_str(state_name(raised.state));
        denied.push(')');
    }
    denied
}

fn state_name(state: FindingState) -> &'static str {
    match state {
        FindingState::Failing => "failing",
        FindingState::Due => "due",
    }
}

/// The account being judged as reasons and trace lines name it.
struct Subject<'r> {
    account: &'r Account,
    shown: Cow<'r, str>,
}

/// The request, indexed for judging accounts one by one.
struct Judge<'r> {
    request: &'r EvaluationRequest,
    resolver: Resolver<'r>,
    exceptions: Exceptions<'r>,
    access: Access<'r>,
    privileged: Option<RoleSet>,
    tracing: Tracing,
    /// The evaluation time as reasons show it, written once rather than once per finding.
    at_shown: String,
}

/// Which accounts get trace lines: those the request asked for, by normalised email.
enum Tracing {
    None,
    All,
    Accounts(HashSet<String>),
}

impl Tracing {
    fn new(scope: &TraceScope) -> Self {
        match scope {
            TraceScope::None => Tracing::None,
            TraceScope::All => Tracing::All,
            TraceScope::Accounts(emails) => Tracing::Accounts(
                emails
                    .iter()
                    .map(|email| normalised(email).into_owned())
                    .collect(),
            ),
        }
    }

    fn covers(&self, normalised_email: &str) -> bool {
        match self {
            Tracing::None => false,
            Tracing::All => true,
            Tracing::Accounts(emails) => emails.contains(normalised_email),
        }
    }
}

/// The access rule with what it needs indexed: tickets are only read under a ticket-based
/// rule, so they are only indexed then.
enum Access<'r> {
    AllStaff,
    RoleBased(RoleSet),
    TicketBased(Tickets<'r>),
}

impl<'r> Judge<'r> {
    fn new(request: &'r EvaluationRequest) -> Self {
        let policy = &request.policy;
        let access = match &policy.access {
            AccessRule::AllStaff => Access::AllStaff,
            AccessRule::RoleBased(allowed) => Access::RoleBased(RoleSet::new(allowed)),
            AccessRule::TicketBased => Access::TicketBased(Tickets::new(&request.tickets)),
        };
        Judge {
            request,
            resolver: Resolver::new(&request.staff, &policy.mappings),
            exceptions: Exceptions::new(&policy.exceptions),
            access,
            privileged: policy.privileged_roles.as_deref().map(RoleSet::new),
            tracing: Tracing::new(&request.trace),
            at_shown: text::timestamp(request.at).to_string(),
        }
    }

    fn at(&self) -> Timestamp {
        self.request.at
    }

    fn account(&self, listed: &Listed<'r>) -> Verdict {
        let account = listed.account;
        let usable = is_usable_email(&listed.email);
        let subject = Subject {
            account,
            shown: text::account(account, usable),
        };
        let resolution = self.resolver.resolve(&listed.email, usable);
        let mut verdict = Verdict {
            matched: resolution.staff_match(),
            // Settled below on every path.
            decided_by: Ruling::Policy,
            trace: self
                .tracing
                .covers(&listed.email)
                .then(|| Vec::with_capacity(TRACE_LINES)),
            raised: Vec::new(),
        };
        verdict.note(|| resolution.trace(&subject.shown));

        match account.status {
            AccountStatus::Inactive => {
                verdict.decided_by = Ruling::Inactive;
                verdict.note(|| "inactive: no access, nothing to check".to_owned());
                return verdict;
            }
            AccountStatus::Active => verdict.note(|| "active: has access".to_owned()),
            AccountStatus::Pending => verdict
                .note(|| "pending: an invitation that grants access once accepted".to_owned()),
        }

        match self.exceptions.standing(&listed.email, self.at()) {
            ExceptionStanding::Applies(exception) => {
                verdict.decided_by = Ruling::Exception;
                verdict.note(|| exception_applies(exception));
                return verdict;
            }
            ExceptionStanding::Expired {
                exception,
                expired_at,
            } => {
                self.exception_expired(&subject, exception, expired_at, &mut verdict);
            }
            ExceptionStanding::None => {}
        }

        match (&resolution.route, &resolution.outcome) {
            (Route::Unusable, _) => self.unidentifiable(&subject, &mut verdict),
            (_, Outcome::Nobody) => self.not_in_directory(&subject, &resolution, &mut verdict),
            (_, Outcome::Many(candidates)) => {
                self.ambiguous(&subject, &resolution, candidates, &mut verdict);
            }
            (_, Outcome::One(owner)) => self.owned(&subject, *owner, &mut verdict),
        }

        // Sorted like the findings, so that a decision's checks read in the same order.
        verdict
            .raised
            .sort_by_key(|raised| (raised.state, raised.check));
        verdict
    }

    fn exception_expired(
        &self,
        subject: &Subject<'r>,
        exception: &AccessException,
        expired_at: Timestamp,
        verdict: &mut Verdict,
    ) {
        let expired_at = text::timestamp(expired_at);
        let reason = format!(
            "The access exception for account {} (reason {}, approved by {}) expired at \
             {expired_at}, so the account is judged by the policy as if it had none.",
            subject.shown,
            text::quoted_or_blank(&exception.reason),
            text::quoted_or_blank(&exception.approved_by),
        );
        verdict.raise(Check::ExceptionExpired, FindingState::Failing, None, reason);
        verdict
            .note(|| format!("exception expired at {expired_at}: judged by the policy as if none"));
    }

    fn unidentifiable(&self, subject: &Subject<'r>, verdict: &mut Verdict) {
        verdict.decided_by = Ruling::Identity;
        let reason = format!(
            "Account {} has access but no usable email address, so it cannot be matched to a \
             staff member; every account with access must be identifiable by its email.",
            subject.shown
        );
        verdict.raise(
            Check::UnidentifiableAccount,
            FindingState::Failing,
            None,
            reason,
        );
    }

    /// Absence is only concluded from a complete listing; otherwise the account is left
    /// allowed with a trace line saying why nothing was concluded.
    fn not_in_directory(
        &self,
        subject: &Subject<'r>,
        resolution: &Resolution<'_, 'r>,
        verdict: &mut Verdict,
    ) {
        if !self.request.listing.complete {
            verdict.decided_by = Ruling::Inconclusive;
            verdict.note(|| {
                "the listing is incomplete: not-in-directory is not concluded from absence"
                    .to_owned()
            });
            return;
        }

        verdict.decided_by = Ruling::Identity;
        let reason = match resolution.mapped_to() {
            Some(targets) => format!(
                "Account {} has access but is mapped to {targets}, which matches no staff \
                 member's primary email or alias; every account with access must belong to a \
                 staff member.",
                subject.shown
            ),
            None => format!(
                "Account {} has access but matches no staff member's primary email or alias and \
                 has no mapping or unexpired exception; every account with access must belong \
                 to a staff member.",
                subject.shown
            ),
        };
        verdict.raise(Check::NotInDirectory, FindingState::Failing, None, reason);
    }

    fn ambiguous(
        &self,
        subject: &Subject<'r>,
        resolution: &Resolution<'_, 'r>,
        candidates: &[identity::Candidate<'r>],
        verdict: &mut Verdict,
    ) {
        verdict.decided_by = Ruling::Identity;
        let mapped = match resolution.mapped_to() {
            Some(targets) => format!(" (mapped to {targets})"),
            None => String::new(),
        };
        let reason = format!(
            "Account {}{mapped} matches {} staff members, {}, so its owner cannot be determined; an \
             account must match exactly one staff member.",
            subject.shown,
            candidates.len(),
            describe_candidates(candidates)
        );
        verdict.raise(
            Check::AmbiguousIdentity,
            FindingState::Failing,
            None,
            reason,
        );
    }

    /// An account with exactly one owner: offboarding decides alone; otherwise the access rule
    /// and the privileged roles are checked independently.
    fn owned(&self, subject: &Subject<'r>, owner: Candidate<'r>, verdict: &mut Verdict) {
        let owner = owner.member;
        verdict.decided_by = Ruling::Policy;
        match (owner.status, owner.offboarded_at) {
            // A leaving date still to come (or a run reproduced at an earlier time): at the
            // evaluation time the owner is employed, and the policy decides.
            (StaffStatus::Offboarded, Some(leaves_at)) if self.at() < leaves_at => {
                verdict.note(|| {
                    format!(
                        "owner is offboarded as of {}, after the evaluation time: still \
                         employed, judged as active",
                        text::timestamp(leaves_at)
                    )
                });
            }
            (StaffStatus::Offboarded, _) => {
                verdict.decided_by = Ruling::Offboarding;
                if self.offboarded(subject, owner, verdict) == FindingState::Failing {
                    return;
                }
                // Within the grace period the policy still applies: leaving defers the
                // removal of the account, it does not excuse what was failing before.
            }
            (StaffStatus::Active, _) => verdict.note(|| "owner is active".to_owned()),
            (StaffStatus::OnLeave, _) => {
                verdict.note(|| "owner is on leave: still employed, judged as active".to_owned())
            }
        }

        self.access_rule(subject, owner, verdict);
        self.privilege(subject, owner, verdict);
    }

    /// Raises `offboarded-with-access`, and says whether it is failing or only due.
    fn offboarded(
        &self,
        subject: &Subject<'r>,
        owner: &'r StaffMember,
        verdict: &mut Verdict,
    ) -> FindingState {
        let member = text::member(owner);
        let Some(offboarded_at) = owner.offboarded_at else {
            let reason = format!(
                "Account {} still has access although its owner {member} is offboarded, and \
                 with no offboarding date recorded no grace period can be computed; offboarded \
                 staff must lose access.",
                subject.shown
            );
            verdict.raise(
                Check::OffboardedWithAccess,
                FindingState::Failing,
                verdict.owner(),
                reason,
            );
            verdict.note(|| {
                "owner is offboarded with no offboarding date: no grace period, failing".to_owned()
            });
            return FindingState::Failing;
        };

        let grace = self.request.policy.offboarding_grace;
        let ends_at =
            offboarded_at.saturating_add(Timestamp::try_from(grace).unwrap_or(Timestamp::MAX));
        let (state, ends) = if self.at() < ends_at {
            (FindingState::Due, "ends")
        } else {
            (FindingState::Failing, "ended")
        };
        let (offboarded_at, ends_at) = (text::timestamp(offboarded_at), text::timestamp(ends_at));
        let reason = format!(
            "Account {} still has access although its owner {member} was offboarded at \
             {offboarded_at}; offboarded staff must lose access within a grace period of {}, \
             which {ends} at {ends_at}.",
            subject.shown,
            text::duration(grace),
        );
        verdict.raise(Check::OffboardedWithAccess, state, verdict.owner(), reason);
        verdict.note(|| {
            format!(
                "owner was offboarded at {offboarded_at}; the grace period {ends} at {ends_at}: {}",
                state_name(state)
            )
        });
        state
    }

    fn access_rule(&self, subject: &Subject<'r>, owner: &'r StaffMember, verdict: &mut Verdict) {
        match &self.access {
            Access::AllStaff => verdict.note(|| {
                "all-staff policy: every active staff member may have an account".to_owned()
            }),
            Access::RoleBased(allowed) => self.role_based(subject, owner, allowed, verdict),
            Access::TicketBased(tickets) => self.ticket_based(subject, owner, tickets, verdict),
        }
    }

    fn role_based(
        &self,
        subject: &Subject<'r>,
        owner: &'r StaffMember,
        allowed: &RoleSet,
        verdict: &mut Verdict,
    ) {
        if let Some(role) = allowed.held_by(owner) {
            verdict.note(|| {
                format!(
                    "role-based policy: owner holds allowed org role \"{}\"",
                    role.trim()
                )
            });
            return;
        }

        let (allowed, held) = (allowed.shown(), text::roles(&owner.roles));
        let reason = format!(
            "Account {} belongs to {}, who holds none of the org roles the role-based policy \
             allows ({allowed}; holds {held}).",
            subject.shown,
            text::member(owner)
        );
        verdict.raise(
            Check::RoleNotAllowed,
            FindingState::Failing,
            verdict.owner(),
            reason,
        );
        verdict.note(|| {
            format!("role-based policy: owner holds none of the allowed org roles ({allowed})")
        });
    }

    fn ticket_based(
        &self,
        subject: &Subject<'r>,
        owner: &'r StaffMember,
        tickets: &Tickets<'r>,
        verdict: &mut Verdict,
    ) {
        let at = &self.at_shown;
        let standing = tickets.standing(owner, self.at());
        if let TicketStanding::Covered(ticket) = standing {
            verdict.note(|| {
                format!(
                    "ticket-based policy: ticket {} is approved and valid at {at}",
                    text::quoted_or_blank(&ticket.id)
                )
            });
            return;
        }
        // Written straight into the reason: a string of its own per failing account would
        // be garbage at once.
        let problem = TicketProblem(standing);

        let reason = format!(
            "Account {} belongs to {}, {problem}; the ticket-based policy requires an approved \
             ticket valid at {at}.",
            subject.shown,
            text::member(owner)
        );
        verdict.raise(
            Check::NoValidTicket,
            FindingState::Failing,
            verdict.owner(),
            reason,
        );
        verdict.note(|| format!("ticket-based policy: not met by the owner, {problem}"));
    }

    fn privilege(&self, subject: &Subject<'r>, owner: &'r StaffMember, verdict: &mut Verdict) {
        let role = subject.account.role.trim();
        if !is_privileged_zoom_role(role) {
            return;
        }
        let Some(privileged) = &self.privileged else {
            verdict.note(|| {
                format!(
                    "Zoom role {role} is privileged; the policy does not restrict who may hold it"
                )
            });
            return;
        };
        if let Some(held) = privileged.held_by(owner) {
            verdict.note(|| {
                format!(
                    "Zoom role {role} is privileged: owner holds privileged org role \"{}\"",
                    held.trim()
                )
            });
            return;
        }

        let allowed = privileged.shown();
        let reason = format!(
            "Account {} has the privileged Zoom role {role}, but its owner {} holds none of the \
             org roles allowed privileged access ({allowed}).",
            subject.shown,
            text::member(owner)
        );
        verdict.raise(
            Check::PrivilegedNotAllowed,
            FindingState::Failing,
            verdict.owner(),
            reason,
        );
        verdict.note(|| {
            format!(
                "Zoom role {role} is privileged: owner holds none of the privileged org roles \
             ({allowed})"
            )
        });
    }
}

/// Why a ticket does not cover its owner, as a clause of the reason.
struct TicketProblem<'r>(TicketStanding<'r>);

impl fmt::Display for TicketProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // Covered never reaches a reason; said plainly should that change.
            TicketStanding::Covered(ticket) => write!(
                f,
                "whose access ticket {} is approved and valid",
                text::quoted_or_blank(&ticket.id)
            ),
            TicketStanding::NoTicket => f.write_str("who has no access ticket"),
            TicketStanding::Expired { ticket, expired_at } => write!(
                f,
                "whose access ticket {} expired at {}",
                text::quoted_or_blank(&ticket.id),
                text::timestamp(*expired_at)
            ),
            TicketStanding::NotYetValid { ticket, starts_at } => write!(
                f,
                "whose access ticket {} is approved but not valid until {}",
                text::quoted_or_blank(&ticket.id),
                text::timestamp(*starts_at)
            ),
            TicketStanding::NotApproved(ticket) => write!(
                f,
                "whose access ticket {} has status {}, not approved",
                text::quoted_or_blank(&ticket.id),
                text::quoted_or_blank(&ticket.status)
            ),
        }
    }
}

/// The trace line for an exception that allows the account.
fn exception_applies(exception: &AccessException) -> String {
    let until = match exception.expires_at {
        Some(expires_at) => format!("until {}", text::timestamp(expires_at)),
        None => "with no expiry".to_owned(),
    };
    format!(
        "exception applies (reason {}, approved by {}, {until}): allowed regardless of the policy",
        text::quoted_or_blank(&exception.reason),
        text::quoted_or_blank(&exception.approved_by),
    )
}
