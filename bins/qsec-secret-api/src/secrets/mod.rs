//! Secrets with history, in the app's own area of the layout on kv v2:
//! `secret/myapp/NAME` is read and written at `secret/data/myapp/NAME`.
//!
//! Each write is a new kv v2 version; who wrote it is kept in the secret's
//! custom metadata ([`authors`]). A rollback reads an old version and
//! writes it again as the newest, so history only grows.
//!
//! Writes to one secret are serialised within a replica, so two writers
//! cannot lose each other's author entries. Across replicas the window
//! between a version's write and its author's is short but not closed: an
//! author entry can be lost (the history then shows no author for that
//! version); the data never is.

pub mod authors;
pub mod rules;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use qsec_core::{AppPlan, KvMount, KvVersion};
use qsec_vault::client::requests::KvMetadataUpdate;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};
use crate::vault::Metered;

/// Writes to secrets hashing to the same stripe wait for each other.
const STRIPES: usize = 64;

/// A version just written.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// The new version's number.
    pub version: u64,
    /// When Vault wrote it (RFC 3339).
    pub created_time: String,
    /// Who wrote it.
    pub author: String,
    /// For a rollback: the version it restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<u64>,
}

/// A secret's values at one version. `Debug` shows the keys only.
pub struct SecretValue {
    /// The version read.
    pub version: u64,
    /// When it was written.
    pub created_time: String,
    /// Who wrote it, if recorded.
    pub author: Option<String>,
    /// The key/value pairs.
    pub data: Map<String, Value>,
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValue")
            .field("version", &self.version)
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One entry of a secret's history: never its values.
#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    /// The version's number.
    pub version: u64,
    /// When it was written.
    pub created_time: String,
    /// Who wrote it, if recorded.
    pub author: Option<String>,
    /// Whether it was deleted (its values cannot be read).
    pub deleted: bool,
    /// Whether it was destroyed for good.
    pub destroyed: bool,
    /// For a rollback: the version it restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<u64>,
}

/// A secret's history.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The newest version.
    pub current_version: u64,
    /// Every version Vault keeps, newest first.
    pub versions: Vec<VersionInfo>,
}

/// Where one secret lives in Vault.
struct Location {
    mount: KvMount,
    path: String,
    logical: String,
}

/// Reads and writes secrets through Vault.
pub struct Secrets {
    vault: Metered,
    stripes: Vec<tokio::sync::Mutex<()>>,
}

impl Secrets {
    /// Secrets stored through `vault`.
    pub fn new(vault: Metered) -> Self {
        Self { vault, stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect() }
    }

    /// Checks that `plan`'s app area lies in a kv v2 mount of the layout.
    pub fn check_layout(plan: &AppPlan) -> Result<()> {
        locate(plan, "x").map(|_| ())
    }

    /// Writes `data` as the newest version of secret `name`.
    pub async fn set(&self, plan: &AppPlan, name: &str, data: Map<String, Value>, author: &str) -> Result<Written> {
        let at = locate(plan, name)?;
        let _serialised = self.lock(&at.logical).await;
        self.write_version(&at, Value::Object(data), author, None).await
    }

    /// Reads secret `name`, at `version` or the newest.
    pub async fn get(&self, plan: &AppPlan, name: &str, version: Option<u64>) -> Result<SecretValue> {
        let at = locate(plan, name)?;
        let client = self.vault.client();
        let read = match version {
            Some(version) => self.vault.timed("kv read", client.kv_read_version(&at.mount, &at.path, version)).await?,
            None => self.vault.timed("kv read", client.kv_read(&at.mount, &at.path)).await?,
        };
        let secret = read.ok_or_else(|| not_found(&at, name, version))?.into_value();
        let metadata = secret.metadata.unwrap_or_else(|| empty_metadata(version.unwrap_or_default()));
        let data = match secret.data.into_exposed() {
            Value::Object(data) => data,
            _ => return Err(not_found(&at, name, version)),
        };
        Ok(SecretValue {
            version: metadata.version,
            author: authors::author_of(metadata.custom_metadata.as_ref(), metadata.version),
            created_time: metadata.created_time,
            data,
        })
    }

    /// The versions of secret `name`, newest first, without values.
    pub async fn history(&self, plan: &AppPlan, name: &str) -> Result<History> {
        let at = locate(plan, name)?;
        let client = self.vault.client();
        let metadata = self.vault.timed("kv metadata", client.kv_metadata(&at.mount, &at.path)).await?;
        let metadata = metadata.ok_or_else(|| not_found(&at, name, None))?.into_value();
        let custom = metadata.custom_metadata.as_ref();
        let now = OffsetDateTime::now_utc();
        let versions = metadata
            .versions
            .iter()
            .rev()
            .map(|(version, state)| VersionInfo {
                version: *version,
                created_time: state.created_time.clone(),
                author: authors::author_of(custom, *version),
                deleted: is_deleted(&state.deletion_time, now),
                destroyed: state.destroyed,
                restored_from: authors::restored_from(custom, *version),
            })
            .collect();
        Ok(History { current_version: metadata.current_version, versions })
    }

