//! End-to-end tests of the mock over loopback HTTP: each starts its own server and talks to it
//! with a deliberately tiny HTTP/1.1 client, so what is checked is what a plugin would see.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::encoding::{base64url_encode, decode_component, encode_component};
use super::*;

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection (`Connection: close`), read to the end.
async fn send(
    zoom: &MockZoom,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = TcpStream::connect(zoom.addr()).await.unwrap();
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        zoom.addr(),
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn basic(client_id: &str, secret: &str) -> String {
    // Standard base64 with padding, as real clients send it.
    let mut encoded = base64url_encode(format!("{client_id}:{secret}").as_bytes())
        .replace('-', "+")
        .replace('_', "/");
    while !encoded.len().is_multiple_of(4) {
        encoded.push('=');
    }
    format!("Basic {encoded}")
}

async fn post_token(zoom: &MockZoom, form: &str) -> Answer {
    let auth = basic(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    send(zoom, "POST", "/oauth/token", &headers, form).await
}

async fn s2s_token(zoom: &MockZoom) -> String {
    let answer = post_token(zoom, "grant_type=account_credentials&account_id=acct-demo").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["access_token"].as_str().unwrap().to_owned()
}

async fn get(zoom: &MockZoom, target: &str, token: &str) -> Answer {
    let auth = format!("Bearer {token}");
    send(zoom, "GET", target, &[("Authorization", auth.as_str())], "").await
}

/// Drains one status; returns the rows and the `total_records` of the first page.
async fn list_all(zoom: &MockZoom, token: &str, status: &str, page_size: u32) -> (Vec<Value>, u64) {
    let mut rows = Vec::new();
    let mut seen_tokens = HashSet::new();
    let mut next = String::new();
    let mut total = None;
    loop {
        let mut target = format!("/v2/users?status={status}&page_size={page_size}");
        if !next.is_empty() {
            target.push_str(&format!("&next_page_token={}", encode_component(&next)));
        }
        let answer = get(zoom, &target, token).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let page = answer.json();
        total.get_or_insert(page["total_records"].as_u64().unwrap());
        rows.extend(page["users"].as_array().unwrap().iter().cloned());
        next = page["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if next.is_empty() {
            break;
        }
        assert!(seen_tokens.insert(next.clone()), "page token repeated");
    }
    (rows, total.unwrap_or(0))
}

async fn start(config: MockConfig) -> MockZoom {
    MockZoom::start(config).await.unwrap()
}

fn fixture(name: &str) -> Value {
    let text = match name {
        "roles" => include_str!("fixtures/roles.json"),
        "token-s2s" => include_str!("fixtures/token-s2s.json"),
        "users-active-page1" => include_str!("fixtures/users-active-page1.json"),
        "users-active-page2" => include_str!("fixtures/users-active-page2.json"),
        "users-inactive" => include_str!("fixtures/users-inactive.json"),
        "users-pending" => include_str!("fixtures/users-pending.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).unwrap()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Key to JSON type of an object.
fn shape(value: &Value) -> BTreeMap<String, &'static str> {
    let object = value.as_object().unwrap();
    object.iter().map(|(k, v)| (k.clone(), kind(v))).collect()
}

const USER_PAGES: [&str; 4] = [
    "users-active-page1",
    "users-active-page2",
    "users-inactive",
    "users-pending",
];

#[tokio::test]
async fn rows_pages_tokens_and_roles_have_the_fixtures_shapes() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;

    // Every key a fixture row has, with its type.
    let mut row_keys = BTreeMap::new();
    for name in USER_PAGES {
        for row in fixture(name)["users"].as_array().unwrap() {
            row_keys.extend(shape(row));
        }
    }
    let mut seen_keys = HashSet::new();
    let mut some_row_lacks_an_optional_key = false;
    for status in ["active", "inactive", "pending"] {
        let page = get(
            &zoom,
            &format!("/v2/users?status={status}&page_size=300"),
            &token,
        )
        .await;
        let page = page.json();
        assert_eq!(
            shape(&page),
            shape(&fixture("users-active-page1")),
            "page keys"
        );
        for row in page["users"].as_array().unwrap() {
            for (key, value) in row.as_object().unwrap() {
                assert_eq!(
                    row_keys.get(key).copied(),
                    Some(kind(value)),
                    "{key} in {row}"
                );
                seen_keys.insert(key.clone());
            }
            assert!(row["email"].is_string() && row["type"].is_number());
            assert_eq!(row["status"], status);
            assert_eq!(row.get("id").is_some(), status != "pending", "{row}");
            some_row_lacks_an_optional_key |= row.get("last_client_version").is_none();
        }
    }
    let never_seen: Vec<_> = row_keys
        .keys()
        .filter(|k| !seen_keys.contains(*k))
        .collect();
    assert!(
        never_seen.is_empty(),
        "generated rows never have {never_seen:?}"
    );
    assert!(some_row_lacks_an_optional_key);

    let answer = post_token(&zoom, "grant_type=account_credentials&account_id=acct-demo").await;
    assert_eq!(shape(&answer.json()), shape(&fixture("token-s2s")));
    assert_eq!(answer.json()["scope"], fixture("token-s2s")["scope"]);
    assert_eq!(answer.json()["expires_in"], 3599);

    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    let roles = get(&zoom, "/v2/roles", &token).await.json();
    let expected = fixture("roles");
    assert_eq!(shape(&roles), shape(&expected));
    let ids = |v: &Value| {
        v["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&roles), ids(&expected));
    for (got, want) in roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .zip(expected["roles"].as_array().unwrap())
    {
        assert_eq!(shape(got), shape(want));
        assert_eq!(got["name"], want["name"]);
    }
    let org = zoom.organisation();
    assert_eq!(
        roles["roles"][2]["total_members"],
        org.role_members(Role::Member)
    );
}

#[tokio::test]
async fn paging_lists_every_account_exactly_once_per_status() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    for page_size in [300, 30] {
        for status in UserStatus::ALL {
            let (rows, total) = list_all(&zoom, &token, status.as_str(), page_size).await;
            let mut listed: Vec<String> = rows
                .iter()
                .map(|r| r["email"].as_str().unwrap().to_owned())
                .collect();
            let mut expected: Vec<String> = zoom
                .organisation()
                .with_status(status)
                .map(MockUser::email)
                .collect();
            assert_eq!(total as usize, expected.len());
            listed.sort();
            expected.sort();
            assert_eq!(listed, expected, "{status:?} with page_size {page_size}");
        }
    }
    let requests = zoom.count(Endpoint::Users);
    // 2040/300 + 240/300 + 120/300 → 7 + 1 + 1; 2040/30 + 240/30 + 120/30 → 68 + 8 + 4.
    assert_eq!(requests, 9 + 80);
}

#[tokio::test]
async fn oversized_pages_are_clamped_and_bad_queries_are_code_300() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;

    let page = get(&zoom, "/v2/users?page_size=1000", &token).await.json();
    assert_eq!(page["page_size"], 300);
    assert_eq!(page["users"].as_array().unwrap().len(), 300);
    assert_eq!(page["page_count"], 7);
    assert_eq!(page["page_number"], 1);

    let page = get(&zoom, "/v2/users", &token).await.json();
    assert_eq!(page["page_size"], 30, "default page size");
    assert_eq!(page["users"][0]["status"], "active", "default status");

    for target in [
        "/v2/users?status=deleted",
        "/v2/users?page_size=abc",
        "/v2/users?page_size=0",
    ] {
        let answer = get(&zoom, target, &token).await;
        assert_eq!(answer.status, 400, "{target}");
        assert_eq!(answer.json()["code"], 300, "{target}");
    }
}

#[tokio::test]
async fn page_tokens_are_bound_to_their_query_and_expire_after_15_minutes() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    let page = get(&zoom, "/v2/users?status=active&page_size=30", &token)
        .await
        .json();
    let next = page["next_page_token"].as_str().unwrap().to_owned();
    assert!(next.len() >= 20 && next.chars().all(|c| c.is_ascii_alphanumeric()));

    let invalid = r#"{"code":300,"message":"The next page token is invalid or expired."}"#;
    // `page_size=300` on page 1 and none later is the classic slip: 30 is not 300.
    for query in [
        "status=inactive&page_size=30",
        "status=active&page_size=31",
        "page_size=300",
    ] {
        let answer = get(
            &zoom,
            &format!("/v2/users?{query}&next_page_token={next}"),
            &token,
        )
        .await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (400, invalid),
            "{query}"
        );
    }
    let answer = get(&zoom, "/v2/users?page_size=30&next_page_token=nope", &token).await;
    assert_eq!(answer.status, 400);

    // Omitting a parameter that had its default value is the same query.
    let answer = get(&zoom, &format!("/v2/users?next_page_token={next}"), &token).await;
    assert_eq!(answer.status, 200);
    let same = format!("/v2/users?status=active&page_size=30&next_page_token={next}");
    let page2 = get(&zoom, &same, &token).await;
    assert_eq!(page2.status, 200);
    assert_eq!(page2.json()["page_number"], 2);

    // Retrying a page with the same token is allowed until it expires.
    assert_eq!(get(&zoom, &same, &token).await.status, 200);
    zoom.advance_clock(Duration::from_secs(15 * 60));
    let token = s2s_token(&zoom).await;
    let answer = get(&zoom, &same, &token).await;
    assert_eq!((answer.status, answer.body.as_str()), (400, invalid));
}

/// CASES.md 6: wrong client credentials must not be mistaken for anything else.
#[tokio::test]
async fn wrong_client_credentials_are_invalid_client() {
    let zoom = start(MockConfig::default()).await;
    let expected = r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#;
    let form = "grant_type=account_credentials&account_id=acct-demo";
    let content_type = ("Content-Type", "application/x-www-form-urlencoded");

    let wrong = basic(DEFAULT_CLIENT_ID, "not-the-secret");
    for headers in [
        vec![("Authorization", wrong.as_str()), content_type],
        vec![content_type],
    ] {
        let answer = send(&zoom, "POST", "/oauth/token", &headers, form).await;
        assert_eq!((answer.status, answer.body.as_str()), (400, expected));
    }
    assert_eq!(zoom.count(Endpoint::Token), 2);
    assert_eq!(zoom.count(Endpoint::Users), 0);

    let answer = post_token(&zoom, "grant_type=account_credentials&account_id=other").await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "invalid_request");
}

