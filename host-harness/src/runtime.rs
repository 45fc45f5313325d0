//! Loading plugins and calling them under limits.
//!
//! A [`Host`] owns the wasmtime engine and the linker with exactly the capabilities a plugin
//! may import. [`Host::load`] compiles a component (or loads it from the on-disk cache), checks
//! that it imports nothing outside the plugin world, and reads its `describe()`.
//! [`Plugin::session`] instantiates it with the grants the operator chose: outbound HTTP to
//! the allowed origins, a key-value namespace, a log. Every call runs under a deadline, a
//! memory limit and optionally fuel; a call that hits one fails with an error naming it, and
//! the session is closed so that the next call starts from a fresh instance.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{self, types};
use crate::errors::{CallError, HostError};
use crate::http::{HttpLimits, Origin, OutboundHooks, OutboundPolicy, Route};
use crate::keyvalue::{Backend, KeyValue, KeyValueLimits, KeyValueState, KeyValueView};
use crate::logging::{LogRecord, LogState, Logging};

/// How often the epoch advances; deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Bytes of stdout and stderr kept per instance; a plugin writing more gets a write error.
const STDIO_CAPACITY: usize = 64 * 1024;

/// Largest header map a plugin may build, in bytes of host memory. Real headers are a few KiB.
const FIELD_SIZE_LIMIT: usize = 32 * 1024;

/// Resources (header maps, requests, streams…) one instance may hold at once: a quarter of its
/// memory limit in full header maps, and never fewer than a plugin needs for a few requests.
fn max_resources(memory_bytes: usize) -> usize {
    (memory_bytes / 4 / FIELD_SIZE_LIMIT).clamp(256, 65_536)
}

/// Limits on each plugin instance. Every one has a default the plugin cannot change.
#[derive(Debug, Clone, Copy)]
pub struct InstanceLimits {
    /// Linear memory one instance may grow to. Default 1 GiB.
    pub memory_bytes: usize,
    /// Wall-clock time one call may run, waits on the network included. Default 120 s.
    pub deadline: Duration,
    /// Fuel one call may burn (roughly, wasm instructions). Default: off, since counting
    /// slows every call; the deadline already bounds runaway code.
    pub fuel: Option<u64>,
}

impl Default for InstanceLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 1 << 30,
            deadline: Duration::from_secs(120),
            fuel: None,
        }
    }
}

/// Everything a [`Host`] is configured with.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    pub limits: InstanceLimits,
    pub http: HttpLimits,
    pub keyvalue: KeyValueLimits,
    /// Where compiled components are cached, keyed by content hash and engine settings.
    /// Default: no cache.
    pub cache_dir: Option<PathBuf>,
}

/// The engine, the linker, and the clock that enforces deadlines.
pub struct Host {
    engine: Engine,
    linker: Arc<Linker<PluginState>>,
    config: HostConfig,
    ticker: Arc<AtomicBool>,
}

impl Drop for Host {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

/// Interfaces a plugin may import: its world, and what the Rust standard library pulls in.
/// Filesystem and sockets are linked so that std links, but the context grants neither.
const ALLOWED_IMPORTS: &[&str] = &[
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:io/",
    "wasi:filesystem/",
    "wasi:sockets/",
    "wasi:http/types@",
    "wasi:http/outgoing-handler@",
    "wasi:keyvalue/store@",
    "wasi:logging/logging",
    // Types-only: the exported interface's records live here and carry no functions.
    "gatehouse:integration/types@",
];

impl Host {
    pub fn new(config: HostConfig) -> Result<Self, HostError> {
        let mut wasm_config = Config::new();
        wasm_config.epoch_interruption(true);
        wasm_config.consume_fuel(config.limits.fuel.is_some());
        let engine = Engine::new(&wasm_config).map_err(HostError::engine)?;

        let mut linker: Linker<PluginState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(HostError::engine)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(HostError::engine)?;
        bindings::wasi::keyvalue::store::add_to_linker::<_, KeyValue>(&mut linker, |state| {
            KeyValueView {
                state: &mut state.keyvalue,
                table: &mut state.table,
            }
        })
        .map_err(HostError::engine)?;
        bindings::wasi::logging::logging::add_to_linker::<_, Logging>(&mut linker, |state| {
            &mut state.log
        })
        .map_err(HostError::engine)?;

        let ticker = Arc::new(AtomicBool::new(false));
        let stop = ticker.clone();
        let ticking = engine.clone();
        std::thread::Builder::new()
            .name("gatehouse-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking.increment_epoch();
                }
            })
            .map_err(|e| HostError::Engine(format!("cannot start the deadline clock: {e}")))?;

