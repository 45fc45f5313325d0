//! The generated organisation: a deterministic, realistic-looking company whose accounts the
//! mock lists, and whose people the demo's staff directory is derived from.
//!
//! A row keeps only what must agree across the whole organisation (status, role, names, email
//! suffix, department, who owns the account) in 48 bytes; everything else in a Zoom row (PMI,
//! time zone, client version, which optional fields are missing…) is derived from the seed and
//! the row's position when the row is served. A million accounts therefore take about 50 MB
//! and well under a second to generate in a release build.
//!
//! ```ignore
//! let org = Organisation::generate(7, AccountCounts::split(2_400));
//! let leavers: Vec<Person> = org
//!     .people()
//!     .filter(|p| p.employment == Employment::Offboarded && p.status == UserStatus::Active)
//!     .collect();
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::config::AccountCounts;
use super::encoding::{base64url_encode, epoch_seconds, mix64};
use super::names::{CULTURES, Culture, DEPARTMENTS, ROOMS, total_weight, weighted_index};

/// The company's email domain.
pub const COMPANY_DOMAIN: &str = "acme.example";

/// The moment the generated data describes, 2026-12-03T12:00:00Z: no login or invitation is
/// later than this, whatever the real clock says, so generated rows are the same every run.
pub const GENERATED_AT: i64 = epoch_seconds(2026, 12, 3) + 12 * 3600;

/// The id of the custom role a couple of accounts hold (as in the roles fixture).
pub const CUSTOM_ROLE_ID: &str = "rZ3kQ9xL";

/// The name of [`CUSTOM_ROLE_ID`].
pub const CUSTOM_ROLE_NAME: &str = "Billing Viewer";

/// An account's status, as `GET /v2/users?status=` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Can sign in.
    Active,
    /// Deactivated.
    Inactive,
    /// Invited, not yet accepted; Zoom lists these without an `id`.
    Pending,
}

impl UserStatus {
    /// Every status, in the order a complete listing drains them.
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Active,
        UserStatus::Inactive,
        UserStatus::Pending,
    ];

    /// The query and row value: `active`, `inactive` or `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Pending => "pending",
        }
    }

    /// Parses a `status` query value; Zoom's values are lower case only.
    pub fn parse(value: &str) -> Option<UserStatus> {
        UserStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `"0"`: exactly one per organisation, the first row.
    Owner,
    /// `"1"`.
    Admin,
    /// `"2"`.
    Member,
    /// [`CUSTOM_ROLE_ID`].
    Custom,
}

impl Role {
    /// The `role_id` string Zoom uses.
    pub fn id(self) -> &'static str {
        match self {
            Role::Owner => "0",
            Role::Admin => "1",
            Role::Member => "2",
            Role::Custom => CUSTOM_ROLE_ID,
        }
    }

    /// The `role_name` of `/v2/users/me`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Custom => CUSTOM_ROLE_NAME,
        }
    }
}

