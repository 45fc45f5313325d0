//! Who owns an account: the operator's explicit mappings first, then the directory's primary
//! emails and aliases.
//!
//! Both sides are compared after [`super::normalise_email`], so `  Jo.Blogs@Example.com ` in a listing
//! and `jo.blogs@example.com` in the directory are the same address. An address that two staff
//! members answer to is never settled by picking one: the resolution says it is ambiguous.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::{iter, slice};

use foldhash::{HashMap, HashMapExt};

use super::normalised;
use super::text;
use crate::model::{AccountMapping, MatchKind, StaffMatch, StaffMember};

/// How many staff members a reason names before summing up the rest, so that an address
/// shared by thousands of records cannot turn each finding into a copy of the directory.
const NAMED_CANDIDATES: usize = 5;

/// One staff record an address points at, and whether it is that record's primary email or
/// one of its aliases.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate<'r> {
    /// The record's row in the directory, which tells apart two records with equal content.
    pub row: usize,
    pub member: &'r StaffMember,
    pub via: MatchKind,
}

/// The directory and the mappings, indexed once per evaluation so that each account costs a
/// couple of hash lookups rather than a scan of the staff.
pub(super) struct Resolver<'r> {
    /// Each list holds distinct staff records in [`display_order`].
    by_address: HashMap<Cow<'r, str>, Candidates<'r>>,
    mappings: HashMap<Cow<'r, str>, Vec<&'r AccountMapping>>,
}

/// The distinct staff records one address points at. Nearly every address names a single
/// record, so that case is kept inline rather than in a vector of its own.
enum Candidates<'r> {
    One(Candidate<'r>),
    Many(Vec<Candidate<'r>>),
}

impl Candidate<'_> {
    /// The record's position in the request, as decisions and findings refer to it.
    pub fn index(&self) -> u32 {
        // A request lives in a 32-bit address space inside the component and is far smaller
        // natively, so its rows always fit.
        u32::try_from(self.row).unwrap_or(u32::MAX)
    }
}

impl<'r> Candidates<'r> {
    fn as_slice(&self) -> &[Candidate<'r>] {
        match self {
            Candidates::One(candidate) => slice::from_ref(candidate),
            Candidates::Many(candidates) => candidates,
        }
    }

    /// Adds a record unless it is already there. Records are indexed in directory order, so a
    /// member repeating an address meets its own entry last; the primary email is then the
    /// stronger way to have matched.
    fn add(&mut self, candidate: Candidate<'r>) {
        let last = match self {
            Candidates::One(only) => Some(only),
            Candidates::Many(candidates) => candidates.last_mut(),
        };
        if let Some(last) = last.filter(|last| last.row == candidate.row) {
            if candidate.via == MatchKind::PrimaryEmail {
                last.via = candidate.via;
            }
            return;
        }

        match self {
            Candidates::One(only) => *self = Candidates::Many(vec![*only, candidate]),
            Candidates::Many(candidates) => candidates.push(candidate),
        }
    }
}

/// How an account's owner was looked for and what was found.
pub(super) struct Resolution<'a, 'r> {
    pub route: Route<'a, 'r>,
    pub outcome: Outcome<'a, 'r>,
}

pub(super) enum Route<'a, 'r> {
    /// By the account's own email.
    Email,
    /// By the operator's mappings for the account's email, which replace the email entirely.
    Mappings(&'a [&'r AccountMapping]),
    /// The email is not an address and no mapping names it, so there was nothing to look up.
    Unusable,
}

pub(super) enum Outcome<'a, 'r> {
    Nobody,
    One(Candidate<'r>),
    /// Two or more distinct staff records, in [`display_order`].
    Many(Cow<'a, [Candidate<'r>]>),
}

impl<'r> Resolver<'r> {
    pub fn new(staff: &'r [StaffMember], mappings: &'r [AccountMapping]) -> Self {
        let mut by_address: HashMap<Cow<'r, str>, Candidates<'r>> = HashMap::with_capacity(
            staff.len() + staff.iter().map(|m| m.aliases.len()).sum::<usize>(),
        );
        for (row, member) in staff.iter().enumerate() {
            let primary = iter::once((&member.email, MatchKind::PrimaryEmail));
            let aliases = member.aliases.iter().map(|alias| (alias, MatchKind::Alias));
            for (address, via) in primary.chain(aliases) {
                let key = normalised(address);
                if key.is_empty() {
                    continue;
                }
                let candidate = Candidate { row, member, via };
                match by_address.entry(key) {
                    Entry::Occupied(mut known) => known.get_mut().add(candidate),
                    Entry::Vacant(vacant) => {
                        vacant.insert(Candidates::One(candidate));
                    }
                }
            }
        }

        let mut by_account: HashMap<Cow<'r, str>, Vec<&'r AccountMapping>> = HashMap::new();
        for mapping in mappings {
            let key = normalised(&mapping.account);
            // A blank key would claim every account whose email is blank at once.
            if !key.is_empty() {
                by_account.entry(key).or_default().push(mapping);
            }
        }

        // Each list is sorted on its own, so the map's iteration order cannot show through.
        for candidates in by_address.values_mut() {
            if let Candidates::Many(candidates) = candidates {
                candidates.sort_by(display_order);
            }
        }
        Resolver {
            by_address,
            mappings: by_account,
        }
    }

