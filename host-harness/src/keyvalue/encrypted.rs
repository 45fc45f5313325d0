//! Encryption at rest: every value a plugin stores (tokens, client secrets) is sealed with
//! XChaCha20-Poly1305 under a key the host owns, before it reaches the backend.
//!
//! The key is 32 bytes, given as 64 hex characters in `GATEHOUSE_STORE_KEY` or kept in a key
//! file that [`StoreKey::load_or_create`] creates with mode 0600 next to a new store. The
//! namespace and key name are bound into each value as associated data, so a sealed value
//! copied under another key or plugin fails to open instead of being accepted.
//!
//! A store remembers a check value sealed under its key. Opening it with another key fails
//! with [`StoreError::WrongKey`] before anything is read or written, so a wrong key can never
//! damage the store.
//!
//! # Rotating the key
//!
//! [`rotate`] re-seals every value under a new key in one SQLite transaction: all values move
//! to the new key, or none do. With the CLI: `harness rotate-key --store DB --new-key-file
//! NEW` (the old key comes from the usual place); then replace the old key with the new one.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

use super::{Backend, SqliteBackend, StoreError};

/// The environment variable that may hold the key, as 64 hex characters.
pub const KEY_VARIABLE: &str = "GATEHOUSE_STORE_KEY";

/// Where the host keeps its own records; plugin ids are lower-case words and cannot be this.
const HOST_NAMESPACE: &str = "#gatehouse";
const CHECK_KEY: &str = "key-check";
const CHECK_PLAINTEXT: &[u8] = b"gatehouse store key check v1";
const NONCE_BYTES: usize = 24;

/// A 32-byte store key, wiped from memory when dropped.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl StoreKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Parses 64 hex characters (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let invalid = || StoreError::Key("a store key is 64 hex characters (32 bytes)".into());
        if text.len() != 64 || !text.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(Self::from_bytes(bytes))
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The key from [`KEY_VARIABLE`], else from `key_file`; when neither exists and the store
    /// does not exist yet, a new key is written to `key_file` with mode 0600.
    pub fn load_or_create(key_file: &Path, store: &Path) -> Result<Self, StoreError> {
        if let Ok(hex) = std::env::var(KEY_VARIABLE) {
            return Self::from_hex(&hex)
                .map_err(|e| StoreError::Key(format!("{KEY_VARIABLE}: {e}")));
        }
        match std::fs::read_to_string(key_file) {
            Ok(hex) => {
                return Self::from_hex(&hex)
                    .map_err(|e| StoreError::Key(format!("{}: {e}", key_file.display())));
            }
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Key(format!(
                    "cannot read {}: {error}",
                    key_file.display()
                )));
            }
            Err(_) => {}
        }
        if store.exists() {
            return Err(StoreError::Key(format!(
                "{} exists but its key file {} does not; set {KEY_VARIABLE} or restore the key \
                 file (a new key cannot open the stored values)",
                store.display(),
                key_file.display()
            )));
        }
        let key = Self::generate();
        write_private(key_file, key.to_hex().as_bytes())?;
        Ok(key)
    }

    /// The default key file of a store: `store.db` → `store.db.key`.
    pub fn default_file(store: &Path) -> PathBuf {
        let mut name = store.as_os_str().to_owned();
        name.push(".key");
        PathBuf::from(name)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }
}

/// Creates `path` readable by its owner alone, and refuses to overwrite.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let fail = |e: std::io::Error| StoreError::Key(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(fail)
}

fn aad(namespace: &str, key: &str) -> Vec<u8> {
    [namespace.as_bytes(), b"\0", key.as_bytes()].concat()
}

fn seal(key: &StoreKey, namespace: &str, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rng().fill_bytes(&mut nonce);
    let aad = aad(namespace, name);
    let sealed = key
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: value,
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Backend("encryption failed".into()))?;
    Ok([&nonce[..], &sealed].concat())
}

fn open(key: &StoreKey, namespace: &str, name: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
    let undecryptable = || StoreError::Undecryptable {
        namespace: namespace.into(),
        key: name.into(),
    };
    if sealed.len() < NONCE_BYTES {
        return Err(undecryptable());
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let aad = aad(namespace, name);
    key.cipher()
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| undecryptable())
}

/// A backend whose values are sealed under a [`StoreKey`].
pub struct Encrypted<B> {
    inner: B,
    key: StoreKey,
}

impl<B: Backend> Encrypted<B> {
    /// Wraps `inner`, checking (or, for an empty store, recording) that `key` is its key.
    pub fn new(inner: B, key: StoreKey) -> Result<Self, StoreError> {
        match inner.get(HOST_NAMESPACE, CHECK_KEY)? {
            Some(check) => {
                let plain = open(&key, HOST_NAMESPACE, CHECK_KEY, &check)
                    .map_err(|_| StoreError::WrongKey)?;
                if plain != CHECK_PLAINTEXT {
                    return Err(StoreError::WrongKey);
                }
            }
            None => {
                let check = seal(&key, HOST_NAMESPACE, CHECK_KEY, CHECK_PLAINTEXT)?;
                inner.set(HOST_NAMESPACE, CHECK_KEY, &check)?;
            }
        }
        Ok(Self { inner, key })
    }
}