/// CASES.md 10: the token expires by the clock, `expires_in` seconds after minting.
#[tokio::test]
async fn access_tokens_expire_by_the_mock_clock() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(get(&zoom, "/v2/users/me", &token).await.status, 200);

    zoom.advance_clock(Duration::from_secs(3598));
    assert_eq!(get(&zoom, "/v2/users/me", &token).await.status, 200);
    zoom.advance_clock(Duration::from_secs(1));
    let answer = get(&zoom, "/v2/users/me", &token).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.body,
        r#"{"code":124,"message":"Access token is expired."}"#
    );

    let answer = get(&zoom, "/v2/users/me", "made-up").await;
    assert_eq!(
        answer.body,
        r#"{"code":124,"message":"Invalid access token."}"#
    );
    let answer = send(&zoom, "GET", "/v2/users", &[], "").await;
    assert_eq!(
        (answer.status, answer.json()["code"].clone()),
        (401, json!(124))
    );
}

#[tokio::test]
async fn minting_a_server_to_server_token_supersedes_the_previous_one() {
    let zoom = start(MockConfig::default()).await;
    let first = s2s_token(&zoom).await;
    let second = s2s_token(&zoom).await;
    assert_ne!(first, second);
    let answer = get(&zoom, "/v2/users/me", &first).await;
    assert_eq!(
        (answer.status, answer.json()["code"].clone()),
        (401, json!(124))
    );
    assert_eq!(get(&zoom, "/v2/users/me", &second).await.status, 200);

    let zoom = start(MockConfig {
        rotate_s2s_tokens: false,
        ..MockConfig::default()
    })
    .await;
    let first = s2s_token(&zoom).await;
    let _second = s2s_token(&zoom).await;
    assert_eq!(get(&zoom, "/v2/users/me", &first).await.status, 200);
}

