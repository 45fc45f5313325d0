//! Listing against the fake platform: paging, statuses, de-duplication, completeness, odd rows,
//! the fixtures, and every fault on the way. Cases N refer to `/work/shared/zoom/CASES.md`.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::{Value, json};

use super::*;
use crate::model::{AccountStatus, Error, ListingSummary, RateLimit};
use crate::zoom::fake::{Fake, no_roles, page, raw, reply, token, users, with_headers, zoom_error};
use crate::zoom::platform::{Response, TransportError};
use crate::zoom::store::AuthKind;
use crate::zoom::time::parse_rfc3339;

/// A connected fake whose role list is empty.
fn connected() -> Fake {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    fake.expect("GET /v2/roles", no_roles());
    fake
}

fn empty_status(fake: &mut Fake) {
    fake.expect("GET /v2/users", page("", 0, vec![]));
}

/// Runs a listing to its end: every account, and the summary.
fn drain(fake: &mut Fake) -> Result<(Vec<Account>, ListingSummary), Error> {
    let mut listing = Listing::start(fake)?;
    let mut accounts = Vec::new();
    while let Some(batch) = listing.next(fake)? {
        accounts.extend(batch);
    }
    Ok((accounts, listing.summary()))
}

/// The first error of a listing, with its summary at that point.
fn fail(fake: &mut Fake) -> (Error, ListingSummary) {
    let mut listing = Listing::start(fake).unwrap();
    loop {
        match listing.next(fake) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the listing did not fail"),
            Err(error) => return (error, listing.summary()),
        }
    }
}

fn users_requests(fake: &Fake) -> Vec<&crate::zoom::fake::Sent> {
    fake.sent
        .iter()
        .filter(|sent| sent.endpoint() == "GET /v2/users")
        .collect()
}

/// Case 1.
#[test]
fn following_pages_sends_the_same_query_with_the_page_token() {
    let mut fake = connected();
    let first = json!({"total_records": 42, "next_page_token": "t2", "users": users(0, 30)});
    let first = reply(200, first);
    let second = json!({"total_records": 42, "next_page_token": "", "users": users(30, 42)});
    let second = reply(200, second);
    fake.expect("GET /v2/users", first)
        .expect("GET /v2/users", second);
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 42);
    assert_eq!(
        summary,
        ListingSummary {
            complete: true,
            incomplete_reason: None,
            listed: 42,
            expected: 42
        }
    );
    let requests = users_requests(&fake);
    for sent in &requests[..2] {
        assert_eq!(sent.query("status").as_deref(), Some("active"));
        assert_eq!(sent.query("page_size").as_deref(), Some("300"));
        assert_eq!(sent.header("authorization"), Some("Bearer TOK_stored"));
    }
    assert_eq!(requests[0].query("next_page_token"), None);
    assert_eq!(requests[1].query("next_page_token").as_deref(), Some("t2"));
}

/// Case 2.
#[test]
fn missing_optional_page_fields_are_not_a_failure() {
    let mut fake = connected();
    let first = json!({"total_records": 301, "next_page_token": "t2", "users": users(0, 300)});
    let first = reply(200, first);
    let last = reply(
        200,
        json!({"page_size": 300, "total_records": 301, "users": users(300, 301)}),
    );
    fake.expect("GET /v2/users", first)
        .expect("GET /v2/users", last);
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 301);
    assert!(summary.complete, "{summary:?}");
}

/// Case 3.
#[test]
fn fewer_rows_than_announced_make_the_listing_incomplete() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("", 12, users(0, 1)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 1);
    assert!(!summary.complete);
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("listed 1 of 12 active accounts")
    );
    assert_eq!((summary.listed, summary.expected), (1, 12));
}

#[test]
fn more_rows_than_announced_are_incomplete_too() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("", 2, users(0, 3)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (_, summary) = drain(&mut fake).unwrap();

    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("listed 3 of 2 active accounts")
    );
}

#[test]
fn a_page_without_total_records_cannot_prove_completeness() {
    let mut fake = connected();
    fake.expect("GET /v2/users", reply(200, json!({ "users": users(0, 2) })));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 2);
    let reason = summary.incomplete_reason.unwrap();
    assert_eq!(reason, "zoom did not say how many active accounts exist");
}