    /// Resolves a normalised account email. An explicit mapping is the operator's word on who
    /// owns the account, so it is followed even when the email itself would have matched
    /// someone else or been ambiguous.
    pub fn resolve(&self, email: &str, email_usable: bool) -> Resolution<'_, 'r> {
        if let Some(mappings) = self.mappings.get(email) {
            return self.resolve_mappings(mappings);
        }
        if !email_usable {
            return Resolution {
                route: Route::Unusable,
                outcome: Outcome::Nobody,
            };
        }

        let outcome = match self.lookup(email) {
            [] => Outcome::Nobody,
            [only] => Outcome::One(*only),
            many => Outcome::Many(Cow::Borrowed(many)),
        };
        Resolution {
            route: Route::Email,
            outcome,
        }
    }

    /// Follows every mapping for one account. Targets that name nobody are passed over when
    /// another names someone; targets naming different people make the account ambiguous.
    fn resolve_mappings<'a>(&'a self, mappings: &'a [&'r AccountMapping]) -> Resolution<'a, 'r> {
        let mut found: Vec<Candidate<'r>> = mappings
            .iter()
            .flat_map(|mapping| self.lookup(&normalised(&mapping.staff)).iter().copied())
            .collect();
        found.sort_by_key(|candidate| (candidate.row, candidate.via != MatchKind::PrimaryEmail));
        found.dedup_by_key(|candidate| candidate.row);

        let outcome = match found.as_slice() {
            [] => Outcome::Nobody,
            [only] => Outcome::One(*only),
            _ => {
                found.sort_by(display_order);
                Outcome::Many(Cow::Owned(found))
            }
        };
        Resolution {
            route: Route::Mappings(mappings),
            outcome,
        }
    }

    fn lookup(&self, address: &str) -> &[Candidate<'r>] {
        self.by_address
            .get(address)
            .map_or(&[], Candidates::as_slice)
    }
}

/// Orders candidates by what they are (email, then name) rather than where they sit in the
/// directory, falling back on the row only for records that are otherwise identical.
fn display_order(a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    lowered(&a.member.email)
        .cmp(lowered(&b.member.email))
        .then_with(|| a.member.name.trim().cmp(b.member.name.trim()))
        .then_with(|| a.row.cmp(&b.row))
}

fn lowered(text: &str) -> impl Iterator<Item = char> + '_ {
    text.trim().chars().flat_map(char::to_lowercase)
}

/// The candidates as "Name (email) by alias", the first few by name and the rest counted.
pub(super) fn describe_candidates(candidates: &[Candidate<'_>]) -> String {
    let mut named: Vec<String> = candidates
        .iter()
        .take(NAMED_CANDIDATES)
        .map(|candidate| {
            format!(
                "{} by {}",
                text::member(candidate.member),
                text::match_kind(candidate.via)
            )
        })
        .collect();
    let unnamed = candidates.len() - named.len();
    if unnamed > 0 {
        named.push(format!("{unnamed} more"));
    }
    text::list(&named)
}

impl<'r> Resolution<'_, 'r> {
    pub fn owner(&self) -> Option<Candidate<'r>> {
        match self.outcome {
            Outcome::One(candidate) => Some(candidate),
            Outcome::Nobody | Outcome::Many(_) => None,
        }
    }

    /// What the decision reports as matched: a mapped account is matched "via mapping" even
    /// though the mapping's target was itself found by primary email or alias.
    pub fn staff_match(&self) -> Option<StaffMatch> {
        let owner = self.owner()?;
        let via = match self.route {
            Route::Mappings(_) => MatchKind::Mapping,
            Route::Email | Route::Unusable => owner.via,
        };
        Some(StaffMatch {
            staff: owner.index(),
            via,
        })
    }

    /// The mapping targets as the operator wrote them, for reasons and trace lines.
    pub fn mapped_to(&self) -> Option<String> {
        let Route::Mappings(mappings) = self.route else {
            return None;
        };
        let mut targets: Vec<String> = mappings
            .iter()
            .map(|mapping| mapping.staff.trim().to_owned())
            .collect();
        targets.sort();
        targets.dedup();
        Some(text::list(&targets))
    }

    /// The trace line saying which staff record matched and how.
    pub fn trace(&self, account: &str) -> String {
        if let Route::Unusable = self.route {
            return "no usable email and no mapping: cannot be matched to a staff member".into();
        }
        let subject = match self.mapped_to() {
            Some(targets) => format!("{account} (mapped to {targets})"),
            None => account.to_owned(),
        };
        match &self.outcome {
            Outcome::One(owner) => format!(
                "{subject} matched {} by {}",
                text::member(owner.member),
                text::match_kind(owner.via)
            ),
            Outcome::Nobody => format!("{subject} matches no staff member"),
            Outcome::Many(candidates) => format!(
                "{subject} matches {} staff members: {}",
                candidates.len(),
                describe_candidates(candidates)
            ),
        }
    }
}
