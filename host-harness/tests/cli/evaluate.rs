//! `harness evaluate`: the demo directory and policy against the mock's organisation, live or
//! from a saved listing, and the exit codes that tell a script what happened.

use std::path::Path;

use host_harness::mock_zoom::Endpoint;
use serde_json::Value;

use crate::support::{
    AT, DEMO_POLICY, DEMO_STAFF, Invocation, Mock, Sandbox, connected, save_listing,
};

/// `evaluate` of the bundled plugin with the demo inputs at [`AT`], listing live from `mock`.
fn evaluate_live(sandbox: &Sandbox, mock: &Mock) -> Invocation {
    sandbox
        .harness("evaluate")
        .zoom_via(mock, &sandbox.store())
        .args(["--staff", DEMO_STAFF, "--policy", DEMO_POLICY, "--at", AT])
}

/// `evaluate` of a saved listing, with no route to any Zoom.
fn evaluate_saved(sandbox: &Sandbox, users: &Path, staff: &Path, policy: &Path) -> Invocation {
    sandbox
        .harness("evaluate")
        .zoom_offline(&sandbox.path("offline.db"))
        .arg("--users")
        .arg(users)
        .arg("--staff")
        .arg(staff)
        .arg("--policy")
        .arg(policy)
        .args(["--at", AT])
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// The JSON report on a saved listing of the demo organisation with the demo inputs, which
/// has failing findings (exit 1).
fn demo_report(sandbox: &Sandbox, users: &Path) -> Value {
    evaluate_saved(sandbox, users, DEMO_STAFF.as_ref(), DEMO_POLICY.as_ref())
        .args(["--format", "json"])
        .run()
        .expect_code(1)
        .json()
}

/// The first failing finding of `check`.
fn first_failing<'a>(report: &'a Value, check: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| f["check"] == check && f["state"] == "failing")
        .unwrap_or_else(|| panic!("no failing {check} finding in {:#}", report["findings"]))
}

#[test]
fn evaluate_of_the_demo_exits_1_with_offboarded_and_unknown_accounts() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = evaluate_live(&sandbox, &mock)
        .args(["--format", "json"])
        .run()
        .expect_code(1);
    let report = run.json();

    assert_eq!(report["evaluated_at"], AT);
    assert_eq!(report["policy"], "all-staff");
    assert_eq!(report["conclusive"], true);
    assert_eq!(report["listing"]["complete"], true);
    assert_eq!(report["summary"]["accounts"], 2_400);
    for check in ["offboarded-with-access", "not-in-directory"] {
        let finding = first_failing(&report, check);
        for field in ["check", "email", "account_id", "state", "reason"] {
            assert!(
                finding[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} of {finding}"
            );
        }
        let email = finding["email"].as_str().unwrap();
        assert!(
            finding["reason"].as_str().unwrap().contains(email),
            "{finding}"
        );
    }
    let failing = findings(&report)
        .iter()
        .filter(|f| f["state"] == "failing")
        .count();
    assert_eq!(report["summary"]["failing"], failing);
    let decisions = report["accounts"].as_array().expect("accounts array");
    assert_eq!(decisions.len(), 2_400);
}

#[test]
fn evaluate_table_ends_with_the_counts() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let report = evaluate_live(&sandbox, &mock)
        .args(["--format", "json"])
        .run()
        .expect_code(1)
        .json();
    let summary = &report["summary"];

    let run = evaluate_live(&sandbox, &mock).run().expect_code(1);

    let lines: Vec<&str> = run.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["STATE", "SEVERITY", "CHECK", "EMAIL", "REASON"]);
    assert_eq!(lines.len(), findings(&report).len() + 2, "{}", run.stdout);
    assert!(lines.iter().any(|l| l.contains("offboarded-with-access")));
    assert!(lines.iter().any(|l| l.contains("not-in-directory")));
    assert_eq!(
        lines.last().copied(),
        Some(
            format!(
                "2400 accounts evaluated: {} allowed, {} failing, {} due",
                summary["allowed"], summary["failing"], summary["due"]
            )
            .as_str()
        )
    );
}

#[test]
fn evaluate_at_a_fixed_time_prints_byte_identical_json_twice() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let evaluate = || {
        evaluate_live(&sandbox, &mock)
            .args(["--format", "json"])
            .run()
            .expect_code(1)
            .stdout
    };

    let first = evaluate();
    let second = evaluate();

    assert!(first == second, "two evaluations of the same inputs differ");
}

