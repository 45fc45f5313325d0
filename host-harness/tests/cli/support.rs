//! What every CLI test shares: a sandbox of temporary directories, a mock Zoom on a runtime the
//! test owns, and a way to run `harness` that never hangs the suite.
//!
//! A test reads as a user's session:
//!
//! ```ignore
//! let sandbox = Sandbox::new();
//! let mock = Mock::start();
//! connect(&sandbox, &mock).expect_code(0);
//! let listing = sandbox.harness("list-users").plugin(&mock).args(["--format", "json"]).run();
//! ```

use std::ffi::OsStr;
use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use host_harness::mock_zoom::{MockConfig, MockZoom};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The binary under test.
pub const HARNESS: &str = env!("CARGO_BIN_EXE_harness");

/// The sample staff directory shipped with the harness.
pub const DEMO_STAFF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/staff.csv");

/// The sample policy shipped with the harness.
pub const DEMO_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/policy.toml");

/// The evaluation time of reproducible runs: when the mock's organisation was generated
/// (`mock_zoom::GENERATED_AT`), so the demo findings hold whatever day the suite runs.
pub const AT: &str = "2026-12-03T12:00:00Z";

/// How the mock's access tokens start (`mock_zoom/oauth.rs`, `jwt_like`): a log line holding
/// one leaks a token, whatever the rest of it is.
pub const TOKEN_PREFIX: &str = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.";

/// How long one harness run may take before the test kills it and fails. Generous, since the
/// first run in a sandbox compiles the component with a debug build and two cores are shared.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// Environment variables a run inherits; everything else is cleared so that the user's
/// `RUST_LOG`, `XDG_*` or `HOME` cannot change what a test sees. Coverage tools need theirs.
const INHERITED_ENV: [&str; 2] = ["PATH", "LLVM_PROFILE_FILE"];

/// The temporary directories of one test: a home, XDG data and cache homes, the compiled
/// component cache, and a working directory for the store and input files.
pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    /// A sandbox whose component cache already holds the bundled plugin, compiled once per
    /// suite run (see [`seed_cache`]): two shared cores cannot compile it anew for every test.
    pub fn new() -> Sandbox {
        let sandbox = Sandbox::cold();
        let components = sandbox.components();
        std::fs::create_dir(&components).expect("the component cache");
        for path in seed_cache() {
            let name = path.file_name().expect("a file name");
            std::fs::copy(path, components.join(name)).expect("copying a compiled component");
        }
        sandbox
    }

    /// A sandbox with an empty component cache: the first run compiles the plugin.
    pub fn cold() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("harness-cli-")
            .tempdir()
            .expect("a temporary directory");
        for sub in ["home", "data", "cache", "cache-dir", "work"] {
            std::fs::create_dir(dir.path().join(sub)).expect("a sandbox subdirectory");
        }
        Sandbox { dir }
    }

    /// A path in the working directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join("work").join(name)
    }

    /// Writes a file into the working directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("writing a sandbox file");
        path
    }

    /// The directory given as `--cache-dir`.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache-dir")
    }

    /// Where the harness keeps compiled components under `--cache-dir`.
    pub fn components(&self) -> PathBuf {
        self.cache_dir().join("components")
    }

    /// The SQLite store every verb of this test shares.
    pub fn store(&self) -> PathBuf {
        self.path("store.db")
    }

    /// The sandbox's home, XDG data and XDG cache directories, which nothing should write to
    /// when `--store` and `--cache-dir` are given.
    pub fn user_dirs(&self) -> [PathBuf; 3] {
        ["home", "data", "cache"].map(|sub| self.dir.path().join(sub))
    }

    /// `harness` with this sandbox's environment, working directory and nothing else.
    pub fn command(&self) -> Command {
        let mut command = Command::new(HARNESS);
        command.env_clear();
        for name in INHERITED_ENV {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("TMPDIR", self.dir.path().join("work"))
            .current_dir(self.dir.path().join("work"))
            .stdin(Stdio::null());
        command
    }

    /// `harness --cache-dir <sandbox cache> <verb>`, to be completed with arguments.
    pub fn harness(&self, verb: &str) -> Invocation {
        let mut command = self.command();
        command.arg("--cache-dir").arg(self.cache_dir()).arg(verb);
        Invocation {
            command,
            timeout: RUN_TIMEOUT,
        }
    }

    /// `harness <verb>` relying on the default store and cache locations.
    pub fn harness_with_defaults(&self, verb: &str) -> Invocation {
        let mut command = self.command();
        command.arg(verb);
        Invocation {
            command,
            timeout: RUN_TIMEOUT,
        }
    }
}

