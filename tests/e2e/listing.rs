//! Listing: CASES.md 1–5, and the paging faults a provider can throw at a listing (page tokens
//! that expire or repeat, rows served twice, pending rows without id, no permission to read
//! roles), and one listing at the scale of a large company.

use gatehouse_tests::host_harness::evaluation::Evaluated;
use gatehouse_tests::host_harness::mock_zoom::{
    CUSTOM_ROLE_ID, CUSTOM_ROLE_NAME, Endpoint, MockConfig, Role, UserStatus,
};
use gatehouse_tests::host_harness::types::{
    self, AccessRule, AccountStatus, EvaluationRequest, MatchKind, Policy, StaffMember,
    StaffStatus, TraceScope,
};
use gatehouse_tests::*;
use serde_json::json;
use std::time::Duration;

/// A policy where every active member of staff may have an account.
fn all_staff() -> Policy {
    Policy {
        access: AccessRule::AllStaff,
        offboarding_grace: 0,
        mappings: Vec::new(),
        exceptions: Vec::new(),
        privileged_roles: None,
    }
}

fn staff(email: &str, status: StaffStatus) -> StaffMember {
    StaffMember {
        email: email.to_owned(),
        aliases: Vec::new(),
        name: email.to_owned(),
        offboarded_at: (status == StaffStatus::Offboarded).then_some(1_000),
        status,
        roles: Vec::new(),
        employee_id: None,
    }
}

/// CASES.md 1: 42 active accounts served 30 to a page must all be listed, the second page
/// fetched with `next_page_token=t2` and the same `status` and `page_size` as the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_pages_lists_all_42_accounts_with_the_same_query_on_every_page() {
    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![
            page(30, 42, Some("t2"), rows(UserStatus::Active, 1..31)),
            page(30, 42, Some(""), rows(UserStatus::Active, 31..43)),
        ],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 42);
    assert_eq!(distinct_keys(&accounts).len(), 42);
    assert!(summary.complete, "{summary:?}");
    assert_eq!(summary.incomplete_reason, None);
    assert_eq!((summary.listed, summary.expected), (42, 42));
    assert_eq!(
        listing_queries(&mock),
        vec![
            query("active", None),
            query("active", Some("t2")),
            query("inactive", None),
            query("pending", None),
        ]
    );
}

/// CASES.md 2: a last page without `next_page_token` (and no page with `page_count` or
/// `page_number`) is the end of the listing, not a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_page_fields_absent_still_lists_301_accounts() {
    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![
            page(300, 301, Some("t2"), rows(UserStatus::Active, 1..301)),
            page(300, 301, None, rows(UserStatus::Active, 301..302)),
        ],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 301);
    assert!(summary.complete, "{summary:?}");
    assert_eq!((summary.listed, summary.expected), (301, 301));
    assert_eq!(
        listing_queries(&mock)[..2],
        [query("active", None), query("active", Some("t2"))]
    );
}

/// CASES.md 3: one row where 12 were announced is an incomplete listing of 1 of 12, and an
/// evaluation over it must not conclude anything from absence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fewer_rows_than_announced_is_reported_incomplete_and_evaluates_inconclusive() {
    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![page(300, 12, Some(""), rows(UserStatus::Active, 1..2))],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 1);
    assert!(!summary.complete);
    assert_eq!((summary.listed, summary.expected), (1, 12));
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("listed 1 of 12 active accounts")
    );

    // Nobody is in the directory: from a complete list that would be a finding.
    let evaluation = zoom
        .session
        .evaluate_access(&EvaluationRequest {
            accounts,
            listing: summary.clone(),
            staff: Vec::new(),
            tickets: Vec::new(),
            policy: all_staff(),
            at: 2_000_000_000,
            trace: TraceScope::All,
        })
        .await
        .unwrap();
    assert!(!evaluation.conclusive);
    assert_eq!(evaluation.inconclusive_reason, summary.incomplete_reason);
    assert!(
        evaluation
            .findings
            .iter()
            .all(|f| f.check != "not-in-directory"),
        "{:?}",
        evaluation.findings
    );
}