/// Who stands behind an account, from the staff directory's point of view. Zoom knows nothing
/// of this; it is what the demo's directory is built from and what findings should discover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Employment {
    /// A current member of staff (every pending account, and most active ones).
    Employed,
    /// Has left the company: every inactive account, and a handful of still-active ones whose
    /// access was never removed.
    Offboarded,
    /// Nobody on the staff owns it: meeting rooms, and a couple of contractor accounts.
    Unowned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmailCase {
    /// `lea.dubois@acme.example`
    Lower,
    /// `Lea.Dubois@Acme.example`
    Mixed,
    /// `léa.dubois@acme.example`: the native spelling, kept by some identity providers.
    Native,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmailPattern {
    /// `first.last`
    Dotted,
    /// `flast`
    Initial,
    /// `first_last`
    Underscore,
    /// `zoom-room-lobby`
    Room,
}

/// Marks a row as a meeting room rather than a person in `culture`.
const ROOM_CULTURE: u8 = u8::MAX;

/// Marks a row without a department (rooms).
const NO_DEPT: u8 = u8::MAX;

/// One generated account. Its Zoom row is rendered on demand by the server.
#[derive(Debug, Clone)]
pub struct MockUser {
    id: [u8; 22],
    created: u32,
    /// Seconds since the epoch; 0 means the account never signed in.
    last_login: u32,
    /// Appended to the email's local part to keep it unique; 0 for none.
    email_suffix: u32,
    given: u16,
    family: u16,
    culture: u8,
    dept: u8,
    user_type: u8,
    pattern: EmailPattern,
    case: EmailCase,
    status: UserStatus,
    role: Role,
    employment: Employment,
}

impl MockUser {
    /// The Zoom user id; `None` for pending accounts, which Zoom lists without one.
    pub fn id(&self) -> Option<&str> {
        match self.status {
            UserStatus::Pending => None,
            _ => Some(self.internal_id()),
        }
    }

    /// The id even of a pending account (the mock still tells pending rows apart by it).
    pub(crate) fn internal_id(&self) -> &str {
        std::str::from_utf8(&self.id).unwrap_or_default()
    }

    /// The email exactly as Zoom lists it: mostly lower case ASCII, sometimes mixed case
    /// (`Omar.Haddad@Acme.example`) or with the native Latin spelling (`léa.dubois@…`).
    pub fn email(&self) -> String {
        let mut out = String::with_capacity(32);
        self.write_email(&mut out);
        out
    }

    pub(crate) fn write_email(&self, out: &mut String) {
        self.write_local_part(out, self.case);
        if self.email_suffix != 0 {
            let _ = write!(out, "{}", self.email_suffix);
        }
        out.push('@');
        match self.case {
            EmailCase::Mixed => out.push_str("Acme.example"),
            _ => out.push_str(COMPANY_DOMAIN),
        }
    }

    fn write_local_part(&self, out: &mut String, case: EmailCase) {
        let Some(culture) = self.culture() else {
            out.push_str("zoom-room-");
            out.push_str(ROOMS[usize::from(self.given) % ROOMS.len()].1);
            return;
        };
        let (given_native, given_ascii) = culture.given(self.given);
        let (family_native, family_ascii) = culture.family(self.family, self.given);

        let push = |out: &mut String, native: &str, ascii: &str, initial: bool| match case {
            EmailCase::Lower => push_part(out, ascii.chars(), initial),
            EmailCase::Mixed => {
                let mut chars = ascii.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                push_part(out, first.into_iter().chain(chars), initial);
            }
            EmailCase::Native => {
                let letters = native.chars().filter(|c| c.is_alphanumeric());
                push_part(out, letters.flat_map(char::to_lowercase), initial);
            }
        };
        match self.pattern {
            EmailPattern::Dotted | EmailPattern::Room => {
                push(out, given_native, given_ascii, false);
                out.push('.');
                push(out, family_native, family_ascii, false);
            }
            EmailPattern::Initial => {
                push(out, given_native, given_ascii, true);
                push(out, family_native, family_ascii, false);
            }
            EmailPattern::Underscore => {
                push(out, given_native, given_ascii, false);
                out.push('_');
                push(out, family_native, family_ascii, false);
            }
        }
    }

    fn culture(&self) -> Option<&'static Culture> {
        CULTURES.get(usize::from(self.culture))
    }

    /// The given name in its native spelling ("Léa", "健", "Анна"), or a room's name.
    pub fn first_name(&self) -> &'static str {
        match self.culture() {
            Some(culture) => culture.given(self.given).0,
            None => ROOMS[usize::from(self.given) % ROOMS.len()].0,
        }
    }

    /// The family name in its native spelling; "Room" for rooms.
    pub fn last_name(&self) -> &'static str {
        match self.culture() {
            Some(culture) => culture.family(self.family, self.given).0,
            None => "Room",
        }
    }

    /// The display name in the culture's order ("Léa Dubois", "渡辺 健", "王伟").
    pub fn display_name(&self) -> String {
        let (first, last) = (self.first_name(), self.last_name());
        match self.culture() {
            Some(culture) if culture.family_first => format!("{last}{}{first}", culture.separator),
            _ => format!("{first} {last}"),
        }
    }

    /// The department; empty for rooms.
    pub fn dept(&self) -> &'static str {
        DEPARTMENTS.get(usize::from(self.dept)).map_or("", |d| d.0)
    }

    /// The account's status.
    pub fn status(&self) -> UserStatus {
        self.status
    }

    /// The account's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The `role_id` string.
    pub fn role_id(&self) -> &'static str {
        self.role.id()
    }

    /// Zoom's `type`: 1 Basic, 2 Licensed, 99 None (rooms, SSO-created).
    pub fn user_type(&self) -> u8 {
        self.user_type
    }

    /// Who owns the account in the staff directory's terms.
    pub fn employment(&self) -> Employment {
        self.employment
    }

    /// Whether this is a meeting room rather than a person.
    pub fn is_room(&self) -> bool {
        self.culture == ROOM_CULTURE
    }

    pub(crate) fn language(&self) -> Option<&'static str> {
        self.culture().map(|c| c.language)
    }

    pub(crate) fn timezones(&self) -> &'static [&'static str] {
        self.culture()
            .map_or(&["America/New_York"], |c| c.timezones)
    }

    pub(crate) fn created(&self) -> i64 {
        i64::from(self.created)
    }

    pub(crate) fn last_login(&self) -> Option<i64> {
        (self.last_login != 0).then_some(i64::from(self.last_login))
    }

    pub(crate) fn dept_index(&self) -> Option<usize> {
        (self.dept != NO_DEPT).then_some(usize::from(self.dept))
    }
}

