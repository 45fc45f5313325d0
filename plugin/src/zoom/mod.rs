//! The Zoom client: connecting (server-to-server or authorization code with PKCE), keeping
//! tokens fresh, and listing every account.
//!
//! Everything here is plain Rust over the [`Platform`] trait; the component glue implements
//! it with `wasi:http`, `wasi:keyvalue` and `wasi:logging`, and calls:
//!
//! - [`describe`] for the plugin's identity, auth methods, hosts and scopes;
//! - [`authorize_url`] to start an authorization-code flow;
//! - [`connect`] to authenticate, prove the credentials can list users, and store the
//!   connection (only once every check passed, with one write);
//! - [`disconnect`] to revoke and forget;
//! - [`Listing::start`], then [`Listing::next`] until `None`, then [`Listing::summary`].
//!
//! Module map: [`platform`] (the trait), [`auth`] (tokens, PKCE), [`http`] (retries and rate
//! limits), [`api`] (authenticated calls), [`listing`], [`store`] (what is kept, under which
//! key), [`time`] (timestamps).
//!
//! ```no_run
//! # use gatehouse_zoom::{model::Error, zoom::Platform};
//! # fn run(p: &mut impl Platform) -> Result<(), Error> {
//! use gatehouse_zoom::zoom;
//! let params = [("account_id", "…"), ("client_id", "…"), ("client_secret", "…")]
//!     .map(|(name, value)| (name.to_string(), value.to_string()));
//! let connection = zoom::connect(p, &params)?;
//! println!("connected to {} as {}", connection.account_id, connection.authorized_by);
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod auth;
pub mod http;
pub mod listing;
pub mod platform;
pub mod store;
pub mod time;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use listing::Listing;
pub use platform::Platform;

use self::api::text;
use self::auth::{AUTHORIZE_URL, Grant, Session, pkce_challenge, random_token, request_token};
use self::http::Budget;
use self::platform::Level;
use self::store::{AuthKind, PendingAuthorization, StoredConnection};
use crate::model::{
    AuthMethod, AuthorizationRequest, Connection, Error, ParameterSpec, PluginInfo, ProviderFailure,
};

/// The hosts the plugin talks to: OAuth at `zoom.us`, the REST API at `api.zoom.us`.
pub const HOSTS: [&str; 2] = ["https://zoom.us", "https://api.zoom.us"];

/// Granular scopes. The classic `user:read:admin` also satisfies the first two.
pub const SCOPES: [&str; 3] = [
    "user:read:list_users:admin",
    "user:read:user:admin",
    "role:read:list_roles:admin",
];

/// Random bytes in a `state` (22 characters) and a PKCE verifier (43 characters).
const STATE_BYTES: usize = 16;
const VERIFIER_BYTES: usize = 32;

/// The plugin's identity and needs; no I/O.
pub fn describe() -> PluginInfo {
    let param = |name: &str, description: &str, secret: bool| ParameterSpec {
        name: name.to_string(),
        description: description.to_string(),
        secret,
        required: true,
    };
    let client_id = || param("client_id", "client id of the Zoom app", false);
    let client_secret = || param("client_secret", "client secret of the Zoom app", true);

    let server_to_server = AuthMethod {
        id: AuthKind::ServerToServer.id().to_string(),
        description: "a server-to-server OAuth app of the Zoom account, with the scopes below \
                      (or the classic user:read:admin)"
            .to_string(),
        parameters: vec![
            param(
                "account_id",
                "account id shown on the app's credentials page",
                false,
            ),
            client_id(),
            client_secret(),
        ],
    };
    let authorization_code = AuthMethod {
        id: AuthKind::AuthorizationCode.id().to_string(),
        description: "a user-managed OAuth app authorised by a Zoom Owner or Admin: \
                      `authorize-url` takes client_id and the redirect uri, then `connect` \
                      takes the code and state the redirect received"
            .to_string(),
        parameters: vec![
            client_id(),
            client_secret(),
            param(
                "redirect_uri",
                "the redirect uri given to authorize-url",
                false,
            ),
            param(
                "code",
                "the `code` query parameter the redirect received",
                true,
            ),
            param(
                "state",
                "the `state` query parameter the redirect received",
                false,
            ),
        ],
    };

    PluginInfo {
        id: "zoom".to_string(),
        name: "Zoom".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        auth_methods: vec![server_to_server, authorization_code],
        hosts: HOSTS.iter().map(|host| host.to_string()).collect(),
        scopes: SCOPES.iter().map(|scope| scope.to_string()).collect(),
    }
}

