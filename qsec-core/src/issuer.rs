//! [`SecretIdIssuer`]: how the controller obtains SecretIDs.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::response::WrapInfo;
use crate::secret::SecretId;

/// What to ask Vault for when issuing a SecretID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretIdRequest {
    /// The AppRole auth mount, e.g. `approle`.
    pub approle_mount: String,
    /// The AppRole's name, e.g. `aws.stg.myapp`.
    pub role_name: String,
    /// Set on the SecretID and on tokens issued with it; shows in audit logs
    /// in plain text, so it names the pod, never a secret.
    pub metadata: BTreeMap<String, String>,
    /// CIDRs the SecretID may be used from, e.g. the pod IP as `/32`.
    pub cidr_list: Vec<String>,
    /// CIDRs the resulting token may be used from.
    pub token_bound_cidrs: Vec<String>,
    /// How many logins it allows; `None` keeps the role's setting.
    pub num_uses: Option<u64>,
    /// How long it lives; `None` keeps the role's setting.
    pub ttl: Option<Duration>,
    /// Wrap the response for this long (`X-Vault-Wrap-TTL`); `None` returns
    /// the SecretID itself.
    pub wrap_ttl: Option<Duration>,
}

/// A SecretID as issued: in the clear, or inside a wrapping token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum IssuedSecretId {
    /// The SecretID itself.
    Plain {
        /// The SecretID.
        secret_id: SecretId,
        /// Its accessor, to look it up or destroy it without knowing it.
        accessor: String,
        /// Seconds it lives; 0 is forever.
        ttl: u64,
        /// Logins it allows; 0 is unlimited.
        num_uses: u64,
    },
    /// A wrapping token that unwraps, once, to the SecretID.
    Wrapped(WrapInfo),
}

impl IssuedSecretId {
    /// The SecretID's accessor when it is known: always for a plain one; for
    /// a wrapped one when Vault reported it as `wrapped_accessor`.
    pub fn secret_id_accessor(&self) -> Option<&str> {
        match self {
            Self::Plain { accessor, .. } => Some(accessor),
            Self::Wrapped(info) => (!info.wrapped_accessor.is_empty()).then_some(info.wrapped_accessor.as_str()),
        }
    }
}

/// Issues and destroys AppRole SecretIDs: the controller's side of the flow.
///
/// Implementations call `auth/{mount}/role/{name}/secret-id` with the
/// request's parameters, setting `X-Vault-Wrap-TTL` when asked, and
/// `.../secret-id-accessor/destroy` to take one back. Errors follow the same
/// rules as [`crate::VaultBackend`]'s.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SecretIdIssuer: Send + Sync {
    /// Issues a SecretID as `request` says.
    async fn issue_secret_id(&self, request: &SecretIdRequest) -> Result<IssuedSecretId>;

    /// Destroys the SecretID with `accessor` on the AppRole `role_name`, so
    /// it can no longer be used (e.g. its pod went away before delivery).
    async fn destroy_secret_id(&self, approle_mount: &str, role_name: &str, accessor: &str) -> Result<()>;
}
