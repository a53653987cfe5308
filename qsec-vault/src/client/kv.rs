//! The kv secrets engine, v1 and v2. Each call takes the [`KvMount`] it works
//! in: from configuration, or from [`VaultClient::kv_mount`], which asks
//! `sys/mounts`. Paths are relative to the mount, e.g. `myapp/db`.

use std::sync::PoisonError;

use qsec_core::{KvMount, KvVersion, SecretData, VaultResponse};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::mount_path;
use super::requests::KvMetadataUpdate;
use super::transport::Call;
use super::types::{KvMetadata, KvSecret, KvVersionMetadata};
use super::{Enveloped, VaultClient};
use crate::error::{Error, Result};

impl VaultClient {
    /// The kv mount at `mount`, its version read from `sys/mounts`
    /// (`options.version`) once and then remembered.
    pub async fn kv_mount(&self, mount: &str) -> Result<KvMount> {
        let mount = mount_path(mount).to_owned();
        let known = self.inner.kv_versions.read().unwrap_or_else(PoisonError::into_inner).get(&mount).copied();
        let version = match known {
            Some(version) => version,
            None => {
                let mounts = self.list_mounts().await?;
                let info = mounts.get(&format!("{mount}/")).ok_or_else(|| Error::Config {
                    setting: "kv mount".into(),
                    reason: format!("no secrets engine is mounted at {mount}/"),
                })?;
                let version = info.kv_version().ok_or_else(|| Error::Config {
                    setting: "kv mount".into(),
                    reason: format!("{mount}/ is a {} engine, not kv", info.mount_type),
                })?;
                self.inner.kv_versions.write().unwrap_or_else(PoisonError::into_inner).insert(mount.clone(), version);
                version
            }
        };
        Ok(KvMount { path: mount, version })
    }

    /// Reads the secret at `path` (v1 `GET MOUNT/PATH`, v2 `GET
    /// MOUNT/data/PATH`, latest version); `None` when there is none.
    pub async fn kv_read(&self, mount: &KvMount, path: &str) -> Result<Option<Enveloped<KvSecret>>> {
        self.kv_get(mount, path, None).await
    }

    /// kv v2: reads `version` of the secret at `path` (`GET
    /// MOUNT/data/PATH?version=N`).
    pub async fn kv_read_version(
        &self,
        mount: &KvMount,
        path: &str,
        version: u64,
    ) -> Result<Option<Enveloped<KvSecret>>> {
        require_v2(mount, "reading a pinned version")?;
        self.kv_get(mount, path, Some(version)).await
    }

    async fn kv_get(&self, mount: &KvMount, path: &str, version: Option<u64>) -> Result<Option<Enveloped<KvSecret>>> {
        let mut call = Call::get("kv read", mount.data_path(path));
        if let Some(version) = version {
            call = call.query("version", version.to_string());
        }
        let Some(raw) = self.send_optional(call).await? else { return Ok(None) };
        let Some(envelope) = raw.envelope()? else { return Ok(None) };
        let data = envelope.data.clone().unwrap_or_default();
        let secret = match mount.version {
            KvVersion::V1 => KvSecret { data, metadata: None },
            KvVersion::V2 => {
                let versioned: Versioned =
                    serde_json::from_value(data.into_exposed()).map_err(|e| raw.decode_error(e))?;
                KvSecret { data: SecretData::new(versioned.data), metadata: versioned.metadata }
            }
        };
        Ok(Some(Enveloped { value: secret, envelope }))
    }

    /// Lists the keys under `path` (v1 `LIST MOUNT/PATH`, v2 `LIST
    /// MOUNT/metadata/PATH`); folders end in `/`. Empty when there are none.
    pub async fn kv_list(&self, mount: &KvMount, path: &str) -> Result<Enveloped<Vec<String>>> {
        self.list_keys(Call::list("kv list", mount.list_path(path))).await
    }

    /// Writes `data` (a JSON object) at `path`: v1 `POST MOUNT/PATH` with the
    /// pairs as the body; v2 `POST MOUNT/data/PATH` with `{"data": ...}` and
    /// `options.cas` when `cas` is set. v2 answers with the new version's
    /// metadata; v1 with nothing.
    pub async fn kv_write(
        &self,
        mount: &KvMount,
        path: &str,
        data: &Value,
        cas: Option<u64>,
    ) -> Result<Option<Enveloped<KvVersionMetadata>>> {
        let body = match mount.version {
            KvVersion::V1 if cas.is_some() => return Err(not_v2(mount, "check-and-set")),
            KvVersion::V1 => data.clone(),
            KvVersion::V2 => match cas {
                Some(cas) => json!({ "options": { "cas": cas }, "data": data }),
                None => json!({ "data": data }),
            },
        };
        let raw = self.send(Call::post("kv write", mount.data_path(path)).json(body)).await?;
        match (mount.version, &raw.body) {
            (KvVersion::V2, Some(_)) => raw.enveloped().map(Some),
            _ => Ok(None),
        }
    }