/// Starts an authorization-code flow: a fresh `state` and PKCE verifier, the verifier kept in
/// storage under the state for ten minutes, and the URL to send a Zoom Owner or Admin to.
pub fn authorize_url(
    p: &mut impl Platform,
    params: &[(String, String)],
    redirect_uri: &str,
) -> Result<AuthorizationRequest, Error> {
    let params = Params(params);
    let client_id = params.required("client_id")?;
    let redirect_uri = redirect_uri.trim();
    check_redirect_uri(redirect_uri)?;

    let state = random_token(p, STATE_BYTES)?;
    let verifier = random_token(p, VERIFIER_BYTES)?;
    let challenge = pkce_challenge(&verifier);

    let now_ms = p.now_millis();
    let mut pending = store::load_authorizations(p, now_ms)?;
    let flow = PendingAuthorization {
        verifier,
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        created_at_ms: now_ms,
    };
    pending.insert(state.clone(), flow);
    store::save_authorizations(p, &pending)?;

    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", &state),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let url = http::url(AUTHORIZE_URL, "", &query);
    Ok(AuthorizationRequest { url, state })
}

/// Authenticates, proves the connection, and stores it.
///
/// Parameter `auth` picks the method (`server-to-server` by default). The proof is one page of
/// active users and `GET /v2/users/me`, whose user must be an Owner or Admin. Only then is the
/// connection written, with one `set` of one key: a failed reconnect leaves the previous
/// working connection exactly as it was.
pub fn connect(p: &mut impl Platform, params: &[(String, String)]) -> Result<Connection, Error> {
    let params = Params(params);
    let mut budget = Budget::new();

    let method = params.get("auth").unwrap_or(AuthKind::ServerToServer.id());
    let (connection, state) = match method {
        "server-to-server" => (connect_server_to_server(p, &params, &mut budget)?, None),
        "authorization-code" => {
            let state = params.required("state")?;
            (
                connect_with_code(p, &params, state, &mut budget)?,
                Some(state),
            )
        }
        other => {
            return Err(Error::InvalidInput(format!(
                "unknown auth method `{other}`: use `server-to-server` or `authorization-code`"
            )));
        }
    };

    let mut session = Session::unsaved(connection);
    let (account_id, authorized_by, authorized_role) = prove(p, &mut session, &mut budget)?;

    let mut connection = session.into_connection();
    if !account_id.is_empty() {
        connection.account_id = account_id;
    }
    connection.authorized_by = authorized_by;
    connection.authorized_role = authorized_role;
    store::save_connection(p, &connection)?;
    p.log(
        Level::Info,
        &format!("connected to zoom account {}", connection.account_id),
    );

    if let Some(state) = state {
        forget_authorization(p, state);
    }
    Ok(Connection {
        auth_method: connection.method.id().to_string(),
        account_id: connection.account_id,
        authorized_by: connection.authorized_by,
        authorized_role: connection.authorized_role,
        scopes: connection.scopes,
    })
}

/// Revokes the grant at Zoom where possible (see [`auth::revoke`]) and deletes every key the
/// plugin stored.
///
/// Idempotent: without a connection there is nothing to revoke and it still succeeds, so that
/// a retried `disconnect` does not fail. Revocation is best effort: when Zoom cannot be
/// reached the keys are deleted all the same, and the grant expires at Zoom on its own.
pub fn disconnect(p: &mut impl Platform) -> Result<(), Error> {
    let stored = store::load_connection(p).unwrap_or_else(|error| {
        let message = format!(
            "deleting an unreadable connection: {}",
            describe_error(&error)
        );
        p.log(Level::Warn, &message);
        None
    });

    let revocable = |c: &StoredConnection| {
        !c.access_token.is_empty() || c.refresh_token.as_ref().is_some_and(|t| !t.is_empty())
    };
    // A refresh token lives for months and can mint access tokens: if it may still be valid
    // at Zoom, the operator is told rather than left believing access was withdrawn. An access
    // token alone expires within the hour, and its only copy is deleted below.
    let mut unrevoked = None;
    if let Some(connection) = stored.filter(revocable) {
        let mut budget = Budget::new();
        match auth::revoke(p, &mut budget, &connection) {
            Ok(()) => p.log(Level::Info, "revoked the zoom token"),
            Err(error) => {
                let message = format!(
                    "could not revoke the zoom token: {}",
                    describe_error(&error)
                );
                p.log(Level::Warn, &message);
                if connection
                    .refresh_token
                    .as_ref()
                    .is_some_and(|t| !t.is_empty())
                {
                    unrevoked = Some(error);
                }
            }
        }
    }

    // Every key is attempted even if one fails, so that as little as possible is left behind.
    let mut failure = None;
    for key in store::ALL_KEYS {
        if let Err(message) = p.delete(key) {
            failure.get_or_insert(format!("could not delete `{key}`: {message}"));
        }
    }
    match (failure, unrevoked) {
        (Some(message), _) => Err(Error::Storage(message)),
        (None, Some(error)) => Err(not_revoked(&error)),
        (None, None) => Ok(()),
    }
}

