//! Builds the Zoom plugin component for `wasm32-wasip2`, so that `cargo run` and `cargo test`
//! need nothing else, and passes its path on as `GATEHOUSE_ZOOM_WASM`.
//!
//! The nested cargo uses its own target directory (sharing one would deadlock on its lock)
//! and a clean environment (coverage and clippy wrappers must not leak into the wasm build).

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("host-harness sits in the workspace")
        .to_path_buf();
    for watched in [
        "plugin/src",
        "plugin/Cargo.toml",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    // An already built component can be supplied instead (a release pipeline, or a test of a
    // deliberately broken plugin build).
    println!("cargo:rerun-if-env-changed=GATEHOUSE_ZOOM_WASM");
    if let Some(prebuilt) = std::env::var_os("GATEHOUSE_ZOOM_WASM") {
        println!(
            "cargo:rustc-env=GATEHOUSE_ZOOM_WASM={}",
            PathBuf::from(prebuilt).display()
        );
        return;
    }

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    ensure_target(&rustc);

    let target_dir = root.join("target").join("plugin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--package",
            "gatehouse-zoom",
            "--lib",
            "--target",
            TARGET,
        ])
        .args(["--profile", "wasm", "--target-dir"])
        .arg(&target_dir);
    for inherited in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        build.env_remove(inherited);
    }
    let status = build
        .status()
        .expect("cannot run cargo to build the plugin");
    assert!(
        status.success(),
        "building the Zoom plugin for {TARGET} failed (see above)"
    );

    let wasm = target_dir
        .join(TARGET)
        .join("wasm")
        .join("gatehouse_zoom.wasm");
    assert!(
        wasm.exists(),
        "the plugin build did not produce {}",
        wasm.display()
    );
    println!("cargo:rustc-env=GATEHOUSE_ZOOM_WASM={}", wasm.display());
}

/// Installs the wasm target with rustup when this toolchain lacks it: a fresh machine has only
/// the host target, and a `rust-toolchain.toml` does not install targets here.
fn ensure_target(rustc: &str) {
    let libdir = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if libdir.as_deref().is_some_and(Path::exists) {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with rustup");
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    match status {
        Ok(status) if status.success() => {}
        _ => panic!("the {TARGET} target is missing and `rustup target add {TARGET}` failed"),
    }
}