#[tokio::test]
async fn the_expire_after_n_requests_fault_expires_each_token() {
    let config = MockConfig {
        expire_token_after_requests: Some(2),
        ..MockConfig::default()
    };
    let zoom = start(config).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(get(&zoom, "/v2/users", &token).await.status, 200);
    assert_eq!(get(&zoom, "/v2/users", &token).await.status, 200);
    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(
        (answer.status, answer.json()["message"].clone()),
        (401, json!("Access token is expired."))
    );

    let token = s2s_token(&zoom).await;
    assert_eq!(get(&zoom, "/v2/users", &token).await.status, 200);

    zoom.expire_tokens_after_requests(0);
    assert_eq!(get(&zoom, "/v2/users", &token).await.status, 401);
}

fn pkce_pair() -> (String, String) {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned();
    let challenge = base64url_encode(&Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// CASES.md 11: every refresh rotates the refresh token; an earlier one is `invalid_grant`.
#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_is_invalid_grant() {
    let zoom = start(MockConfig::default()).await;
    let (verifier, challenge) = pkce_pair();
    let redirect = "http://127.0.0.1:9/callback";
    let target = format!(
        "/oauth/authorize?response_type=code&client_id=demo-client&redirect_uri={}&state=s%201\
         &code_challenge={challenge}&code_challenge_method=S256",
        encode_component(redirect)
    );
    let answer = send(&zoom, "GET", &target, &[], "").await;
    assert_eq!(answer.status, 302);
    let location = answer.header("location").unwrap().to_owned();
    let query = location.strip_prefix(&format!("{redirect}?")).unwrap();
    let pairs = encoding::parse_pairs(query);
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    assert_eq!(pairs.iter().find(|(k, _)| k == "state").unwrap().1, "s 1");

    let exchange = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}",
        encode_component(redirect)
    );
    let answer = post_token(&zoom, &exchange).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut refresh = answer.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(answer.json()["token_type"], "bearer");
    // Codes are single-use.
    assert_eq!(
        post_token(&zoom, &exchange).await.json()["error"],
        "invalid_grant"
    );

    let mut used = Vec::new();
    for _ in 0..3 {
        let answer = post_token(
            &zoom,
            &format!("grant_type=refresh_token&refresh_token={refresh}"),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let access = answer.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(get(&zoom, "/v2/users/me", &access).await.status, 200);
        used.push(std::mem::replace(
            &mut refresh,
            answer.json()["refresh_token"].as_str().unwrap().to_owned(),
        ));
    }
    let invalid_grant = r#"{"reason":"Invalid Token!","error":"invalid_grant"}"#;
    for old in &used {
        let answer = post_token(
            &zoom,
            &format!("grant_type=refresh_token&refresh_token={old}"),
        )
        .await;
        assert_eq!((answer.status, answer.body.as_str()), (400, invalid_grant));
    }

    // An admin removes the app: the current refresh token dies too.
    zoom.revoke_all_grants();
    let answer = post_token(
        &zoom,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await;
    assert_eq!((answer.status, answer.body.as_str()), (400, invalid_grant));
}

#[tokio::test]
async fn authorization_codes_check_redirect_pkce_and_lifetime() {
    let zoom = start(MockConfig::default()).await;
    let (verifier, challenge) = pkce_pair();
    let redirect = "http://127.0.0.1:9/cb";
    let exchange = |code: &str, redirect: &str, verifier: &str| {
        format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}",
            encode_component(redirect)
        )
    };

    let code = zoom.issue_authorization_code(redirect, Some(&challenge));
    let answer = post_token(&zoom, &exchange(&code, redirect, "wrong-verifier")).await;
    assert_eq!(answer.json()["error"], "invalid_grant");

    let code = zoom.issue_authorization_code(redirect, Some(&challenge));
    let answer = post_token(
        &zoom,
        &exchange(&code, "http://127.0.0.1:9/other", &verifier),
    )
    .await;
    assert_eq!(answer.status, 400);

    let code = zoom.issue_authorization_code(redirect, Some(&challenge));
    zoom.advance_clock(Duration::from_secs(5 * 60));
    let answer = post_token(&zoom, &exchange(&code, redirect, &verifier)).await;
    assert_eq!(answer.json()["error"], "invalid_grant");

    let code = zoom.issue_authorization_code(redirect, Some(&challenge));
    let answer = post_token(&zoom, &exchange(&code, redirect, &verifier)).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn revoking_a_token_stops_it_working() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    let auth = basic(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let target = format!("/oauth/revoke?token={token}");
    let answer = send(
        &zoom,
        "POST",
        &target,
        &[("Authorization", auth.as_str())],
        "",
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"status":"success"}"#)
    );
    assert_eq!(get(&zoom, "/v2/users", &token).await.status, 401);
}

