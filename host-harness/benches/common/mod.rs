//! What the benchmarks share: the mock, the component under test, the native baseline's
//! platform, and the evaluation inputs. See BENCHMARKS.md at the repository root.

#![allow(dead_code, reason = "each benchmark binary uses a part of this module")]

pub mod convert;
pub mod data;
pub mod native;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_zoom::model;
use gatehouse_zoom::zoom::{self, Listing};
use host_harness::keyvalue::MemoryBackend;
use host_harness::mock_zoom::{MockConfig, MockZoom};
use host_harness::{Grants, Host, HostConfig, InstanceLimits, Plugin, types};

use self::native::NativePlatform;

/// A runtime like the `harness` binary's: multi-threaded, the mock serving on its workers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The product's defaults, except limits wide enough for a million accounts: 4 GiB of guest
/// memory (all wasm32 can address) and ten minutes a call.
pub fn host_config(cache_dir: Option<PathBuf>) -> HostConfig {
    HostConfig {
        limits: InstanceLimits {
            memory_bytes: 1 << 32,
            deadline: Duration::from_secs(600),
            fuel: None,
        },
        cache_dir,
        ..HostConfig::default()
    }
}

/// A mock Zoom of `accounts` accounts (85/10/5 % active/inactive/pending) that keeps no
/// request log and lets every server-to-server token live, so that the component and the
/// baseline can hold a token each.
pub async fn mock(accounts: usize) -> MockZoom {
    let config = MockConfig {
        record_requests: false,
        rotate_s2s_tokens: false,
        ..MockConfig::with_accounts(accounts)
    };
    MockZoom::start(config).await.expect("mock zoom starts")
}

fn s2s_pairs(mock: &MockZoom) -> Vec<(String, String)> {
    let config = mock.config();
    [
        ("auth", "server-to-server"),
        ("account_id", config.account_id.as_str()),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.as_str()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// The Zoom component, loaded and connected to `mock` (the token kept in memory).
pub struct Component {
    pub host: Host,
    pub plugin: Plugin,
    pub grants: Grants,
}

impl Component {
    pub async fn connect(mock: &MockZoom) -> Component {
        let host = Host::new(host_config(None)).expect("host");
        let plugin = host
            .load(host_harness::ZOOM_PLUGIN_WASM)
            .await
            .expect("zoom plugin loads");
        let mut grants = Grants::new(Arc::new(MemoryBackend::new()));
        for name in ["zoom.us", "api.zoom.us"] {
            let route = format!("{name}={}", mock.base_url())
                .parse()
                .expect("route");
            grants.routes.push(route);
        }
        let params: Vec<types::Parameter> = s2s_pairs(mock)
            .into_iter()
            .map(|(name, value)| types::Parameter { name, value })
            .collect();
        let mut session = plugin.session(&grants).await.expect("session");
        session.connect(&params).await.expect("component connects");
        Component {
            host,
            plugin,
            grants,
        }
    }

    /// One whole listing in a fresh instance, as `harness list-users` does it.
    pub async fn list(&self) -> (Vec<types::Account>, types::ListingSummary) {
        let mut session = self.plugin.session(&self.grants).await.expect("session");
        session.list_all(|_| {}).await.expect("component lists")
    }
}

/// The baseline, connected to `mock`.
pub fn native_connect(mock: &MockZoom) -> NativePlatform {
    let mut platform = NativePlatform::new(mock.addr());
    zoom::connect(&mut platform, &s2s_pairs(mock)).expect("native client connects");
    platform
}

/// One whole listing by the same client code, compiled natively.
pub fn native_list(platform: &mut NativePlatform) -> (Vec<model::Account>, model::ListingSummary) {
    let mut listing = Listing::start(platform).expect("native listing starts");
    let mut accounts = Vec::new();
    while let Some(batch) = listing.next(platform).expect("native listing page") {
        accounts.extend(batch);
    }
    (accounts, listing.summary())
}

/// Median of some durations (the upper one of the middle two for an even count).
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
