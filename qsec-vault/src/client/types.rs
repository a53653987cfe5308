//! Typed answers: the `data` of Vault responses, with Vault's field names.
//! Credentials are in [`qsec_core::secret`] types, so `Debug` redacts them.

use std::collections::BTreeMap;
use std::ops::Deref;

use qsec_core::{KvVersion, Password, PrivateKey, SecretData, SecretId, SecretText, VaultResponse};
use serde::{Deserialize, Deserializer, Serialize};

/// A typed answer with the whole envelope it came in, so nothing Vault said
/// (a lease, a warning) is lost. Derefs to the typed value.
#[derive(Debug, Clone)]
pub struct Enveloped<T> {
    /// The typed payload.
    pub value: T,
    /// Vault's whole response: lease, warnings, `data` as sent.
    pub envelope: VaultResponse,
}

impl<T> Enveloped<T> {
    /// The typed payload, without the envelope.
    pub fn into_value(self) -> T {
        self.value
    }
}

impl<T> Deref for Enveloped<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// `sys/health`: the node's state and the HTTP status it answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthStatus {
    /// 200 active (or standby with `standbyok`), 429 standby, 472 DR
    /// secondary, 473 performance standby, 501 not initialized, 503 sealed.
    #[serde(skip)]
    pub status: u16,
    /// Whether Vault is initialized.
    #[serde(default)]
    pub initialized: bool,
    /// Whether it is sealed.
    #[serde(default)]
    pub sealed: bool,
    /// Whether this node is a standby.
    #[serde(default)]
    pub standby: bool,
    /// Unix time on the server.
    #[serde(default)]
    pub server_time_utc: u64,
    /// Vault's version.
    #[serde(default)]
    pub version: String,
    /// The cluster's name.
    #[serde(default)]
    pub cluster_name: String,
    /// The cluster's id.
    #[serde(default)]
    pub cluster_id: String,
}

impl HealthStatus {
    /// True when the node is initialized, unsealed and can serve requests.
    pub fn is_serving(&self) -> bool {
        self.initialized && !self.sealed
    }
}

/// A kv secret as read: v1's data, or v2's `data` with its version metadata.
#[derive(Debug, Clone)]
pub struct KvSecret {
    /// The key/value pairs.
    pub data: SecretData,
    /// kv v2 only: the version read.
    pub metadata: Option<KvVersionMetadata>,
}

/// kv v2: what Vault knows about one version (also the answer to a write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvVersionMetadata {
    /// When it was written (RFC 3339).
    #[serde(default)]
    pub created_time: String,
    /// The key's custom metadata.
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// When it was (or will be) soft-deleted; empty if not.
    #[serde(default)]
    pub deletion_time: String,
    /// Whether it was destroyed.
    #[serde(default)]
    pub destroyed: bool,
    /// Its version number.
    #[serde(default)]
    pub version: u64,
}

/// kv v2: a key's metadata and version history (`MOUNT/metadata/PATH`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvMetadata {
    /// Whether writes must pass `cas`.
    #[serde(default)]
    pub cas_required: bool,
    /// When the key was created.
    #[serde(default)]
    pub created_time: String,
    /// The newest version.
    #[serde(default)]
    pub current_version: u64,
    /// Soft-delete delay of new versions, e.g. `3h25m19s`.
    #[serde(default)]
    pub delete_version_after: String,
    /// Versions kept; 0 is the mount's setting.
    #[serde(default)]
    pub max_versions: u64,
    /// The oldest version kept.
    #[serde(default)]
    pub oldest_version: u64,
    /// When the key was last written.
    #[serde(default)]
    pub updated_time: String,
    /// Custom metadata.
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// The version history, oldest first.
    #[serde(default)]
    pub versions: BTreeMap<u64, KvVersionState>,
}

/// kv v2: one entry of a key's version history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvVersionState {
    /// When it was written.
    #[serde(default)]
    pub created_time: String,
    /// When it was soft-deleted; empty if not.
    #[serde(default)]
    pub deletion_time: String,
    /// Whether it was destroyed.
    #[serde(default)]
    pub destroyed: bool,
}

