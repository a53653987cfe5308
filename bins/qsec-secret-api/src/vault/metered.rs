//! [`Metered`]: the Vault client with every call timed into the metrics, as
//! a [`VaultBackend`] (for the provisioner) and through [`Metered::timed`]
//! (for the kv and token calls made directly).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use qsec_core::{
    AuthInfo, Jwt, LeaseRenewal, Result, RoleId, SecretId, TokenInfo, VaultBackend, VaultResponse, VaultToken,
    WrapLookup, WrappingToken,
};
use qsec_vault::VaultClient;

use crate::metrics::Metrics;

/// The Vault client and the metrics its calls are counted in.
#[derive(Clone)]
pub struct Metered {
    client: VaultClient,
    metrics: Arc<Metrics>,
}

impl Metered {
    /// Wraps `client`.
    pub fn new(client: VaultClient, metrics: Arc<Metrics>) -> Self {
        Self { client, metrics }
    }

    /// The client itself, for calls outside the [`VaultBackend`] trait.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    /// Runs one Vault call, recording its latency under `operation`.
    pub async fn timed<T, E>(
        &self,
        operation: &'static str,
        call: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        let started = Instant::now();
        let result = call.await;
        self.metrics.vault_call(operation, started.elapsed(), result.is_err());
        result
    }
}

#[async_trait]
impl VaultBackend for Metered {
    fn set_token(&self, token: VaultToken) {
        self.client.set_token(token);
    }

    async fn login_approle(&self, mount: &str, role_id: &RoleId, secret_id: &SecretId) -> Result<AuthInfo> {
        self.timed("login", VaultBackend::login_approle(&self.client, mount, role_id, secret_id)).await
    }

    async fn login_kubernetes(&self, mount: &str, role: &str, jwt: &Jwt) -> Result<AuthInfo> {
        self.timed("login", VaultBackend::login_kubernetes(&self.client, mount, role, jwt)).await
    }

    async fn read(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.timed("read", VaultBackend::read(&self.client, path)).await
    }

    async fn list(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.timed("list", VaultBackend::list(&self.client, path)).await
    }

    async fn write(&self, path: &str, body: &serde_json::Value) -> Result<Option<VaultResponse>> {
        self.timed("write", VaultBackend::write(&self.client, path, body)).await
    }

    async fn delete(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.timed("delete", VaultBackend::delete(&self.client, path)).await
    }

    async fn lookup_self(&self) -> Result<TokenInfo> {
        self.timed("token lookup", VaultBackend::lookup_self(&self.client)).await
    }

    async fn renew_self(&self, increment: Option<Duration>) -> Result<AuthInfo> {
        self.timed("token renew", VaultBackend::renew_self(&self.client, increment)).await
    }

    async fn revoke_self(&self) -> Result<()> {
        self.timed("token revoke", VaultBackend::revoke_self(&self.client)).await
    }

    async fn renew_lease(&self, lease_id: &str, increment: Option<Duration>) -> Result<LeaseRenewal> {
        self.timed("lease renew", VaultBackend::renew_lease(&self.client, lease_id, increment)).await
    }

    async fn revoke_lease(&self, lease_id: &str) -> Result<()> {
        self.timed("lease revoke", VaultBackend::revoke_lease(&self.client, lease_id)).await
    }

    async fn lookup_wrapping(&self, token: &WrappingToken) -> Result<WrapLookup> {
        self.timed("wrapping lookup", VaultBackend::lookup_wrapping(&self.client, token)).await
    }

    async fn unwrap(&self, token: &WrappingToken) -> Result<VaultResponse> {
        self.timed("unwrap", VaultBackend::unwrap(&self.client, token)).await
    }
}