/// The grant may outlive the deleted connection: say what failed and what to do.
fn not_revoked(error: &Error) -> Error {
    let status = match error {
        Error::ProviderError(failure) => failure.status,
        _ => None,
    };
    Error::ProviderError(ProviderFailure {
        endpoint: "POST /oauth/revoke".to_string(),
        status,
        message: format!(
            "the stored connection was deleted, but zoom did not revoke the grant ({}); it \
             stays valid until removed: remove the app under Manage > Added Apps in the Zoom \
             App Marketplace",
            describe_error(error)
        ),
    })
}

/// One line for any error, for logs and listing summaries.
pub fn describe_error(error: &Error) -> String {
    match error {
        Error::InvalidCredentials(message)
        | Error::MissingScope(message)
        | Error::InsufficientRole(message)
        | Error::ReauthorizationRequired(message)
        | Error::NotConnected(message)
        | Error::InvalidInput(message)
        | Error::IncompleteListing(message)
        | Error::Storage(message) => message.clone(),
        Error::RateLimited(limit) => limit.message.clone(),
        Error::ProviderError(failure) => match failure.status {
            Some(status) => format!(
                "{} answered HTTP {status}: {}",
                failure.endpoint, failure.message
            ),
            None => format!("{} failed: {}", failure.endpoint, failure.message),
        },
    }
}

fn connect_server_to_server(
    p: &mut impl Platform,
    params: &Params<'_>,
    budget: &mut Budget,
) -> Result<StoredConnection, Error> {
    let account_id = params.required("account_id")?;
    let client_id = params.required("client_id")?;
    let client_secret = params.required("client_secret")?;

    let grant = Grant::AccountCredentials { account_id };
    let tokens = request_token(p, budget, client_id, client_secret, &grant)?;

    let kind = AuthKind::ServerToServer;
    let mut connection = StoredConnection::new(kind, client_id, client_secret, p.now_millis());
    connection.account_id = account_id.to_string();
    connection.apply(tokens);
    Ok(connection)
}

/// Exchanges the code with the verifier `authorize_url` kept under `state`.
fn connect_with_code(
    p: &mut impl Platform,
    params: &Params<'_>,
    state: &str,
    budget: &mut Budget,
) -> Result<StoredConnection, Error> {
    let client_id = params.required("client_id")?;
    let client_secret = params.required("client_secret")?;
    let redirect_uri = params.required("redirect_uri")?;
    let code = params.required("code")?;

    let now_ms = p.now_millis();
    let pending = store::load_authorizations(p, now_ms)?;
    let Some(flow) = pending.by_state.get(state) else {
        return Err(Error::InvalidInput(
            "unknown or expired `state` (an authorization is kept ten minutes): start again \
             with `harness authorize-url`"
                .to_string(),
        ));
    };
    // Zoom would reject a mismatch with a vague error; saying which parameter differs helps.
    if flow.client_id != client_id {
        return Err(Error::InvalidInput(
            "`client_id` differs from the one given to authorize-url".to_string(),
        ));
    }
    if flow.redirect_uri != redirect_uri {
        return Err(Error::InvalidInput(
            "`redirect_uri` differs from the one given to authorize-url".to_string(),
        ));
    }

    let grant = Grant::AuthorizationCode {
        code,
        redirect_uri,
        verifier: &flow.verifier,
    };
    let tokens = request_token(p, budget, client_id, client_secret, &grant)?;
    if tokens.refresh_token.is_none() {
        let message = "the token answer has no refresh_token".to_string();
        return Err(http::provider_error("POST /oauth/token", None, message));
    }

    let kind = AuthKind::AuthorizationCode;
    let mut connection = StoredConnection::new(kind, client_id, client_secret, now_ms);
    connection.apply(tokens);
    Ok(connection)
}