/// A component cache holding the bundled plugin compiled by `harness inspect zoom`, kept in
/// cargo's scratch directory for integration tests so that it is compiled once, not once per
/// test; [`Sandbox::new`] copies the plugin's files (named by its SHA-256) from it. The harness
/// writes cache files by rename, so concurrent test processes can share it.
fn seed_cache() -> &'static [PathBuf] {
    static SEED: OnceLock<Vec<PathBuf>> = OnceLock::new();
    SEED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("harness-cli-components");
        let scratch = Sandbox::cold();
        scratch
            .command()
            .arg("--cache-dir")
            .arg(&dir)
            .args(["inspect", "zoom"])
            .stdout(Stdio::null())
            .status()
            .expect("running harness inspect")
            .success()
            .then_some(())
            .expect("harness inspect zoom compiles the plugin");

        let sha256: String = Sha256::digest(host_harness::ZOOM_PLUGIN_WASM)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let files: Vec<PathBuf> = std::fs::read_dir(dir.join("components"))
            .expect("the seed cache")
            .map(|entry| entry.expect("a seed cache entry").path())
            .filter(|path| {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                name.starts_with(&sha256) && name.ends_with(".cwasm")
            })
            .collect();
        assert!(!files.is_empty(), "no compiled plugin in {}", dir.display());
        files
    })
}

/// One `harness` command line being put together.
pub struct Invocation {
    command: Command,
    timeout: Duration,
}

impl Invocation {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Invocation {
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Invocation {
        self.command.args(args);
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Invocation {
        self.command.env(name, value);
        self
    }

    pub fn env_remove(mut self, name: &str) -> Invocation {
        self.command.env_remove(name);
        self
    }

    /// Fails the test if the run takes longer than this, instead of [`RUN_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Invocation {
        self.timeout = timeout;
        self
    }

    /// The bundled Zoom plugin with `store` and both Zoom hosts routed to `mock`.
    pub fn zoom_via(self, mock: &Mock, store: &Path) -> Invocation {
        self.arg("zoom")
            .arg("--store")
            .arg(store)
            .args(mock.routes())
    }

    /// The bundled Zoom plugin with `store` and no routes: a run that must not reach Zoom.
    pub fn zoom_offline(self, store: &Path) -> Invocation {
        self.arg("zoom").arg("--store").arg(store)
    }

    /// Runs to completion, killing the process if it outlives its timeout.
    pub fn run(mut self) -> Run {
        let line = format!("{:?}", self.command);
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning harness");
        let stdout = drain(child.stdout.take().expect("piped stdout"));
        let stderr = drain(child.stderr.take().expect("piped stderr"));
        let code = wait_with_timeout(&mut child, &line, self.timeout);
        Run {
            line,
            code,
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        }
    }
}

/// Most of one stream a test keeps; a runaway log is read to its end but not kept.
const OUTPUT_CAP: usize = 64 * 1024 * 1024;

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0; 64 * 1024];
        loop {
            let n = pipe.read(&mut buffer).expect("reading harness output");
            if n == 0 {
                break;
            }
            let room = OUTPUT_CAP.saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(&buffer[..room]);
        }
        match String::from_utf8(kept) {
            Ok(text) => text,
            // Only a cut at the cap can split a character; the harness writes UTF-8.
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }
    })
}