/// A secrets engine or auth method mount (`sys/mounts`, `sys/auth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MountInfo {
    /// The engine type, e.g. `kv`, `pki`, `approle`.
    #[serde(rename = "type")]
    pub mount_type: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Its accessor.
    #[serde(default)]
    pub accessor: String,
    /// Whether it is local to the cluster.
    #[serde(default)]
    pub local: bool,
    /// Whether seal wrapping is on.
    #[serde(default)]
    pub seal_wrap: bool,
    /// Engine options, e.g. kv's `version`.
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    /// TTLs and other tuning, as Vault sent them.
    #[serde(default)]
    pub config: serde_json::Value,
}

impl MountInfo {
    /// The kv version of a kv mount (`options.version`, `1` when absent).
    pub fn kv_version(&self) -> Option<KvVersion> {
        if self.mount_type != "kv" && self.mount_type != "generic" {
            return None;
        }
        let version = self.options.as_ref().and_then(|options| options.get("version")).map(String::as_str);
        Some(if version == Some("2") { KvVersion::V2 } else { KvVersion::V1 })
    }
}

/// An ACL policy (`sys/policies/acl/:name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclPolicy {
    /// Its name.
    pub name: String,
    /// The HCL document (`rules` on the legacy `sys/policy` endpoint).
    #[serde(alias = "rules")]
    pub policy: String,
}

/// `sys/leases/lookup`: a lease's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// The lease id.
    pub id: String,
    /// When it was issued (RFC 3339).
    #[serde(default)]
    pub issue_time: String,
    /// When it expires (RFC 3339).
    #[serde(default)]
    pub expire_time: Option<String>,
    /// When it was last renewed, if ever.
    #[serde(default)]
    pub last_renewal: Option<String>,
    /// Whether it can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// Seconds left.
    #[serde(default)]
    pub ttl: u64,
    /// The path that created it (Vault reports it on newer versions).
    #[serde(default)]
    pub path: Option<String>,
}

/// A freshly generated AppRole SecretID.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeneratedSecretId {
    /// The SecretID.
    pub secret_id: SecretId,
    /// Its accessor, to look it up or destroy it without knowing it.
    pub secret_id_accessor: String,
    /// Seconds it lives; 0 is forever.
    #[serde(default)]
    pub secret_id_ttl: u64,
    /// Logins it allows; 0 is unlimited.
    #[serde(default)]
    pub secret_id_num_uses: u64,
}

/// The properties of a SecretID (`secret-id/lookup`, `secret-id-accessor/lookup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretIdInfo {
    /// Its accessor.
    pub secret_id_accessor: String,
    /// CIDRs it may be used from.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cidr_list: Vec<String>,
    /// CIDRs tokens issued with it may be used from.
    #[serde(default, deserialize_with = "null_as_default")]
    pub token_bound_cidrs: Vec<String>,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub creation_time: String,
    /// When it expires (RFC 3339; year 1 means never).
    #[serde(default)]
    pub expiration_time: String,
    /// When it was last updated.
    #[serde(default)]
    pub last_updated_time: String,
    /// Its metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: BTreeMap<String, String>,
    /// Logins left; 0 is unlimited.
    #[serde(default)]
    pub secret_id_num_uses: u64,
    /// Its TTL in seconds; 0 is forever.
    #[serde(default)]
    pub secret_id_ttl: u64,
}

/// A certificate from `pki/issue/:role`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PkiCertificate {
    /// The certificate, PEM.
    pub certificate: String,
    /// The issuing CA, PEM.
    #[serde(default)]
    pub issuing_ca: String,
    /// The CA chain, PEM each.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ca_chain: Vec<String>,
    /// The private key; Vault does not keep it.
    pub private_key: PrivateKey,
    /// `rsa`, `ec` or `ed25519`.
    #[serde(default)]
    pub private_key_type: String,
    /// The serial number, colon-separated hex.
    #[serde(default)]
    pub serial_number: String,
    /// Unix time it expires, when Vault says.
    #[serde(default)]
    pub expiration: Option<u64>,
}

/// Dynamic database credentials (`database/creds/:role`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseCredentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: Password,
}

/// AWS credentials (`aws/creds/:role`, `aws/sts/:role`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsCredentials {
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: SecretText,
    /// The session token; `None` for `iam_user` credentials.
    #[serde(default)]
    pub security_token: Option<SecretText>,
    /// The ARN of the assumed role or user, when Vault says.
    #[serde(default)]
    pub arn: Option<String>,
}

/// Reads `null` as the type's default, as Vault sends `null` for empty lists.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
