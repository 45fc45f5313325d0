//! Listing every Zoom account: all three statuses, every page, de-duplicated, with an honest
//! account of whether the list is complete.
//!
//! Zoom lists one status per query, so a complete list takes a pass over `active`, `inactive`
//! and `pending`, each followed page by page with `next_page_token` and the same query. Rows
//! are untrusted: any field may be missing or of another type, pending invitations have no id,
//! and a row may be re-served on a later page. A pass is complete only when it was drained, no
//! page token repeated, and its distinct rows match the `total_records` Zoom announced.
//!
//! ```no_run
//! # use gatehouse_zoom::{model::Error, zoom::Platform};
//! # fn run(p: &mut impl Platform) -> Result<(), Error> {
//! let mut listing = gatehouse_zoom::zoom::Listing::start(p)?;
//! while let Some(batch) = listing.next(p)? {
//!     println!("{} accounts", batch.len());
//! }
//! assert!(listing.summary().complete);
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::api::{self, CallError, Json, kind_of, text};
use super::auth::Session;
use super::http::{Budget, provider_error};
use super::platform::{Level, Platform};
use super::time::parse_rfc3339;
use crate::model::{Account, AccountStatus, Error, ListingSummary};

/// The statuses listed, in this order.
const STATUSES: [AccountStatus; 3] = [
    AccountStatus::Active,
    AccountStatus::Inactive,
    AccountStatus::Pending,
];

/// Rows per page: the maximum of Zoom's pagination guide (its current spec allows 2000).
pub const DEFAULT_PAGE_SIZE: u32 = 300;

/// Pages per status before the listing stops as incomplete: 30 million accounts at 300 a page,
/// far beyond any Zoom account, so reaching it means the provider is looping.
pub const DEFAULT_MAX_PAGES_PER_STATUS: u32 = 100_000;

const USERS_PATH: &str = "/v2/users";
const USERS_ENDPOINT: &str = "GET /v2/users";
const USERS_SCOPE: &str = "user:read:list_users:admin";
const ROLES_SCOPE: &str = "role:read:list_roles:admin";

/// Zoom's code for an invalid request, which includes an expired `next_page_token`.
const CODE_INVALID_REQUEST: i64 = 300;

/// A listing in progress. Each [`Listing::next`] fetches one page.
pub struct Listing {
    session: Session,
    /// Custom role names by id; `None` until read before the first page.
    roles: Option<HashMap<String, String>>,
    /// Index into [`STATUSES`]; `STATUSES.len()` once drained.
    current: usize,
    pass: Pass,
    /// De-duplication key → bit set of the statuses it was seen in; kept whole because a
    /// re-served row may come back many pages later.
    seen: HashMap<String, u8>,
    listed: u64,
    duplicates: u64,
    unreadable: u64,
    expected: u64,
    /// Why the listing is incomplete, one entry per status that fell short.
    gaps: Vec<String>,
    /// The error that ended the last `next`, while it stays unresolved.
    failure: Option<String>,
    max_pages_per_status: u32,
}

/// Paging state of the status being listed.
#[derive(Default)]
struct Pass {
    token: Option<String>,
    /// Every page token received, to catch a provider handing one out twice.
    tokens: HashSet<String>,
    pages: u32,
    restarted: bool,
    /// Distinct rows of this status, compared with `announced` at the end.
    counted: u64,
    /// `total_records` of the latest page.
    announced: Option<u64>,
}

/// Pages beyond those `announced` rows need, allowed before a status is cut off: rows added
/// while listing push a few onto later pages.
const EXTRA_PAGES: u64 = 3;

/// How many pages a status announced with `announced` rows may take.
fn pages_for(announced: u64) -> u64 {
    announced.div_ceil(u64::from(DEFAULT_PAGE_SIZE)) + EXTRA_PAGES
}

/// One page of `GET /v2/users`.
struct Page {
    users: Vec<Value>,
    next_page_token: Option<String>,
    total_records: Option<u64>,
}