fn wait_with_timeout(child: &mut Child, line: &str, timeout: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for harness") {
            return status.code();
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{line} ran longer than {timeout:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A finished run: exit code and everything it printed.
pub struct Run {
    line: String,
    /// `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the command and its output when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "{}\n--- stdout (first 4000 bytes)\n{}\n--- stderr (first 4000 bytes)\n{}",
            self.line,
            head(&self.stdout),
            head(&self.stderr)
        );
        self
    }

    /// Asserts exit code 2 and a stderr naming the problem with every one of `needles`.
    #[track_caller]
    pub fn expect_error(self, needles: &[&str]) -> Run {
        let run = self.expect_code(2);
        assert!(
            run.stderr.starts_with("error: "),
            "{}: the error should open with `error: `:\n{}",
            run.line,
            run.stderr
        );
        for needle in needles {
            assert!(
                run.stderr.contains(needle),
                "{}: stderr should contain {needle:?}:\n{}",
                run.line,
                run.stderr
            );
        }
        run
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "{}: stdout is not JSON ({error}):\n{}",
                self.line,
                head(&self.stdout)
            )
        })
    }

    /// Stdout and stderr together, for scanning.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn head(text: &str) -> &str {
    let mut end = text.len().min(4000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A mock Zoom serving on loopback from a runtime of its own, so that the test thread can block
/// on `harness` processes while the mock answers them. Dereferences to [`MockZoom`] for counts
/// and recorded requests.
pub struct Mock {
    zoom: Option<MockZoom>,
    runtime: tokio::runtime::Runtime,
}

impl Mock {
    /// The default organisation: 2,400 accounts, seed 42, the demo credentials.
    pub fn start() -> Mock {
        Mock::with_config(MockConfig::default())
    }

    pub fn with_config(config: MockConfig) -> Mock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let zoom = runtime
            .block_on(MockZoom::start(config))
            .expect("starting the mock Zoom");
        Mock {
            zoom: Some(zoom),
            runtime,
        }
    }

    /// `--route` flags sending both Zoom hosts to this mock.
    pub fn routes(&self) -> [String; 4] {
        let url = self.base_url();
        [
            "--route".into(),
            format!("zoom.us={url}"),
            "--route".into(),
            format!("api.zoom.us={url}"),
        ]
    }
}

impl Deref for Mock {
    type Target = MockZoom;

    fn deref(&self) -> &MockZoom {
        self.zoom.as_ref().expect("the mock runs until dropped")
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(zoom) = self.zoom.take() {
            self.runtime.block_on(zoom.shutdown());
        }
    }
}

/// The environment variable connect reads the client secret from.
pub const SECRET_VAR: &str = "ZOOM_CLIENT_SECRET";

/// `harness connect` with server-to-server credentials of `mock`, the secret passed through
/// the environment as a user should.
pub fn connect(sandbox: &Sandbox, mock: &Mock) -> Invocation {
    connect_to(sandbox, mock, &sandbox.store())
}

/// [`connect`] with another store.
pub fn connect_to(sandbox: &Sandbox, mock: &Mock, store: &Path) -> Invocation {
    let config = mock.config();
    sandbox
        .harness("connect")
        .zoom_via(mock, store)
        .arg("--param")
        .arg(format!("account_id={}", config.account_id))
        .arg("--param")
        .arg(format!("client_id={}", config.client_id))
        .arg("--param-env")
        .arg(format!("client_secret={SECRET_VAR}"))
        .env(SECRET_VAR, &config.client_secret)
}

/// A sandbox whose store holds a working connection to `mock`.
pub fn connected(mock: &Mock) -> Sandbox {
    let sandbox = Sandbox::new();
    connect(&sandbox, mock).run().expect_code(0);
    sandbox
}

/// `list-users --format json` written to `users.json` in the sandbox, for `evaluate --users`.
pub fn save_listing(sandbox: &Sandbox, mock: &Mock) -> PathBuf {
    let listing = sandbox
        .harness("list-users")
        .zoom_via(mock, &sandbox.store())
        .args(["--format", "json"])
        .run()
        .expect_code(0);
    sandbox.write("users.json", listing.stdout)
}

/// Standard base64 with padding, to look for HTTP Basic credentials in logs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_the_rfc_4648_examples() {
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(
        base64(b"demo-client:demo-secret"),
        "ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ="
    );
}
