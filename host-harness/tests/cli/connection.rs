//! `connect`, `disconnect` and `authorize-url`, and the SQLite store that carries a connection
//! from one process to the next.

use host_harness::mock_zoom::{DEFAULT_CLIENT_ID, Endpoint};

use crate::support::{Mock, SECRET_VAR, Sandbox, connect, connect_to, connected};

#[test]
fn connect_with_the_secret_from_the_environment_prints_account_and_authorising_user() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let owner = mock.organisation().users()[0].email();

    let run = connect(&sandbox, &mock).run().expect_code(0);

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "connected to account acct-demo", "{}", run.stdout);
    assert!(lines.contains(&"  method         server-to-server"));
    assert!(
        lines.contains(&format!("  authorised by  {owner} (Owner)").as_str()),
        "{}",
        run.stdout
    );
    assert_eq!(mock.count(Endpoint::Token), 1);
    assert!(sandbox.store().is_file());
}

#[test]
fn connect_with_the_secret_from_a_file_drops_the_trailing_newline() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let secret = sandbox.write("secret.txt", format!("{}\n", mock.config().client_secret));

    let run = sandbox
        .harness("connect")
        .zoom_via(&mock, &sandbox.store())
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .arg("--param-file")
        .arg(format!("client_secret={}", secret.display()))
        .run()
        .expect_code(0);

    assert!(
        run.stdout.starts_with("connected to account acct-demo\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_second_process_lists_with_the_stored_token_without_asking_for_another() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    assert_eq!(mock.count(Endpoint::Token), 1);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--format", "json"])
        .run()
        .expect_code(0);

    assert_eq!(
        mock.count(Endpoint::Token),
        1,
        "the token stored by connect is reused"
    );
    assert!(mock.count(Endpoint::Users) > 0);
    assert_eq!(run.json()["accounts"].as_array().map(Vec::len), Some(2_400));
}

#[test]
fn given_store_and_cache_leave_the_user_directories_empty() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .run()
        .expect_code(0);

    for dir in sandbox.user_dirs() {
        let entries: Vec<_> = std::fs::read_dir(&dir).expect("a sandbox dir").collect();
        assert!(
            entries.is_empty(),
            "{} was written to: {entries:?}",
            dir.display()
        );
    }
}

#[test]
fn connect_with_a_wrong_secret_fails_and_keeps_the_earlier_connection() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    connect(&sandbox, &mock)
        .env(SECRET_VAR, "not-the-secret")
        .run()
        .expect_error(&["invalid credentials", "client id or secret"]);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .run()
        .expect_code(0);
    assert_eq!(
        run.stdout.lines().count(),
        2_401,
        "a header and every account"
    );
    assert_eq!(run.stderr.trim(), "2400 accounts, listing complete");
}

#[test]
fn failed_connects_of_every_kind_leave_the_stored_connection_working() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let store = sandbox.store();
    let base = || sandbox.harness("connect").zoom_via(&mock, &store);

    base()
        .args([
            "--param",
            "account_id=acct-wrong",
            "--param",
            "client_id=demo-client",
        ])
        .args(["--param", "client_secret=demo-secret"])
        .run()
        .expect_error(&["invalid credentials", "account id"]);
    base()
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .run()
        .expect_error(&["client_secret"]);
    base()
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .args(["--param-env", "client_secret=UNSET_VAR"])
        .run()
        .expect_error(&["UNSET_VAR"]);

    sandbox
        .harness("list-users")
        .zoom_via(&mock, &store)
        .run()
        .expect_code(0);
}

#[test]
fn disconnect_forgets_the_connection_and_list_users_then_says_not_connected() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = sandbox
        .harness("disconnect")
        .zoom_via(&mock, &sandbox.store())
        .run()
        .expect_code(0);
    assert!(run.stderr.contains("disconnected"), "{}", run.stderr);

    let users_before = mock.count(Endpoint::Users);
    sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .run()
        .expect_error(&["not connected", "run connect first"]);
    assert_eq!(
        mock.count(Endpoint::Users),
        users_before,
        "nothing to list with"
    );
}

#[test]
fn list_users_before_any_connect_says_not_connected() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .run()
        .expect_error(&["not connected"]);
    assert!(mock.requests().is_empty());
}

#[test]
fn a_store_that_is_not_a_database_is_refused_and_left_unchanged() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let precious = sandbox.write("staff.csv", "email,status\njo@acme.example,active\n");
    let before = std::fs::read(&precious).unwrap();

    connect_to(&sandbox, &mock, &precious)
        .run()
        .expect_error(&[&precious.display().to_string()]);

    assert_eq!(std::fs::read(&precious).unwrap(), before);
    assert!(mock.requests().is_empty());
}