fn push_part(out: &mut String, mut chars: impl Iterator<Item = char>, initial_only: bool) {
    if initial_only {
        out.extend(chars.next());
    } else {
        out.extend(chars);
    }
}

/// One account as the staff directory sees it: what the demo's staff file is derived from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The account's email exactly as Zoom lists it (the directory may normalise it).
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub dept: String,
    /// The Zoom account's status.
    pub status: UserStatus,
    pub role_id: String,
    pub user_type: u8,
    pub employment: Employment,
}

/// The generated accounts, in the order `GET /v2/users` lists them.
#[derive(Debug, Clone)]
pub struct Organisation {
    seed: u64,
    users: Vec<MockUser>,
    /// Positions in `users` per status, so a page is a slice.
    by_status: [Vec<u32>; 3],
}

impl Organisation {
    /// Generates `counts` accounts from `seed`: the same seed and counts give the same
    /// organisation, row for row.
    ///
    /// The first row is the Owner (active, licensed). About one active account in 800 is an
    /// Admin (1 to 10), two hold the custom role, about 1% of active accounts are meeting
    /// rooms (`type` 99, unowned), one active account in 400 (at least 3) belongs to someone
    /// who has left, and one in 1,000 (at least 2) to a contractor nobody on the staff owns.
    pub fn generate(seed: u64, counts: AccountCounts) -> Organisation {
        let mut rng = StdRng::seed_from_u64(seed);
        let statuses = shuffled_statuses(&mut rng, counts);

        let mut generator = RowGenerator::new(seed);
        let mut users = Vec::with_capacity(statuses.len());
        for (index, status) in statuses.into_iter().enumerate() {
            users.push(generator.row(&mut rng, index, status));
        }

        assign_roles_and_employment(&mut rng, &mut users);

        let mut by_status: [Vec<u32>; 3] = Default::default();
        for (index, user) in users.iter().enumerate() {
            // Row counts are bounded by `usize` memory long before `u32`; 4 bytes per row keeps
            // the per-status index small for the million-account benchmarks.
            by_status[user.status.index()].push(index as u32);
        }
        Organisation {
            seed,
            users,
            by_status,
        }
    }

    /// The seed it was generated from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every account, in listing order.
    pub fn users(&self) -> &[MockUser] {
        &self.users
    }

    /// How many accounts have `status`.
    pub fn count(&self, status: UserStatus) -> usize {
        self.by_status[status.index()].len()
    }

