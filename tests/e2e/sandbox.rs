//! The sandbox against a deliberately hostile plugin (`tests/hostile`).
//!
//! Every test loads the hostile component into a host of its own, runs one attack through
//! `connect`, and asserts on what the guest saw (its report comes back as the `invalid-input`
//! message) and on what the host did. Servers are loopback only; the cloud metadata address is
//! used only as a URL the host must refuse before connecting anywhere.
//!
//! Tests marked `#[ignore = "bug: ..."]` pin a hole the sandbox has today; they pass once the
//! host is fixed.

mod hostile;
mod logs;
mod server;

use std::time::{Duration, Instant};

use host_harness::http::{HttpLimits, Origin};
use host_harness::keyvalue::{Backend, KeyValueLimits};
use host_harness::{Host, HostConfig, HostError, InstanceLimits};
use tokio::net::TcpListener;

use hostile::{Sandbox, attack, components};
use logs::host_events;
use server::{Reply, Server};

const MIB: usize = 1024 * 1024;

fn limits(limits: InstanceLimits) -> HostConfig {
    HostConfig {
        limits,
        ..HostConfig::default()
    }
}

fn http(http: HttpLimits) -> HostConfig {
    HostConfig {
        http,
        ..HostConfig::default()
    }
}

/// Fetches `url` from a fresh session with everything declared granted; what the guest saw.
async fn fetch(sandbox: &Sandbox, url: &str) -> String {
    sandbox
        .attack(&[("attack", "fetch"), ("url", url)])
        .await
        .expect("a fetch is not stopped by the host")
}

/// The host's logged reason for refusing a request to `path`, from the captured events.
fn refusal_reason(path: &str) -> String {
    host_events()
        .into_iter()
        .filter(|e| e.field("message") == "outbound request refused" && e.field("path") == path)
        .map(|e| {
            assert_eq!(
                e.level,
                tracing::Level::WARN,
                "a refusal is guest misbehaviour"
            );
            e.field("reason").to_owned()
        })
        .next_back()
        .unwrap_or_else(|| panic!("no refusal logged for {path}"))
}

// --- Outbound HTTP: where a plugin may go ------------------------------------------------------

/// Pins the basic allow-list: a plugin cannot reach a host it never declared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_host_is_refused() {
    logs::capture();
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = fetch(&sandbox, "https://evil.example/undeclared-host").await;

    assert_eq!(seen, "denied");
    let reason = refusal_reason("/undeclared-host");
    assert!(reason.contains("not an allowed origin"), "{reason}");
}

/// Pins SSRF to the host machine: declaring `https://127.0.0.1` does not make loopback
/// reachable; only an operator's route does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_loopback_address_without_a_route_is_refused() {
    logs::capture();
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = fetch(&sandbox, "https://127.0.0.1/declared-loopback").await;

    assert_eq!(seen, "denied");
    let reason = refusal_reason("/declared-loopback");
    assert!(reason.contains("resolves to 127.0.0.1"), "{reason}");
}

/// Pins SSRF to cloud credentials: the metadata address is refused even though the plugin
/// declared it. It is an IP literal, so the host decides without DNS and before connecting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_metadata_address_is_refused_even_when_declared() {
    logs::capture();
    let sandbox = Sandbox::new(HostConfig::default()).await;
    assert!(
        sandbox
            .plugin
            .declared_origins()
            .contains(&"https://169.254.169.254".parse::<Origin>().unwrap())
    );

    let seen = fetch(&sandbox, "https://169.254.169.254/latest/meta-data/").await;

    assert_eq!(seen, "denied", "the metadata request was NOT refused");
    let reason = refusal_reason("/latest/meta-data/");
    assert!(reason.contains("resolves to 169.254.169.254"), "{reason}");
}

/// Pins SSRF through names: `localhost` is declared, but it resolves to loopback, and
/// resolving to a private address is refused whatever the name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_name_that_resolves_to_loopback_is_refused() {
    logs::capture();
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = fetch(&sandbox, "https://localhost/declared-name").await;

    assert_eq!(seen, "denied");
    let reason = refusal_reason("/declared-name");
    assert!(
        reason.contains("a private, loopback or link-local address"),
        "{reason}"
    );
}

