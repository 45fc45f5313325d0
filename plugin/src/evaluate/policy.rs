//! The operator's standing instructions beyond the directory: exceptions, access tickets, and
//! the comparisons of org roles and statuses that the access rules rely on.

use std::borrow::Cow;
use std::iter;

use foldhash::{HashMap, HashMapExt, HashSet};

use super::{normalised, text};
use crate::model::{AccessException, AccessTicket, StaffMember, Timestamp};

/// Whether two operator-typed labels (ticket statuses, Zoom roles) name the same thing:
/// trimmed, case-insensitive, and never by both being blank.
pub(super) fn same_label(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        return false;
    }
    // Lower-casing ASCII is all that Unicode lower-casing does to ASCII text; this is the path
    // of nearly every comparison, such as every account's role against "owner" and "admin".
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// A policy's list of org roles, normalised once per evaluation rather than once per account,
/// with its rendering for reasons.
pub(super) struct RoleSet {
    roles: HashSet<String>,
    shown: String,
}

impl RoleSet {
    pub fn new(roles: &[String]) -> Self {
        let mut set = HashSet::default();
        // Shown as the operator wrote them (the first spelling of each), in a fixed order.
        let mut shown: Vec<(String, &str)> = Vec::new();
        for role in roles {
            let key = normalised(role).into_owned();
            // A blank role on a staff record must not satisfy a blank entry in a policy list.
            if !key.is_empty() && set.insert(key.clone()) {
                shown.push((key, role.trim()));
            }
        }
        shown.sort_unstable();
        let shown: Vec<&str> = shown.into_iter().map(|(_, written)| written).collect();
        let shown = text::roles(&shown).to_string();
        RoleSet { roles: set, shown }
    }

    /// The first of the member's org roles in the set, in the member's order.
    pub fn held_by<'m>(&self, member: &'m StaffMember) -> Option<&'m str> {
        member
            .roles
            .iter()
            .map(String::as_str)
            .find(|role| self.roles.contains(normalised(role).as_ref()))
    }

    /// The roles as reasons show them: as first written, sorted, quoted.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// Where an account stands with respect to the exceptions written for its email.
pub(super) enum ExceptionStanding<'r> {
    None,
    Applies(&'r AccessException),
    /// Every exception for the account has expired; this is the one that expired last.
    Expired {
        exception: &'r AccessException,
        expired_at: Timestamp,
    },
}

pub(super) struct Exceptions<'r> {
    by_account: HashMap<Cow<'r, str>, Vec<&'r AccessException>>,
}

impl<'r> Exceptions<'r> {
    pub fn new(exceptions: &'r [AccessException]) -> Self {
        let mut by_account: HashMap<Cow<'r, str>, Vec<&'r AccessException>> = HashMap::new();
        for exception in exceptions {
            let key = normalised(&exception.account);
            // A blank key would allow every account whose email is blank at once.
            if !key.is_empty() {
                by_account.entry(key).or_default().push(exception);
            }
        }
        Exceptions { by_account }
    }

    /// When several exceptions name one account, the one lasting longest speaks for it: any
    /// unexpired exception is enough to allow the account, and among expired ones the latest
    /// is the one the operator most recently meant.
    pub fn standing(&self, email: &str, at: Timestamp) -> ExceptionStanding<'r> {
        let Some(exceptions) = self.by_account.get(email) else {
            return ExceptionStanding::None;
        };
        let longest = exceptions.iter().copied().max_by(|a, b| {
            lasting(a.expires_at)
                .cmp(&lasting(b.expires_at))
                .then_with(|| b.approved_by.cmp(&a.approved_by))
                .then_with(|| b.reason.cmp(&a.reason))
        });
        let Some(exception) = longest else {
            return ExceptionStanding::None;
        };
        match expiry_passed(exception.expires_at, at) {
            Some(expired_at) => ExceptionStanding::Expired {
                exception,
                expired_at,
            },
            None => ExceptionStanding::Applies(exception),
        }
    }
}

/// An expiry as something to compare by how long it lasts: no expiry lasts longest.
fn lasting(expires_at: Option<Timestamp>) -> (bool, Timestamp) {
    match expires_at {
        None => (true, 0),
        Some(at) => (false, at),
    }
}

/// The expiry, if it has passed at `at`. The expiry instant itself is no longer covered: the
/// same half-open reading for exceptions as the tickets' `at < expires_at`.
fn expiry_passed(expires_at: Option<Timestamp>, at: Timestamp) -> Option<Timestamp> {
    expires_at.filter(|&expires_at| at >= expires_at)
}