/// Case 4.
#[test]
fn every_status_is_listed_in_order_and_pending_invitations_have_no_id() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("", 3, users(0, 3)));
    let inactive =
        json!({"id": "u9", "email": "left@example.com", "status": "inactive", "type": 1});
    fake.expect("GET /v2/users", page("", 1, vec![inactive]));
    let pending = json!({"email": "new@example.com", "status": "pending", "type": 1});
    fake.expect("GET /v2/users", page("", 1, vec![pending]));

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 5);
    assert!(summary.complete);
    let statuses: Vec<_> = users_requests(&fake)
        .iter()
        .map(|s| s.query("status").unwrap())
        .collect();
    assert_eq!(statuses, ["active", "inactive", "pending"]);
    assert_eq!(accounts[3].status, AccountStatus::Inactive);
    assert_eq!(accounts[3].id.as_deref(), Some("u9"));
    assert_eq!(accounts[4].status, AccountStatus::Pending);
    assert_eq!(accounts[4].id, None);
    assert_eq!(accounts[4].email, "new@example.com");
}

/// Case 5: the listing keeps the address as Zoom wrote it (matching staff records ignores
/// case), and keys rows without an id by the normalised address.
#[test]
fn emails_keep_their_case_and_rows_without_id_are_deduplicated_ignoring_case() {
    let mut fake = connected();
    empty_status(&mut fake);
    empty_status(&mut fake);
    let invited = json!({"email": "Jo.Blogs@Example.com", "type": 1});
    let again = json!({"email": " jo.blogs@example.com ", "type": 1});
    fake.expect("GET /v2/users", page("", 1, vec![invited, again]));

    let mut listing = Listing::start(&mut fake).unwrap();
    let mut accounts = Vec::new();
    while let Some(batch) = listing.next(&mut fake).unwrap() {
        accounts.extend(batch);
    }

    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].email, "Jo.Blogs@Example.com");
    assert_eq!(normalise_email(&accounts[0].email), "jo.blogs@example.com");
    assert_eq!(listing.duplicates(), 1);
    assert!(listing.summary().complete);
}

#[test]
fn a_row_served_again_on_a_later_page_is_skipped_and_counted() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("t2", 3, users(0, 2)));
    fake.expect("GET /v2/users", page("", 3, users(1, 3)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let mut listing = Listing::start(&mut fake).unwrap();
    let first = listing.next(&mut fake).unwrap().unwrap();
    let midway = listing.summary();
    assert_eq!(
        (midway.complete, midway.listed, midway.expected),
        (false, 2, 3)
    );
    let second = listing.next(&mut fake).unwrap().unwrap();
    while listing.next(&mut fake).unwrap().is_some() {}

    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id.as_deref(), Some("u2"));
    assert_eq!(listing.duplicates(), 1);
    let summary = listing.summary();
    assert!(summary.complete);
    assert_eq!((summary.listed, summary.expected), (3, 3));
}

#[test]
fn a_repeated_page_token_stops_that_status_as_incomplete_and_the_listing_moves_on() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("t2", 9, users(0, 3)))
        .expect("GET /v2/users", page("t3", 9, users(3, 6)))
        .expect("GET /v2/users", page("t2", 9, users(6, 9)));
    fake.expect("GET /v2/users", page("", 1, users(100, 101)));
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 10);
    let reason = summary.incomplete_reason.unwrap();
    assert_eq!(
        reason,
        "zoom repeated a page token after active page 3; stopped there"
    );
    let inactive = users_requests(&fake)[3].query("status");
    assert_eq!(inactive.as_deref(), Some("inactive"));
}

/// A provider (or a client bug) serving page one again under fresh tokens never repeats a
/// token; the announced count still bounds how many pages a status may take.
#[test]
fn fresh_tokens_for_the_same_rows_stop_once_the_announced_pages_are_used_up() {
    let mut fake = connected();
    for i in 0..4 {
        fake.expect("GET /v2/users", page(&format!("fresh-{i}"), 2, users(0, 2)));
    }
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 2);
    assert_eq!(
        users_requests(&fake).len(),
        4 + 2,
        "1 page announced + 3 extra, then 2 statuses"
    );
    let reason = summary.incomplete_reason.unwrap();
    assert_eq!(
        reason,
        "zoom kept paging active accounts past the 2 it announced (4 pages); stopped there"
    );
}