/// Pins cleartext: plain http is only for routed hosts, even when the plugin declared it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_for_a_host_that_is_not_routed() {
    logs::capture();
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = fetch(&sandbox, "http://plain.example/plain-http").await;

    assert_eq!(seen, "denied");
    let reason = refusal_reason("/plain-http");
    assert!(reason.contains("plain http"), "{reason}");
}

/// The other side of the loopback refusals: a route is the operator's explicit word, and
/// the same declared `https://localhost` then reaches the loopback server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_from_the_operator_reaches_loopback() {
    let server = Server::start(Reply::Sized(2)).await;
    let sandbox = Sandbox::new(HostConfig::default()).await;
    let mut grants = sandbox.grants();
    grants.routes = vec![server.route("localhost")];
    let mut session = sandbox.session(&grants).await;

    let seen = attack(
        &mut session,
        &[("attack", "fetch"), ("url", "https://localhost/routed")],
    )
    .await
    .unwrap();

    assert_eq!(seen, "status 200, 2 bytes");
    assert_eq!(server.requests(), 1);
}

/// Pins the operator's narrowing: with only Zoom's API granted, a route for `localhost` is
/// ignored and `localhost` is refused, although the plugin declared it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_allow_list_overrides_routes_for_hosts_it_does_not_grant() {
    logs::capture();
    let server = Server::start(Reply::Sized(2)).await;
    let sandbox = Sandbox::new(HostConfig::default()).await;
    let mut grants = sandbox.grants();
    grants.allow = Some(vec!["https://api.zoom.us".parse().unwrap()]);
    grants.routes = vec![server.route("localhost")];
    let mut session = sandbox.session(&grants).await;

    let seen = attack(
        &mut session,
        &[("attack", "fetch"), ("url", "https://localhost/narrowed")],
    )
    .await
    .unwrap();

    assert_eq!(seen, "denied");
    assert_eq!(server.requests(), 0);
    let reason = refusal_reason("/narrowed");
    assert!(reason.contains("not an allowed origin"), "{reason}");
}

// --- Outbound HTTP: how much a plugin may take -------------------------------------------------

/// Runs the `huge` attack against a server answering with `reply`, with a 1 MiB response limit.
async fn fetch_huge(reply: Reply) -> String {
    let server = Server::start(reply).await;
    let sandbox = Sandbox::new(http(HttpLimits {
        max_response_bytes: MIB as u64,
        ..HttpLimits::default()
    }))
    .await;
    let mut grants = sandbox.grants();
    grants.routes = vec![server.route("localhost")];
    let mut session = sandbox.session(&grants).await;

    attack(
        &mut session,
        &[("attack", "huge"), ("url", "https://localhost/huge")],
    )
    .await
    .unwrap()
}

/// Pins response size: an 8 MiB body announced by `Content-Length` is refused outright.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_response_with_a_length_is_refused_at_the_size_limit() {
    let seen = fetch_huge(Reply::Sized(8 * MIB)).await;

    assert!(
        seen.starts_with("error: ErrorCode::HttpResponseBodySize"),
        "{seen}"
    );
}

/// Pins response size when no length is announced: the chunked body is cut off after at
/// most 1 MiB and the guest sees an error, not a short body that looks complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_chunked_response_is_cut_off_at_the_size_limit() {
    let seen = fetch_huge(Reply::Chunked(8 * MIB)).await;

    let (read, error) = seen
        .strip_prefix("status 200, body error after ")
        .and_then(|rest| rest.split_once(" bytes: "))
        .unwrap_or_else(|| panic!("expected a body error, saw: {seen}"));
    assert!(read.parse::<usize>().unwrap() <= MIB, "{seen}");
    // The host's error reaches the guest as text here, not as an `error-code` it can downcast.
    assert!(
        error.contains("HttpResponseBodySize") || error.contains("body size exceeds limit"),
        "{seen}"
    );
}