impl Listing {
    /// Starts a listing with the stored connection; `NotConnected` without one. Sends nothing.
    pub fn start(p: &mut impl Platform) -> Result<Listing, Error> {
        let session = Session::load(p)?;
        Ok(Listing {
            session,
            roles: None,
            current: 0,
            pass: Pass::default(),
            seen: HashMap::new(),
            listed: 0,
            duplicates: 0,
            unreadable: 0,
            expected: 0,
            gaps: Vec::new(),
            failure: None,
            max_pages_per_status: DEFAULT_MAX_PAGES_PER_STATUS,
        })
    }

    /// The next page's new accounts (possibly none, when a page held only duplicates), or
    /// `None` once every status is drained. After an error the listing can be resumed: the
    /// next call asks for the same page again.
    pub fn next(&mut self, p: &mut impl Platform) -> Result<Option<Vec<Account>>, Error> {
        if self.current >= STATUSES.len() {
            return Ok(None);
        }

        let mut budget = Budget::new();
        let result = self.next_page(p, &mut budget);
        self.failure = match &result {
            Ok(_) => None,
            Err(error) => Some(super::describe_error(error)),
        };
        result.map(Some)
    }

    /// Counts so far and whether the listing is complete.
    pub fn summary(&self) -> ListingSummary {
        let mut reasons = Vec::new();
        if let Some(status) = STATUSES.get(self.current) {
            let failure = self.failure.clone();
            reasons.push(failure.unwrap_or_else(|| {
                format!(
                    "the listing has not finished (listing {} accounts)",
                    status.as_str()
                )
            }));
        }
        reasons.extend(self.gaps.iter().cloned());
        if self.unreadable > 0 {
            reasons.push(format!("skipped {} unreadable rows", self.unreadable));
        }

        // Mid-listing, the status in progress counts with what Zoom announced so far.
        let expected = self.expected + self.pass.announced.unwrap_or(0);
        let complete = reasons.is_empty();
        ListingSummary {
            complete,
            incomplete_reason: (!complete).then(|| reasons.join("; ")),
            listed: u32::try_from(self.listed).unwrap_or(u32::MAX),
            expected: u32::try_from(expected).unwrap_or(u32::MAX),
        }
    }

    /// Duplicate rows skipped so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    #[cfg(test)]
    pub(crate) fn set_max_pages_per_status(&mut self, pages: u32) {
        self.max_pages_per_status = pages;
    }

    fn next_page(
        &mut self,
        p: &mut impl Platform,
        budget: &mut Budget,
    ) -> Result<Vec<Account>, Error> {
        if self.roles.is_none() {
            self.roles = Some(self.read_roles(p, budget)?);
        }

        let status = STATUSES[self.current];
        let page = self.fetch_page(p, budget, status)?;
        let accounts = self.take_rows(p, status, page.users);
        self.pass.pages += 1;
        self.pass.announced = page.total_records;

        let message = format!(
            "listed {} accounts ({} page {})",
            self.listed,
            status.as_str(),
            self.pass.pages
        );
        p.log(Level::Info, &message);

        self.advance(p, status, page.next_page_token);
        Ok(accounts)
    }

    /// One page of `status`, from the current page token. An expired page token (code 300)
    /// restarts the status from its first page once; the rows served again are duplicates.
    fn fetch_page(
        &mut self,
        p: &mut impl Platform,
        budget: &mut Budget,
        status: AccountStatus,
    ) -> Result<Page, Error> {
        loop {
            let page_size = DEFAULT_PAGE_SIZE.to_string();
            let mut query = vec![
                ("status", status.as_str()),
                ("page_size", page_size.as_str()),
            ];
            if let Some(token) = &self.pass.token {
                query.push(("next_page_token", token.as_str()));
            }

            let result = api::get_json(
                p,
                &mut self.session,
                budget,
                USERS_PATH,
                &query,
                USERS_SCOPE,
            );
            let rejection = match result {
                Ok(json) => return parse_page(json),
                Err(CallError::Rejected(rejection)) => rejection,
                Err(CallError::Failed(error)) => return Err(error),
            };

            let expired_token = rejection.status == 400
                && rejection.code == Some(CODE_INVALID_REQUEST)
                && self.pass.token.is_some();
            if !expired_token || self.pass.restarted {
                return Err(rejection.into_error());
            }
            let message = format!(
                "zoom refused the {} page token ({}); restarting that status from its first page",
                status.as_str(),
                rejection.message
            );
            p.log(Level::Warn, &message);
            self.pass.restarted = true;
            self.pass.token = None;
            self.pass.tokens.clear();
        }
    }