#[test]
fn an_endless_listing_stops_at_the_page_cap_as_incomplete() {
    let mut fake = connected();
    let pages = Rc::new(Cell::new(0u32));
    let counter = Rc::clone(&pages);
    fake.respond_with(move |request| {
        if !request.url.contains("status=active") {
            return Ok(page("", 0, vec![]));
        }
        counter.set(counter.get() + 1);
        let n = u64::from(counter.get());
        Ok(page(
            &format!("t{n}"),
            1_000_000,
            users(n * 10, n * 10 + 10),
        ))
    });

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.set_max_pages_per_status(5);
    while listing.next(&mut fake).unwrap().is_some() {}

    assert_eq!(pages.get(), 5);
    let summary = listing.summary();
    assert!(!summary.complete);
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("stopped listing active accounts after 5 pages")
    );
}

#[test]
fn rows_that_cannot_be_read_are_skipped_and_make_the_listing_incomplete() {
    let mut fake = connected();
    let rows = vec![
        json!(42),
        json!("u1"),
        json!(null),
        json!({"first_name": "No Key"}),
        users(7, 8).remove(0),
    ];
    fake.expect("GET /v2/users", page("", 5, rows));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 1);
    let reason = summary.incomplete_reason.unwrap();
    assert_eq!(
        reason,
        "listed 1 of 5 active accounts; skipped 4 unreadable rows"
    );
    assert!(
        fake.warnings()
            .contains(&"skipped 4 unreadable active rows")
    );
}

#[test]
fn odd_rows_are_mapped_without_failing() {
    let mut fake = connected();
    let rows = vec![
        json!({"id": 77, "email": "", "type": "2", "role_id": 1, "brand_new_field": {"x": [1]}}),
        json!({"id": "u2", "email": " Spaced@Example.com ", "type": 3, "role_id": "2",
               "first_name": "Ana", "last_name": "Lima", "created_at": "2020-01-01T00:00:00Z",
               "last_login_time": "yesterday"}),
        json!({"id": "u3", "email": "x", "type": 7, "role_id": "custom9", "display_name": null}),
        json!({"id": "u4", "email": "not-an-email", "type": null, "first_name": 5}),
        json!({"id": "", "email": "empty-id@example.com", "type": 4}),
    ];
    fake.expect("GET /v2/users", page("", 5, rows));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert!(summary.complete, "{summary:?}");
    let licenses: Vec<_> = accounts.iter().map(|a| a.license.as_str()).collect();
    assert_eq!(
        licenses,
        ["licensed", "on-prem", "type 7", "unknown", "unassigned"]
    );
    let roles: Vec<_> = accounts.iter().map(|a| a.role.as_str()).collect();
    assert_eq!(roles, ["Admin", "Member", "custom9", "", ""]);
    assert_eq!(accounts[0].id.as_deref(), Some("77"));
    assert_eq!(accounts[0].email, "");
    assert_eq!(accounts[1].email, "Spaced@Example.com");
    assert_eq!(accounts[1].display_name, "Ana Lima");
    assert_eq!(accounts[1].created, parse_rfc3339("2020-01-01T00:00:00Z"));
    assert_eq!(accounts[1].last_login, None);
    assert_eq!(accounts[3].first_name, "5");
    assert_eq!(accounts[4].id, None);
}