/// Proves the new token can list users and reads who authorised it: (account id, email,
/// role name). The authorising user must be an Owner or Admin.
fn prove(
    p: &mut impl Platform,
    session: &mut Session,
    budget: &mut Budget,
) -> Result<(String, String, String), Error> {
    let users_query = [("status", "active"), ("page_size", "1")];
    let listed = api::get_json(p, session, budget, "/v2/users", &users_query, SCOPES[0]);
    if let Err(error) = listed {
        return Err(match Error::from(error) {
            missing @ Error::MissingScope(_) => explain_missing_scope(p, session, budget, missing),
            other => other,
        });
    }

    let me = api::get_json(p, session, budget, "/v2/users/me", &[], SCOPES[1])?.body;
    let identity = Identity::read(&me);
    if let Some(error) = identity.insufficient_role() {
        return Err(error);
    }
    Ok((identity.account_id, identity.email, identity.role))
}

/// Zoom grants a Member no `:admin` scope, so a Member's token cannot list users and Zoom
/// answers that a scope is missing: a scope the Member can never have. Their token can still
/// read itself (`user:read:user`), and when it says the user is no Owner or Admin, that is what
/// the operator must hear. Otherwise (an Owner or Admin, or `/me` unreadable as well) the
/// missing scope stands.
fn explain_missing_scope(
    p: &mut impl Platform,
    session: &mut Session,
    budget: &mut Budget,
    missing: Error,
) -> Error {
    match api::get_json(p, session, budget, "/v2/users/me", &[], SCOPES[1]) {
        Ok(me) => Identity::read(&me.body)
            .insufficient_role()
            .unwrap_or(missing),
        Err(_) => missing,
    }
}

/// Who authorised a token, from `/v2/users/me`.
struct Identity {
    account_id: String,
    email: String,
    role_id: String,
    /// Zoom's `role_name`, or the name of a built-in `role_id`.
    role: String,
}

impl Identity {
    fn read(me: &Map<String, Value>) -> Identity {
        let role_id = text(me, "role_id").unwrap_or_default();
        let role_name = text(me, "role_name").filter(|name| !name.is_empty());
        let role = match (role_id.as_str(), role_name) {
            (_, Some(name)) => name,
            ("0", None) => "Owner".to_string(),
            ("1", None) => "Admin".to_string(),
            ("2", None) => "Member".to_string(),
            (id, None) => id.to_string(),
        };
        let account_id = match me.get("account_id") {
            Some(Value::String(id)) => id.trim().to_string(),
            _ => String::new(),
        };
        Identity {
            account_id,
            email: text(me, "email").unwrap_or_default(),
            role_id,
            role,
        }
    }

    /// `InsufficientRole` naming the user and the fix, unless they are an Owner or Admin.
    fn insufficient_role(&self) -> Option<Error> {
        let privileged = matches!(self.role_id.as_str(), "0" | "1")
            || self.role.eq_ignore_ascii_case("owner")
            || self.role.eq_ignore_ascii_case("admin");
        if privileged {
            return None;
        }
        let who = if self.email.is_empty() {
            "the authorising user"
        } else {
            self.email.as_str()
        };
        let role = if self.role.is_empty() {
            "no role"
        } else {
            self.role.as_str()
        };
        Some(Error::InsufficientRole(format!(
            "{who} has the Zoom role {role}; listing users needs an Owner or Admin: authorise \
             as one, or have an Owner give {who} the Admin role"
        )))
    }
}

/// Drops the verifier `connect` used. The connection is already stored; a leftover verifier
/// is useless and expires within ten minutes, so a failure here is only logged.
fn forget_authorization(p: &mut impl Platform, state: &str) {
    let now_ms = p.now_millis();
    let result = store::load_authorizations(p, now_ms).and_then(|mut pending| {
        pending.by_state.remove(state);
        store::save_authorizations(p, &pending)
    });
    if let Err(error) = result {
        let message = format!(
            "could not drop the used authorization: {}",
            describe_error(&error)
        );
        p.log(Level::Warn, &message);
    }
}

fn check_redirect_uri(redirect_uri: &str) -> Result<(), Error> {
    let absolute = redirect_uri.starts_with("https://") || redirect_uri.starts_with("http://");
    if absolute && !redirect_uri.contains(char::is_whitespace) {
        return Ok(());
    }
    Err(Error::InvalidInput(
        "the redirect uri must be an absolute http(s) URL registered with the Zoom app, such as \
         https://example.com/zoom/callback"
            .to_string(),
    ))
}

/// Connection parameters by name. Values are trimmed: a secret pasted from a file often ends
/// with a newline.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        let (_, value) = self.0.iter().find(|(key, _)| key == name)?;
        Some(value.trim()).filter(|value| !value.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, Error> {
        self.get(name).ok_or_else(|| {
            Error::InvalidInput(format!("missing parameter `{name}`: it must not be empty"))
        })
    }
}
