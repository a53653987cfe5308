//! The token auth method: the current token's lookup, renewal and
//! revocation, accessors, token creation and token roles.

use std::time::Duration;

use qsec_core::{AuthInfo, TokenInfo, VaultResponse};
use serde_json::json;

use super::requests::{TokenCreateRequest, TokenRoleConfig};
use super::transport::{Call, duration_string};
use super::{Enveloped, VaultClient};
use crate::error::Result;

impl VaultClient {
    /// Looks up the current token (`GET auth/token/lookup-self`).
    pub async fn lookup_self(&self) -> Result<TokenInfo> {
        self.send(Call::get("token lookup-self", "auth/token/lookup-self")).await?.payload()
    }

    /// Renews the current token (`POST auth/token/renew-self`), asking for
    /// `increment` more time (sent as a duration string, e.g. `3600s`), or
    /// the token's default.
    pub async fn renew_self(&self, increment: Option<Duration>) -> Result<AuthInfo> {
        let mut call = Call::post("token renew-self", "auth/token/renew-self");
        if let Some(increment) = increment {
            call = call.json(json!({ "increment": duration_string(increment) }));
        }
        self.send(call).await?.auth()
    }

    /// Revokes the current token and its leases (`POST
    /// auth/token/revoke-self`), then forgets it.
    pub async fn revoke_self(&self) -> Result<()> {
        self.send(Call::post("token revoke-self", "auth/token/revoke-self")).await?;
        self.clear_token();
        Ok(())
    }

    /// Looks up the token with `accessor` (`POST auth/token/lookup-accessor`);
    /// its `id` comes back empty.
    pub async fn lookup_accessor(&self, accessor: &str) -> Result<TokenInfo> {
        let call =
            Call::post("token lookup-accessor", "auth/token/lookup-accessor").json(json!({ "accessor": accessor }));
        self.send(call).await?.payload()
    }

    /// Revokes the token with `accessor` and its children (`POST
    /// auth/token/revoke-accessor`).
    pub async fn revoke_accessor(&self, accessor: &str) -> Result<()> {
        let call =
            Call::post("token revoke-accessor", "auth/token/revoke-accessor").json(json!({ "accessor": accessor }));
        self.send(call).await?;
        Ok(())
    }

    /// Creates a child of the current token (`POST auth/token/create`). The
    /// new token is returned, not made current.
    pub async fn create_token(&self, request: &TokenCreateRequest) -> Result<Enveloped<AuthInfo>> {
        self.token_create(Call::post("token create", "auth/token/create"), request).await
    }

    /// Creates a token against the token role `role_name` (`POST
    /// auth/token/create/:role_name`). The new token is returned, not made
    /// current.
    pub async fn create_token_with_role(
        &self,
        role_name: &str,
        request: &TokenCreateRequest,
    ) -> Result<Enveloped<AuthInfo>> {
        self.token_create(Call::post("token create", format!("auth/token/create/{role_name}")), request).await
    }

    async fn token_create(&self, call: Call, request: &TokenCreateRequest) -> Result<Enveloped<AuthInfo>> {
        let raw = self.send(call.json_of(request)).await?;
        Ok(Enveloped { value: raw.auth()?, envelope: raw.required_envelope()? })
    }

    /// Lists token roles (`LIST auth/token/roles`); empty when there are none.
    pub async fn list_token_roles(&self) -> Result<Enveloped<Vec<String>>> {
        self.list_keys(Call::list("list token roles", "auth/token/roles")).await
    }

    /// Reads a token role (`GET auth/token/roles/:role_name`).
    pub async fn read_token_role(&self, role_name: &str) -> Result<Option<Enveloped<TokenRoleConfig>>> {
        let call = Call::get("read token role", format!("auth/token/roles/{role_name}"));
        self.send_optional(call).await?.map(|raw| raw.enveloped()).transpose()
    }

    /// Creates or replaces a token role (`POST auth/token/roles/:role_name`).
    pub async fn write_token_role(&self, role_name: &str, role: &TokenRoleConfig) -> Result<Option<VaultResponse>> {
        let call = Call::post("write token role", format!("auth/token/roles/{role_name}")).json_of(role);
        self.send(call).await?.envelope()
    }

    /// Deletes a token role (`DELETE auth/token/roles/:role_name`).
    pub async fn delete_token_role(&self, role_name: &str) -> Result<Option<VaultResponse>> {
        self.send(Call::delete("delete token role", format!("auth/token/roles/{role_name}"))).await?.envelope()
    }
}
