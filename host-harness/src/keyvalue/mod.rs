//! Key-value storage for plugins: the host side of `wasi:keyvalue/store`.
//!
//! Every plugin sees one bucket, whatever identifier it opens, and that bucket is a namespace
//! keyed by the plugin's id: a plugin can never name, read or list another plugin's keys.
//! Backends implement [`Backend`]; [`SqliteBackend`] persists across runs and [`MemoryBackend`]
//! serves tests and the conformance suite.
//!
//! ```no_run
//! use host_harness::keyvalue::{Backend, SqliteBackend};
//! let store = SqliteBackend::open("gatehouse.db".as_ref()).unwrap();
//! store.set("zoom", "connection", b"{}").unwrap();
//! assert_eq!(store.get("zoom", "connection").unwrap().as_deref(), Some(&b"{}"[..]));
//! ```

mod encrypted;
mod host;
mod memory;
mod sqlite;

pub use encrypted::{Encrypted, KEY_VARIABLE, StoreKey, rotate};
pub use host::{Bucket, KeyValue, KeyValueLimits, KeyValueState, KeyValueView};
pub use memory::MemoryBackend;
pub use sqlite::SqliteBackend;

/// What a storage backend failed to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key-value storage failed: {0}")]
    Backend(String),
    #[error("key-value storage is full: {used} of {limit} bytes used by this plugin")]
    Full { used: u64, limit: u64 },
    #[error("store key: {0}")]
    Key(String),
    #[error("the store was encrypted with a different key; nothing was read or changed")]
    WrongKey,
    #[error("the stored value {namespace}/{key} cannot be decrypted: damaged or moved")]
    Undecryptable { namespace: String, key: String },
}

/// A place to keep plugins' keys, namespaced by plugin id.
///
/// Every write is atomic: a reader, or a crash, sees the old value or the new one, never a mix.
pub trait Backend: Send + Sync {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError>;
    /// Keys of the namespace in byte order, skipping the first `offset`, at most `limit`.
    fn list_keys(
        &self,
        namespace: &str,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;
    /// Bytes used by the namespace's keys and values.
    fn used_bytes(&self, namespace: &str) -> Result<u64, StoreError>;
}
