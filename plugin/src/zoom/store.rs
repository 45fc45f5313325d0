//! What the plugin keeps in the host's key-value storage, and how it is written.
//!
//! Two keys, each written whole with one `set` so that a crash never leaves half of one:
//!
//! - [`CONNECTION_KEY`]: the working connection ([`StoredConnection`]): credentials, the current
//!   token set with its absolute expiry, and what `connect` proved. Only a fully checked
//!   connection or a renewed token set is ever written here.
//! - [`AUTHORIZATIONS_KEY`]: the PKCE verifiers of authorization-code flows in progress, keyed
//!   by their `state` ([`PendingAuthorizations`]), each dropped after ten minutes.
//!
//! One key for all verifiers (rather than one key per state) lets `disconnect` delete
//! everything without a way to list keys.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::platform::{Level, Platform};
use crate::model::Error;

pub const CONNECTION_KEY: &str = "connection";
pub const AUTHORIZATIONS_KEY: &str = "authorizations";

/// Every key the plugin writes; `disconnect` deletes them all.
pub const ALL_KEYS: [&str; 2] = [CONNECTION_KEY, AUTHORIZATIONS_KEY];

/// The layout version of [`StoredConnection`]; a newer one is refused rather than misread.
const CONNECTION_VERSION: u32 = 1;

/// How long a verifier waits for `connect`: twice the life of Zoom's authorization code.
pub const DEFAULT_AUTHORIZATION_TTL_MS: i64 = 10 * 60 * 1000;

/// Authorizations kept at once; the oldest goes first, so abandoned flows cannot grow the key.
pub const DEFAULT_MAX_PENDING_AUTHORIZATIONS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    ServerToServer,
    AuthorizationCode,
}

impl AuthKind {
    pub fn id(self) -> &'static str {
        match self {
            AuthKind::ServerToServer => "server-to-server",
            AuthKind::AuthorizationCode => "authorization-code",
        }
    }
}

/// The connection as stored under [`CONNECTION_KEY`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConnection {
    pub version: u32,
    pub method: AuthKind,
    pub client_id: String,
    pub client_secret: String,
    /// The Zoom account; for the code flow, read from `/v2/users/me` by `connect`.
    pub account_id: String,
    pub access_token: String,
    /// Absolute: the time of minting plus `expires_in`, so that a later run can tell.
    pub expires_at_ms: i64,
    /// The code flow's current refresh token; Zoom invalidates it on every refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// As granted in the token answer's `scope`.
    pub scopes: Vec<String>,
    pub authorized_by: String,
    pub authorized_role: String,
    pub connected_at_ms: i64,
}

impl StoredConnection {
    pub fn new(method: AuthKind, client_id: &str, client_secret: &str, now_ms: i64) -> Self {
        StoredConnection {
            version: CONNECTION_VERSION,
            method,
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            account_id: String::new(),
            access_token: String::new(),
            expires_at_ms: 0,
            refresh_token: None,
            scopes: Vec::new(),
            authorized_by: String::new(),
            authorized_role: String::new(),
            connected_at_ms: now_ms,
        }
    }
}

// Written by hand so that a stray `{:?}` can never print a secret or a token.
impl fmt::Debug for StoredConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredConnection")
            .field("method", &self.method)
            .field("client_id", &self.client_id)
            .field("account_id", &self.account_id)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("scopes", &self.scopes)
            .field("authorized_by", &self.authorized_by)
            .finish_non_exhaustive()
    }
}

/// One authorization-code flow waiting for `connect`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub verifier: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub created_at_ms: i64,
}

/// The value of [`AUTHORIZATIONS_KEY`]: pending flows by `state`.
#[derive(Default, Serialize, Deserialize)]
pub struct PendingAuthorizations {
    pub by_state: BTreeMap<String, PendingAuthorization>,
}

impl PendingAuthorizations {
    /// Adds a flow, dropping the oldest ones beyond the cap.
    pub fn insert(&mut self, state: String, pending: PendingAuthorization) {
        self.by_state.insert(state, pending);
        while self.by_state.len() > DEFAULT_MAX_PENDING_AUTHORIZATIONS {
            let oldest = self
                .by_state
                .iter()
                .min_by_key(|(_, pending)| pending.created_at_ms)
                .map(|(state, _)| state.clone());
            let Some(oldest) = oldest else { break };
            self.by_state.remove(&oldest);
        }
    }

    fn drop_expired(&mut self, now_ms: i64) {
        self.by_state.retain(|_, pending| {
            let age = now_ms.saturating_sub(pending.created_at_ms);
            (0..DEFAULT_AUTHORIZATION_TTL_MS).contains(&age)
        });
    }
}

/// The stored connection, `None` when there is none. Unreadable JSON is a storage error: it is
/// not silently treated as "not connected", which would hide a damaged store.
pub fn load_connection(p: &mut impl Platform) -> Result<Option<StoredConnection>, Error> {
    let Some(bytes) = p.get(CONNECTION_KEY).map_err(read_failed)? else {
        return Ok(None);
    };

    let connection: StoredConnection = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Storage(format!(
            "the stored zoom connection is unreadable ({e}); connect again"
        ))
    })?;
    if connection.version != CONNECTION_VERSION {
        return Err(Error::Storage(format!(
            "the stored zoom connection has layout version {}, this plugin reads {}; \
             connect again",
            connection.version, CONNECTION_VERSION
        )));
    }
    Ok(Some(connection))
}

/// Writes the whole connection with one `set`.
pub fn save_connection(p: &mut impl Platform, connection: &StoredConnection) -> Result<(), Error> {
    let bytes = serde_json::to_vec(connection)
        .map_err(|e| Error::Storage(format!("could not encode the zoom connection: {e}")))?;
    p.set(CONNECTION_KEY, &bytes)
        .map_err(|e| Error::Storage(format!("could not store the zoom connection: {e}")))
}

/// The flows in progress, without those older than ten minutes. An unreadable value only
/// costs flows in progress, so it is dropped with a warning instead of failing.
pub fn load_authorizations(
    p: &mut impl Platform,
    now_ms: i64,
) -> Result<PendingAuthorizations, Error> {
    let Some(bytes) = p.get(AUTHORIZATIONS_KEY).map_err(read_failed)? else {
        return Ok(PendingAuthorizations::default());
    };

    let mut pending = match serde_json::from_slice::<PendingAuthorizations>(&bytes) {
        Ok(pending) => pending,
        Err(e) => {
            let message = format!("dropping unreadable pending zoom authorizations: {e}");
            p.log(Level::Warn, &message);
            PendingAuthorizations::default()
        }
    };
    pending.drop_expired(now_ms);
    Ok(pending)
}

pub fn save_authorizations(
    p: &mut impl Platform,
    pending: &PendingAuthorizations,
) -> Result<(), Error> {
    let bytes = serde_json::to_vec(pending)
        .map_err(|e| Error::Storage(format!("could not encode pending authorizations: {e}")))?;
    p.set(AUTHORIZATIONS_KEY, &bytes)
        .map_err(|e| Error::Storage(format!("could not store the pending authorization: {e}")))
}

fn read_failed(message: String) -> Error {
    Error::Storage(format!(
        "could not read the zoom plugin's storage: {message}"
    ))
}
