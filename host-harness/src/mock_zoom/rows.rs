//! Renders generated accounts as Zoom's JSON rows, one page at a time.
//!
//! The row shapes follow the fixtures in `fixtures/`: every key a fixture has, with the same
//! JSON type, and the same habits (pending rows without `id`, empty `dept` on rooms, optional
//! fields missing from some rows). Which optional fields a row lacks is derived from its
//! position, so a row is the same on every page fetch.

use std::sync::LazyLock;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::encoding::{base64url_encode, format_timestamp, mix64};
use super::names::{CLIENT_VERSIONS, DEPARTMENTS};
use super::org::{MockUser, Organisation, UserStatus};

/// A `GET /v2/users` page, keys in the fixtures' order.
#[derive(Serialize)]
pub(crate) struct UsersPage<'a> {
    pub next_page_token: &'a str,
    pub page_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub total_records: usize,
    pub users: RowList<'a>,
}

/// The rows of one page: positions into the organisation, rendered while serialising.
pub(crate) struct RowList<'a> {
    pub org: &'a Organisation,
    pub positions: &'a [u32],
}

impl Serialize for RowList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.positions.iter().map(|&index| Row {
            org: self.org,
            index: index as usize,
            detail: None,
        }))
    }
}

/// One account as a row, or with `detail` as `GET /v2/users/{id}` and `/me` show it.
pub(crate) struct Row<'a> {
    pub org: &'a Organisation,
    pub index: usize,
    pub detail: Option<&'a str>,
}

// Salts for the per-row noise; each detail draws from its own stream.
const OMIT: u64 = 1;
const PMI: u64 = 2;
const ZONE: u64 = 3;
const CLIENT: u64 = 4;
const EMPLOYEE: u64 = 5;
const PHONE: u64 = 6;
const LOGIN: u64 = 7;
const NAMES: u64 = 8;
const ACCOUNT: u64 = 9;
const MORE: u64 = 10;

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let user = &self.org.users()[self.index];
        let mut map = serializer.serialize_map(None)?;
        if user.status() == UserStatus::Pending {
            self.invitation(&mut map, user)?;
        } else {
            self.identity(&mut map, user)?;
            self.profile(&mut map, user)?;
            self.activity(&mut map, user)?;
        }
        map.end()
    }
}

/// Which optional fields a row lacks: each check reads its own bits of one noise word, so
/// `lacks(shift, percent)` is true for about `percent` % of rows.
struct Omissions(u64);

impl Omissions {
    fn lacks(&self, shift: u32, percent: u64) -> bool {
        (self.0 >> shift) % 100 < percent
    }
}