/// CASES.md 4: the listing takes one pass per status. 3 active, 1 inactive and 1 pending
/// invitation (without id) are 5 accounts; evaluated, the inactive account has no access and
/// the pending one counts as access.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_is_listed_and_pending_invitations_count_as_access() {
    let mock = start(fixture_config(vec![
        (
            UserStatus::Active,
            vec![page(300, 3, Some(""), rows(UserStatus::Active, 1..4))],
        ),
        (
            UserStatus::Inactive,
            vec![page(
                300,
                1,
                Some(""),
                vec![json!({"id":"u9","email":"left@example.com","status":"inactive","type":1})],
            )],
        ),
        (
            UserStatus::Pending,
            vec![page(
                300,
                1,
                Some(""),
                vec![json!({"email":"new@example.com","status":"pending","type":1})],
            )],
        ),
    ]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 5);
    assert!(summary.complete, "{summary:?}");
    assert_eq!((summary.listed, summary.expected), (5, 5));
    let inactive = accounts.iter().find(|a| a.email == "left@example.com");
    let inactive = inactive.expect("the inactive account is listed");
    assert_eq!(inactive.status, AccountStatus::Inactive);
    assert_eq!(inactive.id.as_deref(), Some("u9"));
    let pending = accounts.iter().find(|a| a.email == "new@example.com");
    let pending = pending.expect("the pending invitation is listed");
    assert_eq!(pending.status, AccountStatus::Pending);
    assert_eq!(pending.id, None);

    // Both people left: only the account that still grants access is a finding.
    let mut directory: Vec<StaffMember> = (1..4)
        .map(|n| staff(&format!("user{n}@example.com"), StaffStatus::Active))
        .collect();
    directory.push(staff("left@example.com", StaffStatus::Offboarded));
    directory.push(staff("new@example.com", StaffStatus::Offboarded));
    let request = EvaluationRequest {
        accounts,
        listing: summary,
        staff: directory,
        tickets: Vec::new(),
        policy: all_staff(),
        at: 2_000_000_000,
        trace: TraceScope::All,
    };
    let evaluation = zoom.session.evaluate_access(&request).await.unwrap();
    assert!(evaluation.conclusive);
    let evaluated = Evaluated::new(&request, &evaluation).unwrap();
    let decision = |email: &str| {
        evaluated
            .decisions()
            .find(|(_, account, _)| account.email == email)
            .map(|(decision, _, _)| decision)
            .unwrap_or_else(|| panic!("no decision for {email}"))
    };
    let left = decision("left@example.com");
    assert!(left.allowed, "{left:?}");
    assert!(
        left.trace
            .iter()
            .any(|line| line.contains("inactive: no access"))
    );
    let invited = decision("new@example.com");
    assert!(!invited.allowed);
    assert_eq!(invited.checks, ["offboarded-with-access"]);
    assert!(
        invited
            .trace
            .iter()
            .any(|line| line.starts_with("pending:"))
    );
    let findings: Vec<(&str, &str)> = evaluated
        .findings()
        .map(|(f, account, _)| (f.check.as_str(), account.email.as_str()))
        .collect();
    assert_eq!(findings, [("offboarded-with-access", "new@example.com")]);
}

/// CASES.md 5: the account `Jo.Blogs@Example.com` belongs to the staff record
/// `jo.blogs@example.com`; the account keeps its own spelling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_case_does_not_prevent_an_account_matching_its_staff_record() {
    let row = json!({"id":"u1","email":"Jo.Blogs@Example.com","status":"active","type":2});
    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![page(300, 1, Some(""), vec![row])],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();
    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].email, "Jo.Blogs@Example.com");
    assert_eq!(accounts[0].license, "licensed");

    let evaluation = zoom
        .session
        .evaluate_access(&EvaluationRequest {
            accounts,
            listing: summary,
            staff: vec![staff("jo.blogs@example.com", StaffStatus::Active)],
            tickets: Vec::new(),
            policy: all_staff(),
            at: 2_000_000_000,
            trace: TraceScope::All,
        })
        .await
        .unwrap();
    let decision = &evaluation.decisions[0];
    assert!(decision.allowed, "{decision:?}");
    let matched = decision.matched.as_ref().expect("the account matched");
    assert_eq!(matched.staff, 0);
    assert_eq!(matched.via, MatchKind::PrimaryEmail);
    assert!(evaluation.findings.is_empty(), "{:?}", evaluation.findings);
}

