//! [`VaultBackend`]: everything qsec's runtime asks of Vault.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::response::{AuthInfo, LeaseRenewal, TokenInfo, VaultResponse, WrapLookup};
use crate::secret::{Jwt, RoleId, SecretId, VaultToken, WrappingToken};

/// A session with Vault: the logical API at the level the init container,
/// the refresh sidecar and the template functions use it.
///
/// What a caller may rely on, from every implementation:
/// - A backend holds one *current token*. A successful `login_*` makes the
///   new token current; [`VaultBackend::set_token`] replaces it. Every other
///   call is made with it.
/// - Paths are Vault API paths without the `/v1/` prefix, e.g.
///   `secret/data/myapp/db`. The backend does not rewrite them.
/// - `read`, `list` and `delete` answer `Ok(None)` when Vault says the path
///   does not exist (404 with no errors), and `write` answers `Ok(None)` for
///   Vault's `204 No Content`. Every other answer keeps the whole envelope.
/// - Errors keep Vault's HTTP status and `errors` list and name the path
///   (see [`crate::Error::Vault`]); transient failures have already been
///   retried a bounded number of times when an error is returned.
/// - No token, SecretID or secret value appears in an error or a log line.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait VaultBackend: Send + Sync {
    /// Makes `token` the current token for every later call.
    fn set_token(&self, token: VaultToken);

    /// Logs in to the AppRole auth method mounted at `auth/{mount}` and makes
    /// the issued token current.
    async fn login_approle(&self, mount: &str, role_id: &RoleId, secret_id: &SecretId) -> Result<AuthInfo>;

    /// Logs in to the Kubernetes auth method mounted at `auth/{mount}` with a
    /// service-account JWT for `role`, and makes the issued token current.
    async fn login_kubernetes(&self, mount: &str, role: &str, jwt: &Jwt) -> Result<AuthInfo>;

    /// `GET path`.
    async fn read(&self, path: &str) -> Result<Option<VaultResponse>>;

    /// `LIST path`; the keys are in `data.keys` ([`VaultResponse::keys`]).
    async fn list(&self, path: &str) -> Result<Option<VaultResponse>>;

    /// `POST path` with a JSON body.
    async fn write(&self, path: &str, body: &serde_json::Value) -> Result<Option<VaultResponse>>;

    /// `DELETE path`.
    async fn delete(&self, path: &str) -> Result<Option<VaultResponse>>;

    /// Looks up the current token (`auth/token/lookup-self`).
    async fn lookup_self(&self) -> Result<TokenInfo>;

    /// Renews the current token (`auth/token/renew-self`), asking for
    /// `increment` more time, or the token's default.
    async fn renew_self(&self, increment: Option<Duration>) -> Result<AuthInfo>;

    /// Revokes the current token and, with it, every lease it created.
    async fn revoke_self(&self) -> Result<()>;

    /// Renews a lease (`sys/leases/renew`).
    async fn renew_lease(&self, lease_id: &str, increment: Option<Duration>) -> Result<LeaseRenewal>;

    /// Revokes a lease (`sys/leases/revoke`).
    async fn revoke_lease(&self, lease_id: &str) -> Result<()>;

    /// Looks at a wrapping token without using it (`sys/wrapping/lookup`):
    /// check its `creation_path` before unwrapping.
    async fn lookup_wrapping(&self, token: &WrappingToken) -> Result<WrapLookup>;

    /// Unwraps a wrapping token (`sys/wrapping/unwrap`); it works once.
    async fn unwrap(&self, token: &WrappingToken) -> Result<VaultResponse>;
}
