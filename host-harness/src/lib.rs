//! Runs gatehouse integration plugins, WebAssembly components, in a wasmtime sandbox.
//!
//! A platform embeds this crate to load a plugin, grant it exactly the capabilities it may
//! use, and call it. A plugin gets outbound HTTP to the origins it declared (narrowed by the
//! operator, routed to a mock in tests), a key-value namespace of its own, and a log; no
//! filesystem, environment, sockets or clock tricks. Each call runs under a deadline and a
//! memory limit.
//!
//! ```no_run
//! use std::sync::Arc;
//! use host_harness::{Grants, Host, HostConfig, keyvalue::SqliteBackend};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let host = Host::new(HostConfig::default())?;
//! let plugin = host.load(&std::fs::read("zoom.wasm")?).await?;
//! let store = Arc::new(SqliteBackend::open("gatehouse.db".as_ref())?);
//! let mut session = plugin.session(&Grants::new(store)).await?;
//! let (accounts, summary) = session.list_all(|n| eprintln!("{n} accounts")).await?;
//! println!("{} accounts, complete: {}", accounts.len(), summary.complete);
//! # Ok(())
//! # }
//! ```

pub mod bindings;
pub mod conformance;
pub mod demo;
pub mod errors;
pub mod evaluation;
pub mod http;
pub mod inputs;
pub mod keyvalue;
pub mod logging;
pub mod mock_zoom;
pub mod runtime;

pub use bindings::types;
pub use errors::{CallError, HostError};
pub use runtime::{Grants, Host, HostConfig, InstanceLimits, ListingHandle, Plugin, Session};

/// The Zoom plugin component built with this crate, for the demo and the tests.
pub const ZOOM_PLUGIN_WASM: &[u8] = include_bytes!(env!("GATEHOUSE_ZOOM_WASM"));

/// Where the build put that component.
pub const ZOOM_PLUGIN_PATH: &str = env!("GATEHOUSE_ZOOM_WASM");
