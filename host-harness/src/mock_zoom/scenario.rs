//! Scenario files: a mock setup written down in TOML or JSON, for `harness mock-zoom` and for
//! regression tests that reproduce a CASES.md case.
//!
//! Every section is optional; what is left out keeps [`MockConfig::default`]'s value.
//!
//! ```toml
//! description = "CASES.md 9: the token expires mid-listing"
//! seed = 7
//! accounts = { active = 42, inactive = 0, pending = 0 }
//!
//! [credentials]
//! client_id = "demo-client"
//!
//! [token]
//! lifetime_secs = 3599
//! scopes = ["user:read:list_users:admin"]
//!
//! [api]
//! identity = "admin"          # owner | admin | member
//! roles_allowed = false       # /v2/roles answers 400 code 200, like a free plan
//!
//! [faults]
//! expire_token_after_requests = 5
//!
//! [[pages]]                   # fixture replay for one status
//! status = "active"
//! files = ["users-active-page1.json", "users-active-page2.json"]   # beside this file
//!
//! [[pages]]                   # or inline; `users = N` stands for N minimal rows
//! status = "inactive"         # (`{"id":"u1","email":"user1@example.com","type":1,…}`)
//! pages = [{ page_size = 300, total_records = 12, next_page_token = "", users = 1 }]
//!
//! [[script.users]]            # endpoints: token revoke authorize users users_me user
//! pass_through = true         #            users_summary roles
//! [[script.users]]
//! preset = "expired_token"
//! [[script.users]]
//! preset = "rate_limited_qps"
//! retry_after = "1"
//! repeat = 3                  # queued three times
//! [[script.users]]
//! status = 500
//! body = "upstream timeout"
//! headers = { "Content-Type" = "text/plain" }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::config::{AccountCounts, IdentityRole, MockConfig, Pages};
use super::org::UserStatus;
use super::script::{Endpoint, ScriptedResponse};

