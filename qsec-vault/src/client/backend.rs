//! [`VaultBackend`] and [`SecretIdIssuer`] for [`VaultClient`]: each method
//! is the inherent one of the same name, with errors converted to
//! [`qsec_core::Error`].

use std::time::Duration;

use async_trait::async_trait;
use qsec_core::{
    AuthInfo, IssuedSecretId, Jwt, LeaseRenewal, Result, RoleId, SecretId, SecretIdIssuer, SecretIdRequest, TokenInfo,
    VaultBackend, VaultResponse, VaultToken, WrapLookup, WrappingToken,
};

use super::VaultClient;

#[async_trait]
impl VaultBackend for VaultClient {
    fn set_token(&self, token: VaultToken) {
        VaultClient::set_token(self, token);
    }

    async fn login_approle(&self, mount: &str, role_id: &RoleId, secret_id: &SecretId) -> Result<AuthInfo> {
        Ok(VaultClient::login_approle(self, mount, role_id, secret_id).await?)
    }

    async fn login_kubernetes(&self, mount: &str, role: &str, jwt: &Jwt) -> Result<AuthInfo> {
        Ok(VaultClient::login_kubernetes(self, mount, role, jwt).await?)
    }

    async fn read(&self, path: &str) -> Result<Option<VaultResponse>> {
        Ok(VaultClient::read(self, path).await?)
    }

    async fn list(&self, path: &str) -> Result<Option<VaultResponse>> {
        Ok(VaultClient::list(self, path).await?)
    }

    async fn write(&self, path: &str, body: &serde_json::Value) -> Result<Option<VaultResponse>> {
        Ok(VaultClient::write(self, path, body).await?)
    }

    async fn delete(&self, path: &str) -> Result<Option<VaultResponse>> {
        Ok(VaultClient::delete(self, path).await?)
    }

    async fn lookup_self(&self) -> Result<TokenInfo> {
        Ok(VaultClient::lookup_self(self).await?)
    }

    async fn renew_self(&self, increment: Option<Duration>) -> Result<AuthInfo> {
        Ok(VaultClient::renew_self(self, increment).await?)
    }

    async fn revoke_self(&self) -> Result<()> {
        Ok(VaultClient::revoke_self(self).await?)
    }

    async fn renew_lease(&self, lease_id: &str, increment: Option<Duration>) -> Result<LeaseRenewal> {
        Ok(VaultClient::renew_lease(self, lease_id, increment).await?)
    }

    async fn revoke_lease(&self, lease_id: &str) -> Result<()> {
        Ok(VaultClient::revoke_lease(self, lease_id).await?)
    }

    async fn lookup_wrapping(&self, token: &WrappingToken) -> Result<WrapLookup> {
        Ok(VaultClient::lookup_wrapping(self, token).await?)
    }

    async fn unwrap(&self, token: &WrappingToken) -> Result<VaultResponse> {
        Ok(VaultClient::unwrap(self, token).await?)
    }
}

#[async_trait]
impl SecretIdIssuer for VaultClient {
    async fn issue_secret_id(&self, request: &SecretIdRequest) -> Result<IssuedSecretId> {
        Ok(VaultClient::generate_secret_id(self, request).await?.into_value())
    }

    async fn destroy_secret_id(&self, approle_mount: &str, role_name: &str, accessor: &str) -> Result<()> {
        VaultClient::destroy_secret_id_accessor(self, approle_mount, role_name, accessor).await?;
        Ok(())
    }
}