impl Row<'_> {
    fn noise(&self, salt: u64) -> u64 {
        self.org.noise(self.index, salt)
    }

    fn pmi(&self) -> u64 {
        self.noise(PMI) % 9_000_000_000 + 1_000_000_000
    }

    /// A pending row, shaped like `fixtures/users-pending.json`: no `id`, often no name.
    fn invitation<M: SerializeMap>(&self, map: &mut M, user: &MockUser) -> Result<(), M::Error> {
        let named = self.noise(NAMES).is_multiple_of(2);
        map.serialize_entry("email", &user.email())?;
        map.serialize_entry("first_name", if named { user.first_name() } else { "" })?;
        map.serialize_entry("last_name", if named { user.last_name() } else { "" })?;
        map.serialize_entry("type", &user.user_type())?;
        map.serialize_entry("status", user.status().as_str())?;
        map.serialize_entry("role_id", user.role_id())?;
        map.serialize_entry("created_at", &format_timestamp(user.created()))?;
        if let Some(account_id) = self.detail {
            map.serialize_entry("role_name", user.role().name())?;
            map.serialize_entry("account_id", account_id)?;
        }
        Ok(())
    }

    /// Who the account is: id, email, names, type, status and role.
    fn identity<M: SerializeMap>(&self, map: &mut M, user: &MockUser) -> Result<(), M::Error> {
        let omit = Omissions(self.noise(OMIT));
        map.serialize_entry("id", user.internal_id())?;
        map.serialize_entry("email", &user.email())?;
        map.serialize_entry("first_name", user.first_name())?;
        map.serialize_entry("last_name", user.last_name())?;
        if self.detail.is_some() || !omit.lacks(0, 2) {
            map.serialize_entry("display_name", &user.display_name())?;
        }
        map.serialize_entry("type", &user.user_type())?;
        map.serialize_entry("status", user.status().as_str())?;
        map.serialize_entry("role_id", user.role_id())?;
        if let Some(account_id) = self.detail {
            map.serialize_entry("role_name", user.role().name())?;
            map.serialize_entry("account_id", account_id)?;
            map.serialize_entry(
                "account_number",
                &(self.noise(ACCOUNT) % 90_000_000 + 10_000_000),
            )?;
            map.serialize_entry("cluster", "us05")?;
        }
        Ok(())
    }

    /// Meeting and organisational details: PMI, time zone, department, dates.
    fn profile<M: SerializeMap>(&self, map: &mut M, user: &MockUser) -> Result<(), M::Error> {
        let omit = Omissions(self.noise(OMIT));
        let detail = self.detail.is_some();
        if detail || !omit.lacks(7, 2) {
            map.serialize_entry("pmi", &self.pmi())?;
        }
        if detail {
            map.serialize_entry("use_pmi", &false)?;
            let url = format!("https://us05web.zoom.us/j/{}", self.pmi());
            map.serialize_entry("personal_meeting_url", &url)?;
        }
        let zones = user.timezones();
        match (omit.0 >> 14) % 100 {
            0..3 => {}
            3 => map.serialize_entry("timezone", "")?,
            _ => map.serialize_entry("timezone", pick(zones, self.noise(ZONE)))?,
        }
        if user.is_room() || !omit.lacks(21, 3) {
            map.serialize_entry("dept", user.dept())?;
        }
        if !omit.lacks(28, 2) {
            map.serialize_entry("verified", &u8::from(!user.is_room()))?;
        }
        let created = format_timestamp(user.created());
        // `created_at` is deprecated and missing from many real rows.
        if !omit.lacks(35, 35) {
            map.serialize_entry("created_at", &created)?;
        }
        map.serialize_entry("user_created_at", &created)
    }

    /// Sign-ins, groups and the assorted fields real rows have or lack.
    fn activity<M: SerializeMap>(&self, map: &mut M, user: &MockUser) -> Result<(), M::Error> {
        let omit = Omissions(self.noise(OMIT));
        if let Some(login) = user.last_login() {
            map.serialize_entry("last_login_time", &format_timestamp(login))?;
            if !omit.lacks(42, 10) {
                let version = pick(CLIENT_VERSIONS, self.noise(CLIENT));
                map.serialize_entry("last_client_version", version)?;
            }
        }
        let groups = user.dept_index().and_then(|d| GROUP_IDS.get(d));
        let groups = groups.map_or(&[][..], |g| &g[..]);
        if !omit.lacks(49, 8) {
            map.serialize_entry("group_ids", groups)?;
        }
        if !omit.lacks(56, 30) {
            map.serialize_entry("im_group_ids", groups)?;
        }

        let more = Omissions(self.noise(MORE));
        if !more.lacks(0, 45) && !user.is_room() {
            let id = base64url_encode(&self.noise(EMPLOYEE).to_le_bytes().repeat(2));
            map.serialize_entry("employee_unique_id", &id[..22])?;
        }
        if !more.lacks(7, 20) {
            map.serialize_entry("plan_united_type", "0")?;
        }
        if let Some(language) = user.language().filter(|_| !more.lacks(14, 7)) {
            map.serialize_entry("language", language)?;
        }
        let phone = self.noise(PHONE);
        match phone % 10 {
            0..4 => {}
            4..8 => map.serialize_entry("phone_number", "")?,
            _ => {
                map.serialize_entry("phone_number", &format!("+1 555{:07}", phone % 10_000_000))?
            }
        }
        if !more.lacks(21, 12) {
            // 101 is SSO, 100 a Zoom work email, 1 Google.
            let kind = match self.noise(LOGIN) % 10 {
                0..5 => 101,
                5..9 => 100,
                _ => 1,
            };
            map.serialize_entry("login_types", &[kind])?;
        }
        if more.lacks(28, 3) && !user.is_room() {
            let value = format!("CC-{:02}", self.noise(EMPLOYEE) % 97);
            let attribute = CustomAttribute {
                key: "cbf_cywdkexrtqc73f97gd4w6g",
                name: "Cost centre",
                value: &value,
            };
            map.serialize_entry("custom_attributes", &[attribute])?;
        }
        Ok(())
    }
}

fn pick<T: Copy>(items: &[T], noise: u64) -> T {
    items[(noise % items.len() as u64) as usize]
}

#[derive(Serialize)]
struct CustomAttribute<'a> {
    key: &'a str,
    name: &'a str,
    value: &'a str,
}

/// A stable 22-character group id per department, computed once rather than per row.
static GROUP_IDS: LazyLock<Vec<[String; 1]>> = LazyLock::new(|| {
    let group_id = |name: &str| {
        let hash = name
            .bytes()
            .fold(0x0067_726F_7570_u64, |h, b| mix64(h ^ u64::from(b)));
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hash.to_le_bytes());
        bytes[8..].copy_from_slice(&mix64(hash).to_le_bytes());
        base64url_encode(&bytes)
    };
    DEPARTMENTS
        .iter()
        .map(|(name, _)| [group_id(name)])
        .collect()
});