/// Why a scenario could not be loaded. Messages say which file and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read mock zoom scenario {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mock zoom scenario {path} is not valid TOML: {source}")]
    Toml {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("mock zoom scenario {path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("fixture page {path} is not valid JSON: {source}")]
    Page {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("scripted response {index} for {endpoint:?} is invalid: {reason}")]
    Response {
        endpoint: Endpoint,
        index: usize,
        reason: String,
    },
}

/// A mock setup. See the module documentation for the file format.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario reproduces, for people reading the file.
    pub description: String,
    pub seed: Option<u64>,
    pub accounts: Option<AccountCounts>,
    pub credentials: ScenarioCredentials,
    pub token: ScenarioToken,
    pub api: ScenarioApi,
    pub faults: ScenarioFaults,
    pub pages: Vec<ScenarioPages>,
    pub script: BTreeMap<Endpoint, Vec<ScenarioResponse>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioCredentials {
    pub account_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioToken {
    pub lifetime_secs: Option<u64>,
    pub scopes: Option<Vec<String>>,
    pub rotate_s2s: Option<bool>,
    pub code_lifetime_secs: Option<u64>,
    pub redirect_uris: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioApi {
    pub identity: Option<IdentityRole>,
    pub page_token_lifetime_secs: Option<u64>,
    pub max_page_size: Option<u32>,
    pub roles_allowed: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioFaults {
    pub expire_token_after_requests: Option<u32>,
}

/// Fixture pages for one status: inline JSON, files (relative to the scenario file), or both
/// (inline first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioPages {
    pub status: UserStatus,
    #[serde(default)]
    pub pages: Vec<serde_json::Value>,
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

impl ScenarioPages {
    /// The pages with every `users = N` replaced by N minimal rows, numbered across pages.
    fn expanded(&self) -> Pages {
        let mut next_row = 1;
        let mut pages = self.pages.clone();
        for page in &mut pages {
            let Some(count) = page.get("users").and_then(serde_json::Value::as_u64) else {
                continue;
            };
            let rows: Vec<serde_json::Value> = (next_row..next_row + count)
                .map(|n| minimal_row(self.status, n))
                .collect();
            next_row += count;
            page["users"] = serde_json::Value::Array(rows);
        }
        Pages {
            status: self.status,
            pages,
        }
    }
}

/// The smallest row Zoom could send: `email` and `type`, plus `id` unless pending.
fn minimal_row(status: UserStatus, n: u64) -> serde_json::Value {
    let mut row = serde_json::json!({
        "email": format!("user{n}@example.com"),
        "type": 1,
        "status": status.as_str(),
    });
    if status != UserStatus::Pending {
        row["id"] = serde_json::json!(format!("u{n}"));
    }
    row
}

/// Ready-made responses, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    InvalidToken,
    ExpiredToken,
    /// Uses `scope`, default `user:read:list_users:admin`.
    MissingScope,
    NoPermission,
    InvalidPageToken,
    InvalidClient,
    InvalidGrant,
    /// Uses `retry_after` in seconds, default 1.
    RateLimitedQps,
    /// Uses `retry_after` as the reset time, default `2030-01-02T00:00:00Z`.
    RateLimitedDaily,
    MalformedJson,
}

/// One scripted response: `pass_through`, a `preset`, a Zoom error (`status` with `code` and
/// `message`), or a literal `status` with `body` or `json`. `headers` are added in every case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioResponse {
    pub pass_through: bool,
    pub preset: Option<Preset>,
    pub status: Option<u16>,
    pub code: Option<i64>,
    pub message: Option<String>,
    pub body: Option<String>,
    pub json: Option<serde_json::Value>,
    pub headers: BTreeMap<String, String>,
    pub retry_after: Option<String>,
    pub scope: Option<String>,
    /// Queue the response this many times (default 1).
    pub repeat: Option<usize>,
}

impl ScenarioResponse {
    /// The response this entry describes, or what is wrong with it.
    pub fn to_response(&self) -> Result<ScriptedResponse, String> {
        let mut response = if self.pass_through {
            ScriptedResponse::pass_through()
        } else if let Some(preset) = self.preset {
            self.preset_response(preset)?
        } else {
            let status = self
                .status
                .ok_or("needs `status`, `preset` or `pass_through = true`")?;
            match (self.code, &self.message, &self.body, &self.json) {
                (Some(code), Some(message), None, None) => {
                    ScriptedResponse::zoom_error(status, code, message)
                }
                (None, None, Some(body), None) => ScriptedResponse::new(status, body.clone()),
                (None, None, None, Some(json)) => ScriptedResponse::json(status, json),
                (None, None, None, None) => ScriptedResponse::new(status, ""),
                _ => return Err("give either `code` and `message`, or `body`, or `json`".into()),
            }
        };
        for (name, value) in &self.headers {
            response = response.with_header(name.clone(), value.clone());
        }
        Ok(response)
    }

    fn preset_response(&self, preset: Preset) -> Result<ScriptedResponse, String> {
        Ok(match preset {
            Preset::InvalidToken => ScriptedResponse::invalid_token(),
            Preset::ExpiredToken => ScriptedResponse::expired_token(),
            Preset::MissingScope => ScriptedResponse::missing_scope(
                self.scope
                    .as_deref()
                    .unwrap_or("user:read:list_users:admin"),
            ),
            Preset::NoPermission => ScriptedResponse::no_permission(),
            Preset::InvalidPageToken => ScriptedResponse::invalid_page_token(),
            Preset::InvalidClient => ScriptedResponse::invalid_client(),
            Preset::InvalidGrant => ScriptedResponse::invalid_grant(),
            Preset::RateLimitedQps => {
                let secs = match &self.retry_after {
                    None => 1,
                    Some(value) => value.parse().map_err(|_| {
                        format!("`retry_after` must be whole seconds, not {value:?}")
                    })?,
                };
                ScriptedResponse::rate_limited_qps(secs)
            }
            Preset::RateLimitedDaily => ScriptedResponse::rate_limited_daily(
                self.retry_after
                    .as_deref()
                    .unwrap_or("2030-01-02T00:00:00Z"),
            ),
            Preset::MalformedJson => ScriptedResponse::malformed_json(),
        })
    }
}

impl Scenario {
    /// Loads a scenario: JSON for `.json` files, TOML otherwise. Page files are read relative
    /// to the scenario's folder, and the whole scenario is checked, so a loaded scenario always
    /// converts with [`Scenario::to_config`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
                path: path.to_owned(),
                source,
            })
        };
        let text = read(path)?;
        let mut scenario: Scenario = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|source| ScenarioError::Json {
                path: path.to_owned(),
                source,
            })?
        } else {
            toml::from_str(&text).map_err(|source| ScenarioError::Toml {
                path: path.to_owned(),
                source: Box::new(source),
            })?
        };

        let folder = path.parent().unwrap_or(Path::new("."));
        for set in &mut scenario.pages {
            for file in std::mem::take(&mut set.files) {
                let file = folder.join(file);
                let page = serde_json::from_str(&read(&file)?)
                    .map_err(|source| ScenarioError::Page { path: file, source })?;
                set.pages.push(page);
            }
        }
        scenario.to_config()?;
        Ok(scenario)
    }

    /// Parses a TOML scenario; `files` in `[[pages]]` are not read (use inline `pages`).
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        toml::from_str(text).map_err(|source| ScenarioError::Toml {
            path: PathBuf::from("<inline>"),
            source: Box::new(source),
        })
    }

    /// The configuration the mock starts with for this scenario.
    pub fn to_config(&self) -> Result<MockConfig, ScenarioError> {
        let mut config = MockConfig::default();
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(accounts) = self.accounts {
            config.accounts = accounts;
        }

        let credentials = &self.credentials;
        set(&mut config.account_id, &credentials.account_id);
        set(&mut config.client_id, &credentials.client_id);
        set(&mut config.client_secret, &credentials.client_secret);

        let token = &self.token;
        if let Some(secs) = token.lifetime_secs {
            config.token_lifetime = Duration::from_secs(secs);
        }
        set(&mut config.scopes, &token.scopes);
        set(&mut config.rotate_s2s_tokens, &token.rotate_s2s);
        if let Some(secs) = token.code_lifetime_secs {
            config.code_lifetime = Duration::from_secs(secs);
        }
        set(&mut config.redirect_uris, &token.redirect_uris);

        let api = &self.api;
        set(&mut config.identity, &api.identity);
        if let Some(secs) = api.page_token_lifetime_secs {
            config.page_token_lifetime = Duration::from_secs(secs);
        }
        set(&mut config.max_page_size, &api.max_page_size);
        set(&mut config.roles_allowed, &api.roles_allowed);
        config.expire_token_after_requests = self.faults.expire_token_after_requests;

        config.pages = self.pages.iter().map(ScenarioPages::expanded).collect();

        for (&endpoint, entries) in &self.script {
            let mut responses = Vec::with_capacity(entries.len());
            for (index, entry) in entries.iter().enumerate() {
                let response = entry
                    .to_response()
                    .map_err(|reason| ScenarioError::Response {
                        endpoint,
                        index,
                        reason,
                    })?;
                let times = entry.repeat.unwrap_or(1);
                responses.extend(std::iter::repeat_n(response, times));
            }
            config.scripts.push((endpoint, responses));
        }
        Ok(config)
    }
}

fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *target = value.clone();
    }
}