#[test]
fn the_shared_fixtures_make_a_complete_listing() {
    let mut fake = Fake::new();
    fake.connected(AuthKind::ServerToServer);
    fake.expect(
        "GET /v2/roles",
        raw(200, include_str!("../fixtures/roles.json")),
    )
    .expect(
        "GET /v2/users",
        raw(200, include_str!("../fixtures/users-active-page1.json")),
    )
    .expect(
        "GET /v2/users",
        raw(200, include_str!("../fixtures/users-active-page2.json")),
    )
    .expect(
        "GET /v2/users",
        raw(200, include_str!("../fixtures/users-inactive.json")),
    )
    .expect(
        "GET /v2/users",
        raw(200, include_str!("../fixtures/users-pending.json")),
    );

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(
        summary,
        ListingSummary {
            complete: true,
            incomplete_reason: None,
            listed: 7,
            expected: 7
        }
    );
    let token = users_requests(&fake)[1].query("next_page_token");
    assert_eq!(
        token.as_deref(),
        Some("Q2d0lRk3a8FvEhNqyHX7T1pVbA0u5ZcW9sm")
    );

    let jill = &accounts[0];
    assert_eq!(
        (jill.role.as_str(), jill.license.as_str()),
        ("Owner", "licensed")
    );
    assert_eq!(jill.last_login, parse_rfc3339("2026-11-25T05:40:55Z"));
    assert_eq!(jill.created, parse_rfc3339("2019-06-01T07:58:03Z"));
    assert_eq!(accounts[1].email, "Omar.Haddad@Acme.example");
    let lobby = &accounts[2];
    assert_eq!((lobby.license.as_str(), lobby.last_login), ("none", None));
    assert_eq!(accounts[3].email, "léa.dubois@acme.example");
    assert_eq!(accounts[3].role, "Admin");
    let ken = &accounts[4];
    assert_eq!(
        (ken.display_name.as_str(), ken.role.as_str()),
        ("渡辺 健", "Billing Viewer")
    );
    assert_eq!(accounts[5].status, AccountStatus::Inactive);
    let invited = &accounts[6];
    assert_eq!(
        (invited.id.as_deref(), invited.status),
        (None, AccountStatus::Pending)
    );
    assert_eq!(invited.display_name, "");
    assert_eq!(invited.created, parse_rfc3339("2026-12-03T09:00:00Z"));
}

/// The fixtures are copied into the crate so that a fresh clone builds; this keeps the copies
/// honest wherever the shared originals are present.
#[test]
fn the_fixture_copies_match_the_shared_originals() {
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/zoom/fixtures");
    let copies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/zoom/fixtures");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        return;
    };
    for entry in entries {
        let name = entry.unwrap().file_name();
        if !name.to_string_lossy().ends_with(".json") {
            continue;
        }
        let original = std::fs::read(shared.join(&name)).unwrap();
        let copy = std::fs::read(copies.join(&name)).unwrap();
        assert_eq!(original, copy, "{name:?} differs from the shared fixture");
    }
}

#[test]
fn custom_roles_are_shown_by_id_when_zoom_denies_the_role_list() {
    for denial in [
        zoom_error(400, 200, "No permission."),
        zoom_error(
            400,
            4711,
            "Invalid access token, does not contain scopes:[role:read:list_roles:admin].",
        ),
    ] {
        let mut fake = Fake::new();
        fake.connected(AuthKind::ServerToServer);
        let row = json!({"id": "u1", "email": "a@example.com", "type": 1, "role_id": "rZ3kQ9xL"});
        fake.expect("GET /v2/roles", denial)
            .expect("GET /v2/users", page("", 1, vec![row]));
        empty_status(&mut fake);
        empty_status(&mut fake);

        let (accounts, summary) = drain(&mut fake).unwrap();

        assert_eq!(accounts[0].role, "rZ3kQ9xL");
        assert!(summary.complete);
        assert!(fake.warnings()[0].starts_with("could not read zoom role names (HTTP 400"));
    }
}

/// Case 9.
#[test]
fn token_expiring_mid_listing_is_renewed_once_and_listing_continues_from_same_page() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("t2", 4, users(0, 2)))
        .expect(
            "GET /v2/users",
            zoom_error(401, 124, "Access token is expired."),
        )
        .expect("POST /oauth/token", token("TOK_2", 3600))
        .expect("GET /v2/users", page("", 4, users(2, 4)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 4);
    assert!(summary.complete);
    assert_eq!(fake.count("POST /oauth/token"), 1);
    let requests = users_requests(&fake);
    assert_eq!(requests[1].query("next_page_token").as_deref(), Some("t2"));
    assert_eq!(requests[2].query("next_page_token").as_deref(), Some("t2"));
    assert_eq!(requests[2].header("authorization"), Some("Bearer TOK_2"));
    assert_eq!(requests[3].header("authorization"), Some("Bearer TOK_2"));
}

