//! The host's error types, and how a plugin's WIT `error` reads to a person.

use std::fmt;
use std::time::Duration;

use crate::bindings::types;

/// A failure of the host or of the sandbox around a plugin, as opposed to an error the
/// plugin itself returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("wasmtime engine error: {0}")]
    Engine(String),
    #[error("cannot load the plugin: {0}")]
    Load(String),
    #[error("the plugin ran past its deadline of {}s and was stopped", .limit.as_secs_f64())]
    Deadline { limit: Duration },
    #[error("the plugin tried to use more than its memory limit of {} MiB and was stopped",
        .bytes / (1024 * 1024))]
    MemoryLimit { bytes: usize },
    #[error("the plugin used up its fuel ({fuel} units) and was stopped")]
    Fuel { fuel: u64 },
    #[error("the plugin trapped: {0}")]
    Trap(String),
    #[error("this plugin instance was stopped earlier ({0}); start a new session")]
    Closed(String),
    /// The plugin answered, but not as the contract requires (a decision about an account
    /// the request does not have, say).
    #[error("the plugin broke the integration contract: {0}")]
    Contract(String),
}

impl HostError {
    pub(crate) fn engine(error: impl fmt::Display) -> Self {
        HostError::Engine(format!("{error:#}"))
    }

    pub(crate) fn invalid_component(error: wasmtime::Error) -> Self {
        HostError::Load(format!(
            "not a valid WebAssembly component: {}",
            one_line(&error)
        ))
    }
}

/// An error chain on one line: parsers print byte arrays over many lines, and a CLI error
/// should read as one sentence.
fn one_line(error: &wasmtime::Error) -> String {
    let text = format!("{error:#}");
    let mut line = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !line.is_empty() && !word.starts_with([',', ']', ')']) {
            line.push(' ');
        }
        line.push_str(word);
    }
    line.replace("[ ", "[").replace("( ", "(")
}

/// Any way a call into a plugin can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("{}", plugin_message(.0))]
    Plugin(types::Error),
}

impl From<types::Error> for CallError {
    fn from(error: types::Error) -> Self {
        CallError::Plugin(error)
    }
}

/// A person-readable sentence for a plugin's error, naming its kind.
pub fn plugin_message(error: &types::Error) -> String {
    use types::Error as E;
    match error {
        E::InvalidCredentials(m) => format!("invalid credentials: {m}"),
        E::MissingScope(scope) => format!("missing scope: {scope}"),
        E::InsufficientRole(m) => format!("insufficient role: {m}"),
        E::ReauthorizationRequired(m) => format!("re-authorisation required: {m}"),
        E::NotConnected(m) => format!("not connected: {m}"),
        E::RateLimited(limit) => match limit.retry_at {
            Some(at) => format!(
                "rate limited until {}: {}",
                crate::inputs::format_time(at),
                limit.message
            ),
            None => format!("rate limited: {}", limit.message),
        },
        E::ProviderError(failure) => match failure.status {
            Some(status) => format!(
                "provider error on {} (HTTP {status}): {}",
                failure.endpoint, failure.message
            ),
            None => format!(
                "provider error on {}: {}",
                failure.endpoint, failure.message
            ),
        },
        E::InvalidInput(m) => format!("invalid input: {m}"),
        E::IncompleteListing(m) => format!("incomplete listing: {m}"),
        E::Storage(m) => format!("storage error: {m}"),
    }
}

/// The kebab-case name of a plugin error's kind, for JSON output and tests.
pub fn plugin_error_kind(error: &types::Error) -> &'static str {
    use types::Error as E;
    match error {
        E::InvalidCredentials(_) => "invalid-credentials",
        E::MissingScope(_) => "missing-scope",
        E::InsufficientRole(_) => "insufficient-role",
        E::ReauthorizationRequired(_) => "reauthorization-required",
        E::NotConnected(_) => "not-connected",
        E::RateLimited(_) => "rate-limited",
        E::ProviderError(_) => "provider-error",
        E::InvalidInput(_) => "invalid-input",
        E::IncompleteListing(_) => "incomplete-listing",
        E::Storage(_) => "storage",
    }
}
