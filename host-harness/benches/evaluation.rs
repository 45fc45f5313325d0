//! Evaluating 100,000 accounts against 100,000 staff members under each policy type: inside
//! the component (the `evaluate-access` export, called as the harness calls it), against the
//! same evaluation code compiled natively. The cost of crossing the component boundary is
//! measured apart with a probe component (`benches/probe`) that runs the plugin's own
//! evaluation and conversion code but can stop after the inbound crossing or answer a result
//! it computed earlier. See BENCHMARKS.md.
//!
//! `cargo bench -p host-harness --bench evaluation`

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use gatehouse_zoom::evaluate::evaluate;
use host_harness::keyvalue::MemoryBackend;
use host_harness::types::{EvaluationRequest, Parameter};
use host_harness::{CallError, Grants, Host, HostError, Plugin, Session};

const ACCOUNTS: usize = 100_000;

/// Builds the probe component for wasm32-wasip2 (seconds once built) and returns its bytes.
fn probe_component() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-harness sits in the workspace");
    let target_dir = root.join("target").join("bench-probe");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "--release", "--locked"])
        .args(["--target", "wasm32-wasip2", "--manifest-path"])
        .arg(root.join("host-harness/benches/probe/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
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
    let status = command
        .status()
        .expect("cannot run cargo to build the probe");
    assert!(
        status.success(),
        "building host-harness/benches/probe failed"
    );
    let wasm = target_dir.join("wasm32-wasip2/release/gatehouse_bench_probe.wasm");
    std::fs::read(&wasm).unwrap_or_else(|e| panic!("cannot read {}: {e}", wasm.display()))
}

/// Switches the probe instance to `mode` (see benches/probe/src/lib.rs).
async fn set_mode(session: &mut Session, mode: &str) {
    let params = [Parameter {
        name: "mode".into(),
        value: mode.into(),
    }];
    session.connect(&params).await.expect("probe mode");
}

/// The request without its data: what the `out` probe is sent.
fn emptied(request: &EvaluationRequest) -> EvaluationRequest {
    EvaluationRequest {
        accounts: Vec::new(),
        staff: Vec::new(),
        tickets: Vec::new(),
        ..request.clone()
    }
}

fn evaluation(c: &mut Criterion) {
    let rt = common::runtime();

    // Inputs: the accounts as the component lists them from a mock of 100,000.
    let mock = rt.block_on(common::mock(ACCOUNTS));
    let component = rt.block_on(common::Component::connect(&mock));
    let (accounts, listing) = rt.block_on(component.list());
    assert_eq!(accounts.len(), ACCOUNTS);
    let organisation = mock.organisation().clone();
    rt.block_on(mock.shutdown());
    let staff = common::data::staff(&organisation, ACCOUNTS);
    eprintln!(
        "evaluation inputs: {} accounts, {} staff members",
        accounts.len(),
        staff.len()
    );

    let probe_host = Host::new(common::host_config(None)).expect("host");
    let probe: Plugin = rt
        .block_on(probe_host.load(&probe_component()))
        .expect("probe loads");
    let probe_grants = Grants::new(Arc::new(MemoryBackend::new()));

    for policy in common::data::POLICIES {
        let request = common::data::request(
            policy,
            &organisation,
            accounts.clone(),
            listing.clone(),
            staff.clone(),
        );
        let native_request = common::convert::request(&request);
        let mut session = rt
            .block_on(component.plugin.session(&component.grants))
            .expect("session");

        // The component and the baseline must agree before their times mean anything.
        let inside = rt
            .block_on(session.evaluate_access(&request))
            .expect("component evaluates");
        let native = evaluate(&native_request);
        assert_eq!(inside.decisions.len(), native.decisions.len());
        assert_eq!(inside.findings.len(), native.findings.len());
        let allowed = |d: &[bool]| d.iter().filter(|a| **a).count();
        let inside_allowed: Vec<bool> = inside.decisions.iter().map(|d| d.allowed).collect();
        let native_allowed: Vec<bool> = native.decisions.iter().map(|d| d.allowed).collect();
        assert_eq!(inside_allowed, native_allowed);
        eprintln!(
            "{policy}: {} staff, {} tickets, {} decisions ({} allowed), {} findings",
            request.staff.len(),
            request.tickets.len(),
            native.decisions.len(),
            allowed(&native_allowed),
            native.findings.len()
        );
        drop((inside, native));

        let mut group = c.benchmark_group(format!("evaluation/{policy}"));
        group.throughput(Throughput::Elements(ACCOUNTS as u64));
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));

        group.bench_function("native", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let result = evaluate(&native_request);
                    total += started.elapsed();
                    drop(result);
                }
                total
            })
        });
        group.bench_function("component", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let result = rt
                        .block_on(session.evaluate_access(&request))
                        .expect("eval");
                    total += started.elapsed();
                    drop(result);
                }
                total
            })
        });

        let mut probing = rt.block_on(probe.session(&probe_grants)).expect("probe");
        rt.block_on(set_mode(&mut probing, "full"));
        group.bench_function("probe-full", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let result = rt
                        .block_on(probing.evaluate_access(&request))
                        .expect("probe");
                    total += started.elapsed();
                    drop(result);
                }
                total
            })
        });
        rt.block_on(set_mode(&mut probing, "in"));
        group.bench_function("boundary-in", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let result = rt.block_on(probing.evaluate_access(&request));
                    total += started.elapsed();
                    assert!(matches!(result, Err(CallError::Plugin(_))), "{result:?}");
                }
                total
            })
        });
        let small = emptied(&request);
        group.bench_function("boundary-out", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    rt.block_on(async {
                        set_mode(&mut probing, "stash").await;
                        let stashed = probing.evaluate_access(&request).await;
                        assert!(matches!(stashed, Err(CallError::Plugin(_))));
                        set_mode(&mut probing, "out").await;
                    });
                    // Lifted in full, then refused by the host's check of the positions,
                    // which stops at the count; the lifted result is dropped inside the
                    // timing, unlike in the other rows.
                    let started = Instant::now();
                    let result = rt.block_on(probing.evaluate_access(&small));
                    total += started.elapsed();
                    let Err(CallError::Host(HostError::Contract(refused))) = result else {
                        panic!("expected the emptied request to be refused: {result:?}");
                    };
                    assert!(refused.starts_with(&format!("{ACCOUNTS} decisions for 0 accounts")));
                }
                total
            })
        });
        group.finish();
    }
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