/// Kind: CASES.md 3 without a count at all. A page that does not say `total_records` cannot
/// prove the listing complete, so it is reported incomplete, not assumed complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_without_total_records_is_reported_incomplete() {
    let mut body = page(300, 0, Some(""), rows(UserStatus::Active, 1..4));
    body.as_object_mut().unwrap().remove("total_records");
    let mock = start(fixture_config(vec![(UserStatus::Active, vec![body])])).await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 3);
    assert!(!summary.complete);
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("zoom did not say how many active accounts exist")
    );
}

/// Kind: an expired `next_page_token` mid-listing (Zoom's tokens live 15 minutes). The status
/// restarts from its first page, the rows served again are not listed twice, and the listing
/// ends complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_page_token_restarts_the_status_and_the_listing_completes_without_duplicates() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let org = mock.organisation();

    let listing = zoom.session.list_users().await.unwrap();
    let first = zoom.session.next_batch(&listing).await.unwrap().unwrap();
    assert_eq!(first.len(), 300);
    // Sixteen minutes pass between two pages.
    mock.advance_clock(Duration::from_secs(16 * 60));

    let mut accounts = first;
    while let Some(batch) = zoom.session.next_batch(&listing).await.unwrap() {
        accounts.extend(batch);
    }
    let summary = zoom.session.listing_summary(&listing).await.unwrap();

    assert_eq!(accounts.len(), org.users().len());
    distinct_keys(&accounts);
    assert!(summary.complete, "{summary:?}");
    assert_eq!(summary.listed as usize, org.users().len());
    assert_eq!(summary.expected as usize, org.users().len());

    let users = requests_to(&mock, Endpoint::Users);
    assert_eq!(users[1].status, 400, "the second page's token had expired");
    assert!(users[1].query_param("next_page_token").is_some());
    assert_eq!(
        listing_queries(&mock)[2],
        query("active", None),
        "the status restarts from its first page"
    );
    assert_eq!(users[3].status, 200);
    assert!(users[3].query_param("next_page_token").is_some());
    let active_pages = org.count(UserStatus::Active).div_ceil(300);
    // The first page, the refused token, every active page again, then one page each of the
    // inactive and pending accounts.
    assert_eq!(users.len(), 2 + active_pages + 2);
    assert_eq!(answered(&mock, 401), 0);
}

/// Kind: a provider that hands out the same page token twice would make a naive client loop
/// forever; the listing stops that status and says it is incomplete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_page_token_stops_the_status_and_reports_the_listing_incomplete() {
    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![
            page(30, 90, Some("t2"), rows(UserStatus::Active, 1..31)),
            page(30, 90, Some("t2"), rows(UserStatus::Active, 31..61)),
        ],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 60);
    assert!(!summary.complete);
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("zoom repeated a page token after active page 2; stopped there")
    );
    assert_eq!(
        listing_queries(&mock),
        vec![
            query("active", None),
            query("active", Some("t2")),
            query("inactive", None),
            query("pending", None),
        ],
        "no third request for t2"
    );
}

