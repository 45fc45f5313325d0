//! Bad command lines and bad files: each exits 2 with one message naming the problem, and
//! none of them reaches Zoom.

use std::path::Path;

use crate::support::{DEMO_POLICY, DEMO_STAFF, Invocation, Mock, Sandbox};

/// `evaluate` listing live from `mock` with these inputs.
fn evaluate(sandbox: &Sandbox, mock: &Mock, staff: &Path, policy: &Path) -> Invocation {
    sandbox
        .harness("evaluate")
        .zoom_via(mock, &sandbox.store())
        .arg("--staff")
        .arg(staff)
        .arg("--policy")
        .arg(policy)
}

fn demo_staff() -> &'static Path {
    Path::new(DEMO_STAFF)
}

fn demo_policy() -> &'static Path {
    Path::new(DEMO_POLICY)
}

#[test]
fn a_missing_staff_file_is_named() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let missing = sandbox.path("staff-2026.csv");

    evaluate(&sandbox, &mock, &missing, demo_policy())
        .run()
        .expect_error(&[&format!("cannot read staff file {}", missing.display())]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_ragged_csv_row_is_named_by_file_and_line() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let staff = sandbox.write(
        "staff.csv",
        "email,name,status\njo@acme.example,Jo,active\nkim@acme.example,Kim\n",
    );

    evaluate(&sandbox, &mock, &staff, demo_policy())
        .run()
        .expect_error(&[
            &format!("{}:3:", staff.display()),
            "2 fields",
            "header has 3",
        ]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_malformed_toml_policy_is_named_by_file_and_line() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let policy = sandbox.write(
        "policy.toml",
        "access = \"all-staff\"\noffboarding_grace = 24h\n",
    );

    evaluate(&sandbox, &mock, demo_staff(), &policy)
        .run()
        .expect_error(&[&format!("{}:2:", policy.display())]);
    assert!(mock.requests().is_empty());
}

#[test]
fn an_unknown_policy_key_is_named_with_the_valid_ones() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let policy = sandbox.write(
        "policy.toml",
        "access = \"all-staff\"\nofboarding_grace = \"24h\"\n",
    );

    evaluate(&sandbox, &mock, demo_staff(), &policy)
        .run()
        .expect_error(&[
            &format!("{}:2:", policy.display()),
            "ofboarding_grace",
            "offboarding_grace",
        ]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_ticket_based_policy_without_tickets_asks_for_them() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let policy = sandbox.write("policy.toml", "access = \"ticket-based\"\n");

    evaluate(&sandbox, &mock, demo_staff(), &policy)
        .run()
        .expect_error(&["ticket-based", "--tickets"]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_missing_tickets_file_is_named() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let policy = sandbox.write("policy.toml", "access = \"ticket-based\"\n");
    let missing = sandbox.path("tickets.csv");

    evaluate(&sandbox, &mock, demo_staff(), &policy)
        .arg("--tickets")
        .arg(&missing)
        .run()
        .expect_error(&[&format!("cannot read tickets file {}", missing.display())]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_bad_at_names_the_flag_and_the_value() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    evaluate(&sandbox, &mock, demo_staff(), demo_policy())
        .args(["--at", "yesterday"])
        .run()
        .expect_error(&["--at", "\"yesterday\"", "RFC 3339"]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_users_file_that_is_not_a_listing_is_named() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let users = sandbox.write("users.json", "[1, 2, 3]");

    evaluate(&sandbox, &mock, demo_staff(), demo_policy())
        .arg("--users")
        .arg(&users)
        .run()
        .expect_error(&[&users.display().to_string(), "list-users --format json"]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_missing_plugin_file_is_named_by_every_verb() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let missing = sandbox.path("gone.wasm");
    let store = sandbox.store();
    let plugin = |verb: &str| {
        sandbox
            .harness(verb)
            .arg(&missing)
            .arg("--store")
            .arg(&store)
            .args(mock.routes())
    };
    let named = format!("cannot read plugin {}", missing.display());

    plugin("connect")
        .args(["--param", "account_id=acct-demo"])
        .run()
        .expect_error(&[&named]);
    plugin("list-users").run().expect_error(&[&named]);
    plugin("disconnect").run().expect_error(&[&named]);
    plugin("evaluate")
        .args(["--staff", DEMO_STAFF, "--policy", DEMO_POLICY])
        .run()
        .expect_error(&[&named]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_route_without_equals_says_host_equals_url() {
    let sandbox = Sandbox::new();

    sandbox
        .harness("list-users")
        .zoom_offline(&sandbox.store())
        .args(["--route", "api.zoom.us"])
        .run()
        .expect_error(&["--route", "api.zoom.us", "HOST=URL"]);
}

#[test]
fn a_param_without_equals_says_key_equals_value() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    sandbox
        .harness("connect")
        .zoom_via(&mock, &sandbox.store())
        .args(["--param", "account_id"])
        .run()
        .expect_error(&["--param expects KEY=VALUE", "\"account_id\""]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_param_env_naming_an_unset_variable_names_it() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    sandbox
        .harness("connect")
        .zoom_via(&mock, &sandbox.store())
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .args(["--param-env", "client_secret=NEVER_SET"])
        .run()
        .expect_error(&["--param-env client_secret", "NEVER_SET"]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_param_file_that_does_not_exist_is_named() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let missing = sandbox.path("secret.txt");

    sandbox
        .harness("connect")
        .zoom_via(&mock, &sandbox.store())
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .arg("--param-file")
        .arg(format!("client_secret={}", missing.display()))
        .run()
        .expect_error(&["--param-file client_secret", &missing.display().to_string()]);
    assert!(mock.requests().is_empty());
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let sandbox = Sandbox::new();

    sandbox
        .harness("list-users")
        .zoom_offline(&sandbox.store())
        .arg("--bogus")
        .run()
        .expect_error(&["unexpected argument '--bogus'", "Usage: harness list-users"]);
}

#[test]
fn a_missing_required_flag_is_named() {
    let sandbox = Sandbox::new();

    sandbox
        .harness("evaluate")
        .zoom_offline(&sandbox.store())
        .args(["--policy", DEMO_POLICY])
        .run()
        .expect_error(&["required arguments were not provided", "--staff <FILE>"]);
}

#[test]
fn an_unknown_verb_is_named() {
    let sandbox = Sandbox::new();

    sandbox
        .harness("frobnicate")
        .run()
        .expect_error(&["unrecognized subcommand 'frobnicate'"]);
}

#[test]
fn no_verb_at_all_is_a_usage_error() {
    let sandbox = Sandbox::new();

    let run = sandbox.command().output().expect("running harness");

    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("Usage: harness"));
}

#[test]
fn an_unknown_format_lists_the_valid_ones() {
    let sandbox = Sandbox::new();

    sandbox
        .harness("list-users")
        .zoom_offline(&sandbox.store())
        .args(["--format", "xml"])
        .run()
        .expect_error(&["'xml'", "table, json, csv"]);
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    let sandbox = Sandbox::new();

    let help = sandbox.harness("--help").run().expect_code(0);
    let version = sandbox.harness("--version").run().expect_code(0);

    for verb in [
        "inspect",
        "authorize-url",
        "connect",
        "disconnect",
        "list-users",
        "evaluate",
        "mock-zoom",
        "demo",
    ] {
        assert!(
            help.stdout.contains(&format!("  {verb} ")),
            "{verb} in\n{}",
            help.stdout
        );
    }
    assert!(version.stdout.starts_with("harness "), "{}", version.stdout);
    assert!(help.stderr.is_empty() && version.stderr.is_empty());
}

/// `--users 100000000000` once aborted the mock on a failed allocation.
#[test]
fn mock_zoom_refuses_an_organisation_larger_than_it_can_hold() {
    let sandbox = Sandbox::new();
    sandbox
        .harness("mock-zoom")
        .args(["--users", "100000000000"])
        .run()
        .expect_error(&["--users", "at most 2000000"]);
    sandbox
        .harness("mock-zoom")
        .args(["--users", "many"])
        .run()
        .expect_error(&["--users", "\"many\" is not a number of accounts"]);
    sandbox
        .harness("mock-zoom")
        .args(["--users", "99999999999999999999"])
        .run()
        .expect_error(&["--users", "at most 2000000"]);
}

#[test]
fn explain_refuses_a_report_format_it_would_ignore() {
    let sandbox = Sandbox::new();
    sandbox
        .harness("evaluate")
        .zoom_offline(&sandbox.store())
        .args(["--staff", "s.csv", "--policy", "p.toml"])
        .args(["--explain", "jo@acme.example", "--format", "json"])
        .run()
        .expect_error(&["--explain", "--format"]);
}

/// `--staff /dev/zero` read until memory ran out.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_input_file_is_refused_with_its_name() {
    let sandbox = Sandbox::new();
    sandbox
        .harness("evaluate")
        .zoom_offline(&sandbox.store())
        .args(["--staff", "/dev/zero", "--policy", "p.toml"])
        .run()
        .expect_error(&["cannot read staff file /dev/zero", "larger than 256 MiB"]);
}