        Ok(Self {
            engine,
            linker: Arc::new(linker),
            config,
            ticker,
        })
    }

    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Compiles (or loads from the cache), checks and describes a component.
    pub async fn load(&self, wasm: &[u8]) -> Result<Plugin, HostError> {
        let sha256 = hex(&Sha256::digest(wasm));
        let component = self.compile(wasm, &sha256)?;

        let imports = imports_of(&self.engine, &component);
        if let Some(bad) = imports
            .iter()
            .find(|name| !ALLOWED_IMPORTS.iter().any(|p| name.starts_with(p)))
        {
            return Err(HostError::Load(format!(
                "the component imports {bad}, which is outside the plugin world"
            )));
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| HostError::Load(format!("the component cannot be linked: {e:#}")))?;
        let pre = bindings::PluginPre::new(pre)
            .map_err(|e| HostError::Load(format!("the component is not a plugin: {e:#}")))?;

        let mut plugin = Plugin {
            engine: self.engine.clone(),
            pre,
            config: self.config.clone(),
            info: None,
            declared: Vec::new(),
            imports,
            exports: exports_of(&self.engine, &component),
            sha256,
            size: wasm.len(),
        };
        let info = plugin.describe_fresh().await?;
        plugin.declared = info
            .hosts
            .iter()
            .map(|host| host.parse::<Origin>())
            .collect::<Result<_, _>>()
            .map_err(|e| HostError::Load(format!("describe() declares {e}")))?;
        plugin.info = Some(info);
        Ok(plugin)
    }

    fn compile(&self, wasm: &[u8], sha256: &str) -> Result<Component, HostError> {
        let Some(dir) = &self.config.cache_dir else {
            return Component::new(&self.engine, wasm).map_err(HostError::invalid_component);
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        let path = dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()));
        if let Err(why) = trusted_cache(dir, &path) {
            // Native code from a place others can write would run outside the sandbox.
            tracing::warn!(path = %dir.display(), "not using the component cache: {why}");
            return Component::new(&self.engine, wasm).map_err(HostError::invalid_component);
        }
        if path.exists() {
            // SAFETY: the file is one this host wrote from its own compilation, named by the
            // source's hash and the engine's settings; a damaged file fails to deserialize and
            // is recompiled below.
            match unsafe { Component::deserialize_file(&self.engine, &path) } {
                Ok(component) => return Ok(component),
                Err(error) => tracing::warn!(%error, path = %path.display(),
                    "cached component unusable, compiling again"),
            }
        }
        let component = Component::new(&self.engine, wasm).map_err(HostError::invalid_component)?;
        if let Err(error) = write_cache(&path, &component) {
            tracing::warn!(%error, path = %path.display(), "could not cache the component");
        }
        Ok(component)
    }
}

