//! A mock Zoom: one loopback HTTP server that answers both Zoom's OAuth host (`zoom.us`:
//! `/oauth/token`, `/oauth/authorize`, `/oauth/revoke`) and its API host (`api.zoom.us`:
//! `/v2/users`, `/v2/users/me`, `/v2/users/{id}`, `/v2/users/summary`, `/v2/roles`), for the
//! host's tests, `harness demo`, `harness mock-zoom` and the benchmarks.
//!
//! It behaves as `shared/zoom/API.md` describes Zoom, strictly where clients go wrong: HTTP
//! Basic client authentication, refresh tokens that rotate on every use, server-to-server
//! tokens that supersede each other, page tokens that expire and are bound to their query,
//! `page_size` clamped to 300, pending accounts listed without `id`, Zoom's exact error bodies.
//! The accounts come from a deterministic generated [`Organisation`] (2,400 by default; a
//! million is fine), or from exact fixture pages ([`Pages`]) when a test needs a body byte for
//! byte. Any endpoint can be [scripted](MockZoom::script) to answer a queue of canned responses
//! (401s, 429s, broken JSON) before it resumes normal service, and every request is recorded.
//!
//! The server binds 127.0.0.1 only, and logs each request at `debug` by method and path alone:
//! queries, headers and bodies carry secrets.
//!
//! ```ignore
//! use host_harness::mock_zoom::{Endpoint, MockConfig, MockZoom, ScriptedResponse, UserStatus};
//!
//! let zoom = MockZoom::start(MockConfig::default()).await?;
//! // Page 1 as usual, then an expired token, then normal service again (CASES.md 9).
//! zoom.script(
//!     Endpoint::Users,
//!     vec![ScriptedResponse::pass_through(), ScriptedResponse::expired_token()],
//! );
//! let accounts = run_plugin_against(&zoom.base_url()).await?;
//! assert_eq!(accounts.active.len(), zoom.organisation().count(UserStatus::Active));
//! assert_eq!(zoom.count(Endpoint::Token), 2, "one token, then one more after the 401");
//! zoom.shutdown().await;
//! ```
//!
//! Scenario files ([`Scenario`]) describe the same setups in TOML or JSON for the CLI.

mod api;
mod config;
mod encoding;
mod names;
mod oauth;
mod org;
mod rows;
mod scenario;
mod script;
mod server;
mod state;

#[cfg(test)]
mod tests;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{
    AccountCounts, DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNTS, DEFAULT_API_URL, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET, DEFAULT_CODE_LIFETIME, DEFAULT_MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE,
    DEFAULT_PAGE_TOKEN_LIFETIME, DEFAULT_SCOPES, DEFAULT_SEED, DEFAULT_TOKEN_LIFETIME,
    IdentityRole, MockConfig, Pages,
};
pub use org::{
    COMPANY_DOMAIN, CUSTOM_ROLE_ID, CUSTOM_ROLE_NAME, Employment, GENERATED_AT, MockUser,
    Organisation, Person, Role, UserStatus,
};
pub use scenario::{
    Preset, Scenario, ScenarioApi, ScenarioCredentials, ScenarioError, ScenarioFaults,
    ScenarioPages, ScenarioResponse, ScenarioToken,
};
pub use script::{
    DAILY_LIMIT_MESSAGE, Endpoint, PASS_THROUGH_STATUS, QPS_LIMIT_MESSAGE, ScriptedResponse,
};
pub use state::RecordedRequest;

use state::{Shared, State};