impl<B: Backend> Backend for Encrypted<B> {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.inner.get(namespace, key)? {
            Some(sealed) => open(&self.key, namespace, key, &sealed).map(Some),
            None => Ok(None),
        }
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner
            .set(namespace, key, &seal(&self.key, namespace, key, value)?)
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), StoreError> {
        self.inner.delete(namespace, key)
    }

    fn list_keys(
        &self,
        namespace: &str,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.list_keys(namespace, offset, limit)
    }

    fn used_bytes(&self, namespace: &str) -> Result<u64, StoreError> {
        self.inner.used_bytes(namespace)
    }
}

/// Re-seals every value of a SQLite store from `old` to `new`, all or nothing.
pub fn rotate(store: &SqliteBackend, old: &StoreKey, new: &StoreKey) -> Result<usize, StoreError> {
    store.rewrite_all(|namespace, key, sealed| {
        let plain = Zeroizing::new(open(old, namespace, key, sealed).map_err(|e| match e {
            StoreError::Undecryptable { .. } if namespace == HOST_NAMESPACE => StoreError::WrongKey,
            other => other,
        })?);
        seal(new, namespace, key, &plain)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        (dir, path)
    }

    #[test]
    fn values_are_not_stored_in_the_clear() {
        let (_dir, path) = temp_store();
        let store =
            Encrypted::new(SqliteBackend::open(&path).unwrap(), StoreKey::generate()).unwrap();
        store
            .set("zoom", "connection", b"client secret: hunter2-very-secret")
            .unwrap();
        drop(store);

        let raw = std::fs::read(&path).unwrap();
        let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
        for bytes in [raw, wal] {
            assert!(
                !bytes.windows(7).any(|w| w == b"hunter2"),
                "secret found in the file"
            );
        }
    }

    #[test]
    fn a_store_opened_with_the_wrong_key_fails_clearly_and_stays_intact() {
        let (_dir, path) = temp_store();
        let right = StoreKey::generate();
        let store = Encrypted::new(SqliteBackend::open(&path).unwrap(), right.clone()).unwrap();
        store.set("zoom", "connection", b"token").unwrap();
        drop(store);

        let error = Encrypted::new(SqliteBackend::open(&path).unwrap(), StoreKey::generate())
            .err()
            .expect("the wrong key must be refused");
        assert!(matches!(error, StoreError::WrongKey));
        assert!(error.to_string().contains("different key"), "{error}");

        let store = Encrypted::new(SqliteBackend::open(&path).unwrap(), right).unwrap();
        assert_eq!(
            store.get("zoom", "connection").unwrap().as_deref(),
            Some(&b"token"[..])
        );
    }

    #[test]
    fn a_value_moved_under_another_key_does_not_open() {
        let (_dir, path) = temp_store();
        let key = StoreKey::generate();
        let inner = SqliteBackend::open(&path).unwrap();
        let store = Encrypted::new(inner, key.clone()).unwrap();
        store.set("zoom", "connection", b"token").unwrap();

        let raw = SqliteBackend::open(&path).unwrap();
        let sealed = raw.get("zoom", "connection").unwrap().unwrap();
        raw.set("other", "connection", &sealed).unwrap();
        assert!(matches!(
            store.get("other", "connection"),
            Err(StoreError::Undecryptable { .. })
        ));
    }

    #[test]
    fn rotating_the_key_reseals_every_value() {
        let (_dir, path) = temp_store();
        let (old, new) = (StoreKey::generate(), StoreKey::generate());
        let store = Encrypted::new(SqliteBackend::open(&path).unwrap(), old.clone()).unwrap();
        store.set("zoom", "connection", b"token").unwrap();
        store.set("slack", "connection", b"other").unwrap();
        drop(store);

        let rotated = rotate(&SqliteBackend::open(&path).unwrap(), &old, &new).unwrap();
        assert_eq!(rotated, 3, "two values and the check record");
        assert!(Encrypted::new(SqliteBackend::open(&path).unwrap(), old.clone()).is_err());
        let store = Encrypted::new(SqliteBackend::open(&path).unwrap(), new).unwrap();
        assert_eq!(
            store.get("slack", "connection").unwrap().as_deref(),
            Some(&b"other"[..])
        );
    }

    #[test]
    fn rotating_with_the_wrong_old_key_changes_nothing() {
        let (_dir, path) = temp_store();
        let key = StoreKey::generate();
        let store = Encrypted::new(SqliteBackend::open(&path).unwrap(), key.clone()).unwrap();
        store.set("zoom", "connection", b"token").unwrap();
        drop(store);

        let wrong = StoreKey::generate();
        assert!(rotate(&SqliteBackend::open(&path).unwrap(), &wrong, &wrong).is_err());
        let store = Encrypted::new(SqliteBackend::open(&path).unwrap(), key).unwrap();
        assert_eq!(
            store.get("zoom", "connection").unwrap().as_deref(),
            Some(&b"token"[..])
        );
    }

    #[test]
    fn key_files_are_created_private_only_for_new_stores() {
        let (dir, path) = temp_store();
        let key_file = StoreKey::default_file(&path);
        let key = StoreKey::load_or_create(&key_file, &path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = StoreKey::load_or_create(&key_file, &path).unwrap();
        assert_eq!(*key.0, *again.0);

        std::fs::write(&path, b"").unwrap();
        let lost = dir.path().join("lost.key");
        let error = StoreKey::load_or_create(&lost, &path).unwrap_err();
        assert!(error.to_string().contains("key file"), "{error}");
        assert!(!lost.exists());
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(StoreKey::from_hex("abc").is_err());
        assert!(StoreKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(StoreKey::from_hex(&format!(" {} \n", "ab".repeat(32))).is_ok());
    }
}