/// Kind: rows served again on a later page (Zoom re-serves rows when accounts change while
/// listing). Each account is listed once, and the distinct count still matches the total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_served_twice_across_pages_are_listed_once() {
    let mock = start(fixture_config(vec![(
        UserStatus::Active,
        vec![
            page(30, 42, Some("t2"), rows(UserStatus::Active, 1..31)),
            // Ten rows of the first page come again.
            page(30, 42, Some(""), rows(UserStatus::Active, 21..43)),
        ],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 42);
    let keys = distinct_keys(&accounts);
    assert!((1..43).all(|n| keys.contains(&format!("id:u{n}"))));
    assert!(summary.complete, "{summary:?}");
    assert_eq!((summary.listed, summary.expected), (42, 42));
}

/// Kind: pending invitations have no `id`. They are told apart by normalised email, so the same
/// invitation served twice in another case is one account, and distinct ones all count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_without_id_are_keyed_by_normalised_email() {
    let pending = |email: &str| json!({"email": email, "status": "pending", "type": 1});
    let mock = start(fixture_config(vec![(
        UserStatus::Pending,
        vec![
            page(
                2,
                3,
                Some("p2"),
                vec![pending("Ana@Example.com"), pending("bo@example.com")],
            ),
            page(
                2,
                3,
                Some(""),
                vec![pending("ana@example.com "), pending("cy@example.com")],
            ),
        ],
    )]))
    .await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    let mut emails: Vec<&str> = accounts.iter().map(|a| a.email.as_str()).collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        ["Ana@Example.com", "bo@example.com", "cy@example.com"]
    );
    assert!(accounts.iter().all(|a| a.id.is_none()));
    assert!(accounts.iter().all(|a| a.status == AccountStatus::Pending));
    assert!(summary.complete, "{summary:?}");
    assert_eq!((summary.listed, summary.expected), (3, 3));
}

/// Kind: `/v2/roles` answering "No permission." (a free plan). The listing is worth more than
/// role names: it completes, and custom roles are shown by id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_without_permission_degrade_to_role_ids_and_the_listing_completes() {
    let mock = start(MockConfig {
        roles_allowed: false,
        ..MockConfig::default()
    })
    .await;
    let mut zoom = connected(&mock).await;
    let org = mock.organisation();

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), org.users().len());
    let requests = requests_to(&mock, Endpoint::Roles);
    assert_eq!(requests.len(), 1, "roles are asked for once");
    assert_eq!(requests[0].status, 400);
    let custom = org
        .users()
        .iter()
        .filter(|u| u.role() == Role::Custom)
        .count();
    assert!(custom > 0, "the organisation has custom-role accounts");
    let by_id = accounts.iter().filter(|a| a.role == CUSTOM_ROLE_ID).count();
    assert_eq!(by_id, custom);
    assert!(accounts.iter().all(|a| a.role != CUSTOM_ROLE_NAME));
    assert!(accounts.iter().any(|a| a.role == "Owner"));
}

/// The counterpart: with permission, custom roles are shown by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_roles_are_shown_by_name_when_roles_can_be_read() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let org = mock.organisation();

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    let custom = org
        .users()
        .iter()
        .filter(|u| u.role() == Role::Custom)
        .count();
    let by_name = accounts
        .iter()
        .filter(|a| a.role == CUSTOM_ROLE_NAME)
        .count();
    assert_eq!(by_name, custom);
    for status in UserStatus::ALL {
        let listed = accounts
            .iter()
            .filter(|a| account_status(a) == status)
            .count();
        assert_eq!(listed, org.count(status), "{status:?}");
    }
}

fn account_status(account: &types::Account) -> UserStatus {
    match account.status {
        AccountStatus::Active => UserStatus::Active,
        AccountStatus::Inactive => UserStatus::Inactive,
        AccountStatus::Pending => UserStatus::Pending,
    }
}

/// Scale: 100,000 accounts over 335 pages list completely, each once, with the same query on
/// every page of a status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_of_100_000_accounts_completes_with_every_account_once() {
    let mock = start(MockConfig::with_accounts(100_000)).await;
    let mut zoom = connected(&mock).await;

    let (accounts, summary) = zoom.session.list_all(|_| {}).await.unwrap();

    assert_eq!(accounts.len(), 100_000);
    distinct_keys(&accounts);
    assert!(summary.complete, "{summary:?}");
    assert_eq!((summary.listed, summary.expected), (100_000, 100_000));
    let pages = 85_000usize.div_ceil(300) + 10_000usize.div_ceil(300) + 5_000usize.div_ceil(300);
    assert_eq!(mock.count(Endpoint::Users), pages);
    assert_eq!(mock.count(Endpoint::Token), 0);
    for (status, page_size, _) in listing_queries(&mock) {
        assert!(["active", "inactive", "pending"].contains(&status.as_str()));
        assert_eq!(page_size, "300");
    }
}
