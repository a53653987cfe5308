//! Typed request parameters, serialized with Vault's parameter names.
//! Unset fields are left out, so Vault applies its own defaults.
//!
//! Durations follow each endpoint's documentation: integer seconds where it
//! takes integers (AppRole and token-role settings), a duration string such
//! as `3600s` where it takes strings (token `ttl`, PKI `ttl`, AWS `ttl`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use super::transport::duration_string;

/// An AppRole's settings (`auth/approle/role/:role_name`); read back with the
/// same type. Durations are integer seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppRoleConfig {
    /// Require a SecretID at login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_secret_id: Option<bool>,
    /// CIDRs logins may come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id_bound_cidrs: Option<Vec<String>>,
    /// Logins one SecretID allows; 0 is unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id_num_uses: Option<u64>,
    /// Seconds a SecretID lives; 0 is forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id_ttl: Option<u64>,
    /// Whether SecretIDs are local to the cluster (only at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secret_ids: Option<bool>,
    /// Seconds issued tokens live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_ttl: Option<u64>,
    /// Most seconds issued tokens may live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_max_ttl: Option<u64>,
    /// Policies of issued tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_policies: Option<Vec<String>>,
    /// CIDRs issued tokens may be used from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_bound_cidrs: Option<Vec<String>>,
    /// Hard cap on token lifetime, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_explicit_max_ttl: Option<u64>,
    /// Leave the `default` policy off issued tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_no_default_policy: Option<bool>,
    /// Requests an issued token may make; 0 is unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_num_uses: Option<u64>,
    /// Period of issued tokens, seconds: renewable forever by this much.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_period: Option<u64>,
    /// `service`, `batch`, `default-service`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// A token role's settings (`auth/token/roles/:role_name`); read back with
/// the same type. Durations are integer seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenRoleConfig {
    /// The role's name (sent back by reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Policies tokens may carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_policies: Option<Vec<String>>,
    /// Policies tokens may never carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disallowed_policies: Option<Vec<String>>,
    /// Globs of policies tokens may carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_policies_glob: Option<Vec<String>>,
    /// Globs of policies tokens may never carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disallowed_policies_glob: Option<Vec<String>>,
    /// Whether tokens have no parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphan: Option<bool>,
    /// Whether tokens can be renewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewable: Option<bool>,
    /// Appended to the tokens' path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_suffix: Option<String>,
    /// Entity aliases tokens may be created for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_entity_aliases: Option<Vec<String>>,
    /// CIDRs tokens may be used from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_bound_cidrs: Option<Vec<String>>,
    /// Hard cap on token lifetime, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_explicit_max_ttl: Option<u64>,
    /// Leave the `default` policy off tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_no_default_policy: Option<bool>,
    /// Requests a token may make; 0 is unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_num_uses: Option<u64>,
    /// Period of tokens, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_period: Option<u64>,
    /// `service`, `batch`, `default-service`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// Parameters of `auth/token/create` (and `.../create/:role_name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenCreateRequest {
    /// Policies; a subset of the caller's, or of the role's allowed ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// Metadata passed to audit devices.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Create an orphan (root or sudo callers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_parent: Option<bool>,
    /// Leave the `default` policy off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_default_policy: Option<bool>,
    /// Whether it can be renewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewable: Option<bool>,
    /// Its TTL, sent as a duration string.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_duration_string")]
    pub ttl: Option<Duration>,
    /// `batch` or `service`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Hard cap on its lifetime, sent as a duration string.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_duration_string")]
    pub explicit_max_ttl: Option<Duration>,
    /// Its display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Requests it may make; 0 is unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_uses: Option<u64>,
    /// Makes it periodic, sent as a duration string.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_duration_string")]
    pub period: Option<Duration>,
    /// Entity alias to create it for (with a role only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_alias: Option<String>,
}