#[test]
fn an_expired_page_token_restarts_that_status_once_from_its_first_page() {
    let mut fake = connected();
    let expired = || zoom_error(400, 300, "Invalid parameter: next_page_token.");
    fake.expect("GET /v2/users", page("t2", 4, users(0, 2)))
        .expect("GET /v2/users", expired())
        .expect("GET /v2/users", page("t2b", 4, users(0, 2)))
        .expect("GET /v2/users", page("", 4, users(2, 4)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 4);
    assert!(summary.complete, "{summary:?}");
    let tokens: Vec<_> = users_requests(&fake)
        .iter()
        .map(|s| s.query("next_page_token"))
        .collect();
    let expected = [None, Some("t2"), None, Some("t2b"), None, None];
    assert_eq!(tokens, expected.map(|t| t.map(str::to_string)));
}

#[test]
fn an_expired_page_token_after_a_restart_is_a_provider_error() {
    let mut fake = connected();
    let expired = || zoom_error(400, 300, "Invalid parameter: next_page_token.");
    fake.expect("GET /v2/users", page("t2", 4, users(0, 2)))
        .expect("GET /v2/users", expired())
        .expect("GET /v2/users", page("t2b", 4, users(0, 2)))
        .expect("GET /v2/users", expired());

    let (error, summary) = fail(&mut fake);

    let Error::ProviderError(failure) = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (failure.endpoint.as_str(), failure.status),
        ("GET /v2/users", Some(400))
    );
    assert!(failure.message.contains("code 300"));
    assert!(!summary.complete);
    assert!(
        summary
            .incomplete_reason
            .unwrap()
            .starts_with("GET /v2/users answered HTTP 400")
    );
}

#[test]
fn code_300_on_a_first_page_is_not_restarted() {
    let mut fake = connected();
    fake.expect("GET /v2/users", zoom_error(400, 300, "Invalid field."));

    let (error, _) = fail(&mut fake);

    let expected = "zoom error (code 300): Invalid field.";
    assert!(matches!(error, Error::ProviderError(f) if f.message == expected));
    assert_eq!(fake.count("GET /v2/users"), 1);
}

/// Case 7, met mid-listing.
#[test]
fn a_missing_scope_stops_the_listing_without_retries() {
    let mut fake = connected();
    let message = "Invalid access token, does not contain scopes:[user:read:list_users:admin].";
    fake.expect("GET /v2/users", zoom_error(400, 4711, message));

    let (error, _) = fail(&mut fake);

    assert_eq!(
        error,
        Error::MissingScope("user:read:list_users:admin".to_string())
    );
    assert_eq!(fake.count("GET /v2/users"), 1);
    assert!(fake.sleeps.is_empty());
}

#[test]
fn malformed_answers_name_the_endpoint() {
    let cases: [(Response, &str); 5] = [
        (raw(200, "{\"users\": [ {\"id\": "), "malformed JSON: EOF"),
        (
            raw(200, "[]"),
            "malformed JSON: expected an object, got an array",
        ),
        (
            reply(200, json!({"users": {"id": "u1"}})),
            "malformed JSON: `users` is an object, not an array",
        ),
        (
            reply(200, json!({"users": "none"})),
            "malformed JSON: `users` is a string, not an array",
        ),
        (
            reply(200, json!({"users": [], "next_page_token": 7})),
            "malformed JSON: `next_page_token` is a number",
        ),
    ];
    for (answer, expected) in cases {
        let mut fake = connected();
        fake.expect("GET /v2/users", answer);

        let (error, _) = fail(&mut fake);

        let Error::ProviderError(failure) = error else {
            panic!("{error:?}")
        };
        assert_eq!(
            (failure.endpoint.as_str(), failure.status),
            ("GET /v2/users", Some(200))
        );
        assert!(failure.message.starts_with(expected), "{}", failure.message);
    }
}

#[test]
fn other_client_errors_carry_zooms_code_and_message() {
    let mut fake = connected();
    fake.expect(
        "GET /v2/users",
        zoom_error(404, 1001, "User does not exist."),
    );

    let (error, _) = fail(&mut fake);

    let Error::ProviderError(failure) = error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.status, Some(404));
    assert_eq!(
        failure.message,
        "zoom error (code 1001): User does not exist."
    );
}

#[test]
fn server_errors_are_retried_three_times_with_growing_backoff_then_fail() {
    let mut fake = connected();
    for _ in 0..4 {
        fake.expect("GET /v2/users", raw(502, "<html>bad gateway</html>"));
    }

    let (error, _) = fail(&mut fake);

    let Error::ProviderError(failure) = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (failure.endpoint.as_str(), failure.status),
        ("GET /v2/users", Some(502))
    );
    assert_eq!(
        failure.message,
        "zoom kept answering with a server error (gave up after 4 attempts)"
    );
    assert_eq!(fake.sleeps.len(), 3);
    for (retry, wait) in fake.sleeps.iter().enumerate() {
        let base = 500 << retry;
        assert!(
            (base..=2 * base).contains(wait),
            "retry {retry} waited {wait} ms"
        );
    }
    assert_eq!(fake.warnings().len(), 3);
    assert!(fake.warnings()[0].starts_with("GET /v2/users failed (HTTP 502); retry 1 of 3 in"));
}