    /// Deletes the secret at `path`: v1 `DELETE MOUNT/PATH`; v2 soft-deletes
    /// the latest version (`DELETE MOUNT/data/PATH`). `None` also when
    /// there was nothing to delete.
    pub async fn kv_delete(&self, mount: &KvMount, path: &str) -> Result<Option<VaultResponse>> {
        self.optional_envelope(Call::delete("kv delete", mount.data_path(path))).await
    }

    /// kv v2: soft-deletes `versions` (`POST MOUNT/delete/PATH`).
    pub async fn kv_delete_versions(
        &self,
        mount: &KvMount,
        path: &str,
        versions: &[u64],
    ) -> Result<Option<VaultResponse>> {
        self.kv_versions_call(mount, Call::post("kv delete versions", v2_path(mount, "delete", path)), versions).await
    }

    /// kv v2: restores soft-deleted `versions` (`POST MOUNT/undelete/PATH`).
    pub async fn kv_undelete(&self, mount: &KvMount, path: &str, versions: &[u64]) -> Result<Option<VaultResponse>> {
        self.kv_versions_call(mount, Call::post("kv undelete", v2_path(mount, "undelete", path)), versions).await
    }

    /// kv v2: destroys `versions` for good (`PUT MOUNT/destroy/PATH`).
    pub async fn kv_destroy(&self, mount: &KvMount, path: &str, versions: &[u64]) -> Result<Option<VaultResponse>> {
        self.kv_versions_call(mount, Call::put("kv destroy", v2_path(mount, "destroy", path)), versions).await
    }

    async fn kv_versions_call(&self, mount: &KvMount, call: Call, versions: &[u64]) -> Result<Option<VaultResponse>> {
        require_v2(mount, "version operations")?;
        self.send(call.json(json!({ "versions": versions }))).await?.envelope()
    }

    /// kv v2: a key's metadata and version history (`GET
    /// MOUNT/metadata/PATH`); `None` when the key does not exist.
    pub async fn kv_metadata(&self, mount: &KvMount, path: &str) -> Result<Option<Enveloped<KvMetadata>>> {
        require_v2(mount, "metadata")?;
        let call = Call::get("kv read metadata", v2_path(mount, "metadata", path));
        self.send_optional(call).await?.map(|raw| raw.enveloped()).transpose()
    }

    /// kv v2: writes a key's metadata (`POST MOUNT/metadata/PATH`).
    pub async fn kv_write_metadata(
        &self,
        mount: &KvMount,
        path: &str,
        update: &KvMetadataUpdate,
    ) -> Result<Option<VaultResponse>> {
        require_v2(mount, "metadata")?;
        let call = Call::post("kv write metadata", v2_path(mount, "metadata", path)).json_of(update);
        self.send(call).await?.envelope()
    }

    /// kv v2: deletes a key's metadata and every version (`DELETE
    /// MOUNT/metadata/PATH`).
    pub async fn kv_delete_metadata(&self, mount: &KvMount, path: &str) -> Result<Option<VaultResponse>> {
        require_v2(mount, "metadata")?;
        self.optional_envelope(Call::delete("kv delete metadata", v2_path(mount, "metadata", path))).await
    }
}

/// kv v2's `data` block: the pairs and the version's metadata.
#[derive(Deserialize)]
struct Versioned {
    #[serde(default)]
    data: Value,
    #[serde(default)]
    metadata: Option<KvVersionMetadata>,
}

fn v2_path(mount: &KvMount, kind: &str, path: &str) -> String {
    format!("{}/{kind}/{}", mount.path, path.trim_start_matches('/'))
}

fn require_v2(mount: &KvMount, what: &str) -> Result<()> {
    match mount.version {
        KvVersion::V2 => Ok(()),
        KvVersion::V1 => Err(not_v2(mount, what)),
    }
}

fn not_v2(mount: &KvMount, what: &str) -> Error {
    Error::Config {
        setting: format!("kv mount {}", mount.path),
        reason: format!("{what} needs kv v2, and this mount is kv v1"),
    }
}
