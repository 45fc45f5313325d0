//! `harness demo` and `harness mock-zoom`: the two verbs that bring their own Zoom.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Sandbox, TOKEN_PREFIX};

#[test]
fn demo_exits_0_with_offboarded_and_unknown_accounts_and_a_timed_summary() {
    let sandbox = Sandbox::new();

    let run = sandbox.harness("demo").run().expect_code(0);

    let lines: Vec<&str> = run.stdout.lines().collect();
    for check in ["offboarded-with-access", "not-in-directory"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("failing ") && l.contains(check)),
            "a failing {check} row in\n{}",
            run.stdout
        );
    }
    let summary = lines.last().expect("a summary line");
    assert!(summary.starts_with("2400 accounts ("), "{summary}");
    for part in [
        " requests to /v2/users), ",
        " allowed, ",
        " failing, ",
        " due; ",
    ] {
        assert!(summary.contains(part), "{part:?} in {summary}");
    }
    for timing in ["load ", "connect ", "list ", "evaluate "] {
        let value = summary
            .split(timing)
            .nth(1)
            .and_then(|rest| rest.split(" ms").next())
            .unwrap_or_else(|| panic!("a {timing}time in {summary}"));
        assert!(
            value.parse::<f64>().is_ok(),
            "{timing}{value} ms in {summary}"
        );
    }
    let total = summary
        .rsplit_once("total ")
        .and_then(|(_, rest)| rest.strip_suffix(" s"))
        .expect("a total in seconds");
    assert!(total.parse::<f64>().is_ok_and(|t| t > 0.0), "{summary}");

    assert!(
        run.stderr.contains("mock Zoom on http://127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2400 accounts, listing complete"),
        "{}",
        run.stderr
    );
    assert!(!run.output().contains("demo-secret"));
    assert!(!run.output().contains(TOKEN_PREFIX));
}

/// A `harness mock-zoom` process, killed when dropped.
struct MockProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl MockProcess {
    fn spawn(sandbox: &Sandbox, args: &[&str]) -> MockProcess {
        let mut child = sandbox
            .command()
            .arg("mock-zoom")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning harness mock-zoom");
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        MockProcess { child, lines }
    }

    /// The banner: every line up to `press ctrl-c to stop`.
    fn banner(&self) -> Vec<String> {
        let mut banner = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("mock-zoom printed only {banner:?}"));
            if line == "press ctrl-c to stop" {
                return banner;
            }
            banner.push(line);
        }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value after `label` on the banner line that starts with it.
fn banner_value<'a>(banner: &'a [String], label: &str) -> &'a str {
    banner
        .iter()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} line in {banner:?}"))
        .trim()
}

#[test]
fn mock_zoom_prints_its_url_and_credentials_and_serves_connect_and_list_users() {
    let sandbox = Sandbox::new();
    let mock = MockProcess::spawn(&sandbox, &["--port", "0", "--users", "100", "--seed", "7"]);

    let banner = mock.banner();

    let url = banner[0]
        .strip_prefix("mock zoom listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("a URL in {:?}", banner[0]));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "the real port, not 0");
    let account_id = banner_value(&banner, "account_id:");
    let client_id = banner_value(&banner, "client_id:");
    let client_secret = banner_value(&banner, "client_secret:");
    assert_eq!(
        banner_value(&banner, "accounts:"),
        "85 active, 10 inactive, 5 pending (seed 7)"
    );

    let store = sandbox.store();
    let routes = [
        "--route".to_owned(),
        format!("zoom.us={url}"),
        "--route".to_owned(),
        format!("api.zoom.us={url}"),
    ];
    sandbox
        .harness("connect")
        .arg("zoom")
        .arg("--store")
        .arg(&store)
        .args(&routes)
        .args(["--param", &format!("account_id={account_id}")])
        .args(["--param", &format!("client_id={client_id}")])
        .args(["--param-env", "client_secret=BANNER_VAR"])
        .env("BANNER_VAR", client_secret)
        .run()
        .expect_code(0);
    let listing = sandbox
        .harness("list-users")
        .arg("zoom")
        .arg("--store")
        .arg(&store)
        .args(&routes)
        .args(["--format", "json"])
        .run()
        .expect_code(0)
        .json();
    assert_eq!(listing["accounts"].as_array().map(Vec::len), Some(100));
}

#[test]
fn mock_zoom_with_defaults_announces_the_default_organisation() {
    let sandbox = Sandbox::new();
    let mock = MockProcess::spawn(&sandbox, &["--port", "0"]);

    let banner = mock.banner();

    assert_eq!(banner_value(&banner, "account_id:"), "acct-demo");
    assert_eq!(banner_value(&banner, "client_id:"), "demo-client");
    assert_eq!(banner_value(&banner, "client_secret:"), "demo-secret");
    assert_eq!(
        banner_value(&banner, "accounts:"),
        "2040 active, 240 inactive, 120 pending (seed 42)"
    );
}

/// The whole job at the most verbose setting leaks nothing: no client secret, no Basic
/// credentials, no bearer token, from the harness, wasmtime or the plugin.
#[test]
fn demo_at_trace_level_prints_no_secret_or_token() {
    let sandbox = Sandbox::new();

    let run = sandbox
        .harness("demo")
        .env("RUST_LOG", "trace")
        .run()
        .expect_code(0);

    let output = run.output();
    let logged = output
        .lines()
        .filter(|l| l.contains("outbound request"))
        .count();
    assert!(
        logged >= 10,
        "debug logging was not on: {logged} outbound request lines"
    );
    let secret = host_harness::mock_zoom::DEFAULT_CLIENT_SECRET;
    for needle in [secret, TOKEN_PREFIX, "Bearer ", "access_token", "Basic "] {
        assert!(
            !output.contains(needle),
            "{needle:?} appears in the demo's trace output"
        );
    }
}
