//! `harness inspect`: what a plugin is before anything runs it.

use sha2::{Digest, Sha256};

use crate::support::Sandbox;

const WORLD: &str = "gatehouse:integration/plugin@0.1.0";
const EXPORT: &str = "gatehouse:integration/integration@0.1.0";

#[test]
fn inspect_zoom_prints_world_hosts_scopes_auth_methods_imports_and_exports() {
    // Cold: this run compiles the plugin and fills the cache, as a user's first run does.
    let sandbox = Sandbox::cold();

    let run = sandbox.harness("inspect").arg("zoom").run().expect_code(0);
    let cached = std::fs::read_dir(sandbox.components()).unwrap().count();
    assert_eq!(cached, 1, "the compiled plugin is cached in --cache-dir");

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines.contains(&"plugin    zoom (Zoom) 0.1.0"),
        "{}",
        run.stdout
    );
    assert!(lines.contains(&format!("world     {WORLD}").as_str()));
    assert!(lines.contains(&"hosts     https://zoom.us, https://api.zoom.us"));
    let scopes = lines
        .iter()
        .find(|l| l.starts_with("scopes    "))
        .expect("a scopes line");
    assert!(scopes.contains("user:read:list_users:admin"), "{scopes}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("auth      server-to-server: "))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("auth      authorization-code: "))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("client_secret") && l.contains("[required, secret]")),
        "describe() marks client_secret as a secret:\n{}",
        run.stdout
    );

    let imports = lines.iter().position(|l| *l == "imports").expect("imports");
    let exports = lines.iter().position(|l| *l == "exports").expect("exports");
    assert!(imports + 1 < exports, "at least one import is listed");
    let imported: Vec<&str> = lines[imports + 1..exports]
        .iter()
        .map(|l| l.trim())
        .collect();
    assert!(
        imported
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@"))
    );
    assert!(
        imported
            .iter()
            .any(|i| i.starts_with("wasi:keyvalue/store@"))
    );
    assert_eq!(
        lines[exports + 1..]
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>(),
        [EXPORT]
    );
}

#[test]
fn inspect_json_of_the_component_file_names_zoom_and_its_exact_hash() {
    let sandbox = Sandbox::new();
    let wasm = std::fs::read(host_harness::ZOOM_PLUGIN_PATH).expect("the built component");
    let expected_sha256: String = Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let run = sandbox
        .harness("inspect")
        .arg(host_harness::ZOOM_PLUGIN_PATH)
        .args(["--format", "json"])
        .run()
        .expect_code(0);
    let json = run.json();

    assert_eq!(json["id"], "zoom");
    assert_eq!(json["world"], WORLD);
    let sha256 = json["sha256"].as_str().expect("sha256 is a string");
    assert_eq!(sha256.len(), 64);
    assert!(sha256.chars().all(|c| c.is_ascii_hexdigit()), "{sha256}");
    assert_eq!(sha256, expected_sha256);
    assert_eq!(json["size"], wasm.len());
    assert_eq!(
        json["hosts"],
        serde_json::json!(["https://zoom.us", "https://api.zoom.us"])
    );
    let scopes = json["scopes"].as_array().expect("scopes array");
    assert!(
        scopes.iter().any(|s| s == "user:read:list_users:admin"),
        "{scopes:?}"
    );
    assert_eq!(json["exports"], serde_json::json!([EXPORT]));
    assert!(json["imports"].as_array().is_some_and(|i| !i.is_empty()));
    let methods: Vec<&str> = json["auth_methods"]
        .as_array()
        .expect("auth_methods array")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(methods, ["server-to-server", "authorization-code"]);
}

#[test]
fn inspect_by_name_and_by_path_load_the_same_component() {
    let sandbox = Sandbox::new();
    let sha256 = |plugin: &str| {
        sandbox
            .harness("inspect")
            .arg(plugin)
            .args(["--format", "json"])
            .run()
            .expect_code(0)
            .json()["sha256"]
            .clone()
    };

    assert_eq!(sha256("zoom"), sha256(host_harness::ZOOM_PLUGIN_PATH));
}

#[test]
fn inspect_of_a_text_file_says_it_is_not_a_component() {
    let sandbox = Sandbox::new();
    let text = sandbox.write("notes.wasm", "# not wasm at all\n");

    sandbox.harness("inspect").arg(&text).run().expect_error(&[
        &text.display().to_string(),
        "not a valid WebAssembly component",
    ]);
}

#[test]
fn inspect_of_a_core_module_says_it_is_not_a_component() {
    let sandbox = Sandbox::new();
    // The smallest valid core module: magic and version 1, no sections.
    let module = sandbox.write("core.wasm", b"\0asm\x01\0\0\0");

    sandbox
        .harness("inspect")
        .arg(&module)
        .run()
        .expect_error(&["core.wasm", "not a valid WebAssembly component"]);
}

#[test]
fn inspect_of_a_text_file_explains_itself_in_one_line() {
    let sandbox = Sandbox::new();
    let text = sandbox.write("notes.wasm", "# not wasm at all\n");

    let run = sandbox.harness("inspect").arg(&text).run().expect_code(2);

    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn inspect_of_a_missing_file_names_the_file() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path("no-such-plugin.wasm");

    sandbox
        .harness("inspect")
        .arg(&missing)
        .run()
        .expect_error(&[
            &format!("cannot read plugin {}", missing.display()),
            "No such file",
        ]);
}

/// `harness conformance /dev/zero` once read forever; devices and FIFOs are refused up front.
#[test]
fn a_plugin_path_that_is_not_a_regular_file_is_refused_without_reading_it() {
    let sandbox = Sandbox::new();

    for verb in ["inspect", "conformance"] {
        sandbox
            .harness(verb)
            .arg("/dev/zero")
            .run()
            .expect_error(&["plugin /dev/zero is not a regular file"]);
    }
}

/// A `--cache-dir` others can write is not used: the harness says so and compiles afresh,
/// instead of running native code someone else could have put there.
#[cfg(unix)]
#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;

    let sandbox = Sandbox::cold();
    std::fs::set_permissions(sandbox.cache_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();

    let run = sandbox.harness("inspect").arg("zoom").run().expect_code(0);

    assert!(
        run.stderr.contains("not using the component cache"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.components().exists(), "nothing written there");
}
