//! [`MemoryBackend`]: qsec-core's `VaultBackend` and `SecretIdIssuer` on a
//! [`MemoryVault`], in process.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use qsec_core::{
    AuthInfo, Error, IssuedSecretId, Jwt, LeaseRenewal, Result, RoleId, SecretId, SecretIdIssuer, SecretIdRequest,
    TokenInfo, VaultBackend, VaultResponse, VaultToken, WrapLookup, WrappingToken,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::MemoryVault;
use super::request::{Method, VaultReply, VaultRequest};

/// Transient statuses retried, as the HTTP client does.
const TRANSIENT: [u16; 5] = [429, 500, 502, 503, 504];

/// A session with a [`MemoryVault`]: one current token, starting with none.
/// Clones share the session (and its token).
#[derive(Clone)]
pub struct MemoryBackend {
    vault: MemoryVault,
    token: Arc<Mutex<Option<VaultToken>>>,
    client_ip: Option<IpAddr>,
    retries: u32,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("has_token", &self.current_token().is_some())
            .field("client_ip", &self.client_ip)
            .field("retries", &self.retries)
            .finish()
    }
}

impl MemoryBackend {
    pub(crate) fn new(vault: MemoryVault) -> Self {
        Self { vault, token: Arc::new(Mutex::new(None)), client_ip: None, retries: 2 }
    }

    /// Starts with `token` as the current token.
    pub fn with_token(self, token: impl Into<VaultToken>) -> Self {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.into());
        self
    }

    /// Sends requests as if from `ip` (CIDR bindings see it); by default
    /// they come from `127.0.0.1`.
    pub fn with_client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// Retries transient failures (429, 5xx) up to `retries` times
    /// (default 2), as the HTTP client does; 0 shows every fault.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The current token, if any.
    pub fn current_token(&self) -> Option<VaultToken> {
        self.token.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    async fn send(&self, operation: &str, mut request: VaultRequest, with_token: bool) -> Result<VaultReply> {
        if with_token && let Some(token) = self.current_token() {
            request.token = Some(token.expose_secret().to_owned());
        }
        request.client_ip = self.client_ip;
        let mut attempt = 0;
        loop {
            let reply = self.vault.handle_async(request.clone()).await;
            if reply.status < 400 || (reply.status == 404 && reply.errors().is_empty()) {
                return Ok(reply);
            }
            if TRANSIENT.contains(&reply.status) && attempt < self.retries {
                attempt += 1;
                continue;
            }
            return Err(Error::Vault {
                operation: operation.to_owned(),
                path: request.path.clone(),
                status: reply.status,
                errors: reply.errors(),
            });
        }
    }

    /// Sends and maps "not found" and "no content" to `None`.
    async fn optional(&self, operation: &str, request: VaultRequest) -> Result<Option<VaultResponse>> {
        let path = request.path.clone();
        let reply = self.send(operation, request, true).await?;
        match (reply.status, reply.body) {
            (404 | 204, _) | (_, None) => Ok(None),
            (_, Some(body)) => decode(operation, &path, body).map(Some),
        }
    }

    async fn required<T: DeserializeOwned>(
        &self,
        operation: &str,
        request: VaultRequest,
        with_token: bool,
    ) -> Result<T> {
        let path = request.path.clone();
        let reply = self.send(operation, request, with_token).await?;
        let body = reply.body.ok_or_else(|| transport(operation, &path, "the answer has no body"))?;
        decode(operation, &path, body)
    }

    async fn login(&self, operation: &str, path: String, body: Value) -> Result<AuthInfo> {
        let response: VaultResponse = self.required(operation, VaultRequest::post(&path, body), false).await?;
        let auth = response.auth.ok_or_else(|| transport(operation, &path, "the answer has no auth block"))?;
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(auth.client_token.clone());
        Ok(auth)
    }
}

fn transport(operation: &str, path: &str, reason: &str) -> Error {
    Error::Transport { operation: operation.to_owned(), path: path.to_owned(), reason: reason.to_owned() }
}

fn decode<T: DeserializeOwned>(operation: &str, path: &str, body: Value) -> Result<T> {
    // serde's message names the field at fault, never its value.
    serde_json::from_value(body).map_err(|e| transport(operation, path, &format!("unexpected answer: {e}")))
}

fn mount_path(mount: &str) -> String {
    mount.trim_matches('/').to_owned()
}

fn increment_body(increment: Option<Duration>) -> Value {
    match increment {
        Some(increment) => json!({ "increment": increment.as_secs() }),
        None => json!({}),
    }
}

#[async_trait]
impl VaultBackend for MemoryBackend {
    fn set_token(&self, token: VaultToken) {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(token);
    }

    async fn login_approle(&self, mount: &str, role_id: &RoleId, secret_id: &SecretId) -> Result<AuthInfo> {
        let body = json!({ "role_id": role_id.expose_secret(), "secret_id": secret_id.expose_secret() });
        self.login("AppRole login", format!("auth/{}/login", mount_path(mount)), body).await
    }

    async fn login_kubernetes(&self, mount: &str, role: &str, jwt: &Jwt) -> Result<AuthInfo> {
        let body = json!({ "role": role, "jwt": jwt.expose_secret() });
        self.login("Kubernetes login", format!("auth/{}/login", mount_path(mount)), body).await
    }

