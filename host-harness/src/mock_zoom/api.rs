//! Zoom's API host: `/v2/users` with its paging rules, `/v2/users/me`, `/v2/users/{id}`,
//! `/v2/users/summary` and `/v2/roles`.
//!
//! Paging is as strict as Zoom documents it, because lenient mocks hide client bugs: a
//! `next_page_token` expires 15 minutes after it was issued, and it is bound to the `status`
//! and `page_size` of the query that issued it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::config::{DEFAULT_PAGE_SIZE, IdentityRole, Pages};
use super::encoding::{decode_component, random_token};
use super::org::{Employment, Organisation, Role, UserStatus};
use super::rows::{Row, RowList, UsersPage};
use super::server::{Reply, Request};
use super::state::State;

/// Scopes that allow listing users; error messages name the first.
const LIST_USERS_SCOPES: &[&str] = &["user:read:list_users:admin", "user:read:admin"];
/// Scopes that allow reading one user.
const READ_USER_SCOPES: &[&str] = &["user:read:user:admin", "user:read:admin"];
/// Scopes that allow reading oneself, which a member's token can have too.
const READ_SELF_SCOPES: &[&str] = &[
    "user:read:user:admin",
    "user:read:admin",
    "user:read:user",
    "user:read",
];
/// Scopes that allow listing roles.
const LIST_ROLES_SCOPES: &[&str] = &["role:read:list_roles:admin", "role:read:admin"];

/// Tokens kept before expired ones are swept out.
const CURSOR_SWEEP_THRESHOLD: usize = 4_096;

/// Checks the bearer token and its scopes, as Zoom does before anything else.
fn check_access(state: &mut State, request: &Request, needed: &[&str]) -> Result<(), Reply> {
    let now = state.now();
    let bearer = request.header("authorization").and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
    });
    let scopes = state
        .tokens
        .use_access(bearer, now)
        .map_err(|refusal| refusal.reply())?;
    if needed.iter().any(|n| scopes.iter().any(|s| s == n)) {
        return Ok(());
    }
    let message = format!(
        "Invalid access token, does not contain scopes:[{}].",
        needed[0]
    );
    Err(Reply::zoom_error(400, 4711, &message))
}

fn invalid_field(name: &str) -> Reply {
    Reply::zoom_error(400, 300, &format!("Invalid field: {name}."))
}

fn invalid_page_token() -> Reply {
    Reply::zoom_error(400, 300, "The next page token is invalid or expired.")
}

/// Where a `next_page_token` leads, and the query it was issued for.
struct Cursor {
    status: UserStatus,
    page_size: usize,
    offset: usize,
    issued: Instant,
}

/// Issued page tokens.
#[derive(Default)]
pub(crate) struct Cursors {
    map: HashMap<String, Cursor>,
    /// Size at which expired tokens are next swept out. It doubles with the live tokens, so a
    /// million-account listing at 30 a page does not sweep on every page.
    sweep_at: usize,
}

impl Cursors {
    fn issue(
        &mut self,
        query: (UserStatus, usize),
        offset: usize,
        now: Instant,
        lifetime: Duration,
    ) -> String {
        if self.map.len() >= self.sweep_at.max(CURSOR_SWEEP_THRESHOLD) {
            self.map
                .retain(|_, c| now.duration_since(c.issued) < lifetime);
            self.sweep_at = self.map.len() * 2;
        }
        let token = random_token(35);
        let (status, page_size) = query;
        let cursor = Cursor {
            status,
            page_size,
            offset,
            issued: now,
        };
        self.map.insert(token.clone(), cursor);
        token
    }
}

/// Fixture pages per status, when the mock replays them.
pub(crate) struct Fixtures {
    by_status: Option<[Vec<serde_json::Value>; 3]>,
}

impl Fixtures {
    pub fn new(pages: Vec<Pages>) -> Fixtures {
        if pages.is_empty() {
            return Fixtures { by_status: None };
        }
        let mut by_status: [Vec<serde_json::Value>; 3] = Default::default();
        for set in pages {
            by_status[set.status.index()].extend(set.pages);
        }
        Fixtures {
            by_status: Some(by_status),
        }
    }