    /// Maps and de-duplicates a page's rows. A row is keyed by its id, or by its normalised
    /// email when it has none (pending invitations); a row with neither cannot be told apart
    /// from others and is counted as unreadable.
    fn take_rows(
        &mut self,
        p: &mut impl Platform,
        status: AccountStatus,
        rows: Vec<Value>,
    ) -> Vec<Account> {
        let roles = self.roles.as_ref();
        let status_bit = 1u8 << self.current;
        let mut accounts = Vec::with_capacity(rows.len());
        let mut unreadable = 0;

        for row in rows {
            let Some(account) = row.as_object().and_then(|row| map_row(row, status, roles)) else {
                unreadable += 1;
                continue;
            };
            let key = match &account.id {
                Some(id) => format!("id:{id}"),
                None => format!("email:{}", normalise_email(&account.email)),
            };

            let statuses = self.seen.entry(key).or_insert(0);
            let new_account = *statuses == 0;
            if *statuses & status_bit == 0 {
                self.pass.counted += 1;
            }
            *statuses |= status_bit;
            if new_account {
                self.listed += 1;
                accounts.push(account);
            } else {
                self.duplicates += 1;
            }
        }

        if unreadable > 0 {
            self.unreadable += unreadable;
            let message = format!("skipped {unreadable} unreadable {} rows", status.as_str());
            p.log(Level::Warn, &message);
        }
        accounts
    }

    /// Moves to the next page, or ends the status: drained, a repeated token, or the page cap.
    fn advance(&mut self, p: &mut impl Platform, status: AccountStatus, token: Option<String>) {
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            self.finish_status(p, status, None);
            return;
        };

        let name = status.as_str();
        if !self.pass.tokens.insert(token.clone()) {
            let pages = self.pass.pages;
            let gap =
                format!("zoom repeated a page token after {name} page {pages}; stopped there");
            self.finish_status(p, status, Some(gap));
        } else if self
            .pass
            .announced
            .is_some_and(|n| u64::from(self.pass.pages) >= pages_for(n))
        {
            // A provider that hands out fresh tokens for the same rows would otherwise keep us
            // paging until the hard cap; the count it announced says when to stop.
            let pages = self.pass.pages;
            let announced = self.pass.announced.unwrap_or_default();
            let gap = format!(
                "zoom kept paging {name} accounts past the {announced} it announced \
                 ({pages} pages); stopped there"
            );
            self.finish_status(p, status, Some(gap));
        } else if self.pass.pages >= self.max_pages_per_status {
            let gap = format!(
                "stopped listing {name} accounts after {} pages",
                self.pass.pages
            );
            self.finish_status(p, status, Some(gap));
        } else {
            self.pass.token = Some(token);
        }
    }

    /// Closes a status, checking its distinct rows against what Zoom announced.
    fn finish_status(
        &mut self,
        p: &mut impl Platform,
        status: AccountStatus,
        stopped: Option<String>,
    ) {
        let name = status.as_str();
        let pass = std::mem::take(&mut self.pass);
        self.expected += pass.announced.unwrap_or(0);
        self.current += 1;

        let gap = match (stopped, pass.announced) {
            (Some(gap), _) => Some(gap),
            (None, None) => Some(format!("zoom did not say how many {name} accounts exist")),
            (None, Some(announced)) if announced != pass.counted => Some(format!(
                "listed {} of {announced} {name} accounts",
                pass.counted
            )),
            (None, Some(_)) => None,
        };
        if let Some(gap) = gap {
            p.log(
                Level::Warn,
                &format!("the zoom listing is incomplete: {gap}"),
            );
            self.gaps.push(gap);
        }
    }

    /// Custom role names by id. Without permission to read them (a free plan answers HTTP 400
    /// code 200, or the scope is missing) accounts show the role id instead: the listing is
    /// worth more than the names. Failures that would stop `/v2/users` too still end the call.
    fn read_roles(
        &mut self,
        p: &mut impl Platform,
        budget: &mut Budget,
    ) -> Result<HashMap<String, String>, Error> {
        let result = api::get_json(p, &mut self.session, budget, "/v2/roles", &[], ROLES_SCOPE);
        let rejection = match result {
            Ok(json) => return Ok(parse_roles(p, &json)),
            Err(CallError::Rejected(rejection)) => rejection,
            Err(CallError::Failed(error)) => return Err(error),
        };

        let code = rejection
            .code
            .map_or_else(|| "no code".to_string(), |c| format!("code {c}"));
        let message = format!(
            "could not read zoom role names (HTTP {}, {code}: {}); custom roles are shown by id",
            rejection.status, rejection.message
        );
        p.log(Level::Warn, &message);
        Ok(HashMap::new())
    }
}