/// A running mock Zoom server. Dropping it stops the server too; [`MockZoom::shutdown`] also
/// waits until the port is released.
pub struct MockZoom {
    shared: Arc<Shared>,
    config: MockConfig,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl MockZoom {
    /// Generates the organisation and starts serving on 127.0.0.1 (`config.port`, or a free
    /// port when `None`).
    pub async fn start(config: MockConfig) -> io::Result<MockZoom> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port.unwrap_or(0))).await?;
        let addr = listener.local_addr()?;

        // A million accounts take a moment to generate: keep it off the async workers.
        let (seed, accounts) = (config.seed, config.accounts);
        let org = tokio::task::spawn_blocking(move || Organisation::generate(seed, accounts))
            .await
            .map_err(io::Error::other)?;

        let shared = Arc::new(Shared::new(State::new(config.clone()), org));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        tracing::debug!(%addr, "mock zoom started");
        Ok(MockZoom {
            shared,
            config,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, to which both `https://zoom.us` and `https://api.zoom.us`
    /// should be routed.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it was started with (credentials, scopes, limits).
    pub fn config(&self) -> &MockConfig {
        &self.config
    }

    /// The generated accounts, so tests know what a complete listing contains. With fixture
    /// pages configured, `/v2/users` serves those instead, but `/v2/users/me`, `/v2/users/{id}`
    /// and `/v2/roles` still answer from this organisation.
    pub fn organisation(&self) -> &Organisation {
        &self.shared.org
    }

    /// Queues `responses` for `endpoint`, after any already queued. Each request to the
    /// endpoint takes the next one; when the queue is empty the endpoint behaves normally.
    /// [`ScriptedResponse::pass_through`] entries take a turn but are served normally.
    pub fn script(&self, endpoint: Endpoint, responses: Vec<ScriptedResponse>) {
        self.shared.lock().script(endpoint, responses);
    }

    /// Every request received since start or [`MockZoom::clear_requests`], oldest first
    /// (empty when `config.record_requests` is off).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests()
    }

    /// How many requests `endpoint` received since start or the last clear, scripted or not.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.shared.lock().count(endpoint)
    }

    /// Empties the request log and zeroes the counts.
    pub fn clear_requests(&self) {
        self.shared.lock().clear_requests();
    }

    /// Moves the mock's clock forward: tokens, codes and page tokens age by `by` at once.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.lock().advance_clock(by);
    }

    /// Revokes every refresh token and access token, as when an admin removes the app: the
    /// next refresh is `invalid_grant` and the next API call 401. A new server-to-server token
    /// can still be minted.
    pub fn revoke_all_grants(&self) {
        self.shared.lock().tokens.revoke_all();
    }

    /// Fault: every access token issued so far expires after `n` more API requests (answered
    /// "Access token is expired."). Tokens minted later follow
    /// `config.expire_token_after_requests`.
    pub fn expire_tokens_after_requests(&self, n: u32) {
        self.shared.lock().tokens.expire_after(n);
    }

    /// Issues an authorization code for `redirect_uri` without going through
    /// `/oauth/authorize`; with `code_challenge`, the exchange must present the matching S256
    /// verifier.
    pub fn issue_authorization_code(
        &self,
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> String {
        let mut state = self.shared.lock();
        let now = state.now();
        let State { tokens, config, .. } = &mut *state;
        tokens.issue_code(config, redirect_uri, code_challenge, now)
    }

    /// Mints a valid access token with the configured scopes without a request, for tests that
    /// are not about OAuth. It does not supersede other tokens.
    pub fn issue_access_token(&self) -> String {
        let mut state = self.shared.lock();
        let now = state.now();
        let State { tokens, config, .. } = &mut *state;
        tokens.issue_access(config, now)
    }

    /// What `harness mock-zoom` prints: where the mock listens and how to sign in.
    pub fn banner(&self) -> String {
        let org = self.organisation();
        format!(
            "mock zoom listening on {url} (serves both zoom.us and api.zoom.us paths)\n\
             account_id:    {account}\n\
             client_id:     {client}\n\
             client_secret: {secret}\n\
             accounts:      {active} active, {inactive} inactive, {pending} pending (seed {seed})",
            url = self.base_url(),
            account = self.config.account_id,
            client = self.config.client_id,
            secret = self.config.client_secret,
            active = org.count(UserStatus::Active),
            inactive = org.count(UserStatus::Inactive),
            pending = org.count(UserStatus::Pending),
            seed = org.seed(),
        )
    }

    /// Stops accepting connections, closes open ones and waits until the port is free.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockZoom {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Runs a mock until Ctrl-C, printing [`MockZoom::banner`] to stdout first: the body of
/// `harness mock-zoom`.
pub async fn run_until_ctrl_c(config: MockConfig) -> io::Result<()> {
    let zoom = MockZoom::start(config).await?;
    println!("{}", zoom.banner());
    println!("press ctrl-c to stop");
    tokio::signal::ctrl_c().await?;
    zoom.shutdown().await;
    Ok(())
}