    /// The page that answers `token` for `status`: the first without one, else the page after
    /// the one whose `next_page_token` is `token`.
    fn page(&self, status: UserStatus, token: Option<&str>, page_size: usize) -> Reply {
        let Some(by_status) = &self.by_status else {
            return invalid_page_token();
        };
        let pages = &by_status[status.index()];
        let index = match token {
            None => 0,
            Some(token) => {
                let issued_by = pages.iter().position(|page| {
                    page.get("next_page_token").and_then(|t| t.as_str()) == Some(token)
                });
                match issued_by {
                    Some(i) => i + 1,
                    None => return invalid_page_token(),
                }
            }
        };
        match pages.get(index) {
            Some(page) => Reply::serialize(page),
            // A status with no fixture pages has no accounts.
            None if index == 0 => Reply::serialize(&serde_json::json!({
                "next_page_token": "",
                "page_count": 0,
                "page_number": 1,
                "page_size": page_size,
                "total_records": 0,
                "users": [],
            })),
            None => invalid_page_token(),
        }
    }
}

/// The parameters of a `/v2/users` request that a page token is bound to.
struct ListingQuery<'a> {
    status: UserStatus,
    page_size: usize,
    token: Option<&'a str>,
}

impl<'a> ListingQuery<'a> {
    fn parse(request: &'a Request, max_page_size: u32) -> Result<ListingQuery<'a>, Reply> {
        let status = match request.query_param("status") {
            None | Some("") => UserStatus::Active,
            Some(value) => UserStatus::parse(value).ok_or_else(|| invalid_field("status"))?,
        };
        let page_size = match request.query_param("page_size") {
            None | Some("") => DEFAULT_PAGE_SIZE,
            Some(value) => match value.parse::<u32>() {
                // Zoom clamps rather than refuses an oversized page.
                Ok(size) if size > 0 => size.min(max_page_size.max(1)),
                _ => return Err(invalid_field("page_size")),
            },
        };
        let token = request
            .query_param("next_page_token")
            .filter(|t| !t.is_empty());
        Ok(ListingQuery {
            status,
            page_size: page_size as usize,
            token,
        })
    }

    /// Where the page starts: where the token leads, or `page_number` (deprecated but still
    /// honoured without a token), or the beginning.
    fn offset(
        &self,
        cursors: &Cursors,
        request: &Request,
        now: Instant,
        lifetime: Duration,
    ) -> Result<usize, Reply> {
        let Some(token) = self.token else {
            return match request.query_param("page_number").map(str::parse::<usize>) {
                None => Ok(0),
                Some(Ok(number)) if number > 0 => Ok((number - 1).saturating_mul(self.page_size)),
                Some(_) => Err(invalid_field("page_number")),
            };
        };
        match cursors.map.get(token) {
            Some(c) if now.duration_since(c.issued) >= lifetime => Err(invalid_page_token()),
            // Bound to the query that issued it: Zoom requires the same parameters on every page.
            Some(c) if c.status != self.status || c.page_size != self.page_size => {
                Err(invalid_page_token())
            }
            Some(c) => Ok(c.offset),
            None => Err(invalid_page_token()),
        }
    }
}

/// `GET /v2/users?status=&page_size=&next_page_token=`.
pub(crate) fn list_users(state: &mut State, org: &Organisation, request: &Request) -> Reply {
    if let Err(reply) = check_access(state, request, LIST_USERS_SCOPES) {
        return reply;
    }
    let query = match ListingQuery::parse(request, state.config.max_page_size) {
        Ok(query) => query,
        Err(reply) => return reply,
    };
    if state.fixtures.by_status.is_some() {
        return state
            .fixtures
            .page(query.status, query.token, query.page_size);
    }

    let now = state.now();
    let lifetime = state.config.page_token_lifetime;
    let offset = match query.offset(&state.cursors, request, now, lifetime) {
        Ok(offset) => offset,
        Err(reply) => return reply,
    };

    let (status, page_size) = (query.status, query.page_size);
    let positions = org.positions(status);
    let start = offset.min(positions.len());
    let end = offset.saturating_add(page_size).min(positions.len());
    let next = if end < positions.len() {
        state.cursors.issue((status, page_size), end, now, lifetime)
    } else {
        String::new()
    };
    Reply::serialize(&UsersPage {
        next_page_token: &next,
        page_count: positions.len().div_ceil(page_size),
        page_number: offset / page_size + 1,
        page_size,
        total_records: positions.len(),
        users: RowList {
            org,
            positions: &positions[start..end],
        },
    })
}

/// The account `/v2/users/me` describes: the one who authorised the app. For a
/// server-to-server app that is the Owner or Admin who created it, as in Zoom.
fn identity(state: &State, org: &Organisation) -> Option<usize> {
    let users = org.users();
    let found = match state.config.identity {
        IdentityRole::Owner => None,
        IdentityRole::Admin => users
            .iter()
            .position(|u| u.role() == Role::Admin && u.status() == UserStatus::Active),
        IdentityRole::Member => users.iter().position(|u| {
            u.role() == Role::Member
                && u.status() == UserStatus::Active
                && u.employment() == Employment::Employed
                && !u.is_room()
        }),
    };
    found.or((!users.is_empty()).then_some(0))
}

fn user_detail(state: &State, org: &Organisation, index: usize) -> Reply {
    Reply::serialize(&Row {
        org,
        index,
        detail: Some(&state.config.account_id),
    })
}

/// `GET /v2/users/me`.
pub(crate) fn me(state: &mut State, org: &Organisation, request: &Request) -> Reply {
    if let Err(reply) = check_access(state, request, READ_SELF_SCOPES) {
        return reply;
    }
    match identity(state, org) {
        Some(index) => user_detail(state, org, index),
        None => Reply::zoom_error(404, 1001, "User does not exist: me."),
    }
}

/// `GET /v2/users/{id-or-email}`.
pub(crate) fn user(state: &mut State, org: &Organisation, request: &Request) -> Reply {
    if let Err(reply) = check_access(state, request, READ_USER_SCOPES) {
        return reply;
    }
    let raw = request.path.rsplit('/').next().unwrap_or_default();
    let wanted = decode_component(raw);
    let found = if wanted.contains('@') {
        org.find_by_email(&wanted)
    } else {
        org.find_by_id(&wanted)
    };
    match found {
        Some(index) => user_detail(state, org, index),
        None => Reply::zoom_error(404, 1001, &format!("User does not exist: {wanted}.")),
    }
}

#[derive(Serialize)]
struct Summary {
    licensed_users_count: usize,
    basic_users_count: usize,
    on_prem_users_count: usize,
    room_users_count: usize,
    pending_users_count: usize,
    join_only_users_count: usize,
    total_users_count: usize,
}

/// `GET /v2/users/summary`: counts per kind, the cheap completeness check API.md mentions.
/// TODO: the field set follows Zoom's reference as far as we know it; check it against a real
/// answer before a client relies on more than `total_users_count` and `pending_users_count`.
pub(crate) fn summary(state: &mut State, org: &Organisation, request: &Request) -> Reply {
    if let Err(reply) = check_access(state, request, LIST_USERS_SCOPES) {
        return reply;
    }
    let users = org.users();
    let listed = |t: u8| {
        let of_type = users.iter().filter(|u| u.user_type() == t);
        of_type
            .filter(|u| u.status() != UserStatus::Pending)
            .count()
    };
    Reply::serialize(&Summary {
        licensed_users_count: listed(2),
        basic_users_count: listed(1),
        on_prem_users_count: 0,
        room_users_count: listed(99),
        pending_users_count: org.count(UserStatus::Pending),
        join_only_users_count: 0,
        total_users_count: users.len(),
    })
}

#[derive(Serialize)]
struct RoleRow {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    total_members: usize,
}

#[derive(Serialize)]
struct RolesPage {
    roles: Vec<RoleRow>,
    total_records: usize,
}

/// `GET /v2/roles`, or "No permission." when the plan has no roles.
pub(crate) fn roles(state: &mut State, org: &Organisation, request: &Request) -> Reply {
    if let Err(reply) = check_access(state, request, LIST_ROLES_SCOPES) {
        return reply;
    }
    if !state.config.roles_allowed {
        return Reply::zoom_error(400, 200, "No permission.");
    }
    let described = [
        (Role::Owner, "Account owner"),
        (Role::Admin, "Account administrators"),
        (Role::Member, "Account members"),
        (Role::Custom, "Custom role"),
    ];
    let roles: Vec<RoleRow> = described
        .into_iter()
        .map(|(role, description)| RoleRow {
            id: role.id(),
            name: role.name(),
            description,
            kind: "common",
            total_members: org.role_members(role),
        })
        .collect();
    Reply::serialize(&RolesPage {
        total_records: roles.len(),
        roles,
    })
}
