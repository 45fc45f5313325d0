use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Backend, StoreError};

/// A backend on one SQLite file, shared by every plugin the host runs.
///
/// SQLite's journal makes each statement atomic, so a crash mid-write leaves the old value or
/// the new one. The file is created if it does not exist.
pub struct SqliteBackend {
    connection: Mutex<Connection>,
}

impl SqliteBackend {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        create_private(path)?;
        let connection = Connection::open(path)
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 CREATE TABLE IF NOT EXISTS entries (
                     namespace TEXT NOT NULL,
                     key TEXT NOT NULL,
                     value BLOB NOT NULL,
                     PRIMARY KEY (namespace, key)
                 ) WITHOUT ROWID;",
            )
            .map_err(|e| {
                StoreError::Backend(format!("{} is not a usable store: {e}", path.display()))
            })?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // SQLite keeps its own consistency; a panic elsewhere does not corrupt the connection.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Creates a new store file readable by its owner alone: values are encrypted, but namespaces
/// and keys are not, and SQLite gives its journal files the permissions of the database. An
/// existing file keeps the permissions it has.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Backend(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

impl SqliteBackend {
    /// Replaces every value with `rewrite(namespace, key, value)` in one transaction: if any
    /// call fails, nothing changes. Returns how many values were rewritten.
    pub fn rewrite_all(
        &self,
        mut rewrite: impl FnMut(&str, &str, &[u8]) -> Result<Vec<u8>, StoreError>,
    ) -> Result<usize, StoreError> {
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(backend_error)?;
        let rows: Vec<(String, String, Vec<u8>)> = {
            let mut statement = transaction
                .prepare("SELECT namespace, key, value FROM entries")
                .map_err(backend_error)?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .map_err(backend_error)?;
            rows.collect::<Result<_, _>>().map_err(backend_error)?
        };
        for (namespace, key, value) in &rows {
            let value = rewrite(namespace, key, value)?;
            transaction
                .execute(
                    "UPDATE entries SET value = ?3 WHERE namespace = ?1 AND key = ?2",
                    params![namespace, key, value],
                )
                .map_err(backend_error)?;
        }
        transaction.commit().map_err(backend_error)?;
        Ok(rows.len())
    }
}

fn backend_error(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl Backend for SqliteBackend {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.connection()
            .query_row(
                "SELECT value FROM entries WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
                |row| row.get(0),
            )
            .optional()
            .map_err(backend_error)
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.connection()
            .execute(
                "INSERT INTO entries (namespace, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                params![namespace, key, value],
            )
            .map(drop)
            .map_err(backend_error)
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError> {
        self.connection()
            .execute(
                "DELETE FROM entries WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
            )
            .map(drop)
            .map_err(backend_error)
    }

    fn list_keys(
        &self,
        namespace: &str,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare(
                "SELECT key FROM entries WHERE namespace = ?1
                 ORDER BY key LIMIT ?3 OFFSET ?2",
            )
            .map_err(backend_error)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![namespace, offset, limit], |row| row.get(0))
            .map_err(backend_error)?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(backend_error)
    }

    fn used_bytes(&self, namespace: &str) -> Result<u64, StoreError> {
        self.connection()
            .query_row(
                "SELECT COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(value)), 0)
                 FROM entries WHERE namespace = ?1",
                params![namespace],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(backend_error)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// New stores were created 0644: every local user could read which plugins are connected
    /// and under which keys.
    #[test]
    fn a_new_store_and_its_journal_are_readable_by_the_owner_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = SqliteBackend::open(&path).unwrap();
        store.set("zoom", "connection", b"sealed").unwrap();

        assert_eq!(mode(&path), 0o600);
        let wal = dir.path().join("store.db-wal");
        assert!(wal.exists(), "WAL mode keeps a journal beside the store");
        assert_eq!(mode(&wal), 0o600);
    }

    #[test]
    fn an_existing_store_keeps_its_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(SqliteBackend::open(&path).unwrap());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();

        let store = SqliteBackend::open(&path).unwrap();
        store.set("zoom", "k", b"v").unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(store.get("zoom", "k").unwrap().as_deref(), Some(&b"v"[..]));
    }
}