/// Pins request floods: one call makes at most `max_requests_per_call` requests; the next one
/// is refused without leaving the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_cannot_make_more_requests_than_the_limit() {
    let server = Server::start(Reply::Sized(2)).await;
    let sandbox = Sandbox::new(http(HttpLimits {
        max_requests_per_call: 5,
        ..HttpLimits::default()
    }))
    .await;
    let mut grants = sandbox.grants();
    grants.routes = vec![server.route("localhost")];
    let mut session = sandbox.session(&grants).await;

    let seen = attack(
        &mut session,
        &[
            ("attack", "many-requests"),
            ("url", "https://localhost/again"),
        ],
    )
    .await
    .unwrap();

    assert_eq!(seen, "5 succeeded, then denied");
    assert_eq!(server.requests(), 5);

    // The count is per call: the next call gets its own five.
    let seen = attack(
        &mut session,
        &[
            ("attack", "many-requests"),
            ("url", "https://localhost/again"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(seen, "5 succeeded, then denied");
}

/// Pins timeouts: the guest asks for an hour on every timeout, the host clamps it to its own
/// first-byte limit, so a server that never answers cannot hold the call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_cannot_raise_the_hosts_response_timeout() {
    let server = Server::start(Reply::Silent).await;
    let sandbox = Sandbox::new(http(HttpLimits {
        first_byte_timeout: Duration::from_millis(500),
        ..HttpLimits::default()
    }))
    .await;
    let mut grants = sandbox.grants();
    grants.routes = vec![server.route("localhost")];
    let mut session = sandbox.session(&grants).await;

    let started = Instant::now();
    let seen = attack(
        &mut session,
        &[("attack", "fetch"), ("url", "https://localhost/silent")],
    )
    .await
    .unwrap();

    assert!(
        seen.starts_with("error: ") && seen.contains("Timeout"),
        "{seen}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

// --- Compute, memory and time ------------------------------------------------------------------

/// Pins runaway compute: an infinite loop is stopped at the deadline, its session is closed
/// for good, and the same plugin serves a fresh session normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_loop_is_stopped_by_the_deadline_and_the_plugin_recovers() {
    let sandbox = Sandbox::new(limits(InstanceLimits {
        deadline: Duration::from_secs(1),
        ..InstanceLimits::default()
    }))
    .await;
    let mut session = sandbox.session(&sandbox.grants()).await;

    let error = attack(&mut session, &[("attack", "loop")])
        .await
        .unwrap_err();

    assert!(
        matches!(error, HostError::Deadline { limit } if limit == Duration::from_secs(1)),
        "{error:?}"
    );
    let again = session.describe().await.unwrap_err();
    assert!(
        matches!(again, host_harness::CallError::Host(HostError::Closed(_))),
        "{again:?}"
    );

    let mut fresh = sandbox.session(&sandbox.grants()).await;
    assert_eq!(fresh.describe().await.unwrap().id, "hostile");
}

/// Pins memory exhaustion: a plugin allocating 64 MiB at a time is stopped at a 64 MiB limit
/// with the limit named, and the host serves the next session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_bomb_is_stopped_by_the_memory_limit_and_the_plugin_recovers() {
    let sandbox = Sandbox::new(limits(InstanceLimits {
        memory_bytes: 64 * MIB,
        ..InstanceLimits::default()
    }))
    .await;
    let mut session = sandbox.session(&sandbox.grants()).await;

    let error = attack(&mut session, &[("attack", "memory")])
        .await
        .unwrap_err();

    assert!(
        matches!(error, HostError::MemoryLimit { bytes } if bytes == 64 * MIB),
        "{error:?}"
    );
    let again = session.describe().await.unwrap_err();
    assert!(
        matches!(again, host_harness::CallError::Host(HostError::Closed(_))),
        "{again:?}"
    );

    let mut fresh = sandbox.session(&sandbox.grants()).await;
    assert_eq!(fresh.describe().await.unwrap().id, "hostile");
    let stored = attack(
        &mut fresh,
        &[("attack", "kv-write"), ("key", "after"), ("value", "ok")],
    )
    .await
    .unwrap();
    assert_eq!(stored, "stored");
}

/// Pins runaway compute when fuel is on: the loop runs out of fuel long before the deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuel_stops_an_infinite_loop() {
    let sandbox = Sandbox::new(limits(InstanceLimits {
        fuel: Some(50_000_000),
        ..InstanceLimits::default()
    }))
    .await;

    let error = sandbox.attack(&[("attack", "loop")]).await.unwrap_err();

    assert!(
        matches!(error, HostError::Fuel { fuel } if fuel == 50_000_000),
        "{error:?}"
    );
}