/// Revoking uninstalls the app at Zoom: revoking the access token of a code grant, sent in the
/// form body as the plugin sends it, kills the grant's refresh token too.
#[tokio::test]
async fn revoking_a_code_grants_access_token_revokes_its_refresh_token_too() {
    let zoom = start(MockConfig::default()).await;
    let redirect = "http://127.0.0.1:9/cb";
    let code = zoom.issue_authorization_code(redirect, None);
    let exchange = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        encode_component(redirect)
    );
    let answer = post_token(&zoom, &exchange).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let access = answer.json()["access_token"].as_str().unwrap().to_owned();
    let refresh = answer.json()["refresh_token"].as_str().unwrap().to_owned();

    let auth = basic(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let form = format!("token={}", encode_component(&access));
    let answer = send(&zoom, "POST", "/oauth/revoke", &headers, &form).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    assert_eq!(get(&zoom, "/v2/users/me", &access).await.status, 401);
    let refreshed = post_token(
        &zoom,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await;
    assert_eq!(refreshed.json()["error"], "invalid_grant");
}

/// CASES.md 7: a missing scope is 4711 naming it, not an authentication failure.
#[tokio::test]
async fn a_missing_scope_is_4711_naming_the_scope() {
    let scopes = vec!["user:read:user:admin".to_owned()];
    let zoom = start(MockConfig {
        scopes,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;
    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        concat!(
            r#"{"code":4711,"message":"Invalid access token, does not contain "#,
            r#"scopes:[user:read:list_users:admin]."}"#
        )
    );
    assert_eq!(get(&zoom, "/v2/users/me", &token).await.status, 200);

    // The classic scope is accepted in place of the granular one.
    let scopes = vec!["user:read:admin".to_owned()];
    let zoom = start(MockConfig {
        scopes,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;
    assert_eq!(get(&zoom, "/v2/users", &token).await.status, 200);

    // A member authorising the app gets no admin scope at all.
    let zoom = start(MockConfig {
        identity: IdentityRole::Member,
        ..MockConfig::default()
    })
    .await;
    let answer = post_token(&zoom, "grant_type=account_credentials&account_id=acct-demo").await;
    assert_eq!(answer.json()["scope"], "");
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&zoom, "/v2/users", &token).await.json()["code"], 4711);
}

#[tokio::test]
async fn users_me_is_the_identity_that_authorised_the_app() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    let me = get(&zoom, "/v2/users/me", &token).await.json();
    let owner = &zoom.organisation().users()[0];
    assert_eq!(me["email"], owner.email());
    assert_eq!(me["id"], owner.id().unwrap());
    assert_eq!(
        (me["role_id"].as_str(), me["role_name"].as_str()),
        (Some("0"), Some("Owner"))
    );
    assert_eq!(me["account_id"], "acct-demo");
    assert_eq!(
        (me["type"].as_u64(), me["status"].as_str()),
        (Some(2), Some("active"))
    );

    let zoom = start(MockConfig {
        identity: IdentityRole::Admin,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;
    let me = get(&zoom, "/v2/users/me", &token).await.json();
    assert_eq!(
        (me["role_id"].as_str(), me["role_name"].as_str()),
        (Some("1"), Some("Admin"))
    );

    // A member can read themselves with the non-admin scope, and nothing else.
    let mut scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect();
    scopes.push("user:read:user".to_owned());
    let config = MockConfig {
        identity: IdentityRole::Member,
        scopes,
        ..MockConfig::default()
    };
    let zoom = start(config).await;
    let token = s2s_token(&zoom).await;
    let me = get(&zoom, "/v2/users/me", &token).await.json();
    assert_eq!(me["role_id"], "2");
    assert_eq!(get(&zoom, "/v2/roles", &token).await.json()["code"], 4711);
}

#[tokio::test]
async fn users_are_found_by_id_or_email_and_unknown_ones_are_1001() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    let org = zoom.organisation();
    let user = org.with_status(UserStatus::Active).nth(10).unwrap();

    let by_id = get(&zoom, &format!("/v2/users/{}", user.id().unwrap()), &token)
        .await
        .json();
    assert_eq!(by_id["email"], user.email());
    let shouted = encode_component(&user.email().to_ascii_uppercase());
    let by_email = get(&zoom, &format!("/v2/users/{shouted}"), &token)
        .await
        .json();
    assert_eq!(by_email["id"], user.id().unwrap());

    let answer = get(&zoom, "/v2/users/nobody@acme.example", &token).await;
    assert_eq!(
        (answer.status, answer.json()["code"].clone()),
        (404, json!(1001))
    );

    let summary = get(&zoom, "/v2/users/summary", &token).await.json();
    assert_eq!(summary["total_users_count"], 2_400);
    assert_eq!(summary["pending_users_count"], 120);
}

#[tokio::test]
async fn roles_on_a_free_plan_answer_no_permission() {
    let zoom = start(MockConfig {
        roles_allowed: false,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;
    let answer = get(&zoom, "/v2/roles", &token).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (400, r#"{"code":200,"message":"No permission."}"#)
    );
}

/// CASES.md 8, 9, 12 and 13 are staged this way.
#[tokio::test]
async fn scripted_responses_are_served_in_order_then_normal_service_resumes() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    zoom.script(
        Endpoint::Users,
        vec![
            ScriptedResponse::pass_through(),
            ScriptedResponse::expired_token(),
            ScriptedResponse::rate_limited_qps(1),
            ScriptedResponse::rate_limited_daily("2030-01-02T00:00:00Z"),
            ScriptedResponse::malformed_json(),
        ],
    );

    let first = get(&zoom, "/v2/users", &token).await;
    assert_eq!(first.status, 200);
    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, r#"{"code":124,"message":"Access token is expired."}"#)
    );
    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(answer.header("x-ratelimit-type"), Some("QPS"));
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("per-second")
    );
    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(answer.header("retry-after"), Some("2030-01-02T00:00:00Z"));
    assert_eq!(answer.header("x-ratelimit-type"), Some("Daily-limit"));
    assert!(answer.json()["message"].as_str().unwrap().contains("daily"));
    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_str::<Value>(&answer.body).is_err());

    let answer = get(&zoom, "/v2/users", &token).await;
    assert_eq!(
        (answer.status, answer.json()["total_records"].clone()),
        (200, json!(2040))
    );

    let users: Vec<_> = zoom
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::Users))
        .collect();
    let log: Vec<_> = users.iter().map(|r| (r.status, r.scripted)).collect();
    assert_eq!(
        log,
        [
            (200, false),
            (401, true),
            (429, true),
            (429, true),
            (200, true),
            (200, false)
        ]
    );

    // Scripts are per endpoint, and work for the token endpoint too.
    zoom.script(Endpoint::Token, vec![ScriptedResponse::invalid_client()]);
    assert_eq!(get(&zoom, "/v2/users/me", &token).await.status, 200);
    let answer = post_token(&zoom, "grant_type=account_credentials&account_id=acct-demo").await;
    assert_eq!(answer.json()["error"], "invalid_client");
}