/// Why a staff member does or does not hold a ticket valid at the evaluation time.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TicketStanding<'r> {
    Covered(&'r AccessTicket),
    NoTicket,
    NotApproved(&'r AccessTicket),
    Expired {
        ticket: &'r AccessTicket,
        expired_at: Timestamp,
    },
    NotYetValid {
        ticket: &'r AccessTicket,
        starts_at: Timestamp,
    },
}

/// Tickets by normalised email. Each email leads to its first ticket and each ticket to the
/// next one filed under the same email, so that indexing takes two allocations however many
/// tickets there are, rather than a list per email.
pub(super) struct Tickets<'r> {
    tickets: &'r [AccessTicket],
    first: HashMap<Cow<'r, str>, usize>,
    /// For each ticket, the next ticket under the same email, in list order.
    next: Vec<Option<usize>>,
}

impl<'r> Tickets<'r> {
    pub fn new(tickets: &'r [AccessTicket]) -> Self {
        let mut first: HashMap<Cow<'r, str>, usize> = HashMap::with_capacity(tickets.len());
        let mut next = vec![None; tickets.len()];
        // Backwards, so that each email ends up leading to its first ticket.
        for (index, ticket) in tickets.iter().enumerate().rev() {
            let key = normalised(&ticket.email);
            if !key.is_empty() {
                next[index] = first.insert(key, index);
            }
        }
        Tickets {
            tickets,
            first,
            next,
        }
    }

    /// The tickets filed under one normalised address, in list order.
    fn filed_under(&self, address: &str) -> impl Iterator<Item = usize> + '_ {
        let head = self.first.get(address).copied();
        iter::successors(head, |&index| self.next.get(index).copied().flatten())
    }

    /// The member's tickets are those filed under their primary email or any alias. A covering
    /// ticket settles it; otherwise the reason reports the ticket closest to granting access:
    /// one approved for later, then the one that expired last, then one not approved. Ties go
    /// to the ticket listed first, so that an address repeated among the aliases changes
    /// nothing.
    pub fn standing(&self, member: &StaffMember, at: Timestamp) -> TicketStanding<'r> {
        let mut best: Option<(usize, TicketStanding<'r>)> = None;
        for address in iter::once(&member.email).chain(&member.aliases) {
            for index in self.filed_under(&normalised(address)) {
                let Some(ticket) = self.tickets.get(index) else {
                    continue;
                };
                let standing = standing_of(ticket, at);
                let better = best.as_ref().is_none_or(|(best_index, best)| {
                    (rank(&standing), index) < (rank(best), *best_index)
                });
                if better {
                    best = Some((index, standing));
                }
            }
        }
        best.map_or(TicketStanding::NoTicket, |(_, standing)| standing)
    }
}

fn standing_of(ticket: &AccessTicket, at: Timestamp) -> TicketStanding<'_> {
    if !same_label(&ticket.status, "approved") {
        return TicketStanding::NotApproved(ticket);
    }
    if let Some(expired_at) = expiry_passed(ticket.expires_at, at) {
        return TicketStanding::Expired { ticket, expired_at };
    }
    if let Some(starts_at) = ticket.starts_at.filter(|&starts_at| starts_at > at) {
        return TicketStanding::NotYetValid { ticket, starts_at };
    }
    TicketStanding::Covered(ticket)
}

/// Sort key making the most telling standing the smallest. Within a kind: the covering ticket
/// that lasts longest, the one valid soonest, the one that expired last; then the ticket id,
/// so that the order of the ticket list never decides.
fn rank<'t>(standing: &TicketStanding<'t>) -> (u8, Timestamp, &'t str) {
    match *standing {
        // Negated so that later expiries come first; no expiry at all comes before any.
        TicketStanding::Covered(ticket) => {
            let until = ticket
                .expires_at
                .map_or(Timestamp::MIN, Timestamp::saturating_neg);
            (0, until, &ticket.id)
        }
        TicketStanding::NotYetValid { ticket, starts_at } => (1, starts_at, &ticket.id),
        TicketStanding::Expired { ticket, expired_at } => {
            (2, expired_at.saturating_neg(), &ticket.id)
        }
        TicketStanding::NotApproved(ticket) => (3, 0, &ticket.id),
        TicketStanding::NoTicket => (4, 0, ""),
    }
}
