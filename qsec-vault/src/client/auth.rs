//! Logins: AppRole, Kubernetes, a plain token. A successful login makes the
//! new token the client's current one.

use std::path::Path;

use qsec_core::{AuthInfo, Jwt, RoleId, SecretId, TokenInfo, VaultToken};
use serde_json::json;

use super::VaultClient;
use super::transport::{Auth, Call};
use crate::error::{Error, Result};

/// Where Kubernetes mounts a pod's service-account token.
pub const DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

impl VaultClient {
    /// Logs in to the AppRole method at `auth/{mount}` (`POST
    /// auth/{mount}/login` with `role_id` and `secret_id`) and makes the
    /// issued token current.
    pub async fn login_approle(&self, mount: &str, role_id: &RoleId, secret_id: &SecretId) -> Result<AuthInfo> {
        let body = json!({ "role_id": role_id.expose_secret(), "secret_id": secret_id.expose_secret() });
        self.login("AppRole login", format!("auth/{}/login", mount_path(mount)), body).await
    }

    /// Logs in to the Kubernetes method at `auth/{mount}` (`POST
    /// auth/{mount}/login` with `role` and `jwt`) and makes the issued token
    /// current.
    pub async fn login_kubernetes(&self, mount: &str, role: &str, jwt: &Jwt) -> Result<AuthInfo> {
        let body = json!({ "role": role, "jwt": jwt.expose_secret() });
        self.login("Kubernetes login", format!("auth/{}/login", mount_path(mount)), body).await
    }

    /// Logs in to Kubernetes with the service-account token in the file at
    /// `token_path` (usually [`DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH`]).
    pub async fn login_kubernetes_from_file(
        &self,
        mount: &str,
        role: &str,
        token_path: impl AsRef<Path>,
    ) -> Result<AuthInfo> {
        let path = token_path.as_ref();
        let jwt = tokio::fs::read_to_string(path).await.map_err(|error| Error::Config {
            setting: "service account token".into(),
            reason: format!("could not read {}: {error}", path.display()),
        })?;
        self.login_kubernetes(mount, role, &Jwt::new(jwt.trim())).await
    }

    /// Checks `token` with `auth/token/lookup-self` and, if Vault accepts
    /// it, makes it current. On failure the current token is unchanged.
    pub async fn login_token(&self, token: VaultToken) -> Result<TokenInfo> {
        let call = Call::get("token lookup-self", "auth/token/lookup-self").auth(Auth::Explicit(token.clone()));
        let info: TokenInfo = self.send(call).await?.payload()?;
        self.set_token(token);
        Ok(info)
    }

    async fn login(&self, operation: &'static str, path: String, body: serde_json::Value) -> Result<AuthInfo> {
        // Login endpoints are unauthenticated: no token is sent.
        let raw = self.send(Call::post(operation, path).json(body).auth(Auth::Anonymous)).await?;
        let auth = raw.auth()?;
        self.set_token(auth.client_token.clone());
        Ok(auth)
    }
}

/// A mount path without slashes at either end, as it appears in API paths.
pub(crate) fn mount_path(mount: &str) -> &str {
    mount.trim_matches('/')
}
