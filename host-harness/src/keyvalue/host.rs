//! `wasi:keyvalue/store` for one plugin instance, over a shared [`Backend`].

use std::sync::Arc;

use wasmtime::component::{HasData, Resource, ResourceTable};

use super::{Backend, StoreError};
use crate::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};

/// Size limits on what one plugin may store. Each has a documented default.
#[derive(Debug, Clone, Copy)]
pub struct KeyValueLimits {
    /// Longest key in bytes. Default 256.
    pub max_key_bytes: usize,
    /// Largest value in bytes. Default 1 MiB.
    pub max_value_bytes: usize,
    /// All keys and values of one plugin together. Default 16 MiB.
    pub max_total_bytes: u64,
    /// Keys returned by one `list-keys` call. Default 100.
    pub list_page: usize,
}

impl Default for KeyValueLimits {
    fn default() -> Self {
        Self {
            max_key_bytes: 256,
            max_value_bytes: 1024 * 1024,
            max_total_bytes: 16 * 1024 * 1024,
            list_page: 100,
        }
    }
}

/// The bucket resource handed to the guest. It carries nothing: the namespace comes from the
/// instance's [`KeyValueState`], never from the guest, so no identifier can reach another
/// plugin's keys.
pub struct Bucket;

/// Per-instance storage state: which namespace the plugin owns and the backend behind it.
#[derive(Clone)]
pub struct KeyValueState {
    backend: Arc<dyn Backend>,
    namespace: String,
    limits: KeyValueLimits,
}

impl KeyValueState {
    pub fn new(backend: Arc<dyn Backend>, namespace: String, limits: KeyValueLimits) -> Self {
        Self {
            backend,
            namespace,
            limits,
        }
    }

    fn check_key(&self, key: &str) -> Result<(), Error> {
        // Keys come from the guest: bound them so a plugin cannot bloat the index.
        if key.is_empty() || key.len() > self.limits.max_key_bytes {
            return Err(Error::Other(format!(
                "key must be 1 to {} bytes long, got {}",
                self.limits.max_key_bytes,
                key.len()
            )));
        }
        Ok(())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.check_key(key)?;
        if value.len() > self.limits.max_value_bytes {
            return Err(Error::Other(format!(
                "value of {} bytes is over the limit of {} bytes",
                value.len(),
                self.limits.max_value_bytes
            )));
        }
        let used = self.backend.used_bytes(&self.namespace).map_err(to_wit)?;
        let replaced = match self.backend.get(&self.namespace, key).map_err(to_wit)? {
            Some(old) => (key.len() + old.len()) as u64,
            None => 0,
        };
        let after = used - replaced.min(used) + (key.len() + value.len()) as u64;
        if after > self.limits.max_total_bytes {
            return Err(to_wit(StoreError::Full {
                used,
                limit: self.limits.max_total_bytes,
            }));
        }
        self.backend
            .set(&self.namespace, key, value)
            .map_err(to_wit)
    }
}

fn to_wit(error: StoreError) -> Error {
    tracing::error!(%error, "key-value backend failed");
    Error::Other(error.to_string())
}

/// The borrow of a store's data that the generated bindings work on.
pub struct KeyValueView<'a> {
    pub state: &'a mut KeyValueState,
    pub table: &'a mut ResourceTable,
}

/// Marker type naming [`KeyValueView`] for `add_to_linker`.
pub struct KeyValue;

impl HasData for KeyValue {
    type Data<'a> = KeyValueView<'a>;
}

impl store::Host for KeyValueView<'_> {
    fn open(&mut self, _identifier: String) -> wasmtime::Result<Result<Resource<Bucket>, Error>> {
        Ok(Ok(self.table.push(Bucket)?))
    }
}

impl store::HostBucket for KeyValueView<'_> {
    fn get(
        &mut self,
        _bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(self.state.check_key(&key).and_then(|()| {
            self.state
                .backend
                .get(&self.state.namespace, &key)
                .map_err(to_wit)
        }))
    }

    fn set(
        &mut self,
        _bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.state.set(&key, &value))
    }

    fn delete(
        &mut self,
        _bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.state.check_key(&key).and_then(|()| {
            self.state
                .backend
                .delete(&self.state.namespace, &key)
                .map_err(to_wit)
        }))
    }

    fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        Ok(self.get(bucket, key)?.map(|value| value.is_some()))
    }

    fn list_keys(
        &mut self,
        _bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> wasmtime::Result<Result<KeyResponse, Error>> {
        let offset = cursor.unwrap_or(0);
        let page = self.state.limits.list_page;
        let keys = match self
            .state
            .backend
            .list_keys(&self.state.namespace, offset, page)
        {
            Ok(keys) => keys,
            Err(error) => return Ok(Err(to_wit(error))),
        };
        let cursor = (keys.len() == page).then(|| offset + keys.len() as u64);
        Ok(Ok(KeyResponse { keys, cursor }))
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}
