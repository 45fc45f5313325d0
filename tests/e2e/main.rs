//! End-to-end tests: the real Zoom component, run by the real host, against the real mock Zoom
//! over loopback. Helpers live in the crate's library (`tests/lib.rs`).

mod conformance;
mod faults;
mod listing;
mod rate_limits;
mod sandbox;
mod storage;
mod tokens;