    /// The accounts with `status`, in listing order.
    pub fn with_status(&self, status: UserStatus) -> impl Iterator<Item = &MockUser> + '_ {
        self.by_status[status.index()]
            .iter()
            .map(|&i| &self.users[i as usize])
    }

    pub(crate) fn positions(&self, status: UserStatus) -> &[u32] {
        &self.by_status[status.index()]
    }

    /// The account holding `role` first in listing order (the Owner is the first row).
    pub fn first_with_role(&self, role: Role) -> Option<&MockUser> {
        self.users
            .iter()
            .find(|u| u.role == role && u.status == UserStatus::Active)
    }

    /// How many accounts hold `role`, whatever their status.
    pub fn role_members(&self, role: Role) -> usize {
        self.users.iter().filter(|u| u.role == role).count()
    }

    /// The staff directory's view of every account, in listing order.
    pub fn people(&self) -> impl Iterator<Item = Person> + '_ {
        self.users.iter().map(|user| Person {
            email: user.email(),
            first_name: user.first_name().to_owned(),
            last_name: user.last_name().to_owned(),
            display_name: user.display_name(),
            dept: user.dept().to_owned(),
            status: user.status,
            role_id: user.role_id().to_owned(),
            user_type: user.user_type,
            employment: user.employment,
        })
    }

    /// The position of the account with this Zoom id (pending accounts have none).
    pub(crate) fn find_by_id(&self, id: &str) -> Option<usize> {
        let id = id.as_bytes();
        self.users
            .iter()
            .position(|u| u.id.as_slice() == id && u.status != UserStatus::Pending)
    }

    /// The position of the account with this email, ignoring ASCII case as Zoom does.
    pub(crate) fn find_by_email(&self, email: &str) -> Option<usize> {
        let mut buffer = String::with_capacity(64);
        self.users.iter().position(|u| {
            buffer.clear();
            u.write_email(&mut buffer);
            buffer.eq_ignore_ascii_case(email)
        })
    }

    /// A per-row pseudo-random word for `salt`, the source of every lazily derived detail.
    pub(crate) fn noise(&self, index: usize, salt: u64) -> u64 {
        mix64(mix64(self.seed ^ salt.wrapping_mul(0xA076_1D64_78BD_642F)) ^ index as u64)
    }
}

fn shuffled_statuses(rng: &mut StdRng, counts: AccountCounts) -> Vec<UserStatus> {
    let mut statuses = Vec::with_capacity(counts.total());
    statuses.extend(std::iter::repeat_n(UserStatus::Active, counts.active));
    statuses.extend(std::iter::repeat_n(UserStatus::Inactive, counts.inactive));
    statuses.extend(std::iter::repeat_n(UserStatus::Pending, counts.pending));
    statuses.shuffle(rng);

    // The Owner created the account before anyone else joined, and is the first row.
    if let Some(first_active) = statuses.iter().position(|s| *s == UserStatus::Active) {
        statuses.swap(0, first_active);
    }
    statuses
}

/// Makes rows one at a time, remembering which email local parts are taken.
struct RowGenerator {
    seed: u64,
    culture_weight: u32,
    dept_weight: u32,
    /// Folded local part to how many accounts already use it; a few thousand entries even for a
    /// million accounts, since names repeat.
    taken: HashMap<String, u32>,
    key: String,
}

const EARLIEST_CREATED: i64 = epoch_seconds(2015, 1, 1);
const DAY: i64 = 86_400;

impl RowGenerator {
    fn new(seed: u64) -> Self {
        RowGenerator {
            seed,
            culture_weight: total_weight(CULTURES, |c| c.weight),
            dept_weight: total_weight(DEPARTMENTS, |d| d.1),
            taken: HashMap::new(),
            key: String::with_capacity(64),
        }
    }

