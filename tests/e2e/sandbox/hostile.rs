//! The hostile components, built once per test process, and a host configured per test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use host_harness::keyvalue::MemoryBackend;
use host_harness::logging::LogRecord;
use host_harness::types::{self, Parameter};
use host_harness::{CallError, Grants, Host, HostConfig, HostError, Plugin, Session};

const TARGET: &str = "wasm32-wasip2";

/// The two components the hostile workspace builds.
pub struct Components {
    /// `gatehouse-hostile`: the plugin world, with an attack behind `connect`.
    pub hostile: Vec<u8>,
    /// `gatehouse-hostile-outside`: imports `evil:outside/backdoor`.
    pub outside: Vec<u8>,
}

/// Builds `tests/hostile` for wasm once, however many tests ask at the same time.
pub fn components() -> &'static Components {
    static BUILT: OnceLock<Components> = OnceLock::new();
    BUILT.get_or_init(build)
}

fn build() -> Components {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf();
    let target_dir = root.join("target").join("hostile");

    // `CARGO` is set by cargo when it runs the tests, not when it compiles them.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--locked",
            "--workspace",
            "--target",
            TARGET,
        ])
        .arg("--manifest-path")
        .arg(root.join("tests/hostile/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // Wrappers and flags of the outer build (coverage, clippy) must not leak into the wasm one.
    for inherited in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(inherited);
    }
    let output = command
        .output()
        .expect("cannot run cargo to build tests/hostile");
    assert!(
        output.status.success(),
        "building tests/hostile for {TARGET} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let built = |name: &str| -> Vec<u8> {
        let path: PathBuf = target_dir.join(TARGET).join("release").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    };
    Components {
        hostile: built("gatehouse_hostile.wasm"),
        outside: built("gatehouse_hostile_outside.wasm"),
    }
}

/// One host with its own limits, the hostile plugin loaded into it, and the storage and log
/// capture its sessions are granted.
pub struct Sandbox {
    /// Kept alive for its epoch thread: dropping the host stops every deadline.
    _host: Host,
    pub plugin: Plugin,
    pub store: Arc<MemoryBackend>,
    pub logs: Arc<Mutex<Vec<LogRecord>>>,
}

impl Sandbox {
    pub async fn new(config: HostConfig) -> Sandbox {
        let host = Host::new(config).expect("host starts");
        let plugin = host
            .load(&components().hostile)
            .await
            .expect("the hostile plugin loads");
        assert_eq!(plugin.id(), "hostile");
        Sandbox {
            _host: host,
            plugin,
            store: Arc::new(MemoryBackend::new()),
            logs: Arc::default(),
        }
    }

    /// Everything the plugin declared, this sandbox's storage, and log capture.
    pub fn grants(&self) -> Grants {
        let mut grants = Grants::new(self.store.clone());
        grants.capture_logs = Some(self.logs.clone());
        grants
    }

    pub async fn session(&self, grants: &Grants) -> Session {
        self.plugin.session(grants).await.expect("a session starts")
    }

    /// A fresh session with [`Sandbox::grants`] that runs one attack.
    pub async fn attack(&self, params: &[(&str, &str)]) -> Result<String, HostError> {
        let mut session = self.session(&self.grants()).await;
        attack(&mut session, params).await
    }

    pub fn captured(&self) -> Vec<LogRecord> {
        self.logs.lock().unwrap().clone()
    }
}

/// Runs `connect` with the given parameters: the plugin's report, or the host's reason for
/// stopping it.
pub async fn attack(session: &mut Session, params: &[(&str, &str)]) -> Result<String, HostError> {
    let params: Vec<Parameter> = params
        .iter()
        .map(|(name, value)| Parameter {
            name: (*name).to_owned(),
            value: (*value).to_owned(),
        })
        .collect();
    match session.connect(&params).await {
        Err(CallError::Plugin(types::Error::InvalidInput(report))) => Ok(report),
        Err(CallError::Host(error)) => Err(error),
        other => panic!("the hostile plugin answered unexpectedly: {other:?}"),
    }
}