#[test]
fn evaluate_of_a_saved_listing_makes_no_request_and_matches_the_live_report() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let live = evaluate_live(&sandbox, &mock)
        .args(["--format", "json"])
        .run()
        .expect_code(1);
    let requests = mock.requests().len();
    let users_requests = mock.count(Endpoint::Users);

    let saved = evaluate_saved(&sandbox, &users, DEMO_STAFF.as_ref(), DEMO_POLICY.as_ref())
        .args(["--format", "json"])
        .run()
        .expect_code(1);

    assert_eq!(mock.count(Endpoint::Users), users_requests);
    assert_eq!(mock.requests().len(), requests, "no request of any kind");
    assert!(
        saved.stdout == live.stdout,
        "the saved listing evaluates as the live one"
    );
}

#[test]
fn explain_prints_the_trace_of_one_offboarded_account() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let report = demo_report(&sandbox, &users);
    let finding = first_failing(&report, "offboarded-with-access");
    let email = finding["email"].as_str().unwrap();
    let id = finding["account_id"].as_str().unwrap();

    let run = evaluate_saved(&sandbox, &users, DEMO_STAFF.as_ref(), DEMO_POLICY.as_ref())
        .args(["--explain", email])
        .run()
        .expect_code(1);

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("account {email} ({id})"),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("account ")).count(),
        1,
        "one account explained:\n{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  staff member  ") && l.contains(email))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  - ") && l.contains("offboarded")),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.last().copied(),
        Some("  verdict       failing: offboarded-with-access")
    );
}

/// `--explain` once called an account within its grace period "failing".
#[test]
fn explain_of_an_account_within_its_grace_period_says_due() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let report = demo_report(&sandbox, &users);
    let finding = first_failing(&report, "offboarded-with-access");
    let (email, owner) = (
        finding["email"].as_str().unwrap(),
        finding["staff_email"].as_str().unwrap(),
    );
    // The demo directory gives leaving dates alone (the end of that day) and its policy a
    // grace period of 24 hours: noon on the next day is within it.
    let directory = std::fs::read_to_string(DEMO_STAFF).unwrap();
    let row = directory
        .lines()
        .find(|line| line.starts_with(&format!("{owner},")))
        .expect("the owner is in the demo directory");
    let left: chrono::NaiveDate = row.split(',').nth(4).unwrap().parse().unwrap();
    let within_grace = format!("{}T12:00:00Z", left.succ_opt().unwrap());

    let run = sandbox
        .harness("evaluate")
        .zoom_offline(&sandbox.path("offline.db"))
        .arg("--users")
        .arg(&users)
        .args(["--staff", DEMO_STAFF, "--policy", DEMO_POLICY])
        .args(["--at", &within_grace, "--explain", email])
        .run();

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines.contains(&"  decided by    offboarding"),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.last().copied(),
        Some("  verdict       due: offboarded-with-access"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_finds_the_account_whatever_the_case_of_the_email() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let email = mock.organisation().users()[0].email();

    let run = evaluate_saved(&sandbox, &users, DEMO_STAFF.as_ref(), DEMO_POLICY.as_ref())
        .args(["--explain", &email.to_uppercase()])
        .run()
        .expect_code(1);

    assert!(
        run.stdout.starts_with(&format!("account {email} (")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("  verdict       allowed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_of_an_email_no_account_has_exits_2() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);

    evaluate_saved(&sandbox, &users, DEMO_STAFF.as_ref(), DEMO_POLICY.as_ref())
        .args(["--explain", "nobody@nowhere.example"])
        .run()
        .expect_error(&["no account with the email \"nobody@nowhere.example\""]);
}

#[test]
fn exceptions_for_every_failing_account_make_evaluate_exit_0() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let report = demo_report(&sandbox, &users);
    let mut policy = std::fs::read_to_string(DEMO_POLICY).unwrap();
    for finding in findings(&report) {
        policy.push_str(&format!(
            "\n[[exceptions]]\naccount = \"{}\"\nreason = \"accepted in the test\"\n\
             approved_by = \"it-lead@acme.example\"\n",
            finding["email"].as_str().unwrap()
        ));
    }
    let policy = sandbox.write("policy.toml", policy);

    let run = evaluate_saved(&sandbox, &users, DEMO_STAFF.as_ref(), &policy)
        .args(["--format", "json"])
        .run()
        .expect_code(0);

    let report = run.json();
    assert_eq!(report["summary"]["failing"], 0);
    assert_eq!(report["summary"]["allowed"], 2_400);
}

#[test]
fn a_directory_with_every_account_as_active_staff_makes_evaluate_exit_0() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let listing: Value = serde_json::from_str(&std::fs::read_to_string(&users).unwrap()).unwrap();
    let mut staff = String::from("email,status\n");
    for account in listing["accounts"].as_array().unwrap() {
        staff.push_str(&format!("{},active\n", account["email"].as_str().unwrap()));
    }
    let staff = sandbox.write("everyone.csv", staff);

    let run = evaluate_saved(&sandbox, &users, &staff, DEMO_POLICY.as_ref())
        .run()
        .expect_code(0);

    assert_eq!(
        run.stdout.lines().last(),
        Some("2400 accounts evaluated: 2400 allowed, 0 failing, 0 due")
    );
}

#[test]
fn an_incomplete_listing_is_inconclusive_and_exits_2() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let mut listing: Value =
        serde_json::from_str(&std::fs::read_to_string(&users).unwrap()).unwrap();
    listing["complete"] = Value::Bool(false);
    let incomplete = sandbox.write("incomplete.json", listing.to_string());

    let table = evaluate_saved(
        &sandbox,
        &incomplete,
        DEMO_STAFF.as_ref(),
        DEMO_POLICY.as_ref(),
    )
    .run()
    .expect_code(2);
    let json = evaluate_saved(
        &sandbox,
        &incomplete,
        DEMO_STAFF.as_ref(),
        DEMO_POLICY.as_ref(),
    )
    .args(["--format", "json"])
    .run()
    .expect_code(2);

    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("INCONCLUSIVE: ")),
        "{}",
        table.stdout
    );
    let report = json.json();
    assert_eq!(report["conclusive"], false);
    assert_eq!(report["listing"]["complete"], false);
    assert!(
        report["inconclusive_reason"]
            .as_str()
            .is_some_and(|r| r.contains("incomplete")),
        "{}",
        report["inconclusive_reason"]
    );
}

