//! Host-side bindings generated from `wit/`.
//!
//! The WASI interfaces a plugin imports map onto wasmtime's own implementations; only
//! `wasi:keyvalue/store` and `wasi:logging/logging` are implemented by this crate.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "gatehouse:integration/plugin",
    imports: { default: trappable },
    exports: { default: async },
    require_store_data_send: true,
    additional_derives: [PartialEq],
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:keyvalue/store.bucket": crate::keyvalue::Bucket,
    },
});

pub use exports::gatehouse::integration::integration::Guest as IntegrationGuest;
pub use gatehouse::integration::types;