    /// Writes the values of `version` again as the newest version.
    pub async fn rollback(&self, plan: &AppPlan, name: &str, version: u64, author: &str) -> Result<Written> {
        let at = locate(plan, name)?;
        let _serialised = self.lock(&at.logical).await;
        let client = self.vault.client();
        let old = self.vault.timed("kv read", client.kv_read_version(&at.mount, &at.path, version)).await?;
        let old = old.ok_or_else(|| not_found(&at, name, Some(version)))?.into_value();
        self.write_version(&at, old.data.into_exposed(), author, Some(version)).await
    }

    async fn write_version(&self, at: &Location, data: Value, author: &str, restored: Option<u64>) -> Result<Written> {
        let client = self.vault.client();
        let written = self.vault.timed("kv write", client.kv_write(&at.mount, &at.path, &data, None)).await?;
        let written = written.ok_or_else(|| {
            Error::Vault(qsec_vault::Error::Decode {
                operation: "kv write".into(),
                path: at.mount.data_path(&at.path),
                reason: "kv v2 answered without the new version's metadata".into(),
            })
        })?;
        let version = written.version;
        let metadata = self.vault.timed("kv metadata", client.kv_metadata(&at.mount, &at.path)).await?;
        let (existing, kept) = match &metadata {
            Some(metadata) => (metadata.custom_metadata.clone(), metadata.versions.keys().copied().collect()),
            None => (None, Vec::new()),
        };
        let custom = authors::record(existing.as_ref(), version, author, restored, |v| kept.contains(&v));
        let update = KvMetadataUpdate { custom_metadata: Some(custom), ..KvMetadataUpdate::default() };
        self.vault.timed("kv write metadata", client.kv_write_metadata(&at.mount, &at.path, &update)).await?;
        Ok(Written {
            version,
            created_time: written.created_time.clone(),
            author: author.to_owned(),
            restored_from: restored,
        })
    }

    async fn lock(&self, logical: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        logical.hash(&mut hasher);
        self.stripes[(hasher.finish() % STRIPES as u64) as usize].lock().await
    }
}

fn locate(plan: &AppPlan, name: &str) -> Result<Location> {
    let logical = format!("{}/{name}", plan.secret_areas.app);
    let mount = KvMount::containing(&plan.kv_mounts, &logical).ok_or_else(|| {
        Error::config(
            "layout.policies.kv_mounts",
            format!("no kv mount holds the app area {}; declare its mount as kv v2", plan.secret_areas.app),
        )
    })?;
    if mount.version != KvVersion::V2 {
        return Err(Error::config(
            "layout.policies.kv_mounts",
            format!(
                "the app area {} is in {}/, which is kv v1; secret history needs kv v2",
                plan.secret_areas.app, mount.path
            ),
        ));
    }
    let path = mount.relative(&logical).unwrap_or_default().to_owned();
    Ok(Location { mount: mount.clone(), path, logical })
}

fn not_found(at: &Location, name: &str, version: Option<u64>) -> Error {
    match version {
        Some(version) => Error::NotFound(format!(
            "secret {name} ({}) has no readable version {version}: it never existed, was deleted or destroyed",
            at.logical
        )),
        None => Error::NotFound(format!("secret {name} ({}) does not exist", at.logical)),
    }
}

fn empty_metadata(version: u64) -> qsec_vault::client::types::KvVersionMetadata {
    qsec_vault::client::types::KvVersionMetadata {
        created_time: String::new(),
        custom_metadata: None,
        deletion_time: String::new(),
        destroyed: false,
        version,
    }
}

/// A version is deleted once its deletion time has passed (kv v2 can also
/// schedule deletions in the future, with `delete_version_after`).
fn is_deleted(deletion_time: &str, now: OffsetDateTime) -> bool {
    if deletion_time.is_empty() {
        return false;
    }
    OffsetDateTime::parse(deletion_time, &Rfc3339).map_or(true, |at| at <= now)
}

#[cfg(test)]
mod tests {
    use qsec_core::{AppRef, QsecLayout};

    use super::*;

    fn plan(version: KvVersion) -> AppPlan {
        let mut layout = QsecLayout::default();
        layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version }];
        layout.plan(&"aws.stg.myapp".parse::<AppRef>().unwrap()).unwrap()
    }

    #[test]
    fn secrets_live_in_the_apps_area_on_kv_v2() {
        let at = locate(&plan(KvVersion::V2), "db").unwrap();
        assert_eq!(
            (at.mount.path.as_str(), at.path.as_str(), at.logical.as_str()),
            ("secret", "myapp/db", "secret/myapp/db")
        );
        assert_eq!(at.mount.data_path(&at.path), "secret/data/myapp/db");
        assert!(Secrets::check_layout(&plan(KvVersion::V1)).unwrap_err().to_string().contains("kv v1"));
    }

    #[test]
    fn deletion_times_in_the_past_mean_deleted() {
        let now = OffsetDateTime::now_utc();
        assert!(!is_deleted("", now));
        assert!(is_deleted("2020-01-01T00:00:00Z", now));
        assert!(!is_deleted("2999-01-01T00:00:00Z", now));
    }
}