    async fn read(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.optional("read", VaultRequest::get(path)).await
    }

    async fn list(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.optional("list", VaultRequest::list(path)).await
    }

    async fn write(&self, path: &str, body: &Value) -> Result<Option<VaultResponse>> {
        self.optional("write", VaultRequest::post(path, body.clone())).await
    }

    async fn delete(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.optional("delete", VaultRequest::delete(path)).await
    }

    async fn lookup_self(&self) -> Result<TokenInfo> {
        let path = "auth/token/lookup-self";
        let response: VaultResponse = self.required("token lookup", VaultRequest::get(path), true).await?;
        let data = response.data.ok_or_else(|| transport("token lookup", path, "the answer has no data"))?;
        decode("token lookup", path, data.into_exposed())
    }

    async fn renew_self(&self, increment: Option<Duration>) -> Result<AuthInfo> {
        let path = "auth/token/renew-self";
        let request = VaultRequest::post(path, increment_body(increment));
        let response: VaultResponse = self.required("token renewal", request, true).await?;
        response.auth.ok_or_else(|| transport("token renewal", path, "the answer has no auth block"))
    }

    async fn revoke_self(&self) -> Result<()> {
        self.send("token revocation", VaultRequest::post("auth/token/revoke-self", json!({})), true).await?;
        Ok(())
    }

    async fn renew_lease(&self, lease_id: &str, increment: Option<Duration>) -> Result<LeaseRenewal> {
        let mut body = increment_body(increment);
        body["lease_id"] = json!(lease_id);
        self.required("lease renewal", VaultRequest::post("sys/leases/renew", body), true).await
    }

    async fn revoke_lease(&self, lease_id: &str) -> Result<()> {
        let request = VaultRequest::new(Method::Put, "sys/leases/revoke").with_body(json!({ "lease_id": lease_id }));
        self.send("lease revocation", request, true).await?;
        Ok(())
    }

    async fn lookup_wrapping(&self, token: &WrappingToken) -> Result<WrapLookup> {
        let path = "sys/wrapping/lookup";
        let request = VaultRequest::post(path, json!({ "token": token.expose_secret() }));
        let response: VaultResponse = self.required("wrapping lookup", request, false).await?;
        let data = response.data.ok_or_else(|| transport("wrapping lookup", path, "the answer has no data"))?;
        decode("wrapping lookup", path, data.into_exposed())
    }

    async fn unwrap(&self, token: &WrappingToken) -> Result<VaultResponse> {
        // The wrapping token is the client token: no other token is needed.
        let request = VaultRequest::post("sys/wrapping/unwrap", json!({})).with_token(token.expose_secret());
        self.required("unwrap", request, false).await
    }
}

#[async_trait]
impl SecretIdIssuer for MemoryBackend {
    async fn issue_secret_id(&self, request: &SecretIdRequest) -> Result<IssuedSecretId> {
        let path = format!("auth/{}/role/{}/secret-id", mount_path(&request.approle_mount), request.role_name);
        let mut body = Map::new();
        if !request.metadata.is_empty() {
            let metadata = serde_json::to_string(&request.metadata).unwrap_or_default();
            body.insert("metadata".into(), json!(metadata));
        }
        if !request.cidr_list.is_empty() {
            body.insert("cidr_list".into(), json!(request.cidr_list));
        }
        if !request.token_bound_cidrs.is_empty() {
            body.insert("token_bound_cidrs".into(), json!(request.token_bound_cidrs));
        }
        if let Some(num_uses) = request.num_uses {
            body.insert("num_uses".into(), json!(num_uses));
        }
        if let Some(ttl) = request.ttl {
            body.insert("ttl".into(), json!(ttl.as_secs()));
        }
        let mut vault_request = VaultRequest::post(&path, Value::Object(body));
        if let Some(wrap_ttl) = request.wrap_ttl {
            vault_request = vault_request.with_wrap_ttl(wrap_ttl.as_secs().to_string());
        }
        let response: VaultResponse = self.required("SecretID issue", vault_request, true).await?;
        if let Some(info) = response.wrap_info {
            return Ok(IssuedSecretId::Wrapped(info));
        }
        let data = response.data.ok_or_else(|| transport("SecretID issue", &path, "the answer has no data"))?;
        let secret_id = data.get_str("secret_id").ok_or_else(|| transport("SecretID issue", &path, "no secret_id"))?;
        Ok(IssuedSecretId::Plain {
            secret_id: SecretId::new(secret_id),
            accessor: data.get_str("secret_id_accessor").unwrap_or_default().to_owned(),
            ttl: data.get("secret_id_ttl").and_then(Value::as_u64).unwrap_or(0),
            num_uses: data.get("secret_id_num_uses").and_then(Value::as_u64).unwrap_or(0),
        })
    }

    async fn destroy_secret_id(&self, approle_mount: &str, role_name: &str, accessor: &str) -> Result<()> {
        let path = format!("auth/{}/role/{role_name}/secret-id-accessor/destroy", mount_path(approle_mount));
        let request = VaultRequest::post(path, json!({ "secret_id_accessor": accessor }));
        self.send("SecretID destroy", request, true).await?;
        Ok(())
    }
}
