//! What the plugin keeps between calls: nothing before `connect`, a connection that survives a
//! restart of everything but the SQLite file, a token shared by runs, and nothing after
//! `disconnect`.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_tests::host_harness::keyvalue::{Backend, SqliteBackend};
use gatehouse_tests::host_harness::mock_zoom::{Endpoint, MockConfig};
use gatehouse_tests::host_harness::types::Error;
use gatehouse_tests::host_harness::{Host, HostConfig};
use gatehouse_tests::*;
use serde_json::json;

const HOUR: Duration = Duration::from_secs(3_600);

fn sqlite(path: &std::path::Path) -> Arc<dyn Backend> {
    Arc::new(SqliteBackend::open(path).expect("the store opens"))
}

/// Kind: calls before `connect`. Listing is `NotConnected` and sends nothing; `disconnect`
/// has nothing to do and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_before_connect_is_not_connected_and_sends_nothing() {
    let mock = start(MockConfig::default()).await;
    let store = memory_store();
    let mut session = session(&routed_grants(&mock, store.clone())).await;

    let error = plugin_error(session.list_users().await);

    let Error::NotConnected(message) = &error else {
        panic!("expected not-connected, got {error:?}");
    };
    assert!(message.contains("connect"), "{message}");
    session.disconnect().await.unwrap();
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
    assert!(snapshot(&*store).is_empty());
}

/// Kind: `disconnect` revokes the token at Zoom, deletes every key the plugin stored (the
/// connection and pending authorizations), and a later listing is `NotConnected`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_revokes_the_token_deletes_every_key_and_later_calls_are_not_connected() {
    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    let config = mock.config().clone();
    // An authorization-code flow left half-way also leaves a key behind.
    zoom.session
        .authorize_url(
            &params(&[("client_id", &config.client_id)]),
            "https://example.com/zoom/callback",
        )
        .await
        .unwrap();
    let keys: Vec<String> = snapshot(&*zoom.store).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["authorizations", "connection"]);
    let token = stored_connection(&*zoom.store)["access_token"].clone();

    zoom.session.disconnect().await.unwrap();

    let revokes = requests_to(&mock, Endpoint::Revoke);
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0].status, 200);
    assert_eq!(revokes[0].form_param("token"), token.as_str());
    assert!(snapshot(&*zoom.store).is_empty(), "no key left in `zoom`");
    let error = plugin_error(zoom.session.list_users().await);
    assert!(matches!(error, Error::NotConnected(_)), "{error:?}");
    assert_eq!(mock.count(Endpoint::Users), 0);
}

/// Kind: the token is reused across runs. A second session on the same SQLite store lists with
/// the token `connect` stored: one token request in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_token_is_reused_by_a_later_session_on_the_same_store() {
    let mock = start(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir.path().join("gatehouse.db"));
    let grants = routed_grants(&mock, store.clone());

    let mut first = session(&grants).await;
    first.connect(&s2s_params(&mock)).await.unwrap();
    drop(first);
    let mut second = session(&grants).await;
    let (accounts, summary) = second.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert_eq!(mock.count(Endpoint::Token), 1, "minted by connect only");
    assert_eq!(answered(&mock, 401), 0);
}

/// Kind: a restart. Connect with a SQLite file, drop host, plugin, session and store; a new
/// host with a new store on the same file lists without reconnecting, with the stored token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_store_survives_a_restart_and_lists_without_reconnecting() {
    let mock = start(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gatehouse.db");

    let before = {
        let host = Host::new(HostConfig::default()).unwrap();
        let plugin = zoom_plugin(&host).await;
        let store = sqlite(&path);
        let mut session = plugin
            .session(&routed_grants(&mock, store.clone()))
            .await
            .unwrap();
        session.connect(&s2s_params(&mock)).await.unwrap();
        stored(&*store, CONNECTION_KEY).unwrap()
    };

    let host = Host::new(HostConfig::default()).unwrap();
    let plugin = zoom_plugin(&host).await;
    let store = sqlite(&path);
    assert_eq!(stored(&*store, CONNECTION_KEY).unwrap(), before);
    let mut session = plugin
        .session(&routed_grants(&mock, store.clone()))
        .await
        .unwrap();
    let (accounts, summary) = session.list_all(|_| {}).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert_eq!(mock.count(Endpoint::Token), 1, "no reconnect, no new token");
    let connection = stored_connection(&*store);
    assert_eq!(connection["account_id"], json!(mock.config().account_id));
    assert_eq!(connection["authorized_role"], json!("Owner"));
}