/// Pins waiting as a way around the deadline: a plugin that blocks in a host call (here a
/// one-hour sleep on a clock pollable) instead of spinning in wasm code must still be stopped
/// at the deadline, not when the wait ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_sleeping_in_a_host_call_is_stopped_by_the_deadline() {
    let sandbox = Sandbox::new(limits(InstanceLimits {
        deadline: Duration::from_secs(1),
        ..InstanceLimits::default()
    }))
    .await;
    let mut session = sandbox.session(&sandbox.grants()).await;

    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(15),
        attack(&mut session, &[("attack", "sleep"), ("secs", "3600")]),
    )
    .await;

    let elapsed = started.elapsed();
    let Ok(result) = outcome else {
        panic!("the call was still running after {elapsed:?}, its deadline is 1 s");
    };
    assert!(
        matches!(result, Err(HostError::Deadline { .. })),
        "{result:?}"
    );
    let again = session.describe().await.unwrap_err();
    assert!(
        matches!(again, host_harness::CallError::Host(HostError::Closed(_))),
        "an abandoned instance must not be called again: {again:?}"
    );
}

/// Pins the same way around the deadline through the network: a plugin waiting on a server
/// that never answers is stopped at its 1 s deadline, not at the 10 s HTTP first-byte timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_waiting_on_a_silent_server_is_stopped_by_the_deadline() {
    let server = Server::start(Reply::Silent).await;
    let sandbox = Sandbox::new(HostConfig {
        limits: InstanceLimits {
            deadline: Duration::from_secs(1),
            ..InstanceLimits::default()
        },
        http: HttpLimits {
            first_byte_timeout: Duration::from_secs(10),
            ..HttpLimits::default()
        },
        ..HostConfig::default()
    })
    .await;
    let mut grants = sandbox.grants();
    grants.routes = vec![server.route("localhost")];
    let mut session = sandbox.session(&grants).await;

    let started = Instant::now();
    let result = attack(
        &mut session,
        &[("attack", "fetch"), ("url", "https://localhost/silent")],
    )
    .await;

    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(HostError::Deadline { .. })),
        "{result:?} after {elapsed:?}"
    );
}

/// Pins host memory as a way around the memory limit: header maps live in the host, outside
/// the guest's linear memory, so 1,000 of 127 KiB each (124 MiB; wasmtime's own limit is
/// 128 KiB per map) must not fit under a 64 MiB limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_side_resources_count_against_the_memory_limit() {
    let sandbox = Sandbox::new(limits(InstanceLimits {
        memory_bytes: 64 * MIB,
        ..InstanceLimits::default()
    }))
    .await;

    let size = (127 * 1024).to_string();
    let outcome = sandbox
        .attack(&[
            ("attack", "hold-fields"),
            ("count", "1000"),
            ("size", &size),
        ])
        .await;

    assert_ne!(
        outcome.as_deref(),
        Ok("held 1000"),
        "the host holds 124 MiB for a plugin limited to 64 MiB"
    );

    // Many maps under the per-map limit: the number of live resources is bounded instead.
    let size = (30 * 1024).to_string();
    let outcome = sandbox
        .attack(&[
            ("attack", "hold-fields"),
            ("count", "5000"),
            ("size", &size),
        ])
        .await;
    assert_ne!(
        outcome.as_deref(),
        Ok("held 5000"),
        "the host holds 146 MiB of header maps for a plugin limited to 64 MiB"
    );
}

// --- Storage -----------------------------------------------------------------------------------

/// Pins namespace isolation: the Zoom plugin's stored connection cannot be read or listed by
/// another plugin, whatever bucket name it opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cannot_read_or_list_another_plugins_keys() {
    let sandbox = Sandbox::new(HostConfig::default()).await;
    sandbox.store.set("zoom", "connection", b"secret").unwrap();
    let mut session = sandbox.session(&sandbox.grants()).await;
    let stored = attack(
        &mut session,
        &[("attack", "kv-write"), ("key", "mine"), ("value", "own")],
    )
    .await
    .unwrap();
    assert_eq!(stored, "stored");

    let seen = attack(
        &mut session,
        &[("attack", "kv-read"), ("key", "connection")],
    )
    .await
    .unwrap();

    assert_eq!(
        seen,
        r#"default: get=none keys=["mine"]; zoom: get=none keys=["mine"]; "#
    );
    assert!(!seen.contains("secret"));
    assert_eq!(
        sandbox.store.get("zoom", "connection").unwrap().as_deref(),
        Some(&b"secret"[..])
    );
    assert_eq!(
        sandbox.store.get("hostile", "mine").unwrap().as_deref(),
        Some(&b"own"[..])
    );
}