    fn row(&mut self, rng: &mut StdRng, index: usize, status: UserStatus) -> MockUser {
        let room = status == UserStatus::Active && index != 0 && rng.random_ratio(1, 100);
        let (culture, given, family, pattern) = if room {
            let given = rng.random_range(0..ROOMS.len()) as u16;
            (ROOM_CULTURE, given, 0, EmailPattern::Room)
        } else {
            let c = weighted_index(
                CULTURES,
                |c| c.weight,
                rng.random_range(0..self.culture_weight),
            );
            let culture = &CULTURES[c];
            let given = rng.random_range(0..culture.given_count()) as u16;
            let family = rng.random_range(0..culture.last.len()) as u16;
            let pattern = match rng.random_range(0..100) {
                0..80 => EmailPattern::Dotted,
                80..92 => EmailPattern::Initial,
                _ => EmailPattern::Underscore,
            };
            (c as u8, given, family, pattern)
        };
        let latin = CULTURES.get(usize::from(culture)).is_some_and(|c| c.latin);
        let case = match rng.random_range(0..100) {
            0..8 if !room => EmailCase::Mixed,
            8..10 if latin => EmailCase::Native,
            _ => EmailCase::Lower,
        };

        let created = match status {
            UserStatus::Pending => rng.random_range(GENERATED_AT - 30 * DAY..GENERATED_AT - 3600),
            _ if index == 0 => EARLIEST_CREATED + rng.random_range(0..30 * DAY),
            _ => rng.random_range(EARLIEST_CREATED..GENERATED_AT - 45 * DAY),
        };
        let last_login = match status {
            UserStatus::Active if rng.random_ratio(96, 100) => {
                rng.random_range(created.max(GENERATED_AT - 90 * DAY)..GENERATED_AT)
            }
            UserStatus::Inactive if rng.random_ratio(85, 100) => {
                rng.random_range(created..created.max(GENERATED_AT - 120 * DAY) + DAY)
            }
            _ => 0,
        };
        let user_type = match (room, rng.random_range(0..100)) {
            (true, _) => 99,
            (false, 0..69) => 2,
            (false, 69..99) => 1,
            (false, _) => 99,
        };
        let dept = if room {
            NO_DEPT
        } else {
            weighted_index(DEPARTMENTS, |d| d.1, rng.random_range(0..self.dept_weight)) as u8
        };

        let mut user = MockUser {
            id: row_id(self.seed, index),
            created: created as u32,
            last_login: last_login as u32,
            email_suffix: 0,
            given,
            family,
            culture,
            dept,
            user_type,
            pattern,
            case,
            status,
            role: Role::Member,
            employment: match (status, room) {
                (UserStatus::Inactive, _) => Employment::Offboarded,
                (_, true) => Employment::Unowned,
                _ => Employment::Employed,
            },
        };
        user.email_suffix = self.claim_local_part(&user);
        user
    }

    /// Counts the row's folded local part; repeats get a number: `anna.smirnova2`. Folded, so
    /// that `léa.dubois` and `Lea.Dubois` are never two different people's addresses.
    fn claim_local_part(&mut self, user: &MockUser) -> u32 {
        self.key.clear();
        user.write_local_part(&mut self.key, EmailCase::Lower);
        match self.taken.get_mut(self.key.as_str()) {
            Some(count) => {
                *count += 1;
                *count
            }
            None => {
                self.taken.insert(self.key.clone(), 1);
                0
            }
        }
    }
}

/// A 22-character id like Zoom's (16 random-looking bytes, base64url).
fn row_id(seed: u64, index: usize) -> [u8; 22] {
    let a = mix64(seed ^ 0x5EED_1D00 ^ mix64(index as u64));
    let b = mix64(a ^ index as u64);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    let mut id = [b'A'; 22];
    for (slot, byte) in id.iter_mut().zip(base64url_encode(&bytes).bytes()) {
        *slot = byte;
    }
    id
}