/// A users file that says it is complete but holds fewer accounts than it counts (truncated or
/// edited) once evaluated as a clean, complete account with exit 0.
#[test]
fn a_users_file_whose_counts_disagree_with_its_accounts_is_inconclusive() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let mut listing: Value =
        serde_json::from_str(&std::fs::read_to_string(&users).unwrap()).unwrap();
    listing["accounts"].as_array_mut().unwrap().truncate(10);
    let truncated = sandbox.write("truncated.json", listing.to_string());

    let json = evaluate_saved(
        &sandbox,
        &truncated,
        DEMO_STAFF.as_ref(),
        DEMO_POLICY.as_ref(),
    )
    .args(["--format", "json"])
    .run()
    .expect_code(2);

    let report = json.json();
    assert_eq!(report["conclusive"], Value::Bool(false));
    let reason = report["inconclusive_reason"].as_str().unwrap();
    assert!(
        reason.contains("holds 10 accounts but says 2400 were listed"),
        "{reason}"
    );
}

/// From an incomplete listing, accounts that matched nobody were counted and explained as
/// "allowed", and `--explain` exited 2 without saying why.
#[test]
fn accounts_left_unjudged_by_an_incomplete_listing_are_counted_and_explained_as_such() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let users = save_listing(&sandbox, &mock);
    let complete = demo_report(&sandbox, &users);
    let stranger = first_failing(&complete, "not-in-directory")["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = findings(&complete)
        .iter()
        .filter(|f| f["check"] == "not-in-directory")
        .count();

    let mut listing: Value =
        serde_json::from_str(&std::fs::read_to_string(&users).unwrap()).unwrap();
    listing["complete"] = Value::Bool(false);
    listing["incomplete_reason"] = Value::String("stopped after page 8".into());
    let partial = sandbox.write("partial.json", listing.to_string());

    let report = evaluate_saved(
        &sandbox,
        &partial,
        DEMO_STAFF.as_ref(),
        DEMO_POLICY.as_ref(),
    )
    .args(["--format", "json"])
    .run()
    .expect_code(2)
    .json();
    let summary = &report["summary"];
    assert_eq!(summary["unjudged"], unknown, "{summary}");
    let counted = ["allowed", "failing", "due", "unjudged"]
        .iter()
        .map(|key| summary[key].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(counted, 2_400);

    let run = evaluate_saved(
        &sandbox,
        &partial,
        DEMO_STAFF.as_ref(),
        DEMO_POLICY.as_ref(),
    )
    .args(["--explain", &stranger])
    .run()
    .expect_code(2);
    assert!(
        run.stdout.contains("  decided by    inconclusive\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  verdict       not judged: the listing is incomplete\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("INCONCLUSIVE: stopped after page 8\n"),
        "{}",
        run.stdout
    );
}
