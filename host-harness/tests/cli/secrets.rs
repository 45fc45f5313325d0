//! What must never reach a terminal or a log file: the client secret, the HTTP Basic
//! credentials built from it, and the access tokens Zoom issues, at any verbosity.

use std::time::Duration;

use host_harness::mock_zoom::{MockConfig, RecordedRequest};

use crate::support::{Mock, Run, Sandbox, TOKEN_PREFIX, base64, connect};

/// Distinctive, so a hit cannot be a coincidence.
const SECRET: &str = "cli-test-secret-7c41e09b";

/// Every credential the plugin sent to the mock: Basic credentials and bearer tokens.
fn credentials_sent(requests: &[RecordedRequest]) -> Vec<String> {
    let mut sent: Vec<String> = requests
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|h| h.split_once(' '))
        .map(|(_, credential)| credential.trim().to_owned())
        .collect();
    sent.sort();
    sent.dedup();
    sent
}

#[track_caller]
fn assert_no_secret(run: &Run, what: &str, forbidden: &[String]) {
    let output = run.output();
    for needle in forbidden {
        assert!(
            !output.contains(needle.as_str()),
            "{what} printed a credential ({}…)",
            &needle[..8.min(needle.len())]
        );
    }
    assert!(
        !output.contains(TOKEN_PREFIX),
        "{what} printed an access token"
    );
}

#[test]
fn no_secret_or_token_is_printed_at_any_verbosity() {
    let sandbox = Sandbox::new();
    let mock = Mock::with_config(MockConfig {
        client_secret: SECRET.to_owned(),
        ..MockConfig::default()
    });
    let secret_file = sandbox.write("secret", format!("{SECRET}\n"));
    let store = sandbox.store();
    // The sandbox's cache holds the compiled plugin, which keeps this test quick; a cold cache
    // at trace level is covered below.

    let mut runs = vec![(
        "connect -vvv".to_owned(),
        connect(&sandbox, &mock).arg("-vvv").run().expect_code(0),
    )];
    let traced = sandbox
        .harness("connect")
        .zoom_via(&mock, &store)
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .arg("--param-file")
        .arg(format!("client_secret={}", secret_file.display()))
        .env("RUST_LOG", "trace")
        .run()
        .expect_code(0);
    runs.push(("connect with RUST_LOG=trace".to_owned(), traced));
    for verbosity in ["-vvv", "-vv", "-v"] {
        let run = sandbox
            .harness("list-users")
            .zoom_via(&mock, &store)
            .arg(verbosity)
            .run()
            .expect_code(0);
        runs.push((format!("list-users {verbosity}"), run));
    }
    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &store)
        .args(["--format", "json"])
        .env("RUST_LOG", "trace")
        .run()
        .expect_code(0);
    runs.push(("list-users with RUST_LOG=trace".to_owned(), run));

    let sent = credentials_sent(&mock.requests());
    let basic = base64(format!("demo-client:{SECRET}").as_bytes());
    assert!(
        sent.contains(&basic),
        "the secret went out as HTTP Basic credentials"
    );
    assert!(
        sent.iter().any(|c| c.starts_with(TOKEN_PREFIX)),
        "at least one access token was used"
    );
    let mut forbidden = sent;
    forbidden.push(SECRET.to_owned());
    for (what, run) in &runs {
        assert_no_secret(run, what, &forbidden);
    }
    let traced = &runs[1].1;
    // Third-party crates are capped at info, so what trace adds is the host's and the plugin's
    // own lines: one per request at least.
    assert!(
        traced
            .stderr
            .lines()
            .filter(|l| l.contains("outbound request"))
            .count()
            >= 3,
        "RUST_LOG=trace logs every request, so the scan means something"
    );
    assert!(
        traced.stderr.contains("/oauth/token"),
        "the token request is logged by path"
    );
}

#[test]
fn a_rejected_secret_is_not_echoed_in_the_error() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let wrong = "wrong-secret-5d2e8f";

    let run = connect(&sandbox, &mock)
        .env(crate::support::SECRET_VAR, wrong)
        .env("RUST_LOG", "trace")
        .run()
        .expect_code(2);

    assert!(run.stderr.contains("invalid credentials"), "{}", run.stderr);
    assert!(!run.output().contains(wrong));
    assert!(
        !run.output()
            .contains(&base64(format!("demo-client:{wrong}").as_bytes()))
    );
}

#[test]
fn disconnect_at_trace_level_does_not_print_the_revoked_token() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    connect(&sandbox, &mock).run().expect_code(0);

    let run = sandbox
        .harness("disconnect")
        .zoom_via(&mock, &sandbox.store())
        .env("RUST_LOG", "trace")
        .run()
        .expect_code(0);

    let revoked = mock
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth/revoke")
        .and_then(|r| {
            let token = r.query_param("token").or_else(|| r.form_param("token"));
            token.map(str::to_owned)
        })
        .expect("disconnect revoked a token");
    assert!(
        !run.output().contains(&revoked),
        "the revoked token was printed"
    );
    assert!(
        !run.output().contains(TOKEN_PREFIX),
        "an access token was printed"
    );
}

#[test]
fn connect_with_vvv_on_a_cold_cache_finishes_with_a_readable_log() {
    let sandbox = Sandbox::cold();
    let mock = Mock::start();

    let run = connect(&sandbox, &mock)
        .arg("-vvv")
        .timeout(Duration::from_secs(30))
        .run()
        .expect_code(0);

    let lines = run.stderr.lines().count();
    assert!(lines < 20_000, "-vvv wrote {lines} lines for one connect");
}
