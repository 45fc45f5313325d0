//! What a mock server is started with. Every field has a default that gives a working Zoom
//! account of 2,400 users with the demo credentials.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::org::UserStatus;
use super::script::{Endpoint, ScriptedResponse};

/// Seed of the default organisation.
pub const DEFAULT_SEED: u64 = 42;
/// Accounts in the default organisation, split 85/10/5 % active/inactive/pending.
pub const DEFAULT_ACCOUNTS: usize = 2_400;
pub const DEFAULT_ACCOUNT_ID: &str = "acct-demo";
pub const DEFAULT_CLIENT_ID: &str = "demo-client";
pub const DEFAULT_CLIENT_SECRET: &str = "demo-secret";
/// Zoom answers `expires_in: 3599` in practice (3600 documented).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3599);
/// Scopes granted by default: everything the plugin needs, as in `fixtures/token-s2s.json`.
pub const DEFAULT_SCOPES: [&str; 3] = [
    "user:read:list_users:admin",
    "user:read:user:admin",
    "role:read:list_roles:admin",
];
/// How long an authorization code can be exchanged.
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// How long a `next_page_token` stays valid.
pub const DEFAULT_PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// `page_size` when the query has none.
pub const DEFAULT_PAGE_SIZE: u32 = 30;
/// Larger `page_size` values are clamped to this (the pagination guide's limit; the current
/// spec says 2000, which a test can set).
pub const DEFAULT_MAX_PAGE_SIZE: u32 = 300;
/// `api_url` in token answers. The host routes it back to the mock.
pub const DEFAULT_API_URL: &str = "https://api.zoom.us";

/// How many accounts of each status the organisation has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountCounts {
    pub active: usize,
    pub inactive: usize,
    pub pending: usize,
}

impl AccountCounts {
    /// Splits `total` about 85 % active, 10 % inactive, 5 % pending (exact for multiples of
    /// 20).
    pub fn split(total: usize) -> AccountCounts {
        let inactive = total / 10;
        let pending = total / 20;
        AccountCounts {
            active: total - inactive - pending,
            inactive,
            pending,
        }
    }

    /// All accounts.
    pub fn total(&self) -> usize {
        self.active + self.inactive + self.pending
    }
}

impl Default for AccountCounts {
    fn default() -> Self {
        AccountCounts::split(DEFAULT_ACCOUNTS)
    }
}

/// Who authorised the app, as `/v2/users/me` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityRole {
    /// The account's Owner (the first row).
    #[default]
    Owner,
    /// The first active Admin (the Owner if there is none).
    Admin,
    /// The first active ordinary member. Zoom grants a member no `:admin` scope, so tokens
    /// minted for this identity lack them and admin endpoints answer 4711; `/v2/users/me`
    /// works if `user:read:user` or `user:read` is among the configured scopes.
    Member,
}

/// Exact `GET /v2/users` bodies for one status, replayed instead of the generated organisation.
///
/// The first page answers a request without `next_page_token`; page `i + 1` answers a request
/// whose `next_page_token` equals page `i`'s `next_page_token` value. Any other token is HTTP
/// 400 code 300, so a client that loses its place is caught. Bodies are sent as given, keys and
/// all: a page may lack `next_page_token`, or announce more rows than it has.
#[derive(Debug, Clone, PartialEq)]
pub struct Pages {
    pub status: UserStatus,
    pub pages: Vec<serde_json::Value>,
}

/// Configuration of a mock server. `MockConfig::default()` is a 2,400-account organisation from
/// seed 42 with the demo credentials and every scope the plugin needs.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Port on 127.0.0.1; `None` (default) takes a free one.
    pub port: Option<u16>,
    /// Seed of the generated organisation (default [`DEFAULT_SEED`]).
    pub seed: u64,
    /// Accounts per status (default [`DEFAULT_ACCOUNTS`] split 85/10/5 %).
    pub accounts: AccountCounts,
    /// Server-to-server `account_id` (default [`DEFAULT_ACCOUNT_ID`]).
    pub account_id: String,
    /// OAuth client id (default [`DEFAULT_CLIENT_ID`]).
    pub client_id: String,
    /// OAuth client secret (default [`DEFAULT_CLIENT_SECRET`]).
    pub client_secret: String,
    /// Access token lifetime, answered as `expires_in` (default 3599 s).
    pub token_lifetime: Duration,
    /// Scopes granted to every token (default [`DEFAULT_SCOPES`]).
    pub scopes: Vec<String>,
    /// Who `/v2/users/me` is (default Owner).
    pub identity: IdentityRole,
    /// Minting a server-to-server token invalidates the previous one (default true, as Zoom
    /// has been seen to do).
    pub rotate_s2s_tokens: bool,
    /// Fault: every access token expires after serving this many API requests (default none).
    pub expire_token_after_requests: Option<u32>,
    /// Authorization code lifetime (default 5 minutes).
    pub code_lifetime: Duration,
    /// Accepted `redirect_uri` values; empty (default) accepts any.
    pub redirect_uris: Vec<String>,
    /// `next_page_token` lifetime by the mock's clock (default 15 minutes).
    pub page_token_lifetime: Duration,
    /// `page_size` ceiling; larger values are clamped (default 300).
    pub max_page_size: u32,
    /// `/v2/roles` works; false answers HTTP 400 code 200 "No permission." like a free plan
    /// (default true).
    pub roles_allowed: bool,
    /// Fixture replay: when not empty, `/v2/users` serves these pages instead of the generated
    /// organisation, and a status without pages lists no accounts (default empty).
    pub pages: Vec<Pages>,
    /// Responses queued at start, as [`MockZoom::script`](super::MockZoom::script) would.
    pub scripts: Vec<(Endpoint, Vec<ScriptedResponse>)>,
    /// `api_url` in token answers (default [`DEFAULT_API_URL`]).
    pub api_url: String,
    /// Keep the request log (default true). Benchmarks listing a million accounts can turn it
    /// off; [`MockZoom::count`](super::MockZoom::count) still counts.
    pub record_requests: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            port: None,
            seed: DEFAULT_SEED,
            accounts: AccountCounts::default(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            identity: IdentityRole::Owner,
            rotate_s2s_tokens: true,
            expire_token_after_requests: None,
            code_lifetime: DEFAULT_CODE_LIFETIME,
            redirect_uris: Vec::new(),
            page_token_lifetime: DEFAULT_PAGE_TOKEN_LIFETIME,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            roles_allowed: true,
            pages: Vec::new(),
            scripts: Vec::new(),
            api_url: DEFAULT_API_URL.to_owned(),
            record_requests: true,
        }
    }
}

impl MockConfig {
    /// The default configuration with `total` accounts split 85/10/5 %.
    pub fn with_accounts(total: usize) -> MockConfig {
        MockConfig {
            accounts: AccountCounts::split(total),
            ..MockConfig::default()
        }
    }
}