fn small_store() -> HostConfig {
    HostConfig {
        keyvalue: KeyValueLimits {
            max_value_bytes: 1024,
            max_total_bytes: 16 * 1024,
            ..KeyValueLimits::default()
        },
        ..HostConfig::default()
    }
}

/// Pins value size: a value over the limit is refused with the limit named, nothing of it is
/// stored, and what was stored before is intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_value_is_refused_and_earlier_data_stays() {
    let sandbox = Sandbox::new(small_store()).await;
    let mut session = sandbox.session(&sandbox.grants()).await;
    let kept = attack(
        &mut session,
        &[
            ("attack", "kv-write"),
            ("key", "keep"),
            ("value", "precious"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(kept, "stored");

    let big = "b".repeat(2000);
    let seen = attack(
        &mut session,
        &[("attack", "kv-write"), ("key", "keep"), ("value", &big)],
    )
    .await
    .unwrap();

    assert_eq!(
        seen,
        "error: value of 2000 bytes is over the limit of 1024 bytes"
    );
    assert_eq!(
        sandbox.store.get("hostile", "keep").unwrap().as_deref(),
        Some(&b"precious"[..])
    );
}

/// Pins storage floods: writing until refused stops at the total limit with the limit named,
/// the plugin's total stays under it, and earlier data is intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_flood_is_refused_at_the_total_limit_and_earlier_data_stays() {
    let sandbox = Sandbox::new(small_store()).await;
    let mut session = sandbox.session(&sandbox.grants()).await;
    let kept = attack(
        &mut session,
        &[
            ("attack", "kv-write"),
            ("key", "keep"),
            ("value", "precious"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(kept, "stored");

    let seen = attack(&mut session, &[("attack", "kv-flood"), ("size", "1000")])
        .await
        .unwrap();

    assert!(seen.starts_with("stored 16 values, then error: "), "{seen}");
    assert!(
        seen.ends_with("of 16384 bytes used by this plugin"),
        "{seen}"
    );
    assert!(sandbox.store.used_bytes("hostile").unwrap() <= 16 * 1024);
    assert_eq!(
        sandbox.store.get("hostile", "keep").unwrap().as_deref(),
        Some(&b"precious"[..])
    );
}

// --- Ambient authority ------------------------------------------------------------------------

/// Pins ambient authority: no environment variables, no arguments, no files, no sockets and
/// no name resolution. The TCP attempt targets a live loopback listener, so a refusal is the
/// sandbox's and not a closed port's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_has_no_environment_arguments_files_or_sockets() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = sandbox
        .attack(&[("attack", "env"), ("addr", &addr)])
        .await
        .unwrap();

    let report: std::collections::BTreeMap<&str, &str> = seen
        .split(' ')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    assert_eq!(report["vars"], "0", "{seen}");
    assert_eq!(report["args"], "0", "{seen}");
    for attempt in ["read_dir", "read_file", "tcp", "udp", "dns"] {
        assert!(report[attempt].starts_with("err("), "{attempt}: {seen}");
    }
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the plugin opened a TCP connection");
}

// --- Logging -----------------------------------------------------------------------------------

/// Pins attribution: what a plugin prints on stdout and stderr reaches the host's log as
/// records with context `stdout`/`stderr`, tagged with the plugin's id, never mixed into the
/// host's own output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_stdout_and_stderr_reach_the_host_log_tagged_with_its_id() {
    logs::capture();
    let sandbox = Sandbox::new(HostConfig::default()).await;
    let marker = "stdio-marker-5f1c";

    let seen = sandbox
        .attack(&[("attack", "log-secret"), ("secret", marker)])
        .await
        .unwrap();
    assert_eq!(seen, "logged");

    let captured = sandbox.captured();
    for (context, line) in [
        ("stdout", format!("hostile says hi on stdout: {marker}")),
        ("stderr", format!("hostile says hi on stderr: {marker}")),
    ] {
        assert!(
            captured
                .iter()
                .any(|r| r.context == context && r.message == line),
            "{context}: {captured:?}"
        );
        let event = host_events()
            .into_iter()
            .find(|e| e.target == "plugin" && e.field("message") == line)
            .unwrap_or_else(|| panic!("no host log event for {context}"));
        assert_eq!(event.field("plugin"), "hostile");
        assert_eq!(event.field("context"), context);
    }
    let via_logging = captured
        .iter()
        .filter(|r| r.context == "hostile" && r.message.contains(marker))
        .count();
    assert_eq!(
        via_logging, 6,
        "one record per wasi:logging level: {captured:?}"
    );
}

/// Pins log forging: newlines and terminal escapes in a plugin's log record cannot start a
/// fake line (`ERROR plugin=zoom ...`) in the host's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cannot_forge_log_lines_with_control_characters() {
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = sandbox.attack(&[("attack", "log-forge")]).await.unwrap();
    assert_eq!(seen, "forged");

    let captured = sandbox.captured();
    let forged = captured
        .iter()
        .find(|r| r.message.contains("token leaked"))
        .expect("the forged record was logged");
    assert!(!forged.message.chars().any(char::is_control), "{forged:?}");
    assert!(!forged.context.chars().any(char::is_control), "{forged:?}");
}

/// Pins log floods through stdout: a plugin writing 1 MiB to stdout gets a write error once
/// the host's per-instance buffer is full, and the host keeps no more than that buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_is_bounded_per_instance() {
    let sandbox = Sandbox::new(HostConfig::default()).await;

    let seen = sandbox
        .attack(&[("attack", "stdout-flood"), ("size", &MIB.to_string())])
        .await
        .unwrap();

    assert!(seen.contains("then error"), "{seen}");
    let kept: usize = sandbox
        .captured()
        .iter()
        .filter(|r| r.context == "stdout")
        .map(|r| r.message.len() + 1)
        .sum();
    assert!(kept <= 64 * 1024, "{kept} bytes of stdout kept");
}