/// The authorization URL as printed, split into its query parameters.
fn authorize(sandbox: &Sandbox, mock: &Mock, redirect_uri: &str) -> url::Url {
    let run = sandbox
        .harness("authorize-url")
        .zoom_via(mock, &sandbox.store())
        .args(["--param", &format!("client_id={DEFAULT_CLIENT_ID}")])
        .args(["--redirect-uri", redirect_uri])
        .run()
        .expect_code(0);
    assert_eq!(
        run.stdout.lines().count(),
        1,
        "stdout is the URL alone:\n{}",
        run.stdout
    );
    url::Url::parse(run.stdout.trim()).expect("a URL")
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn authorize_url_prints_zooms_authorize_page_with_state_and_an_s256_challenge() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    let url = authorize(&sandbox, &mock, "http://127.0.0.1:9/cb");

    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), Some("zoom.us"));
    assert_eq!(url.path(), "/oauth/authorize");
    assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(&url, "client_id").as_deref(), Some(DEFAULT_CLIENT_ID));
    assert_eq!(
        query(&url, "redirect_uri").as_deref(),
        Some("http://127.0.0.1:9/cb")
    );
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let state = query(&url, "state").expect("state");
    let challenge = query(&url, "code_challenge").expect("code_challenge");
    assert!(state.len() >= 16, "state {state:?} is hard to guess");
    // base64url of a SHA-256 digest, without padding.
    assert_eq!(challenge.len(), 43, "{challenge}");
    assert!(
        mock.requests().is_empty(),
        "printing the URL needs no request"
    );
}

#[test]
fn authorize_url_twice_gives_a_fresh_state_and_challenge() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    let first = authorize(&sandbox, &mock, "http://127.0.0.1:9/cb");
    let second = authorize(&sandbox, &mock, "http://127.0.0.1:9/cb");

    assert_ne!(query(&first, "state"), query(&second, "state"));
    assert_ne!(
        query(&first, "code_challenge"),
        query(&second, "code_challenge")
    );
}

#[test]
fn the_code_from_authorize_url_connects_in_a_later_process() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let redirect_uri = "http://127.0.0.1:9/cb";
    let url = authorize(&sandbox, &mock, redirect_uri);
    let state = query(&url, "state").expect("state");
    let challenge = query(&url, "code_challenge").expect("code_challenge");
    // What Zoom's consent page would hand the redirect: a code bound to that challenge.
    let code = mock.issue_authorization_code(redirect_uri, Some(&challenge));

    let run = sandbox
        .harness("connect")
        .zoom_via(&mock, &sandbox.store())
        .args(["--param", "auth=authorization-code"])
        .args(["--param", &format!("client_id={DEFAULT_CLIENT_ID}")])
        .args(["--param-env", &format!("client_secret={SECRET_VAR}")])
        .args(["--param", &format!("redirect_uri={redirect_uri}")])
        .args(["--param-env", "code=ZOOM_CODE"])
        .args(["--param", &format!("state={state}")])
        .env(SECRET_VAR, &mock.config().client_secret)
        .env("ZOOM_CODE", &code)
        .run()
        .expect_code(0);

    assert!(
        run.stdout.contains("  method         authorization-code"),
        "{}",
        run.stdout
    );
    let exchange = mock
        .requests()
        .into_iter()
        .find(|r| r.endpoint == Some(Endpoint::Token))
        .expect("a token request");
    assert_eq!(
        exchange.form_param("grant_type"),
        Some("authorization_code")
    );
    assert!(
        exchange.form_param("code_verifier").is_some(),
        "PKCE verifier sent"
    );
    assert!(!run.output().contains(&code), "the code is a secret too");

    sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .run()
        .expect_code(0);
}

#[test]
fn a_code_with_the_wrong_state_is_refused() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();
    let redirect_uri = "http://127.0.0.1:9/cb";
    let url = authorize(&sandbox, &mock, redirect_uri);
    let challenge = query(&url, "code_challenge").expect("code_challenge");
    let code = mock.issue_authorization_code(redirect_uri, Some(&challenge));

    let run = sandbox
        .harness("connect")
        .zoom_via(&mock, &sandbox.store())
        .args(["--param", "auth=authorization-code"])
        .args(["--param", &format!("client_id={DEFAULT_CLIENT_ID}")])
        .args(["--param-env", &format!("client_secret={SECRET_VAR}")])
        .args(["--param", &format!("redirect_uri={redirect_uri}")])
        .args(["--param-env", "code=ZOOM_CODE"])
        .args(["--param", "state=forged-state"])
        .env(SECRET_VAR, &mock.config().client_secret)
        .env("ZOOM_CODE", &code)
        .run()
        .expect_code(2);

    assert!(run.stderr.contains("state"), "{}", run.stderr);
    assert_eq!(
        mock.count(Endpoint::Token),
        0,
        "a forged state never reaches Zoom"
    );
}

