//! `harness list-users` in its three formats.

use host_harness::mock_zoom::{Endpoint, UserStatus};

use crate::support::{Mock, connected};

const CSV_HEADER: &str =
    "id,email,status,role,type,first_name,last_name,display_name,last_login,created";

#[test]
fn list_users_json_is_complete_and_lists_every_account_of_the_organisation() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--format", "json"])
        .run()
        .expect_code(0);
    let json = run.json();

    assert_eq!(json["complete"], true);
    assert_eq!(json["listed"], 2_400);
    assert_eq!(json["expected"], 2_400);
    let accounts = json["accounts"].as_array().expect("accounts array");
    assert_eq!(accounts.len(), 2_400);
    let org = mock.organisation();
    let with_status = |status: &str| accounts.iter().filter(|a| a["status"] == status).count();
    assert_eq!(with_status("active"), org.count(UserStatus::Active));
    assert_eq!(with_status("inactive"), org.count(UserStatus::Inactive));
    assert_eq!(with_status("pending"), org.count(UserStatus::Pending));

    for account in accounts {
        for field in [
            "email",
            "status",
            "role",
            "type",
            "first_name",
            "last_name",
            "display_name",
        ] {
            assert!(account[field].is_string(), "{field} of {account}");
        }
        if account["status"] == "pending" {
            assert!(
                account.get("id").is_none(),
                "pending accounts have no id: {account}"
            );
        } else {
            assert!(
                account["id"].as_str().is_some_and(|id| !id.is_empty()),
                "{account}"
            );
        }
    }
    let owner = &accounts[0];
    assert_eq!(owner["email"], org.users()[0].email());
    assert_eq!(owner["role"], "Owner");
}

#[test]
fn list_users_csv_has_a_header_and_one_line_per_account() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--format", "csv"])
        .run()
        .expect_code(0);

    assert_eq!(run.stdout.lines().count(), 2_401);
    assert_eq!(run.stdout.lines().next(), Some(CSV_HEADER));
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    assert_eq!(rows.len(), 2_400);
    let pending: Vec<_> = rows.iter().filter(|r| &r[2] == "pending").collect();
    assert_eq!(
        pending.len(),
        mock.organisation().count(UserStatus::Pending)
    );
    assert!(
        pending.iter().all(|r| r[0].is_empty()),
        "pending rows have an empty id"
    );
    assert!(rows.iter().all(|r| r[1].contains('@')));
}

#[test]
fn list_users_table_prints_a_header_a_row_per_account_and_a_summary_on_stderr() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--format", "table"])
        .run()
        .expect_code(0);

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2_401);
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["ID", "EMAIL", "STATUS", "ROLE", "TYPE", "NAME"]);
    let owner = mock.organisation().users()[0].email();
    assert!(
        lines[1].contains(owner.as_str()) && lines[1].contains("Owner"),
        "{}",
        lines[1]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("- ") && l.contains(" pending "))
    );
    assert_eq!(run.stderr.trim(), "2400 accounts, listing complete");
}

#[test]
fn list_users_twice_lists_the_same_accounts() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let list = || {
        sandbox
            .harness("list-users")
            .zoom_via(&mock, &sandbox.store())
            .args(["--format", "json"])
            .run()
            .expect_code(0)
            .stdout
    };

    let before = mock.count(Endpoint::Users);
    let first = list();
    let after_first = mock.count(Endpoint::Users);
    let second = list();

    assert_eq!(first, second);
    let per_listing = after_first - before;
    // 2,400 accounts at up to 300 a page: at least 8 pages.
    assert!(per_listing >= 8, "{per_listing} requests for one listing");
    assert_eq!(mock.count(Endpoint::Users), after_first + per_listing);
    assert_eq!(mock.count(Endpoint::Token), 1);
}
