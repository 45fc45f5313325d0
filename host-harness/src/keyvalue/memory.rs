use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{Backend, StoreError};

/// An in-memory backend: nothing survives the process. For tests and the conformance suite.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    entries: Mutex<BTreeMap<(String, String), Vec<u8>>>,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Vec<u8>>> {
        // A panic while holding the lock cannot leave a half-written entry (inserts are
        // single operations), so the data behind a poisoned lock is still sound.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Backend for MemoryBackend {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .entries()
            .get(&(namespace.to_owned(), key.to_owned()))
            .cloned())
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.entries()
            .insert((namespace.to_owned(), key.to_owned()), value.to_vec());
        Ok(())
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError> {
        self.entries()
            .remove(&(namespace.to_owned(), key.to_owned()));
        Ok(())
    }

    fn list_keys(
        &self,
        namespace: &str,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let entries = self.entries();
        let keys = entries
            .keys()
            .filter(|(ns, _)| ns == namespace)
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit)
            .map(|(_, key)| key.clone())
            .collect();
        Ok(keys)
    }

    fn used_bytes(&self, namespace: &str) -> Result<u64, StoreError> {
        let entries = self.entries();
        let used = entries
            .iter()
            .filter(|((ns, _), _)| ns == namespace)
            .map(|((_, key), value)| (key.len() + value.len()) as u64)
            .sum();
        Ok(used)
    }
}