#[test]
fn timeouts_and_failed_connections_are_retried_and_the_listing_goes_on() {
    let mut fake = connected();
    fake.expect_failure("GET /v2/users", TransportError::Timeout("no answer".into()))
        .expect_failure("GET /v2/users", TransportError::Connection("reset".into()))
        .expect("GET /v2/users", raw(503, ""))
        .expect("GET /v2/users", page("", 1, users(0, 1)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 1);
    assert!(summary.complete);
    assert_eq!(fake.sleeps.len(), 3);
}

#[test]
fn a_request_the_host_refuses_fails_at_once() {
    let mut fake = connected();
    fake.expect_failure(
        "GET /v2/users",
        TransportError::Denied("api.zoom.us is not allowed".into()),
    );

    let (error, _) = fail(&mut fake);

    let Error::ProviderError(failure) = error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.endpoint, "GET /v2/users");
    assert_eq!(failure.status, None);
    assert!(failure.message.starts_with("the host refused the request"));
    assert_eq!(fake.count("GET /v2/users"), 1);
    assert!(fake.sleeps.is_empty());
}

fn too_many(message: &str, headers: &[(&str, &str)]) -> Response {
    with_headers(zoom_error(429, 429, message), headers)
}

const PER_SECOND: &str =
    "You have reached the maximum per-second rate limit for this API. Try again later.";
const DAILY: &str = "You have reached the maximum daily rate limit for this API.";

/// Case 12.
#[test]
fn a_per_second_limit_is_waited_out_then_the_page_is_fetched() {
    let mut fake = connected();
    let headers = [("x-ratelimit-type", "QPS"), ("retry-after", "1")];
    fake.expect("GET /v2/users", too_many(PER_SECOND, &headers))
        .expect("GET /v2/users", page("", 1, users(0, 1)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 1);
    assert!(summary.complete);
    assert_eq!(fake.sleeps, [1_000]);
    let requests = users_requests(&fake);
    assert_eq!(requests[1].at_ms - requests[0].at_ms, 1_000);
}

/// Case 13.
#[test]
fn a_daily_limit_fails_fast_and_keeps_what_was_stored() {
    let mut fake = connected();
    let before = fake.kv.clone();
    let headers = [
        ("x-ratelimit-type", "Daily-limit"),
        ("retry-after", "2030-01-02T00:00:00Z"),
    ];
    fake.expect("GET /v2/users", too_many(DAILY, &headers));

    let (error, summary) = fail(&mut fake);

    let message = "rate limited until 2030-01-02T00:00:00Z".to_string();
    assert_eq!(
        error,
        Error::RateLimited(RateLimit {
            retry_at: Some(1_893_542_400),
            message
        })
    );
    assert!(fake.sleeps.is_empty());
    assert_eq!(fake.kv, before);
    assert!(!summary.complete);
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("rate limited until 2030-01-02T00:00:00Z")
    );
}

#[test]
fn a_daily_limit_without_a_date_lasts_until_the_next_utc_midnight() {
    // The header says QPS, the message says daily: the message wins.
    let mut fake = connected();
    fake.expect(
        "GET /v2/users",
        too_many(DAILY, &[("x-ratelimit-type", "QPS")]),
    );

    let (error, _) = fail(&mut fake);

    let Error::RateLimited(limit) = error else {
        panic!("{error:?}")
    };
    assert_eq!(limit.message, "rate limited until 2027-01-16T00:00:00Z");
    assert!(fake.sleeps.is_empty());
}

#[test]
fn a_daily_limit_header_counts_when_the_message_says_nothing() {
    let mut fake = connected();
    fake.expect(
        "GET /v2/users",
        too_many("Too many requests.", &[("x-ratelimit-type", "Daily-limit")]),
    );

    let (error, _) = fail(&mut fake);

    assert!(matches!(error, Error::RateLimited(l) if l.message.ends_with("T00:00:00Z")));
}

