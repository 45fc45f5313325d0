//! The Zoom integration plugin: a `wasm32-wasip2` component exporting the gatehouse
//! `integration` interface.
//!
//! The logic is plain Rust so that it compiles and is tested natively too: [`zoom`] talks to
//! Zoom through a [`zoom::platform::Platform`], [`evaluate`] is pure, and both work on the
//! types in [`model`]. Only `component` (built for wasm alone) knows WIT and WASI.

#[cfg(target_arch = "wasm32")]
mod component;
pub mod evaluate;
pub mod model;
pub mod zoom;
