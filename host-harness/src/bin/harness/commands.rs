//! What each verb does.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use host_harness::evaluation::Evaluated;
use host_harness::http::{HttpLimits, Origin, Route};
use host_harness::keyvalue::{Encrypted, SqliteBackend, StoreKey};
use host_harness::{Grants, Host, HostConfig, InstanceLimits, Plugin, inputs, types};

use crate::options::{Cli, Command, GlobalOptions, ListFormat, ParamArgs, PluginArgs};
use crate::output;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Inspect { plugin, format } => {
            let host = host(global)?;
            let (plugin, _) = load(&host, &plugin).await?;
            output::inspect(&plugin, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::AuthorizeUrl {
            plugin,
            params,
            redirect_uri,
        } => {
            let host = host(global)?;
            let (loaded, _) = load(&host, &plugin.plugin).await?;
            let (mut session, _) = session(&loaded, &plugin).await?;
            let request = session
                .authorize_url(&read_params(&params)?, &redirect_uri)
                .await?;
            println!("{}", request.url);
            eprintln!("open the URL above; the provider returns to {redirect_uri} with a code");
            eprintln!("then: harness connect ... --param auth=authorization-code \\");
            eprintln!(
                "  --param state={} --param-env code=CODE_VAR ...",
                request.state
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Connect { plugin, params } => {
            let host = host(global)?;
            let (loaded, _) = load(&host, &plugin.plugin).await?;
            let (mut session, _) = session(&loaded, &plugin).await?;
            let connection = session.connect(&read_params(&params)?).await?;
            output::connection(&connection);
            Ok(ExitCode::SUCCESS)
        }
        Command::Disconnect { plugin } => {
            let host = host(global)?;
            let (loaded, _) = load(&host, &plugin.plugin).await?;
            let store = store_path(&plugin)?;
            if !store.exists() {
                eprintln!(
                    "nothing to disconnect: there is no store at {}",
                    store.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let (mut session, _) = session(&loaded, &plugin).await?;
            session.disconnect().await?;
            eprintln!("disconnected; the plugin's stored state is deleted");
            Ok(ExitCode::SUCCESS)
        }
        Command::ListUsers { plugin, format } => {
            let host = host(global)?;
            let (loaded, _) = load(&host, &plugin.plugin).await?;
            let grants = connected_grants(&plugin)?;
            check_routes(&loaded, &grants)?;
            let (accounts, summary) = list(&loaded, &grants).await?;
            match format {
                ListFormat::Json => output::accounts_json(&accounts, &summary)?,
                ListFormat::Csv => output::accounts_csv(&accounts)?,
                ListFormat::Table => output::accounts_table(&accounts, &summary),
            }
            // The accounts are printed either way, but a partial list is not a successful
            // listing: scripts must not mistake it for the whole account.
            if !summary.complete {
                eprintln!("{}", output::listing_line(&summary));
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Evaluate {
            plugin,
            staff,
            policy,
            tickets,
            users,
            at,
            format,
            explain,
        } => {
            let job = EvaluateJob {
                staff,
                policy,
                tickets,
                users,
                at,
                format,
                explain,
            };
            evaluate(global, &plugin, job).await
        }
        Command::MockZoom {
            port,
            users,
            seed,
            scenario,
        } => {
            crate::demo::serve_mock(port, users, seed, scenario.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::RotateKey {
            store,
            key_file,
            new_key_file,
        } => {
            rotate_key(&store, key_file, &new_key_file)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Conformance {
            plugin,
            format,
            junit,
            filter,
        } => conformance(&plugin, format, junit.as_deref(), filter.as_deref()).await,
        Command::Demo => crate::demo::run(global).await,
    }
}

/// The engine and limits from the global flags.
pub fn host(global: &GlobalOptions) -> Result<Host> {
    let cache_dir = if global.no_cache {
        None
    } else {
        global
            .cache_dir
            .clone()
            .or_else(|| user_dir("XDG_CACHE_HOME", ".cache"))
    };
    let config = HostConfig {
        limits: InstanceLimits {
            memory_bytes: global.memory_mib.saturating_mul(1024 * 1024),
            deadline: Duration::from_secs(global.deadline_secs),
            fuel: global.fuel,
        },
        http: HttpLimits {
            max_response_bytes: global.max_response_mib.saturating_mul(1024 * 1024),
            max_requests_per_call: global.max_requests,
            connect_timeout: Duration::from_secs(global.connect_timeout_secs),
            first_byte_timeout: Duration::from_secs(global.first_byte_timeout_secs),
            between_bytes_timeout: Duration::from_secs(global.between_bytes_timeout_secs),
        },
        cache_dir: cache_dir.map(|dir| dir.join("components")),
        ..HostConfig::default()
    };
    Ok(Host::new(config)?)
}

/// `$XDG_…/gatehouse`, or `~/<fallback>/gatehouse`.
fn user_dir(variable: &str, fallback: &str) -> Option<PathBuf> {
    let base = std::env::var_os(variable)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(fallback)))?;
    Some(base.join("gatehouse"))
}

/// Loads a plugin by path, or the bundled Zoom plugin by the name `zoom`.
pub async fn load(host: &Host, plugin: &str) -> Result<(Plugin, Duration)> {
    let started = Instant::now();
    let bytes = plugin_bytes(plugin)?;
    let loaded = host
        .load(&bytes)
        .await
        .with_context(|| format!("plugin {plugin}"))?;
    Ok((loaded, started.elapsed()))
}

/// Largest component file the harness reads: real plugins are well under a megabyte.
const MAX_PLUGIN_BYTES: u64 = 64 * 1024 * 1024;

/// A component's bytes by path, or the bundled Zoom plugin's by the name `zoom`.
///
/// Only regular files of bounded size are read: a device (`/dev/zero`) or a FIFO would
/// otherwise be read forever.
fn plugin_bytes(plugin: &str) -> Result<Vec<u8>> {
    use std::io::Read;

    let path = Path::new(plugin);
    if plugin == "zoom" && !path.exists() {
        return Ok(host_harness::ZOOM_PLUGIN_WASM.to_vec());
    }
    let cannot = || format!("cannot read plugin {}", path.display());
    let file = std::fs::File::open(path).with_context(cannot)?;
    let metadata = file.metadata().with_context(cannot)?;
    if !metadata.is_file() {
        bail!("plugin {} is not a regular file", path.display());
    }
    if metadata.len() > MAX_PLUGIN_BYTES {
        bail!(
            "plugin {} is {} bytes, over the limit of {MAX_PLUGIN_BYTES}",
            path.display(),
            metadata.len()
        );
    }
    let mut bytes = Vec::new();
    file.take(MAX_PLUGIN_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot)?;
    if bytes.len() as u64 > MAX_PLUGIN_BYTES {
        bail!(
            "plugin {} grew past the limit of {MAX_PLUGIN_BYTES} bytes",
            path.display()
        );
    }
    Ok(bytes)
}

/// Refuses a `--route` for a host the plugin does not declare: it would be ignored, and a
/// typo (`api.zoom.com`) would then send the plugin, with real credentials, to the real host.
fn check_routes(plugin: &Plugin, grants: &Grants) -> Result<()> {
    let declared = plugin.declared_origins();
    for route in &grants.routes {
        if !declared.iter().any(|origin| origin.host == route.host) {
            let hosts: Vec<&str> = declared.iter().map(|o| o.host.as_str()).collect();
            bail!(
                "--route {}: the plugin does not declare this host (it declares {})",
                route.host,
                hosts.join(", ")
            );
        }
    }
    Ok(())
}

/// A session with the flags' grants, after checking them against the plugin.
pub async fn session(
    plugin: &Plugin,
    args: &PluginArgs,
) -> Result<(host_harness::Session, Grants)> {
    let grants = grants(args)?;
    check_routes(plugin, &grants)?;
    Ok((plugin.session(&grants).await?, grants))
}

/// Where the store is: `--store`, or the default under the user's data directory.
fn store_path(args: &PluginArgs) -> Result<PathBuf> {
    match &args.store {
        Some(path) => Ok(path.clone()),
        None => Ok(user_dir("XDG_DATA_HOME", ".local/share")
            .ok_or_else(|| anyhow!("no --store given and no home directory to default to"))?
            .join("store.db")),
    }
}

/// [`grants`] for a verb that reads a connection: a store that does not exist is refused
/// rather than created, so that a mistyped `--store` is not made into a new, empty one.
fn connected_grants(args: &PluginArgs) -> Result<Grants> {
    open_grants(args, true)
}

/// Storage, allow-list and routes from the flags.
pub fn grants(args: &PluginArgs) -> Result<Grants> {
    open_grants(args, false)
}

fn open_grants(args: &PluginArgs, existing_store: bool) -> Result<Grants> {
    // The flags first, so that a typo in them is named before anything touches the disk.
    let routes = args
        .routes
        .iter()
        .map(|route| route.parse::<Route>().map_err(|e| anyhow!("--route: {e}")))
        .collect::<Result<_>>()?;
    let allow = if args.allow.is_empty() {
        None
    } else {
        let origins = args
            .allow
            .iter()
            .map(|origin| {
                origin
                    .parse::<Origin>()
                    .map_err(|e| anyhow!("--allow: {e}"))
            })
            .collect::<Result<_>>()?;
        Some(origins)
    };

    let path = store_path(args)?;
    if existing_store && !path.exists() {
        bail!(
            "not connected: there is no store at {}; connect first with `harness connect`",
            path.display()
        );
    }
    let key_file = args
        .key_file
        .clone()
        .unwrap_or_else(|| StoreKey::default_file(&path));
    let key = StoreKey::load_or_create(&key_file, &path)?;
    let store = Encrypted::new(SqliteBackend::open(&path)?, key)
        .with_context(|| format!("store {}", path.display()))?;
    let mut grants = Grants::new(Arc::new(store));
    grants.routes = routes;
    grants.allow = allow;
    Ok(grants)
}

fn rotate_key(store: &Path, key_file: Option<PathBuf>, new_key_file: &Path) -> Result<()> {
    if !store.exists() {
        bail!("store {} does not exist", store.display());
    }
    let key_file = key_file.unwrap_or_else(|| StoreKey::default_file(store));
    let old = StoreKey::load_or_create(&key_file, store)?;
    // A new key file is created for a store that does not exist yet; pass a path that is not
    // the store so that `load_or_create` may create it.
    let new = StoreKey::load_or_create(new_key_file, new_key_file)?;
    let backend = SqliteBackend::open(store)?;
    let count = host_harness::keyvalue::rotate(&backend, &old, &new)
        .with_context(|| format!("rotating the key of {}", store.display()))?;
    eprintln!(
        "re-encrypted {count} values of {} under {}; replace {} with it",
        store.display(),
        new_key_file.display(),
        key_file.display()
    );
    Ok(())
}

async fn conformance(
    plugin: &str,
    format: crate::options::ReportFormat,
    junit: Option<&Path>,
    filter: Option<&str>,
) -> Result<ExitCode> {
    let bytes = plugin_bytes(plugin)?;
    let report = host_harness::conformance::run(&bytes, filter).await;
    if let Some(path) = junit {
        std::fs::write(path, report.junit())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match format {
        crate::options::ReportFormat::Table => print!("{}", report.table()),
        crate::options::ReportFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&report.json())?)
        }
    }
    if filter.is_some() && report.results.is_empty() {
        bail!(
            "no check matches the filter {:?}",
            filter.unwrap_or_default()
        );
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Parameters from `--param`, `--param-env` and `--param-file`, in that order.
pub fn read_params(args: &ParamArgs) -> Result<Vec<types::Parameter>> {
    let split = |flag: &str, item: &str| -> Result<(String, String)> {
        let (key, value) = item
            .split_once('=')
            .filter(|(key, _)| !key.trim().is_empty())
            .ok_or_else(|| anyhow!("{flag} expects KEY=VALUE, got {item:?}"))?;
        Ok((key.trim().to_owned(), value.to_owned()))
    };
    let mut params = Vec::new();
    for item in &args.params {
        let (name, value) = split("--param", item)?;
        params.push(types::Parameter { name, value });
    }
    for item in &args.param_env {
        let (name, variable) = split("--param-env", item)?;
        let value = std::env::var(&variable)
            .with_context(|| format!("--param-env {name}: environment variable {variable}"))?;
        params.push(types::Parameter { name, value });
    }
    for item in &args.param_file {
        let (name, path) = split("--param-file", item)?;
        let value = std::fs::read_to_string(&path)
            .with_context(|| format!("--param-file {name}: cannot read {path}"))?;
        let value = value.trim_end_matches(['\r', '\n']).to_owned();
        params.push(types::Parameter { name, value });
    }
    Ok(params)
}

/// Lists every account, with a progress line when stderr is a terminal.
pub async fn list(
    plugin: &Plugin,
    grants: &Grants,
) -> Result<(Vec<types::Account>, types::ListingSummary)> {
    let mut session = plugin.session(grants).await?;
    let terminal = std::io::stderr().is_terminal();
    let result = session
        .list_all(|n| {
            if terminal {
                eprint!("\rlisted {n} accounts…");
            }
        })
        .await;
    if terminal {
        eprint!("\r\x1b[2K");
    }
    Ok(result?)
}

pub struct EvaluateJob {
    pub staff: PathBuf,
    pub policy: PathBuf,
    pub tickets: Option<PathBuf>,
    pub users: Option<PathBuf>,
    pub at: Option<String>,
    pub format: crate::options::ReportFormat,
    pub explain: Option<String>,
}

async fn evaluate(global: &GlobalOptions, args: &PluginArgs, job: EvaluateJob) -> Result<ExitCode> {
    // Read every input before touching the provider, so a typo fails in milliseconds.
    let staff = inputs::load_staff(&job.staff)?;
    let policy = inputs::load_policy(&job.policy)?;
    inputs::check_mappings(&policy, &staff)
        .map_err(|e| anyhow!("{}: {e}", job.policy.display()))?;
    if staff.is_empty() {
        eprintln!(
            "warning: the staff directory {} is empty: every account with access will fail",
            job.staff.display()
        );
    }
    let tickets = match &job.tickets {
        Some(path) => inputs::load_tickets(path)?,
        None => Vec::new(),
    };
    if matches!(policy.access, types::AccessRule::TicketBased) && job.tickets.is_none() {
        bail!("the policy is ticket-based: give the tickets with --tickets FILE");
    }
    let at = match &job.at {
        Some(at) => inputs::parse_instant(at).map_err(|e| anyhow!("--at: {e}"))?,
        None => chrono::Utc::now().timestamp(),
    };
    let preloaded = match &job.users {
        Some(path) => Some(output::read_accounts_json(path)?),
        None => None,
    };

    let host = host(global)?;
    let (plugin, _) = load(&host, &args.plugin).await?;
    // Evaluating given accounts needs no stored connection: don't create or open a store.
    let grants = match &preloaded {
        Some(_) => Grants::new(Arc::new(host_harness::keyvalue::MemoryBackend::new())),
        None => connected_grants(args)?,
    };
    check_routes(&plugin, &grants)?;
    let (accounts, listing) = match preloaded {
        Some(listed) => listed,
        None => list(&plugin, &grants).await?,
    };
    // Trace lines cost more than the verdicts: ask for them only for the account explained.
    let trace = match &job.explain {
        Some(email) => types::TraceScope::Accounts(vec![email.clone()]),
        None => types::TraceScope::None,
    };
    let request = types::EvaluationRequest {
        accounts,
        listing,
        staff,
        tickets,
        policy,
        at,
        trace,
    };
    let mut session = plugin.session(&grants).await?;
    let evaluation = session.evaluate_access(&request).await?;
    let evaluated = Evaluated::new(&request, &evaluation).map_err(|e| anyhow!(e))?;

    if let Some(email) = &job.explain {
        output::explain(&evaluated, email)?;
    } else {
        output::evaluation(&evaluated, job.format)?;
    }
    Ok(exit_code(&evaluation))
}

/// 2 when the evaluation could not conclude, 1 when a check fails, 0 otherwise.
fn exit_code(evaluation: &types::Evaluation) -> ExitCode {
    if !evaluation.conclusive {
        return ExitCode::from(2);
    }
    let failing = evaluation
        .findings
        .iter()
        .any(|f| matches!(f.state, types::FindingState::Failing));
    ExitCode::from(u8::from(failing))
}