// --- Loading -----------------------------------------------------------------------------------

/// Pins the load-time import check: a component importing an interface outside the plugin
/// world (`evil:outside/backdoor`) is refused before it is instantiated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_importing_outside_the_plugin_world_is_refused_at_load() {
    let host = Host::new(HostConfig::default()).unwrap();

    let error = host
        .load(&components().outside)
        .await
        .err()
        .expect("the component is refused");

    let HostError::Load(message) = &error else {
        panic!("expected a load error, got {error:?}");
    };
    assert!(message.contains("evil:outside/backdoor"), "{message}");
    assert!(message.contains("outside the plugin world"), "{message}");
}

/// A plugin's answer is checked against the request before anyone reads it: a decision about
/// an account the request does not have is the plugin's fault, named as such, not an index
/// out of bounds in the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_about_accounts_not_in_the_request_is_refused() {
    use host_harness::CallError;
    use host_harness::types::{
        AccessRule, Account, AccountStatus, EvaluationRequest, ListingSummary, Policy, TraceScope,
    };

    let sandbox = Sandbox::new(HostConfig::default()).await;
    let mut session = sandbox.session(&sandbox.grants()).await;
    let request = EvaluationRequest {
        accounts: vec![Account {
            id: Some("u1".into()),
            email: "jo@example.com".into(),
            first_name: String::new(),
            last_name: String::new(),
            display_name: String::new(),
            status: AccountStatus::Active,
            role: "Member".into(),
            license: "basic".into(),
            last_login: None,
            created: None,
        }],
        listing: ListingSummary {
            complete: true,
            incomplete_reason: None,
            listed: 1,
            expected: 1,
        },
        staff: Vec::new(),
        tickets: Vec::new(),
        policy: Policy {
            access: AccessRule::AllStaff,
            offboarding_grace: 0,
            mappings: Vec::new(),
            exceptions: Vec::new(),
            privileged_roles: None,
        },
        at: 0,
        trace: TraceScope::None,
    };

    let error = session.evaluate_access(&request).await.unwrap_err();

    let CallError::Host(HostError::Contract(message)) = &error else {
        panic!("expected a contract error, got {error:?}");
    };
    assert_eq!(
        message,
        "decision 0 refers to position 1, but the request has 1"
    );
    assert!(
        error
            .to_string()
            .starts_with("the plugin broke the integration contract: "),
        "{error}"
    );
}