/// Connect and list with no `--store` and no `--cache-dir`, each with `mock`'s routes.
fn connect_and_list_with_defaults(sandbox: &Sandbox, mock: &Mock, unset: &[&str]) {
    let config = mock.config();
    let mut connect = sandbox
        .harness_with_defaults("connect")
        .arg("zoom")
        .args(mock.routes())
        .args(["--param", &format!("account_id={}", config.account_id)])
        .args(["--param", &format!("client_id={}", config.client_id)])
        .args(["--param-env", &format!("client_secret={SECRET_VAR}")])
        .env(SECRET_VAR, &config.client_secret);
    let mut list = sandbox
        .harness_with_defaults("list-users")
        .arg("zoom")
        .args(mock.routes());
    for name in unset {
        connect = connect.env_remove(name);
        list = list.env_remove(name);
    }

    connect.run().expect_code(0);
    list.run().expect_code(0);
    assert_eq!(
        mock.count(Endpoint::Token),
        1,
        "list-users found connect's store"
    );
}

#[test]
fn without_store_and_cache_flags_the_xdg_directories_are_used() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    connect_and_list_with_defaults(&sandbox, &mock, &[]);

    let [_, data, cache] = sandbox.user_dirs();
    assert!(data.join("gatehouse/store.db").is_file());
    let components = std::fs::read_dir(cache.join("gatehouse/components"))
        .expect("a component cache")
        .count();
    assert!(components > 0, "the compiled component is cached");
}

#[test]
fn without_xdg_variables_the_store_and_cache_live_under_home() {
    let sandbox = Sandbox::new();
    let mock = Mock::start();

    connect_and_list_with_defaults(&sandbox, &mock, &["XDG_DATA_HOME", "XDG_CACHE_HOME"]);

    let [home, data, cache] = sandbox.user_dirs();
    assert!(home.join(".local/share/gatehouse/store.db").is_file());
    assert!(home.join(".cache/gatehouse/components").is_dir());
    for unused in [data, cache] {
        assert_eq!(
            std::fs::read_dir(&unused).unwrap().count(),
            0,
            "{}",
            unused.display()
        );
    }
}

/// `--route` flags to a loopback port where nothing listens.
fn routes_to_nowhere() -> [String; 4] {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    [
        "--route".into(),
        format!("zoom.us={url}"),
        "--route".into(),
        format!("api.zoom.us={url}"),
    ]
}

#[test]
fn connect_to_an_unreachable_zoom_gives_up_with_a_connection_error() {
    let sandbox = Sandbox::new();

    let run = sandbox
        .harness("connect")
        .zoom_offline(&sandbox.store())
        .args(routes_to_nowhere())
        .args([
            "--param",
            "account_id=acct-demo",
            "--param",
            "client_id=demo-client",
        ])
        .args(["--param", "client_secret=demo-secret"])
        .run()
        .expect_code(2);

    let error = run.stderr.lines().last().unwrap_or_default();
    assert!(error.starts_with("error: "), "{}", run.stderr);
    assert!(
        error.contains("/oauth/token") && error.contains("connection failed"),
        "{error}"
    );
}

#[test]
fn allow_narrower_than_the_plugin_needs_names_the_refused_origin() {
    let mock = Mock::start();
    let sandbox = connected(&mock);
    let api_requests = mock.count(Endpoint::Users) + mock.count(Endpoint::Roles);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--allow", "https://zoom.us"])
        .run()
        .expect_code(2);

    assert!(
        run.stderr
            .contains("https://api.zoom.us is not an allowed origin"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("error: "))
    );
    assert_eq!(
        mock.count(Endpoint::Users) + mock.count(Endpoint::Roles),
        api_requests,
        "the refused requests never left the host"
    );
}

#[test]
fn a_refused_request_is_explained_once() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--allow", "https://zoom.us"])
        .run()
        .expect_code(2);

    let error = run.stderr.lines().last().unwrap_or_default();
    assert_eq!(
        error.matches("the host refused the request").count(),
        1,
        "{error}"
    );
}

#[test]
fn warnings_written_to_a_pipe_carry_no_colour_codes() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .args(["--allow", "https://zoom.us"])
        .run()
        .expect_code(2);

    assert!(
        run.stderr.contains("WARN"),
        "a warning is logged:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

#[test]
fn a_route_for_a_host_the_plugin_does_not_declare_is_reported() {
    let mock = Mock::start();
    let sandbox = connected(&mock);

    // Both real hosts still go to the mock, so the typo cannot reach Zoom.
    let run = sandbox
        .harness("list-users")
        .zoom_via(&mock, &sandbox.store())
        .arg("--route")
        .arg(format!("api.zoom.com={}", mock.base_url()))
        .run();

    assert!(run.stderr.contains("api.zoom.com"), "{}", run.stderr);
}

/// `disconnect`, `list-users` and `evaluate` once created a new, empty store (and key file)
/// wherever a mistyped `--store` pointed.
#[test]
fn verbs_that_need_a_connection_do_not_create_a_store() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path("typo.db");

    let run = sandbox
        .harness("disconnect")
        .zoom_offline(&missing)
        .run()
        .expect_code(0);
    assert!(
        run.stderr
            .contains("nothing to disconnect: there is no store at"),
        "{}",
        run.stderr
    );
    sandbox
        .harness("list-users")
        .zoom_offline(&missing)
        .run()
        .expect_error(&["there is no store at", "harness connect"]);

    assert!(!missing.exists());
    assert!(!sandbox.path("typo.db.key").exists());
}