/// `trim` + lower case: how Zoom emails are compared (`Jo.Blogs@Example.com` is
/// `jo.blogs@example.com`).
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Reads a page's shape. Only `users` being something other than a list (or the token not a
/// string) makes the page unusable; missing optional fields are normal.
fn parse_page(json: Json) -> Result<Page, Error> {
    let Json { status, mut body } = json;
    let malformed = |what: String| {
        provider_error(
            USERS_ENDPOINT,
            Some(status),
            format!("malformed JSON: {what}"),
        )
    };

    let users = match body.remove("users") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(users)) => users,
        Some(other) => {
            return Err(malformed(format!(
                "`users` is {}, not an array",
                kind_of(&other)
            )));
        }
    };
    let next_page_token = match body.get("next_page_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) => Some(token.clone()),
        Some(other) => {
            return Err(malformed(format!(
                "`next_page_token` is {}",
                kind_of(other)
            )));
        }
    };
    let total_records = match body.get("total_records") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    Ok(Page {
        users,
        next_page_token,
        total_records,
    })
}

/// `roles[{id, name}]` as a map; malformed entries are skipped, since a missing name only
/// means the id is shown.
fn parse_roles(p: &mut impl Platform, json: &Json) -> HashMap<String, String> {
    let Some(roles) = json.body.get("roles").and_then(Value::as_array) else {
        p.log(
            Level::Warn,
            "zoom's role list has no `roles` array; custom roles are shown by id",
        );
        return HashMap::new();
    };
    roles
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|role| {
            let name = text(role, "name").filter(|name| !name.is_empty())?;
            Some((text(role, "id")?, name))
        })
        .collect()
}

/// One user row as an account; `None` when the row has neither an id nor an email.
fn map_row(
    row: &Map<String, Value>,
    status: AccountStatus,
    roles: Option<&HashMap<String, String>>,
) -> Option<Account> {
    let id = text(row, "id").filter(|id| !id.is_empty());
    let email = text(row, "email").unwrap_or_default();
    if id.is_none() && email.is_empty() {
        return None;
    }

    let first_name = text(row, "first_name").unwrap_or_default();
    let last_name = text(row, "last_name").unwrap_or_default();
    let display_name = text(row, "display_name")
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| format!("{first_name} {last_name}").trim().to_string());
    let role = text(row, "role_id")
        .map(|id| role_name(&id, roles))
        .unwrap_or_default();
    let created = text(row, "user_created_at").or_else(|| text(row, "created_at"));

    Some(Account {
        id,
        email,
        first_name,
        last_name,
        display_name,
        // The status queried, not the row's own field, which may be missing.
        status,
        role,
        license: license_name(row.get("type")),
        last_login: text(row, "last_login_time").and_then(|at| parse_rfc3339(&at)),
        created: created.and_then(|at| parse_rfc3339(&at)),
    })
}

/// A role id as a name: from `/v2/roles` when read, else Zoom's three fixed roles, else the id.
fn role_name(id: &str, roles: Option<&HashMap<String, String>>) -> String {
    if let Some(name) = roles.and_then(|roles| roles.get(id)) {
        return name.clone();
    }
    match id {
        "0" => "Owner".to_string(),
        "1" => "Admin".to_string(),
        "2" => "Member".to_string(),
        other => other.to_string(),
    }
}

/// Zoom's user `type` (a number, or a numeric string) as a licence name.
fn license_name(value: Option<&Value>) -> String {
    let number = match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    match number {
        Some(1) => "basic".to_string(),
        Some(2) => "licensed".to_string(),
        Some(3) => "on-prem".to_string(),
        Some(4) => "unassigned".to_string(),
        Some(99) => "none".to_string(),
        Some(other) => format!("type {other}"),
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests;