#[test]
fn a_wait_longer_than_the_bound_fails_fast_with_the_time_to_retry() {
    let mut fake = connected();
    fake.expect(
        "GET /v2/users",
        too_many(PER_SECOND, &[("retry-after", "600")]),
    );

    let (error, _) = fail(&mut fake);

    let retry_at = fake.now_ms / 1000 + 600;
    assert!(matches!(error, Error::RateLimited(l) if l.retry_at == Some(retry_at)));
    assert!(fake.sleeps.is_empty());
}

#[test]
fn an_http_date_retry_after_is_honoured() {
    let mut fake = connected();
    // The fake clock starts at 2027-01-15T08:00:00Z.
    let headers = [("retry-after", "Fri, 15 Jan 2027 08:00:05 GMT")];
    fake.expect("GET /v2/users", too_many("Too many requests.", &headers))
        .expect("GET /v2/users", page("", 0, vec![]));

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    assert_eq!(fake.sleeps, [5_000]);
}

#[test]
fn repeated_rate_limits_without_a_hint_back_off_and_give_up_within_bounds() {
    let mut fake = connected();
    fake.respond_with(|_| Ok(zoom_error(429, 429, "Too many requests.")));

    let (error, _) = fail(&mut fake);

    assert!(matches!(error, Error::RateLimited(_)));
    let waited: u64 = fake.sleeps.iter().sum();
    assert!(
        waited <= crate::zoom::http::DEFAULT_MAX_TOTAL_WAIT_MS,
        "{waited}"
    );
    assert!(fake.sleeps.len() <= 5, "{:?}", fake.sleeps);
    assert!(
        fake.sleeps.windows(2).all(|w| w[0] < w[1]),
        "{:?}",
        fake.sleeps
    );
    assert!(fake.sleeps[0] >= 1_000);
}

#[test]
fn progress_is_logged_and_summary_is_incomplete_until_drained() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("", 3, users(0, 3)));

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();

    let summary = listing.summary();
    assert!(!summary.complete);
    assert_eq!(
        summary.incomplete_reason.as_deref(),
        Some("the listing has not finished (listing inactive accounts)")
    );
    assert_eq!((summary.listed, summary.expected), (3, 3));
    let info: Vec<_> = fake
        .logs
        .iter()
        .filter(|(l, _)| *l == Level::Info)
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(info, ["listed 3 accounts (active page 1)"]);
}

#[test]
fn a_listing_resumes_after_an_error_from_the_same_page() {
    let mut fake = connected();
    fake.expect("GET /v2/users", page("t2", 2, users(0, 1)))
        .expect("GET /v2/users", too_many(DAILY, &[]))
        .expect("GET /v2/users", page("", 2, users(1, 2)));
    empty_status(&mut fake);
    empty_status(&mut fake);

    let mut listing = Listing::start(&mut fake).unwrap();
    listing.next(&mut fake).unwrap();
    listing.next(&mut fake).unwrap_err();
    while listing.next(&mut fake).unwrap().is_some() {}

    assert!(listing.summary().complete);
    assert_eq!(
        users_requests(&fake)[2].query("next_page_token").as_deref(),
        Some("t2")
    );
}

#[test]
fn a_hundred_thousand_accounts_are_listed_completely() {
    const TOTAL: u64 = 100_000;
    let mut fake = connected();
    fake.respond_with(|request| {
        if !request.url.contains("status=active") {
            return Ok(page("", 0, vec![]));
        }
        let start = match request.url.split_once("next_page_token=p") {
            Some((_, offset)) => offset.parse::<u64>().unwrap(),
            None => 0,
        };
        let end = (start + 300).min(TOTAL);
        let next = if end < TOTAL {
            format!("p{end}")
        } else {
            String::new()
        };
        let rows: Vec<Value> = (start..end)
            .map(|i| {
                let email = format!("u{i}@example.com");
                json!({"id": format!("u{i}"), "email": email, "type": 1, "role_id": "2"})
            })
            .collect();
        Ok(page(&next, TOTAL, rows))
    });

    let (accounts, summary) = drain(&mut fake).unwrap();

    assert_eq!(accounts.len(), 100_000);
    assert_eq!(
        summary,
        ListingSummary {
            complete: true,
            incomplete_reason: None,
            listed: 100_000,
            expected: 100_000
        }
    );
    assert_eq!(fake.count("GET /v2/users"), 334 + 2);
    assert_eq!(fake.count("POST /oauth/token"), 0);
}
