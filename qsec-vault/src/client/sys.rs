//! `sys/`: health, ACL policies, auth methods, secrets engine mounts, leases.

use std::collections::BTreeMap;
use std::time::Duration;

use qsec_core::{LeaseRenewal, VaultResponse};
use serde_json::json;

use super::auth::mount_path;
use super::requests::MountRequest;
use super::transport::{Auth, Call, whole_seconds};
use super::types::{AclPolicy, HealthStatus, LeaseInfo, MountInfo};
use super::{Enveloped, VaultClient};
use crate::error::Result;

/// `sys/health` answers these with a JSON body describing the node: they
/// are states, not failures (standby, DR secondary, performance standby,
/// not initialized, sealed).
const HEALTH_STATES: &[u16] = &[429, 472, 473, 501, 503];

impl VaultClient {
    /// The node's health (`GET sys/health?standbyok=true`, no token).
    /// Standby, sealed and uninitialized nodes answer too, with their
    /// status code in [`HealthStatus::status`]; they are not retried.
    pub async fn health(&self) -> Result<HealthStatus> {
        let call = Call::get("health check", "sys/health")
            .query("standbyok", "true")
            .auth(Auth::Anonymous)
            .accept(HEALTH_STATES);
        let raw = self.send(call).await?;
        let mut health: HealthStatus = match &raw.body {
            Some(body) => serde_json::from_value(body.clone()).map_err(|error| raw.decode_error(error))?,
            None => return Err(raw.decode_error("no response body")),
        };
        health.status = raw.status;
        Ok(health)
    }

    /// Lists ACL policies (`LIST sys/policies/acl`).
    pub async fn list_policies(&self) -> Result<Enveloped<Vec<String>>> {
        self.list_keys(Call::list("list policies", "sys/policies/acl")).await
    }

    /// Reads an ACL policy (`GET sys/policies/acl/:name`); `None` when there
    /// is no such policy.
    pub async fn read_policy(&self, name: &str) -> Result<Option<Enveloped<AclPolicy>>> {
        let call = Call::get("read policy", format!("sys/policies/acl/{name}"));
        self.send_optional(call).await?.map(|raw| raw.enveloped()).transpose()
    }

    /// Creates or replaces an ACL policy (`POST sys/policies/acl/:name`
    /// with `policy`, the HCL document).
    pub async fn write_policy(&self, name: &str, policy: &str) -> Result<Option<VaultResponse>> {
        let call = Call::post("write policy", format!("sys/policies/acl/{name}")).json(json!({ "policy": policy }));
        self.send(call).await?.envelope()
    }

    /// Deletes an ACL policy (`DELETE sys/policies/acl/:name`).
    pub async fn delete_policy(&self, name: &str) -> Result<Option<VaultResponse>> {
        self.send(Call::delete("delete policy", format!("sys/policies/acl/{name}"))).await?.envelope()
    }

    /// The enabled auth methods by path, e.g. `approle/` (`GET sys/auth`).
    pub async fn list_auth_methods(&self) -> Result<Enveloped<BTreeMap<String, MountInfo>>> {
        self.send(Call::get("list auth methods", "sys/auth")).await?.enveloped()
    }

    /// Enables an auth method at `auth/{path}` (`POST sys/auth/:path`).
    pub async fn enable_auth_method(&self, path: &str, request: &MountRequest) -> Result<Option<VaultResponse>> {
        let call = Call::post("enable auth method", format!("sys/auth/{}", mount_path(path))).json_of(request);
        self.send(call).await?.envelope()
    }

    /// Disables the auth method at `auth/{path}` (`DELETE sys/auth/:path`).
    pub async fn disable_auth_method(&self, path: &str) -> Result<Option<VaultResponse>> {
        let call = Call::delete("disable auth method", format!("sys/auth/{}", mount_path(path)));
        self.send(call).await?.envelope()
    }

    /// The mounted secrets engines by path, e.g. `secret/` (`GET sys/mounts`).
    pub async fn list_mounts(&self) -> Result<Enveloped<BTreeMap<String, MountInfo>>> {
        self.send(Call::get("list mounts", "sys/mounts")).await?.enveloped()
    }

    /// Mounts a secrets engine at `path` (`POST sys/mounts/:path`).
    pub async fn enable_mount(&self, path: &str, request: &MountRequest) -> Result<Option<VaultResponse>> {
        let path = mount_path(path);
        let call = Call::post("enable secrets engine", format!("sys/mounts/{path}")).json_of(request);
        let answer = self.send(call).await?.envelope()?;
        // Whatever was remembered about an earlier mount here is stale now.
        self.forget_kv_version(path);
        Ok(answer)
    }

    /// Unmounts the secrets engine at `path` (`DELETE sys/mounts/:path`).
    pub async fn disable_mount(&self, path: &str) -> Result<Option<VaultResponse>> {
        let path = mount_path(path);
        let answer =
            self.send(Call::delete("disable secrets engine", format!("sys/mounts/{path}"))).await?.envelope()?;
        self.forget_kv_version(path);
        Ok(answer)
    }

    /// Renews a lease (`POST sys/leases/renew` with `lease_id` and, when
    /// given, `increment` in seconds).
    pub async fn renew_lease(&self, lease_id: &str, increment: Option<Duration>) -> Result<LeaseRenewal> {
        let body = match increment {
            Some(increment) => json!({ "lease_id": lease_id, "increment": whole_seconds(increment) }),
            None => json!({ "lease_id": lease_id }),
        };
        let envelope =
            self.send(Call::post("lease renew", "sys/leases/renew").json(body)).await?.required_envelope()?;
        Ok(LeaseRenewal {
            lease_id: envelope.lease_id,
            lease_duration: envelope.lease_duration,
            renewable: envelope.renewable,
        })
    }

    /// Revokes a lease (`POST sys/leases/revoke` with `lease_id`).
    pub async fn revoke_lease(&self, lease_id: &str) -> Result<()> {
        self.send(Call::post("lease revoke", "sys/leases/revoke").json(json!({ "lease_id": lease_id }))).await?;
        Ok(())
    }

    /// Looks up a lease (`POST sys/leases/lookup` with `lease_id`).
    pub async fn lookup_lease(&self, lease_id: &str) -> Result<Enveloped<LeaseInfo>> {
        let call = Call::post("lease lookup", "sys/leases/lookup").json(json!({ "lease_id": lease_id }));
        self.send(call).await?.enveloped()
    }

    fn forget_kv_version(&self, path: &str) {
        self.inner.kv_versions.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(path);
    }
}