/// Whether the cache directory, the directory holding it, and the cached file if there is
/// one may be trusted: owned by this user and writable by nobody else. Whoever can write
/// there can run code as this user, since cached components are native code loaded without
/// a sandbox. Directories that do not exist yet are created private by the first write.
fn trusted_cache(dir: &Path, file: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: getuid has no preconditions and cannot fail.
        let me = unsafe { libc::getuid() };
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
        for path in parent.into_iter().chain([dir, file]) {
            let Ok(metadata) = std::fs::symlink_metadata(path) else {
                continue;
            };
            if metadata.uid() != me {
                return Err(format!("{} belongs to another user", path.display()));
            }
            if metadata.mode() & 0o022 != 0 {
                return Err(format!(
                    "{} is writable by others (mode {:o})",
                    path.display(),
                    metadata.mode() & 0o777
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, file);
    Ok(())
}

fn write_cache(path: &Path, component: &Component) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent)?;
        // The cache holds native code the host runs outside the sandbox: only its owner may
        // write there. (Anyone who can write the directory can run code as this user.)
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let bytes = component
        .serialize()
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    // Write then rename, so that a concurrent reader never sees half a file.
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn imports_of(engine: &Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect()
}

fn exports_of(engine: &Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// What the operator grants one plugin for a session.
#[derive(Clone)]
pub struct Grants {
    /// Storage; the plugin sees only the namespace named after its id.
    pub store: Arc<dyn Backend>,
    /// The operator's allow-list; `None` grants everything the plugin declared.
    pub allow: Option<Vec<Origin>>,
    pub routes: Vec<Route>,
    /// A fixed wall clock for reproducible runs; `None` uses the real one.
    pub clock: Option<SystemTime>,
    /// When set, the plugin's log messages are kept here too.
    pub capture_logs: Option<Arc<std::sync::Mutex<Vec<LogRecord>>>>,
    /// Seeds the plugin's random generators, for reproducible runs; `None` uses real entropy.
    /// Never set it outside tests: PKCE verifiers and OAuth states come from it.
    pub random_seed: Option<u64>,
}

impl Grants {
    pub fn new(store: Arc<dyn Backend>) -> Self {
        Self {
            store,
            allow: None,
            routes: Vec::new(),
            clock: None,
            capture_logs: None,
            random_seed: None,
        }
    }
}

/// A loaded, checked plugin, ready to be instantiated cheaply.
pub struct Plugin {
    engine: Engine,
    pre: bindings::PluginPre<PluginState>,
    config: HostConfig,
    info: Option<types::PluginInfo>,
    declared: Vec<Origin>,
    imports: Vec<String>,
    exports: Vec<String>,
    sha256: String,
    size: usize,
}

impl Plugin {
    /// What the plugin said of itself when it was loaded.
    pub fn info(&self) -> &types::PluginInfo {
        // `load` sets it before handing the plugin out.
        self.info
            .as_ref()
            .unwrap_or_else(|| unreachable!("plugin info is set by Host::load"))
    }

    pub fn id(&self) -> &str {
        &self.info().id
    }

    pub fn declared_origins(&self) -> &[Origin] {
        &self.declared
    }

    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    pub fn exports(&self) -> &[String] {
        &self.exports
    }

    /// Hex SHA-256 of the component's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// A fresh instance with the given grants.
    pub async fn session(&self, grants: &Grants) -> Result<Session, HostError> {
        let id = self.id().to_owned();
        let policy = OutboundPolicy::new(
            &self.declared,
            grants.allow.as_deref(),
            grants.routes.clone(),
            self.config.http,
        );
        self.instantiate(id, Arc::new(policy), grants).await
    }

    async fn describe_fresh(&self) -> Result<types::PluginInfo, HostError> {
        let grants = Grants::new(Arc::new(crate::keyvalue::MemoryBackend::new()));
        let policy = Arc::new(OutboundPolicy::default());
        let mut session = self
            .instantiate("(loading)".into(), policy, &grants)
            .await?;
        session.describe().await.map_err(|e| match e {
            CallError::Host(host) => host,
            CallError::Plugin(plugin) => HostError::Load(plugin.to_string()),
        })
    }

    async fn instantiate(
        &self,
        plugin_id: String,
        policy: Arc<OutboundPolicy>,
        grants: &Grants,
    ) -> Result<Session, HostError> {
        let stdout = MemoryOutputPipe::new(STDIO_CAPACITY);
        let stderr = MemoryOutputPipe::new(STDIO_CAPACITY);
        let mut wasi = WasiCtx::builder();
        // No arguments, environment, preopened directories, sockets or stdin: a plugin's only
        // ways out are wasi:http through the policy below, storage and logging.
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false);
        wasi.allow_tcp(false).allow_udp(false);
        if let Some(at) = grants.clock {
            wasi.wall_clock(FixedClock(at));
        }
        if let Some(seed) = grants.random_seed {
            use rand_wasi::SeedableRng;
            wasi.secure_random(rand_wasi::rngs::StdRng::seed_from_u64(seed));
            wasi.insecure_random(rand_wasi::rngs::StdRng::seed_from_u64(seed ^ 0x5eed));
            wasi.insecure_random_seed(u128::from(seed));
        }

        // Header maps and other resources live in host memory, outside the plugin's linear
        // memory: bound them so that a plugin cannot hold more than about a quarter of its
        // memory limit on the host side.
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(FIELD_SIZE_LIMIT);
        let mut table = ResourceTable::new();
        table.set_max_capacity(max_resources(self.config.limits.memory_bytes));
        let requests = Arc::new(AtomicU32::new(0));
        let denied = Arc::new(AtomicU32::new(0));
        let state = PluginState {
            wasi: wasi.build(),
            http,
            table,
            hooks: OutboundHooks::new(plugin_id.clone(), policy, requests.clone(), denied.clone()),
            keyvalue: KeyValueState::new(
                grants.store.clone(),
                plugin_id.clone(),
                self.config.keyvalue,
            ),
            log: LogState {
                plugin_id: plugin_id.clone(),
                capture: grants.capture_logs.clone(),
            },
            limiter: MemoryLimiter {
                limit: self.config.limits.memory_bytes,
                denied: false,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        // What one call may copy from guest to host (a result such as a million decisions):
        // wasmtime's default of 128 MiB is below what a 1M-account evaluation returns. The
        // guest cannot produce more than its own memory, so that limit is the natural bound.
        store.set_hostcall_fuel(self.config.limits.memory_bytes);
        store.epoch_deadline_trap();
        if self.config.limits.fuel.is_some() {
            store.set_fuel(u64::MAX).map_err(HostError::engine)?;
        }
        arm(&mut store, &self.config.limits)?;

        let instance = self.pre.instantiate_async(&mut store).await;
        let instance = match instance {
            Ok(instance) => instance,
            Err(error) => return Err(classify(&store, &self.config.limits, error)),
        };
        Ok(Session {
            store,
            plugin: instance,
            limits: self.config.limits,
            requests,
            denied,
            stdout: (stdout, 0),
            stderr: (stderr, 0),
            closed: None,
            plugin_id,
        })
    }
}

/// A wall clock stuck at one instant.
struct FixedClock(SystemTime);

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        self.0
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// Refuses memory growth past the limit and remembers that it did, so that the trap that
/// follows (a Rust guest aborts when allocation fails) can be reported as the limit it is.
struct MemoryLimiter {
    limit: usize,
    denied: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.limit;
        self.denied |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any real plugin.
        Ok(desired <= 1_000_000)
    }
}

/// The data of one plugin instance's store.
pub struct PluginState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    keyvalue: KeyValueState,
    log: LogState,
    limiter: MemoryLimiter,
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for PluginState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Sets the deadline and fuel for the next call.
fn arm(store: &mut Store<PluginState>, limits: &InstanceLimits) -> Result<(), HostError> {
    let ticks = limits
        .deadline
        .as_millis()
        .div_ceil(EPOCH_TICK.as_millis())
        .max(1);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel).map_err(HostError::engine)?;
    }
    Ok(())
}

/// Names the limit a failed call ran into, when it ran into one.
fn classify(
    store: &Store<PluginState>,
    limits: &InstanceLimits,
    error: wasmtime::Error,
) -> HostError {
    if store.data().limiter.denied {
        return HostError::MemoryLimit {
            bytes: limits.memory_bytes,
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => HostError::Deadline {
            limit: limits.deadline,
        },
        Some(Trap::OutOfFuel) => HostError::Fuel {
            fuel: limits.fuel.unwrap_or_default(),
        },
        Some(trap) => HostError::Trap(format!("{trap}: {error:#}")),
        None => HostError::Trap(format!("{error:#}")),
    }
}

/// One instance of a plugin and the calls made on it.
///
/// After a call fails on a limit or a trap the instance is unusable; every later call on this
/// session returns [`HostError::Closed`] and the caller starts a new session.
pub struct Session {
    store: Store<PluginState>,
    plugin: bindings::Plugin,
    limits: InstanceLimits,
    requests: Arc<AtomicU32>,
    denied: Arc<AtomicU32>,
    stdout: (MemoryOutputPipe, usize),
    stderr: (MemoryOutputPipe, usize),
    closed: Option<String>,
    plugin_id: String,
}

/// A listing in progress inside a session.
pub struct ListingHandle(ResourceAny);

/// Runs one export call under the session's limits.
///
/// Epoch interruption stops wasm that computes past the deadline, but not a guest blocked in
/// a host call (sleeping out a rate limit, waiting on a slow server), so the whole call also
/// runs under a timer; past it the call is abandoned and the instance closed.
macro_rules! call {
    ($session:ident, |$guest:ident, $store:ident| $body:expr) => {{
        $session.before()?;
        let deadline = $session.limits.deadline;
        let result = {
            let $guest = $session.plugin.gatehouse_integration_integration();
            let $store = &mut $session.store;
            tokio::time::timeout(deadline + DEADLINE_SLACK, $body).await
        };
        match result {
            Ok(result) => $session.after(result),
            Err(_elapsed) => Err($session.timed_out()),
        }
    }};
}

/// How much longer than the epoch deadline the timer waits, so that running wasm is stopped
/// by the epoch (which names the trap) rather than by the timer.
const DEADLINE_SLACK: Duration = Duration::from_millis(250);

impl Session {
    fn before(&mut self) -> Result<(), CallError> {
        if let Some(reason) = &self.closed {
            return Err(HostError::Closed(reason.clone()).into());
        }
        self.requests.store(0, Ordering::SeqCst);
        arm(&mut self.store, &self.limits)?;
        Ok(())
    }

    fn after<T>(&mut self, result: wasmtime::Result<T>) -> Result<T, CallError> {
        self.flush_stdio();
        result.map_err(|error| {
            let error = classify(&self.store, &self.limits, error);
            self.closed = Some(error.to_string());
            tracing::warn!(plugin = %self.plugin_id, %error, "plugin call failed");
            CallError::Host(error)
        })
    }

    fn timed_out(&mut self) -> CallError {
        self.flush_stdio();
        let error = HostError::Deadline {
            limit: self.limits.deadline,
        };
        self.closed = Some(error.to_string());
        tracing::warn!(plugin = %self.plugin_id, %error, "plugin call abandoned while blocked");
        CallError::Host(error)
    }

    /// Passes what the plugin printed to the host's log, tagged with its id.
    fn flush_stdio(&mut self) {
        for (pipe, seen, stream) in [
            (&self.stdout.0, &mut self.stdout.1, "stdout"),
            (&self.stderr.0, &mut self.stderr.1, "stderr"),
        ] {
            let contents = pipe.contents();
            if contents.len() > *seen {
                let text = String::from_utf8_lossy(&contents[*seen..]);
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    self.store.data().log.record("info", stream, line);
                }
                *seen = contents.len();
            }
        }
    }

    /// Requests the last call made (refused ones included).
    pub fn requests_made(&self) -> u32 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests the host refused during the life of this session.
    pub fn requests_denied(&self) -> u32 {
        self.denied.load(Ordering::SeqCst)
    }

    pub async fn describe(&mut self) -> Result<types::PluginInfo, CallError> {
        call!(self, |guest, store| guest.call_describe(store))
    }

    pub async fn authorize_url(
        &mut self,
        params: &[types::Parameter],
        redirect_uri: &str,
    ) -> Result<types::AuthorizationRequest, CallError> {
        let result = call!(self, |guest, store| guest.call_authorize_url(
            store,
            params,
            redirect_uri
        ))?;
        Ok(result?)
    }

    pub async fn connect(
        &mut self,
        params: &[types::Parameter],
    ) -> Result<types::Connection, CallError> {
        let result = call!(self, |guest, store| guest.call_connect(store, params))?;
        Ok(result?)
    }

    pub async fn disconnect(&mut self) -> Result<(), CallError> {
        let result = call!(self, |guest, store| guest.call_disconnect(store))?;
        Ok(result?)
    }

    pub async fn list_users(&mut self) -> Result<ListingHandle, CallError> {
        let result = call!(self, |guest, store| guest.call_list_users(store))?;
        Ok(ListingHandle(result?))
    }

    /// The next batch of accounts, or `None` when the listing is drained.
    pub async fn next_batch(
        &mut self,
        listing: &ListingHandle,
    ) -> Result<Option<Vec<types::Account>>, CallError> {
        let result = call!(self, |guest, store| guest
            .listing()
            .call_next(store, listing.0))?;
        Ok(result?)
    }

    pub async fn listing_summary(
        &mut self,
        listing: &ListingHandle,
    ) -> Result<types::ListingSummary, CallError> {
        call!(self, |guest, store| guest
            .listing()
            .call_summary(store, listing.0))
    }

    /// Lists every account, calling `progress` after each batch with the count so far.
    pub async fn list_all(
        &mut self,
        mut progress: impl FnMut(usize),
    ) -> Result<(Vec<types::Account>, types::ListingSummary), CallError> {
        let listing = self.list_users().await?;
        let mut accounts = Vec::new();
        while let Some(batch) = self.next_batch(&listing).await? {
            accounts.extend(batch);
            progress(accounts.len());
        }
        let summary = self.listing_summary(&listing).await?;
        let _ = listing.0.resource_drop_async(&mut self.store).await;
        Ok((accounts, summary))
    }

    /// Evaluates the request in the plugin. The answer's positions (which account, which
    /// staff member) are checked against the request before it is returned, so that
    /// [`crate::evaluation::Evaluated`] can join it back without a second check failing.
    pub async fn evaluate_access(
        &mut self,
        request: &types::EvaluationRequest,
    ) -> Result<types::Evaluation, CallError> {
        let result = call!(self, |guest, store| guest
            .call_evaluate_access(store, request))?;
        let evaluation = result?;
        crate::evaluation::Evaluated::new(request, &evaluation).map_err(HostError::Contract)?;
        Ok(evaluation)
    }
}

#[cfg(all(test, unix))]
mod cache_tests {
    use std::os::unix::fs::PermissionsExt;

    use super::trusted_cache;

    fn chmod(path: &std::path::Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A cache directory anyone could write was used all the same: its native code ran as
    /// the user, outside the sandbox.
    #[test]
    fn a_cache_others_can_write_is_not_trusted() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("components");
        let file = dir.join("abc.cwasm");
        // Nothing there yet: it will be created private.
        assert_eq!(trusted_cache(&dir, &file), Ok(()));

        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o777);
        let refused = trusted_cache(&dir, &file).unwrap_err();
        assert!(
            refused.ends_with("is writable by others (mode 777)"),
            "{refused}"
        );

        chmod(&dir, 0o700);
        std::fs::write(&file, b"native code").unwrap();
        chmod(&file, 0o666);
        assert!(trusted_cache(&dir, &file).is_err());
        chmod(&file, 0o600);
        assert_eq!(trusted_cache(&dir, &file), Ok(()));

        chmod(root.path(), 0o777);
        assert!(
            trusted_cache(&dir, &file).is_err(),
            "the directory holding it counts too"
        );
        chmod(root.path(), 0o700);
    }
}