/// Kind: two runs share a store and both find the token stale. The first renews it; the second,
/// which read the old token before that, adopts the stored one instead of minting again (a
/// server-to-server mint would invalidate the first run's token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_another_run_renewed_is_adopted_instead_of_minting_again() {
    let mock = start(MockConfig::default()).await;
    let store = memory_store();
    let start_at = now_whole_seconds();
    let mut grants = routed_grants(&mock, store.clone());
    grants.clock = Some(start_at);
    session(&grants)
        .await
        .connect(&s2s_params(&mock))
        .await
        .unwrap();
    mock.clear_requests();

    mock.advance_clock(HOUR);
    grants.clock = Some(start_at + HOUR);
    let mut slow = session(&grants).await;
    let slow_listing = slow.list_users().await.unwrap();
    let mut fast = session(&grants).await;
    let (_, summary) = fast.list_all(|_| {}).await.unwrap();
    assert!(summary.complete);
    assert_eq!(mock.count(Endpoint::Token), 1, "the fast run renewed");

    let mut accounts = Vec::new();
    while let Some(batch) = slow.next_batch(&slow_listing).await.unwrap() {
        accounts.extend(batch);
    }
    let summary = slow.listing_summary(&slow_listing).await.unwrap();

    assert!(summary.complete, "{summary:?}");
    assert_eq!(accounts.len(), mock.organisation().users().len());
    assert_eq!(mock.count(Endpoint::Token), 1, "the slow run adopted it");
    assert_eq!(answered(&mock, 401), 0);
}

/// Kind: a damaged store. An unreadable connection is a storage error that says to connect
/// again, not a silent "not connected"; `disconnect` still clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_stored_connection_is_a_storage_error_and_disconnect_clears_it() {
    let mock = start(MockConfig::default()).await;
    let store = memory_store();
    store
        .set(NAMESPACE, CONNECTION_KEY, b"{\"version\":1,")
        .unwrap();
    let mut session = session(&routed_grants(&mock, store.clone())).await;

    let error = plugin_error(session.list_users().await);

    let Error::Storage(message) = &error else {
        panic!("expected a storage error, got {error:?}");
    };
    assert!(message.contains("connect again"), "{message}");
    session.disconnect().await.unwrap();
    assert!(snapshot(&*store).is_empty());
    assert_eq!(mock.count(Endpoint::Revoke), 0, "no token to revoke");
}

/// Kind: Zoom refuses the revoke. `disconnect` is best effort at Zoom but thorough at home:
/// every key is deleted all the same, and the refusal is not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_revoke_still_deletes_every_key() {
    use gatehouse_tests::host_harness::mock_zoom::ScriptedResponse;

    let mock = start(MockConfig::default()).await;
    let mut zoom = connected(&mock).await;
    mock.script(
        Endpoint::Revoke,
        vec![ScriptedResponse::oauth_error(
            400,
            "invalid_request",
            "Invalid Token!",
        )],
    );

    zoom.session.disconnect().await.unwrap();

    assert_eq!(mock.count(Endpoint::Revoke), 1);
    assert!(snapshot(&*zoom.store).is_empty());
    let error = plugin_error(zoom.session.list_users().await);
    assert!(matches!(error, Error::NotConnected(_)), "{error:?}");
}