fn assign_roles_and_employment(rng: &mut StdRng, users: &mut [MockUser]) {
    let Some(owner) = users.first_mut() else {
        return;
    };
    owner.role = Role::Owner;
    owner.user_type = 2;
    owner.dept = DEPARTMENTS
        .iter()
        .position(|d| d.0 == "Executive")
        .unwrap_or(0) as u8;

    // Ordinary staff accounts that can be promoted or marked as leavers.
    let mut pool: Vec<u32> = (1..users.len())
        .filter(|&i| {
            let u = &users[i];
            u.status == UserStatus::Active && u.user_type != 99
        })
        .map(|i| i as u32)
        .collect();
    pool.shuffle(rng);
    let active = users
        .iter()
        .filter(|u| u.status == UserStatus::Active)
        .count();
    let take = |pool: &mut Vec<u32>, n: usize| pool.split_off(pool.len() - n.min(pool.len()));

    for i in take(&mut pool, (active / 800).clamp(1, 10)) {
        let user = &mut users[i as usize];
        user.role = Role::Admin;
        user.user_type = 2;
    }
    for i in take(&mut pool, 2) {
        let user = &mut users[i as usize];
        user.role = Role::Custom;
        user.user_type = 2;
    }

    let leavers = (active / 400).max(3).min(pool.len() / 4);
    for i in take(&mut pool, leavers) {
        users[i as usize].employment = Employment::Offboarded;
    }
    let contractors = (active / 1000).max(2).min(pool.len() / 8);
    for i in take(&mut pool, contractors) {
        users[i as usize].employment = Employment::Unowned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_organisation() {
        let counts = AccountCounts::split(500);
        let a = Organisation::generate(11, counts);
        let b = Organisation::generate(11, counts);
        let c = Organisation::generate(12, counts);
        let people = |o: &Organisation| o.people().collect::<Vec<_>>();
        assert_eq!(people(&a), people(&b));
        assert_ne!(people(&a), people(&c));
        let ids = |o: &Organisation| o.users().iter().map(|u| u.id).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn counts_roles_and_owners_are_as_documented() {
        let org = Organisation::generate(42, AccountCounts::split(2_400));
        assert_eq!(org.count(UserStatus::Active), 2_040);
        assert_eq!(org.count(UserStatus::Inactive), 240);
        assert_eq!(org.count(UserStatus::Pending), 120);
        assert_eq!(org.users()[0].role(), Role::Owner);
        assert_eq!(org.users()[0].status(), UserStatus::Active);
        assert_eq!(org.role_members(Role::Owner), 1);
        assert_eq!(org.role_members(Role::Admin), 2);
        assert_eq!(org.role_members(Role::Custom), 2);

        let active_people = |e| {
            org.with_status(UserStatus::Active)
                .filter(move |u| u.employment == e)
        };
        assert_eq!(active_people(Employment::Offboarded).count(), 5);
        let unowned = active_people(Employment::Unowned).count();
        assert!(unowned >= 2 + 5, "rooms and contractors: {unowned}");
        assert!(
            org.with_status(UserStatus::Inactive)
                .all(|u| u.employment == Employment::Offboarded)
        );
        assert!(
            org.with_status(UserStatus::Pending)
                .all(|u| u.id().is_none())
        );
        for t in [1, 2, 99] {
            assert!(org.users().iter().any(|u| u.user_type() == t), "type {t}");
        }
    }

    #[test]
    fn emails_are_unique_and_names_come_from_several_scripts() {
        let org = Organisation::generate(3, AccountCounts::split(20_000));
        let mut seen = std::collections::HashSet::new();
        for user in org.users() {
            let email = user.email();
            let folded: String = email.to_lowercase();
            assert!(seen.insert(folded), "duplicate {email}");
            assert!(email.ends_with("@acme.example") || email.ends_with("@Acme.example"));
        }
        let emails: Vec<String> = org.users().iter().map(MockUser::email).collect();
        assert!(
            emails
                .iter()
                .any(|e| e.chars().any(|c| c.is_ascii_uppercase()))
        );
        assert!(emails.iter().any(|e| !e.is_ascii()));
        assert!(emails.iter().any(|e| e.starts_with("zoom-room-")));
        let names: Vec<String> = org.users().iter().map(MockUser::display_name).collect();
        for needle in ["é", "ø", "渡辺", "Анна", "Zoë", "José"] {
            assert!(
                names.iter().any(|n| n.contains(needle)),
                "no name with {needle}"
            );
        }
    }
}
