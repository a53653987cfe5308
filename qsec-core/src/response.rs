//! Vault's response envelope and the typed parts of it qsec relies on.
//! Field names and units (seconds) are Vault's wire format.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::{SecretData, VaultToken, WrappingToken};

/// Every Vault answer with a body: the whole envelope, so nothing Vault says
/// (a lease, a warning, wrapping) is lost on the way.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VaultResponse {
    /// Vault's id of the request, for its audit log.
    #[serde(default)]
    pub request_id: String,
    /// The lease on a dynamic secret; empty when there is none.
    #[serde(default)]
    pub lease_id: String,
    /// Seconds the lease is valid for.
    #[serde(default)]
    pub lease_duration: u64,
    /// Whether the lease can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// The payload: secret values.
    #[serde(default)]
    pub data: Option<SecretData>,
    /// Set by logins and token creation: the new token.
    #[serde(default)]
    pub auth: Option<AuthInfo>,
    /// Set when the response was wrapped: the wrapping token instead of `data`.
    #[serde(default)]
    pub wrap_info: Option<WrapInfo>,
    /// Vault's warnings; sent as `null` when there are none.
    #[serde(default, deserialize_with = "null_as_empty", serialize_with = "empty_as_null")]
    pub warnings: Vec<String>,
    /// The type of the mount that answered, when Vault says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_type: Option<String>,
}

impl VaultResponse {
    /// The lease this response carries, if it has one.
    pub fn lease(&self, path: &str, obtained_at: u64) -> Option<Lease> {
        (!self.lease_id.is_empty()).then(|| Lease {
            lease_id: self.lease_id.clone(),
            lease_duration: self.lease_duration,
            renewable: self.renewable,
            path: path.to_owned(),
            obtained_at,
        })
    }

    /// The string keys of a LIST answer (`data.keys`), empty if there are none.
    pub fn keys(&self) -> Vec<String> {
        self.data
            .as_ref()
            .and_then(|data| data.get("keys"))
            .and_then(serde_json::Value::as_array)
            .map(|keys| keys.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

/// The `auth` block: a token Vault just issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthInfo {
    /// The token.
    pub client_token: VaultToken,
    /// Its accessor: names the token for lookup and revocation without
    /// being able to use it. Safe to log.
    #[serde(default)]
    pub accessor: String,
    /// All policies on the token.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub policies: Vec<String>,
    /// The policies attached to the token itself.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub token_policies: Vec<String>,
    /// Metadata set at login, e.g. `role_name`.
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Seconds the token is valid for.
    #[serde(default)]
    pub lease_duration: u64,
    /// Whether it can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// The identity entity it belongs to.
    #[serde(default)]
    pub entity_id: String,
    /// `service` or `batch`.
    #[serde(default)]
    pub token_type: String,
    /// Whether it has no parent.
    #[serde(default)]
    pub orphan: bool,
    /// Uses left; 0 is unlimited.
    #[serde(default)]
    pub num_uses: u64,
}

impl fmt::Display for AuthInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "token {} (accessor {}, policies [{}], ttl {}s{})",
            self.client_token,
            self.accessor,
            self.token_policies.join(", "),
            self.lease_duration,
            if self.renewable { ", renewable" } else { "" }
        )
    }
}

/// The `wrap_info` block of a wrapped response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrapInfo {
    /// The single-use wrapping token.
    pub token: WrappingToken,
    /// The wrapping token's accessor.
    #[serde(default)]
    pub accessor: String,
    /// Seconds until the wrapping token expires.
    #[serde(default)]
    pub ttl: u64,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub creation_time: String,
    /// The API path whose response it wraps, e.g.
    /// `auth/approle/role/aws.stg.myapp/secret-id`.
    #[serde(default)]
    pub creation_path: String,
    /// The accessor of what was wrapped (a token's, or a SecretID's), if any.
    #[serde(default)]
    pub wrapped_accessor: String,
}

impl fmt::Display for WrapInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrapping token {} (accessor {}, ttl {}s, creation_path {})",
            self.token, self.accessor, self.ttl, self.creation_path
        )
    }
}

/// What `sys/wrapping/lookup` tells about a wrapping token without using it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapLookup {
    /// The API path whose response it wraps.
    pub creation_path: String,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub creation_time: String,
    /// Its TTL in seconds at creation.
    #[serde(default)]
    pub creation_ttl: u64,
}