/// Parameters of a kv v2 metadata write (`MOUNT/metadata/PATH`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KvMetadataUpdate {
    /// Versions to keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_versions: Option<u64>,
    /// Require `cas` on writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cas_required: Option<bool>,
    /// Soft-delete new versions after this long, sent as a duration string.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_duration_string")]
    pub delete_version_after: Option<Duration>,
    /// Custom metadata; replaces the key's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

/// Parameters to enable a secrets engine (`sys/mounts/:path`) or an auth
/// method (`sys/auth/:path`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MountRequest {
    /// The engine or method type, e.g. `kv`, `approle`.
    #[serde(rename = "type")]
    pub mount_type: String,
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tuning, e.g. `default_lease_ttl`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, serde_json::Value>,
    /// Type-specific options, e.g. kv's `version`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

impl MountRequest {
    /// A mount of `mount_type` with no other settings.
    pub fn of_type(mount_type: impl Into<String>) -> Self {
        Self { mount_type: mount_type.into(), ..Self::default() }
    }

    /// A kv mount of `version`.
    pub fn kv(version: qsec_core::KvVersion) -> Self {
        let version = match version {
            qsec_core::KvVersion::V1 => "1",
            qsec_core::KvVersion::V2 => "2",
        };
        Self { options: BTreeMap::from([("version".to_owned(), version.to_owned())]), ..Self::of_type("kv") }
    }
}

/// Parameters of `pki/issue/:role`. Lists are sent comma-separated, as the
/// endpoint documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PkiIssueRequest {
    /// The certificate's CN.
    pub common_name: String,
    /// DNS or email SANs.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_separated")]
    pub alt_names: Vec<String>,
    /// IP SANs.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_separated")]
    pub ip_sans: Vec<String>,
    /// URI SANs.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_separated")]
    pub uri_sans: Vec<String>,
    /// Its TTL, sent as a duration string.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_duration_string")]
    pub ttl: Option<Duration>,
    /// `pem`, `der` or `pem_bundle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `der` or `pkcs8`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key_format: Option<String>,
    /// Keep the CN out of the SANs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_cn_from_sans: Option<bool>,
    /// Leave self-signed CAs out of `ca_chain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_roots_from_chain: Option<bool>,
}

/// Parameters of `aws/creds/:role` (query) and `aws/sts/:role` (body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AwsCredsRequest {
    /// The role to assume, when the Vault role allows several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The session name to attach to the assumed role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
    /// STS token TTL, sent as a duration string.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_duration_string")]
    pub ttl: Option<Duration>,
}

impl AwsCredsRequest {
    /// The parameters as query pairs, for the `GET` form.
    pub(crate) fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(arn) = &self.role_arn {
            pairs.push(("role_arn", arn.clone()));
        }
        if let Some(name) = &self.role_session_name {
            pairs.push(("role_session_name", name.clone()));
        }
        if let Some(ttl) = self.ttl {
            pairs.push(("ttl", duration_string(ttl)));
        }
        pairs
    }
}

fn as_duration_string<S: Serializer>(duration: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
    match duration {
        Some(duration) => serializer.serialize_str(&duration_string(*duration)),
        None => serializer.serialize_none(),
    }
}

fn comma_separated<S: Serializer>(values: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&values.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_unset_fields_out_and_formats_durations_and_lists() {
        let request = PkiIssueRequest {
            common_name: "www.example.com".into(),
            alt_names: vec!["a.example.com".into(), "b.example.com".into()],
            ttl: Some(Duration::from_secs(3600)),
            ..PkiIssueRequest::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({ "common_name": "www.example.com", "alt_names": "a.example.com,b.example.com", "ttl": "3600s" })
        );
        assert_eq!(serde_json::to_value(AppRoleConfig::default()).unwrap(), serde_json::json!({}));
        assert_eq!(
            serde_json::to_value(MountRequest::kv(qsec_core::KvVersion::V2)).unwrap(),
            serde_json::json!({ "type": "kv", "options": { "version": "2" } })
        );
    }
}
