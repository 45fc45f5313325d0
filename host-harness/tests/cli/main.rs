//! The `harness` binary as a person runs it: one process per command, a SQLite store and a
//! compiled-component cache in a temporary directory per test, and a mock Zoom on loopback
//! that each test starts in-process, so it can count what the plugin asked for. The cache starts
//! with the plugin compiled once for the whole run (`Sandbox::new`); tests about compiling use
//! an empty one (`Sandbox::cold`).
//!
//! Every test sets `HOME`, `XDG_DATA_HOME` and `XDG_CACHE_HOME` to its own temporary
//! directories and clears the rest of the environment, so nothing reads or writes the real
//! user's directories and the user's `RUST_LOG` changes nothing. The only network traffic is to
//! loopback servers the tests start.
//!
//! Modules follow the verbs: `inspect`, `connection` (connect, disconnect, authorize-url and
//! the store), `list_users`, `evaluate`, `demo` (demo and mock-zoom), `secrets` (what must
//! never be printed) and `usage` (bad command lines).

mod connection;
mod demo;
mod evaluate;
mod inspect;
mod list_users;
mod secrets;
mod support;
mod usage;