/// The `data` of `auth/token/lookup-self`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The token itself (Vault returns it as `id`).
    pub id: VaultToken,
    /// Its accessor.
    #[serde(default)]
    pub accessor: String,
    /// Policies on it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub policies: Vec<String>,
    /// Seconds left.
    #[serde(default)]
    pub ttl: u64,
    /// Seconds it was created with.
    #[serde(default)]
    pub creation_ttl: u64,
    /// Unix time of creation.
    #[serde(default)]
    pub creation_time: u64,
    /// The hard limit, 0 if none.
    #[serde(default)]
    pub explicit_max_ttl: u64,
    /// For periodic tokens, the period; renewals always grant this.
    #[serde(default)]
    pub period: Option<u64>,
    /// Whether it can be renewed.
    #[serde(default)]
    pub renewable: bool,
    /// Uses left; 0 is unlimited.
    #[serde(default)]
    pub num_uses: u64,
    /// Whether it has no parent.
    #[serde(default)]
    pub orphan: bool,
    /// The path that created it, e.g. `auth/approle/login`.
    #[serde(default)]
    pub path: String,
    /// When it expires (RFC 3339), if it does.
    #[serde(default)]
    pub expire_time: Option<String>,
    /// Metadata, e.g. `role_name`.
    #[serde(default)]
    pub meta: Option<BTreeMap<String, String>>,
}

/// The answer to renewing a lease (`sys/leases/renew`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRenewal {
    /// The lease.
    pub lease_id: String,
    /// Seconds it is now valid for, counted from the renewal.
    pub lease_duration: u64,
    /// Whether it can be renewed again.
    pub renewable: bool,
}

/// A lease an app holds on a dynamic secret, as the refresh sidecar needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Vault's lease id, e.g. `database/creds/app/abc123`. Not a credential:
    /// acting on it needs a token with rights on `sys/leases`.
    pub lease_id: String,
    /// Seconds it was valid for when obtained or last renewed.
    pub lease_duration: u64,
    /// Whether it can be renewed.
    pub renewable: bool,
    /// The API path that issued it, e.g. `database/creds/app`.
    pub path: String,
    /// Unix time (seconds) when it was obtained or last renewed.
    pub obtained_at: u64,
}

impl Lease {
    /// Unix time (seconds) when it expires unless renewed.
    pub fn expires_at(&self) -> u64 {
        self.obtained_at.saturating_add(self.lease_duration)
    }
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

fn empty_as_null<S: Serializer>(values: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    if values.is_empty() { serializer.serialize_none() } else { values.serialize(serializer) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_approle_login_response() {
        let body = r#"{
          "auth": {
            "renewable": true,
            "lease_duration": 1200,
            "metadata": null,
            "token_policies": ["default"],
            "accessor": "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374",
            "client_token": "5b1a0318-679c-9c45-e5c6-d1b9a9035d49"
          },
          "warnings": null,
          "wrap_info": null,
          "data": null,
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }"#;
        let response: VaultResponse = serde_json::from_str(body).unwrap();
        let auth = response.auth.as_ref().unwrap();
        assert_eq!(auth.client_token.expose_secret(), "5b1a0318-679c-9c45-e5c6-d1b9a9035d49");
        assert_eq!(auth.accessor, "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374");
        assert_eq!(auth.lease_duration, 1200);
        assert!(response.warnings.is_empty());
        assert!(response.lease("auth/approle/login", 0).is_none());
        // Round trip keeps Vault's shape, `null` warnings included.
        let again = serde_json::to_value(&response).unwrap();
        assert_eq!(again["warnings"], serde_json::Value::Null);
        assert_eq!(again["auth"]["client_token"], "5b1a0318-679c-9c45-e5c6-d1b9a9035d49");
    }

    #[test]
    fn keeps_leases_warnings_and_list_keys() {
        let response: VaultResponse = serde_json::from_value(serde_json::json!({
            "lease_id": "database/creds/app/abc",
            "lease_duration": 3600,
            "renewable": true,
            "data": { "keys": ["a", "b/"] },
            "warnings": ["TTL capped"]
        }))
        .unwrap();
        let lease = response.lease("database/creds/app", 100).unwrap();
        assert_eq!(lease.lease_id, "database/creds/app/abc");
        assert_eq!(lease.expires_at(), 3700);
        assert_eq!(response.warnings, ["TTL capped"]);
        assert_eq!(response.keys(), ["a", "b/"]);
    }
}
