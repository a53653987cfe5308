//! [`FileLeaseStore`]: the lease volume's one JSON document.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use qsec_core::{LEASE_BUNDLE_FORMAT, LeaseBundle, LeaseStore};

use crate::error::{Error, Result};

/// The file name used inside a lease directory.
pub const LEASE_FILE_NAME: &str = "leases.json";

/// Keeps a [`LeaseBundle`] in one JSON file, mode 0600, replaced atomically
/// (written beside it, synced, renamed over it), so the refresh sidecar never
/// reads half a bundle and no other user can read the token.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use qsec_core::{LeaseBundle, LeaseStore, StoredToken};
/// use qsec_vault::FileLeaseStore;
///
/// let dir = std::env::temp_dir().join(format!("qsec-doc-{}", std::process::id()));
/// let store = FileLeaseStore::in_dir(&dir);
/// let token = StoredToken { token: "hvs.x".into(), accessor: "a".into(), lease_duration: 300, renewable: true, obtained_at: 0 };
/// store.save(&LeaseBundle::new(None, token, vec![])).await?;
/// assert_eq!(store.load().await?.unwrap().token.accessor, "a");
/// store.remove().await?;
/// assert!(store.load().await?.is_none());
/// # std::fs::remove_dir_all(&dir)?; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileLeaseStore {
    path: PathBuf,
}

impl FileLeaseStore {
    /// A store at exactly `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// A store at [`LEASE_FILE_NAME`] inside `dir` (the lease volume).
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        Self::at(dir.as_ref().join(LEASE_FILE_NAME))
    }

    /// The file it keeps.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, reason: impl Into<String>) -> Error {
        Error::LeaseFile { path: self.path.display().to_string(), reason: reason.into() }
    }

    fn save_blocking(&self, bundle: &LeaseBundle) -> Result<()> {
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.error(format!("creating its directory: {e}")))?;
        let json = serde_json::to_vec_pretty(bundle).map_err(|e| self.error(format!("encoding: {e}")))?;
        let temporary = dir.join(format!(".{LEASE_FILE_NAME}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file =
                std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
            // The mode above only applies to new files; a stale temporary
            // from a crash might have kept wider permissions.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(self.error(format!("writing: {error}; is the lease volume mounted and writable?")));
        }
        Ok(())
    }

    fn load_blocking(&self) -> Result<Option<LeaseBundle>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.error(format!("reading: {error}"))),
        };
        // Check the format before decoding the rest, so a newer writer gets
        // a clear message instead of a field error.
        let format = serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|e| self.error(format!("not JSON: {e}")))?
            .get("format")
            .and_then(serde_json::Value::as_u64);
        if format != Some(u64::from(LEASE_BUNDLE_FORMAT)) {
            return Err(self.error(format!(
                "format {format:?} is not {LEASE_BUNDLE_FORMAT}; init container and refresh sidecar versions differ"
            )));
        }
        serde_json::from_slice(&bytes).map(Some).map_err(|e| self.error(format!("not a lease bundle: {e}")))
    }

    fn remove_blocking(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(self.error(format!("removing: {error}"))),
        }
    }

    async fn blocking<T: Send + 'static>(&self, job: impl FnOnce(Self) -> Result<T> + Send + 'static) -> Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || job(store))
            .await
            .map_err(|e| self.error(format!("file task failed: {e}")))?
    }
}

#[async_trait]
impl LeaseStore for FileLeaseStore {
    async fn save(&self, bundle: &LeaseBundle) -> qsec_core::Result<()> {
        let bundle = bundle.clone();
        Ok(self.blocking(move |store| store.save_blocking(&bundle)).await?)
    }

    async fn load(&self) -> qsec_core::Result<Option<LeaseBundle>> {
        Ok(self.blocking(|store| store.load_blocking()).await?)
    }

    async fn remove(&self) -> qsec_core::Result<()> {
        Ok(self.blocking(|store| store.remove_blocking()).await?)
    }
}

#[cfg(test)]
mod tests {
    use qsec_core::{Lease, StoredToken};

    use super::*;

    fn bundle() -> LeaseBundle {
        let token = StoredToken {
            token: "hvs.secret".into(),
            accessor: "acc".into(),
            lease_duration: 300,
            renewable: true,
            obtained_at: 10,
        };
        let lease = Lease {
            lease_id: "database/creds/app/1".into(),
            lease_duration: 60,
            renewable: true,
            path: "database/creds/app".into(),
            obtained_at: 10,
        };
        LeaseBundle::new(Some("aws.stg.myapp".parse().unwrap()), token, vec![lease])
    }

    #[tokio::test]
    async fn round_trips_with_mode_0600_and_no_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileLeaseStore::in_dir(dir.path().join("leases"));
        assert!(store.load().await.unwrap().is_none());
        store.save(&bundle()).await.unwrap();
        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.token.token.expose_secret(), "hvs.secret");
        assert_eq!(loaded.leases[0].lease_id, "database/creds/app/1");
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("leases")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [LEASE_FILE_NAME]);
        store.remove().await.unwrap();
        store.remove().await.unwrap();
        assert!(store.load().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn unreadable_bundles_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileLeaseStore::in_dir(dir.path());
        std::fs::write(store.path(), "{ not json").unwrap();
        let error = store.load().await.unwrap_err().to_string();
        assert!(error.contains("leases.json") && error.contains("not JSON"), "{error}");
        std::fs::write(store.path(), r#"{"format": 99}"#).unwrap();
        let error = store.load().await.unwrap_err().to_string();
        assert!(error.contains("versions differ"), "{error}");
    }

    #[tokio::test]
    async fn a_failed_save_keeps_the_old_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileLeaseStore::in_dir(dir.path());
        store.save(&bundle()).await.unwrap();
        // A directory where the temporary file should go makes the write fail.
        std::fs::create_dir(dir.path().join(format!(".{LEASE_FILE_NAME}.{}.tmp", std::process::id()))).unwrap();
        let mut changed = bundle();
        changed.token.accessor = "new".into();
        assert!(store.save(&changed).await.is_err());
        assert_eq!(store.load().await.unwrap().unwrap().token.accessor, "acc");
    }
}
