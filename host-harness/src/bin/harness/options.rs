//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "harness",
    version,
    about = "Run gatehouse integration plugins in a sandbox"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// More logging on stderr (-v, -vv, -vvv); RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Memory one plugin instance may use, in MiB.
    #[arg(long, global = true, default_value_t = 1024, value_name = "MIB")]
    pub memory_mib: usize,
    /// Wall-clock time one plugin call may take, in seconds.
    #[arg(long, global = true, default_value_t = 120, value_name = "SECONDS")]
    pub deadline_secs: u64,
    /// Fuel one plugin call may burn; off unless given.
    #[arg(long, global = true, value_name = "UNITS")]
    pub fuel: Option<u64>,
    /// Largest HTTP response a plugin may receive, in MiB.
    #[arg(long, global = true, default_value_t = 16, value_name = "MIB")]
    pub max_response_mib: u64,
    /// Longest wait for an outbound connection, in seconds; the plugin cannot raise it.
    #[arg(long, global = true, default_value_t = 10, value_name = "SECONDS")]
    pub connect_timeout_secs: u64,
    /// Longest wait for a response to start, in seconds; the plugin cannot raise it.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS")]
    pub first_byte_timeout_secs: u64,
    /// Longest pause inside a response body, in seconds; the plugin cannot raise it.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS")]
    pub between_bytes_timeout_secs: u64,
    /// HTTP requests one plugin call may make.
    #[arg(long, global = true, default_value_t = 10_000, value_name = "N")]
    pub max_requests: u32,
    /// Where compiled components are cached [default: the user's cache directory].
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not cache compiled components.
    #[arg(long, global = true)]
    pub no_cache: bool,
}

/// How to reach a plugin and what to grant it.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// The plugin component (.wasm), or `zoom` for the one built with this harness.
    pub plugin: String,
    /// The SQLite file holding plugin state [default: the user's data directory].
    #[arg(long, value_name = "DB")]
    pub store: Option<PathBuf>,
    /// The key that encrypts the store's values: 64 hex characters. GATEHOUSE_STORE_KEY
    /// takes precedence [default: DB.key, created with mode 0600 for a new store].
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Send requests for a declared host to another origin, such as
    /// `api.zoom.us=http://127.0.0.1:8080`. Repeatable.
    #[arg(long = "route", value_name = "HOST=URL")]
    pub routes: Vec<String>,
    /// Narrow the plugin's declared origins to these (`scheme://host[:port]`). Repeatable.
    #[arg(long = "allow", value_name = "ORIGIN")]
    pub allow: Vec<String>,
}

/// Connection parameters, from the command line, the environment or files.
#[derive(Debug, Args)]
pub struct ParamArgs {
    /// A connection parameter. Repeatable. Prefer --param-env or --param-file for secrets.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// A parameter read from an environment variable. Repeatable.
    #[arg(long = "param-env", value_name = "KEY=VAR")]
    pub param_env: Vec<String>,
    /// A parameter read from a file (trailing newline removed). Repeatable.
    #[arg(long = "param-file", value_name = "KEY=PATH")]
    pub param_file: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a plugin's world, imports, exports, hash and describe().
    Inspect {
        /// The plugin component (.wasm), or `zoom`.
        plugin: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Print the URL where a person authorises the plugin (authorization code flow).
    AuthorizeUrl {
        #[command(flatten)]
        plugin: PluginArgs,
        #[command(flatten)]
        params: ParamArgs,
        /// Where the provider sends the person back with the code.
        #[arg(long, value_name = "URI")]
        redirect_uri: String,
    },
    /// Authenticate and store the connection.
    Connect {
        #[command(flatten)]
        plugin: PluginArgs,
        #[command(flatten)]
        params: ParamArgs,
    },
    /// Revoke the grant where possible and delete what the plugin stored.
    Disconnect {
        #[command(flatten)]
        plugin: PluginArgs,
    },
    /// List every account at the provider.
    ListUsers {
        #[command(flatten)]
        plugin: PluginArgs,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Evaluate every account against the staff directory under a policy.
    Evaluate {
        #[command(flatten)]
        plugin: PluginArgs,
        /// Staff directory, CSV or JSON.
        #[arg(long, value_name = "FILE")]
        staff: PathBuf,
        /// Access policy, TOML.
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// Access tickets, CSV or JSON (ticket-based policies).
        #[arg(long, value_name = "FILE")]
        tickets: Option<PathBuf>,
        /// Accounts from an earlier `list-users --format json`, instead of listing now.
        #[arg(long, value_name = "FILE")]
        users: Option<PathBuf>,
        /// The evaluation time, RFC 3339 [default: now].
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Print how the verdict on this account was reached (text, instead of the report).
        #[arg(long, value_name = "EMAIL", conflicts_with = "format")]
        explain: Option<String>,
    },
    /// Certify a plugin component offline: contract, connection, listing, resilience,
    /// evaluation and sandbox checks against the built-in mock of its provider.
    Conformance {
        /// The plugin component (.wasm), or `zoom`.
        plugin: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Also write the results as JUnit XML to this file.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Run only the checks whose id contains this text or matches this `*` pattern.
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// Serve the mock Zoom API on loopback until interrupted.
    MockZoom {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Accounts in the generated organisation (at most 2,000,000).
        #[arg(long, value_parser = organisation_size)]
        users: Option<usize>,
        /// Seed of the generated organisation.
        #[arg(long)]
        seed: Option<u64>,
        /// A scenario file (TOML or JSON): accounts, scripted responses, faults.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
    },
    /// Re-encrypt every value of a store under a new key, all or nothing.
    RotateKey {
        /// The SQLite store.
        #[arg(long, value_name = "DB")]
        store: PathBuf,
        /// The current key [default: DB.key; GATEHOUSE_STORE_KEY takes precedence].
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// The new key, 64 hex characters; created (mode 0600) if it does not exist.
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
    /// Run the whole job against the built-in mock: connect, list, evaluate, report.
    Demo,
}

/// The largest organisation `mock-zoom` generates. The mock holds every account in memory:
/// a typo of a few extra digits would otherwise end in an allocation failure, not an error.
const MAX_MOCK_USERS: usize = 2_000_000;

fn organisation_size(text: &str) -> Result<usize, String> {
    let users: usize = text.parse().map_err(|_| {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            format!("{text} accounts is more than the mock holds; at most {MAX_MOCK_USERS}")
        } else {
            format!("{text:?} is not a number of accounts")
        }
    })?;
    if users > MAX_MOCK_USERS {
        return Err(format!(
            "{users} accounts is more than the mock holds; at most {MAX_MOCK_USERS}"
        ));
    }
    Ok(users)
}
