//! `harness conformance` certifies the real component, and catches broken builds of it.
//!
//! A broken build is the plugin's own source, copied and patched in one place the way a real
//! regression would patch it, then built for wasm like the real one. Each patch must still
//! find its target text, so a refactor of the plugin cannot make these tests pass vacuously.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use host_harness::conformance::{self, Outcome, Report};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .into()
}

fn outcome<'a>(report: &'a Report, id: &str) -> &'a Outcome {
    &report
        .results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .outcome
}

/// Copies the plugin and the WIT into `target/broken/NAME`, applies `patch` (file under
/// `plugin/src`, text to find, replacement), builds it for wasm and returns the component.
fn broken_build(name: &str, file: &str, find: &str, replace: &str) -> Vec<u8> {
    let root = root();
    let work = root.join("target").join("broken").join(name);
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&root.join("plugin"), &work.join("plugin"));
    copy_dir(&root.join("wit"), &work.join("wit"));
    std::fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock")).unwrap();

    // The same workspace settings, with the plugin as the only member.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let manifest: String = manifest
        .lines()
        .filter(|line| !line.starts_with("default-members") && !line.starts_with("exclude"))
        .map(|line| {
            if line.starts_with("members") {
                "members = [\"plugin\"]"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(work.join("Cargo.toml"), manifest).unwrap();

    let source = work.join("plugin/src").join(file);
    let text = std::fs::read_to_string(&source).unwrap();
    assert!(
        text.contains(find),
        "{file} no longer contains {find:?}: update this patch"
    );
    std::fs::write(&source, text.replacen(find, replace, 1)).unwrap();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&work)
        .args(["build", "--quiet", "-p", "gatehouse-zoom", "--lib"])
        .args([
            "--target",
            "wasm32-wasip2",
            "--profile",
            "wasm",
            "--target-dir",
        ])
        .arg(root.join("target").join("broken").join("build"))
        // Faster, larger builds are fine for a test.
        .env("CARGO_PROFILE_WASM_LTO", "false")
        .env("CARGO_PROFILE_WASM_CODEGEN_UNITS", "16")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("cannot run cargo");
    assert!(status.success(), "building the broken plugin {name} failed");
    let wasm = root.join("target/broken/build/wasm32-wasip2/wasm/gatehouse_zoom.wasm");
    std::fs::read(wasm).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// One build at a time: both variants share the build directory and its lock.
static BUILD: OnceLock<std::sync::Mutex<()>> = OnceLock::new();

fn build_serialised(name: &str, file: &str, find: &str, replace: &str) -> Vec<u8> {
    let _guard = BUILD
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    broken_build(name, file, find, replace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zoom_plugin_passes_the_whole_suite() {
    let report = conformance::run(host_harness::ZOOM_PLUGIN_WASM, None).await;
    eprint!("{}", report.table());
    assert!(report.passed(), "{}", report.table());
    assert!(
        report.results.len() >= 30,
        "{} checks",
        report.results.len()
    );
    for group in [
        "contract/",
        "connection/",
        "listing/",
        "resilience/",
        "evaluation/",
        "sandbox/",
    ] {
        assert!(
            report
                .results
                .iter()
                .any(|r| r.id.starts_with(group) && r.outcome == Outcome::Pass),
            "no passing check in {group}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_selects_checks_by_pattern() {
    let report = conformance::run(host_harness::ZOOM_PLUGIN_WASM, Some("evaluation/*")).await;
    assert!(!report.results.is_empty());
    assert!(
        report
            .results
            .iter()
            .all(|r| r.id.starts_with("evaluation/")),
        "{}",
        report.table()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_output_is_well_formed_xml_with_one_case_per_check() {
    let report = conformance::run(host_harness::ZOOM_PLUGIN_WASM, Some("contract")).await;
    let xml = report.junit();
    let document = roxmltree::Document::parse(&xml).expect("JUnit output must parse as XML");
    let suites = document.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases: Vec<_> = suites
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), report.results.len());
    assert_eq!(
        suites.attribute("tests"),
        Some(report.results.len().to_string().as_str())
    );
    assert!(
        cases
            .iter()
            .all(|c| c.attribute("classname") == Some("contract"))
    );
    assert!(cases.iter().all(|c| {
        c.attribute("time")
            .is_some_and(|t| t.parse::<f64>().is_ok())
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_that_is_not_a_plugin_fails_the_contract() {
    let report = conformance::run(b"\0asm\x0d\0\x01\0", None).await;
    assert!(!report.passed());
    assert!(matches!(
        outcome(&report, "contract/valid-component"),
        Outcome::Fail(_)
    ));
}

/// The classic connector bug: asking for page one again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_ignores_next_page_token_fails_the_paging_checks() {
    let wasm = build_serialised(
        "ignores-next-page-token",
        "zoom/listing.rs",
        "if let Some(token) = &self.pass.token {",
        "if let Some(token) = None::<&String> {",
    );
    let report = conformance::run(&wasm, Some("listing/")).await;
    eprint!("{}", report.table());
    assert!(matches!(
        outcome(&report, "listing/many-pages"),
        Outcome::Fail(_)
    ));
    assert!(matches!(
        outcome(&report, "listing/duplicates-removed"),
        Outcome::Fail(_)
    ));
    assert_eq!(
        outcome(&report, "listing/one-page"),
        &Outcome::Pass,
        "one page needs no token"
    );
}

/// The other classic: a rate-limit loop with no bound, which waits out even a daily limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_retries_rate_limits_forever_fails_the_daily_limit_check() {
    let wasm = build_serialised(
        "retries-429-forever",
        "zoom/http.rs",
        "    retries_so_far: u32,\n) -> Result<u64, Error> {\n",
        "    retries_so_far: u32,\n) -> Result<u64, Error> {\n    if true {\n        return Ok(1_000);\n    }\n",
    );
    let report = conformance::run(&wasm, Some("resilience/daily-limit-fails-fast")).await;
    eprint!("{}", report.table());
    match outcome(&report, "resilience/daily-limit-fails-fast") {
        Outcome::Fail(reason) => {
            assert!(reason.contains("retried through a daily limit"), "{reason}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