#[tokio::test]
async fn the_request_log_records_method_path_query_headers_and_form() {
    let zoom = start(MockConfig::default()).await;
    let token = s2s_token(&zoom).await;
    get(
        &zoom,
        "/v2/users?status=pending&page_size=5&next_page_token=",
        &token,
    )
    .await;
    send(&zoom, "GET", "/nowhere", &[], "").await;

    let log = zoom.requests();
    assert_eq!(log.len(), 3);
    let mint = &log[0];
    assert_eq!(
        (mint.endpoint, mint.method.as_str(), mint.path.as_str()),
        (Some(Endpoint::Token), "POST", "/oauth/token")
    );
    assert_eq!(mint.form_param("grant_type"), Some("account_credentials"));
    assert_eq!(mint.form_param("account_id"), Some("acct-demo"));
    assert!(mint.header("authorization").unwrap().starts_with("Basic "));
    assert!(
        mint.headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(mint.status, 200);

    let list = &log[1];
    assert_eq!(list.endpoint, Some(Endpoint::Users));
    assert_eq!(list.query, "status=pending&page_size=5&next_page_token=");
    assert_eq!(list.query_param("page_size"), Some("5"));
    assert_eq!(list.query_pairs.len(), 3);
    assert_eq!(
        list.header("Authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert!(list.form.is_empty());

    assert_eq!((log[2].endpoint, log[2].status), (None, 404));
    assert_eq!(zoom.count(Endpoint::Token), 1);
    zoom.clear_requests();
    assert!(zoom.requests().is_empty());
    assert_eq!(zoom.count(Endpoint::Token), 0);
}

fn case_rows(n: usize, offset: usize) -> Vec<Value> {
    let row = |i| {
        let email = format!("user{i}@example.com");
        json!({"id": format!("u{i}"), "email": email, "type": 1, "status": "active"})
    };
    (offset..offset + n).map(row).collect()
}

/// A page as CASES.md writes it; `next: None` leaves the key out.
fn case_page(page_size: u32, total: u32, next: Option<&str>, users: Vec<Value>) -> Value {
    let mut page = json!({"page_size": page_size, "total_records": total, "users": users});
    if let Some(next) = next {
        page["next_page_token"] = json!(next);
    }
    page
}

/// CASES.md 1 to 3 and the fixture files replayed byte for byte.
#[tokio::test]
async fn fixture_pages_are_replayed_in_order_and_check_the_page_token() {
    let page1 = case_page(30, 42, Some("t2"), case_rows(30, 0));
    let page2 = case_page(30, 42, Some(""), case_rows(12, 30));
    let pages = vec![Pages {
        status: UserStatus::Active,
        pages: vec![page1.clone(), page2.clone()],
    }];
    let zoom = start(MockConfig {
        pages,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;

    assert_eq!(get(&zoom, "/v2/users", &token).await.json(), page1);
    assert_eq!(
        get(&zoom, "/v2/users?next_page_token=t2", &token)
            .await
            .json(),
        page2
    );
    let answer = get(&zoom, "/v2/users?next_page_token=t3", &token).await;
    assert_eq!(
        (answer.status, answer.json()["code"].clone()),
        (400, json!(300))
    );
    let inactive = get(&zoom, "/v2/users?status=inactive&page_size=300", &token)
        .await
        .json();
    assert_eq!(
        (inactive["total_records"].clone(), inactive["users"].clone()),
        (json!(0), json!([]))
    );

    // CASES.md 2: no `next_page_token` key at all on the last page; CASES.md 3: short page.
    let last = case_page(300, 301, None, case_rows(1, 300));
    let short = case_page(300, 12, Some(""), case_rows(1, 0));
    let pages = vec![
        Pages {
            status: UserStatus::Active,
            pages: vec![
                case_page(300, 301, Some("t2"), case_rows(300, 0)),
                last.clone(),
            ],
        },
        Pages {
            status: UserStatus::Inactive,
            pages: vec![short.clone()],
        },
    ];
    let zoom = start(MockConfig {
        pages,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;
    let answer = get(&zoom, "/v2/users?page_size=300&next_page_token=t2", &token).await;
    assert_eq!(answer.json(), last);
    assert!(!answer.body.contains("next_page_token"));
    assert_eq!(
        get(&zoom, "/v2/users?status=inactive", &token).await.json(),
        short
    );

    // The shared fixtures themselves.
    let pages = vec![
        Pages {
            status: UserStatus::Active,
            pages: vec![fixture("users-active-page1"), fixture("users-active-page2")],
        },
        Pages {
            status: UserStatus::Pending,
            pages: vec![fixture("users-pending")],
        },
    ];
    let zoom = start(MockConfig {
        pages,
        ..MockConfig::default()
    })
    .await;
    let token = s2s_token(&zoom).await;
    let next = fixture("users-active-page1")["next_page_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let page2 = get(
        &zoom,
        &format!("/v2/users?page_size=3&next_page_token={next}"),
        &token,
    )
    .await;
    assert_eq!(page2.json(), fixture("users-active-page2"));
    assert_eq!(
        get(&zoom, "/v2/users?status=pending", &token).await.json(),
        fixture("users-pending")
    );
}

/// Only what the big listing test reads: parsing whole rows into `Value`s would dominate it.
#[derive(serde::Deserialize)]
struct SlimPage {
    next_page_token: Option<String>,
    total_records: usize,
    users: Vec<SlimRow>,
}

#[derive(serde::Deserialize)]
struct SlimRow {
    id: Option<String>,
    email: String,
}

#[tokio::test]
async fn a_hundred_thousand_accounts_are_paged_completely() {
    let zoom = start(MockConfig {
        record_requests: false,
        ..MockConfig::with_accounts(100_000)
    })
    .await;
    let token = s2s_token(&zoom).await;
    let mut ids = HashSet::new();
    let mut emails = HashSet::new();
    for status in UserStatus::ALL {
        let mut next = String::new();
        let mut listed = 0;
        loop {
            let target = format!(
                "/v2/users?status={}&page_size=300&next_page_token={next}",
                status.as_str()
            );
            let page: SlimPage =
                serde_json::from_str(&get(&zoom, &target, &token).await.body).unwrap();
            assert_eq!(page.total_records, zoom.organisation().count(status));
            listed += page.users.len();
            for row in page.users {
                if let Some(id) = row.id {
                    assert!(ids.insert(id));
                }
                assert!(emails.insert(row.email.to_lowercase()));
            }
            next = page.next_page_token.unwrap_or_default();
            if next.is_empty() {
                break;
            }
        }
        assert_eq!(listed, zoom.organisation().count(status));
    }
    assert_eq!(emails.len(), 100_000);
    assert_eq!(ids.len(), 95_000, "every active and inactive row has an id");
    assert!(zoom.requests().is_empty());
    assert_eq!(zoom.count(Endpoint::Users), 284 + 34 + 17);
}

#[tokio::test]
async fn the_organisation_is_deterministic_for_a_seed() {
    let a = start(MockConfig::default()).await;
    let b = start(MockConfig::default()).await;
    let people = |zoom: &MockZoom| zoom.organisation().people().collect::<Vec<_>>();
    assert_eq!(people(&a), people(&b));

    // Served rows are the same too (rows are rendered lazily from the seed).
    let (ta, tb) = (s2s_token(&a).await, s2s_token(&b).await);
    let target = "/v2/users?status=inactive&page_size=300";
    assert_eq!(
        get(&a, target, &ta).await.json()["users"],
        get(&b, target, &tb).await.json()["users"]
    );
    // But tokens are never shared between servers.
    assert_eq!(get(&b, target, &ta).await.status, 401);

    let c = start(MockConfig {
        seed: 7,
        ..MockConfig::default()
    })
    .await;
    assert_ne!(people(&a), people(&c));
}

#[tokio::test]
async fn shutdown_releases_the_port() {
    let zoom = start(MockConfig::with_accounts(20)).await;
    let addr = zoom.addr();
    assert!(zoom.base_url().starts_with("http://127.0.0.1:"));
    assert!(zoom.banner().contains("client_secret: demo-secret"));
    // A keep-alive connection left open must not keep the server alive.
    let _idle = TcpStream::connect(addr).await.unwrap();
    zoom.shutdown().await;
    std::net::TcpListener::bind(addr).unwrap();
}

#[test]
fn scenarios_build_the_config_they_describe() {
    let text = r#"
        description = "CASES.md 9"
        seed = 7
        accounts = { active = 42, inactive = 0, pending = 0 }
        [credentials]
        client_secret = "s3cret"
        [token]
        lifetime_secs = 60
        scopes = ["user:read:list_users:admin"]
        [api]
        identity = "admin"
        roles_allowed = false
        [faults]
        expire_token_after_requests = 5
        [[pages]]
        status = "inactive"
        [[pages.pages]]
        page_size = 300
        total_records = 1
        users = [{ email = "a@b.example", type = 1 }]
        [[script.users]]
        pass_through = true
        [[script.users]]
        preset = "expired_token"
        [[script.users]]
        preset = "rate_limited_daily"
        retry_after = "2030-01-02T00:00:00Z"
        [[script.token]]
        status = 503
        body = "busy"
        headers = { "Content-Type" = "text/plain" }
    "#;
    let config = Scenario::from_toml(text).unwrap().to_config().unwrap();
    assert_eq!(config.seed, 7);
    assert_eq!(config.accounts.total(), 42);
    assert_eq!(config.client_secret, "s3cret");
    assert_eq!(config.client_id, DEFAULT_CLIENT_ID);
    assert_eq!(config.token_lifetime, Duration::from_secs(60));
    assert_eq!(
        (config.identity, config.roles_allowed),
        (IdentityRole::Admin, false)
    );
    assert_eq!(config.expire_token_after_requests, Some(5));
    assert_eq!(config.pages[0].pages[0]["users"][0]["type"], 1);
    let users = &config
        .scripts
        .iter()
        .find(|(e, _)| *e == Endpoint::Users)
        .unwrap()
        .1;
    assert_eq!(users[0], ScriptedResponse::pass_through());
    assert_eq!(users[1], ScriptedResponse::expired_token());
    assert_eq!(
        users[2],
        ScriptedResponse::rate_limited_daily("2030-01-02T00:00:00Z")
    );
    let token = &config
        .scripts
        .iter()
        .find(|(e, _)| *e == Endpoint::Token)
        .unwrap()
        .1;
    assert_eq!(
        token[0].headers,
        vec![("Content-Type".to_owned(), "text/plain".to_owned())]
    );

    let broken = Scenario::from_toml("[[script.users]]\ncode = 124\n").unwrap();
    let error = broken.to_config().unwrap_err().to_string();
    assert!(error.contains("needs `status`"), "{error}");
    assert!(Scenario::from_toml("[[script.nowhere]]\npass_through = true\n").is_err());
}

#[test]
fn scenario_files_load_pages_relative_to_themselves() {
    let folder = std::env::temp_dir().join(format!("mock-zoom-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("page.json"),
        include_str!("fixtures/users-inactive.json"),
    )
    .unwrap();
    let path = folder.join("case.toml");
    std::fs::write(
        &path,
        "[[pages]]\nstatus = \"inactive\"\nfiles = [\"page.json\"]\n",
    )
    .unwrap();
    let scenario = Scenario::from_path(&path).unwrap();
    let config = scenario.to_config().unwrap();
    assert_eq!(config.pages[0].pages[0], fixture("users-inactive"));

    std::fs::write(&path, "[faults]\nexpire_token_after = 1\n").unwrap();
    let error = Scenario::from_path(&path).unwrap_err().to_string();
    assert!(
        error.contains("case.toml") && error.contains("expire_token_after"),
        "{error}"
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn query_components_round_trip() {
    assert_eq!(
        decode_component(&encode_component("Jo.Blogs@Example.com")),
        "Jo.Blogs@Example.com"
    );
}

/// The scenario files shipped for CASES.md, by number.
const CASE_SCENARIOS: [&str; 13] = [
    include_str!("scenarios/case-01-following-pages.toml"),
    include_str!("scenarios/case-02-optional-page-fields-absent.toml"),
    include_str!("scenarios/case-03-fewer-rows-than-announced.toml"),
    include_str!("scenarios/case-04-statuses.toml"),
    include_str!("scenarios/case-05-email-case.toml"),
    include_str!("scenarios/case-06-wrong-client-credentials.toml"),
    include_str!("scenarios/case-07-missing-scope.toml"),
    include_str!("scenarios/case-08-invalid-token.toml"),
    include_str!("scenarios/case-09-token-expires-mid-listing.toml"),
    include_str!("scenarios/case-10-relative-expiry.toml"),
    include_str!("scenarios/case-11-refresh-token-rotation.toml"),
    include_str!("scenarios/case-12-per-second-limit.toml"),
    include_str!("scenarios/case-13-daily-limit.toml"),
];

async fn start_case(number: usize) -> MockZoom {
    let scenario = Scenario::from_toml(CASE_SCENARIOS[number - 1]).unwrap();
    assert!(
        scenario
            .description
            .starts_with(&format!("CASES.md {number},"))
    );
    start(scenario.to_config().unwrap()).await
}

/// Statuses and response codes of `n` plain listing calls.
async fn statuses(zoom: &MockZoom, token: &str, n: usize) -> Vec<u16> {
    let mut seen = Vec::new();
    for _ in 0..n {
        seen.push(get(zoom, "/v2/users", token).await.status);
    }
    seen
}

#[tokio::test]
async fn the_case_scenarios_reproduce_the_listing_cases() {
    let expected = [(1, 42, 42), (2, 301, 301), (3, 1, 12)];
    for (case, rows, announced) in expected {
        let zoom = start_case(case).await;
        let token = s2s_token(&zoom).await;
        let (listed, total) = list_all(&zoom, &token, "active", 300).await;
        assert_eq!((listed.len(), total), (rows, announced), "case {case}");
        let (inactive, _) = list_all(&zoom, &token, "inactive", 300).await;
        assert!(inactive.is_empty(), "case {case}");
    }

    let zoom = start_case(2).await;
    let token = s2s_token(&zoom).await;
    let last = get(&zoom, "/v2/users?next_page_token=t2", &token).await;
    assert!(!last.body.contains("next_page_token") && !last.body.contains("page_count"));

    let zoom = start_case(4).await;
    let token = s2s_token(&zoom).await;
    let mut all = Vec::new();
    for status in ["active", "inactive", "pending"] {
        all.extend(list_all(&zoom, &token, status, 300).await.0);
    }
    assert_eq!(all.len(), 5);
    assert_eq!(
        all[4],
        json!({"email": "new@example.com", "status": "pending", "type": 1})
    );

    let zoom = start_case(5).await;
    let token = s2s_token(&zoom).await;
    let (rows, _) = list_all(&zoom, &token, "active", 300).await;
    assert_eq!(rows[0]["email"], "Jo.Blogs@Example.com");
}

#[tokio::test]
async fn the_case_scenarios_reproduce_the_token_and_rate_limit_cases() {
    let zoom = start_case(6).await;
    let answer = post_token(&zoom, "grant_type=account_credentials&account_id=acct-demo").await;
    assert_eq!(
        (answer.status, answer.json()["error"].clone()),
        (400, json!("invalid_client"))
    );

    let zoom = start_case(7).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(get(&zoom, "/v2/users", &token).await.json()["code"], 4711);

    let zoom = start_case(8).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(statuses(&zoom, &token, 3).await, [401, 401, 200]);

    let zoom = start_case(9).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(
        get(&zoom, "/v2/users", &token).await.json()["next_page_token"],
        "t2"
    );
    let answer = get(&zoom, "/v2/users?next_page_token=t2", &token).await;
    assert_eq!(answer.json()["message"], "Access token is expired.");
    let answer = get(&zoom, "/v2/users?next_page_token=t2", &token).await;
    assert_eq!(answer.json()["users"].as_array().unwrap().len(), 12);

    let zoom = start_case(10).await;
    let answer = post_token(&zoom, "grant_type=account_credentials&account_id=acct-demo").await;
    assert_eq!(answer.json()["expires_in"], 3599);

    let zoom = start_case(11).await;
    let code = zoom.issue_authorization_code("http://127.0.0.1:8976/callback", None);
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        encode_component("http://127.0.0.1:8976/callback")
    );
    assert!(post_token(&zoom, &form).await.json()["refresh_token"].is_string());
    let target = "/oauth/authorize?response_type=code&client_id=demo-client\
                  &redirect_uri=http%3A%2F%2Fevil.example%2F";
    assert_eq!(send(&zoom, "GET", target, &[], "").await.status, 400);

    let zoom = start_case(12).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(statuses(&zoom, &token, 2).await, [429, 200]);

    let zoom = start_case(13).await;
    let token = s2s_token(&zoom).await;
    assert_eq!(
        statuses(&zoom, &token, 6).await,
        [429, 429, 429, 429, 429, 200]
    );
    assert_eq!(zoom.requests()[1].status, 429);
}
