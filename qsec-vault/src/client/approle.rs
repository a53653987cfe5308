//! The AppRole auth method: roles, RoleIDs, SecretIDs.

use qsec_core::{IssuedSecretId, RoleId, SecretId, SecretIdRequest, VaultResponse};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::mount_path;
use super::requests::AppRoleConfig;
use super::transport::{Call, whole_seconds};
use super::types::{GeneratedSecretId, SecretIdInfo};
use super::{Enveloped, VaultClient};
use crate::error::Result;

fn role_path(mount: &str, role_name: &str) -> String {
    format!("auth/{}/role/{role_name}", mount_path(mount))
}

impl VaultClient {
    /// Lists the AppRoles (`LIST auth/{mount}/role`); empty when there are none.
    pub async fn list_approles(&self, mount: &str) -> Result<Enveloped<Vec<String>>> {
        self.list_keys(Call::list("list AppRoles", format!("auth/{}/role", mount_path(mount)))).await
    }

    /// Reads an AppRole (`GET auth/{mount}/role/:role_name`).
    pub async fn read_approle(&self, mount: &str, role_name: &str) -> Result<Option<Enveloped<AppRoleConfig>>> {
        let call = Call::get("read AppRole", role_path(mount, role_name));
        self.send_optional(call).await?.map(|raw| raw.enveloped()).transpose()
    }

    /// Creates or updates an AppRole (`POST auth/{mount}/role/:role_name`).
    pub async fn write_approle(
        &self,
        mount: &str,
        role_name: &str,
        role: &AppRoleConfig,
    ) -> Result<Option<VaultResponse>> {
        self.send(Call::post("write AppRole", role_path(mount, role_name)).json_of(role)).await?.envelope()
    }

    /// Deletes an AppRole (`DELETE auth/{mount}/role/:role_name`).
    pub async fn delete_approle(&self, mount: &str, role_name: &str) -> Result<Option<VaultResponse>> {
        self.send(Call::delete("delete AppRole", role_path(mount, role_name))).await?.envelope()
    }

    /// Reads an AppRole's RoleID (`GET auth/{mount}/role/:role_name/role-id`).
    pub async fn read_role_id(&self, mount: &str, role_name: &str) -> Result<Enveloped<RoleId>> {
        #[derive(Deserialize)]
        struct Data {
            role_id: RoleId,
        }
        let call = Call::get("read RoleID", format!("{}/role-id", role_path(mount, role_name)));
        let answer = self.send(call).await?.enveloped::<Data>()?;
        Ok(Enveloped { value: answer.value.role_id, envelope: answer.envelope })
    }

    /// Generates a SecretID (`POST auth/{mount}/role/:role_name/secret-id`)
    /// with the request's `metadata` (sent as a JSON-encoded string, as the
    /// endpoint wants), `cidr_list`, `token_bound_cidrs`, `num_uses` and
    /// `ttl` (seconds). With `wrap_ttl` set, `X-Vault-Wrap-TTL` asks Vault
    /// to wrap it, and the answer is [`IssuedSecretId::Wrapped`].
    pub async fn generate_secret_id(&self, request: &SecretIdRequest) -> Result<Enveloped<IssuedSecretId>> {
        let path = format!("{}/secret-id", role_path(&request.approle_mount, &request.role_name));
        let call = Call::post("generate SecretID", path).json(secret_id_body(request)).wrap_ttl(request.wrap_ttl);
        let raw = self.send(call).await?;
        let envelope = raw.required_envelope()?;
        if let Some(wrap_info) = envelope.wrap_info.clone() {
            return Ok(Enveloped { value: IssuedSecretId::Wrapped(wrap_info), envelope });
        }
        let generated: GeneratedSecretId = raw.payload()?;
        let value = IssuedSecretId::Plain {
            secret_id: generated.secret_id,
            accessor: generated.secret_id_accessor,
            ttl: generated.secret_id_ttl,
            num_uses: generated.secret_id_num_uses,
        };
        Ok(Enveloped { value, envelope })
    }

    /// Lists the accessors of an AppRole's SecretIDs (`LIST
    /// auth/{mount}/role/:role_name/secret-id`).
    pub async fn list_secret_id_accessors(&self, mount: &str, role_name: &str) -> Result<Enveloped<Vec<String>>> {
        let call = Call::list("list SecretID accessors", format!("{}/secret-id", role_path(mount, role_name)));
        self.list_keys(call).await
    }

    /// Reads a SecretID's properties (`POST
    /// auth/{mount}/role/:role_name/secret-id/lookup` with `secret_id`);
    /// `None` when Vault does not know it.
    pub async fn lookup_secret_id(
        &self,
        mount: &str,
        role_name: &str,
        secret_id: &SecretId,
    ) -> Result<Option<Enveloped<SecretIdInfo>>> {
        let call = Call::post("look up SecretID", format!("{}/secret-id/lookup", role_path(mount, role_name)))
            .json(json!({ "secret_id": secret_id.expose_secret() }));
        self.optional_typed(call).await
    }

    /// Destroys a SecretID by value (`POST
    /// auth/{mount}/role/:role_name/secret-id/destroy` with `secret_id`).
    pub async fn destroy_secret_id_by_value(
        &self,
        mount: &str,
        role_name: &str,
        secret_id: &SecretId,
    ) -> Result<Option<VaultResponse>> {
        let call = Call::post("destroy SecretID", format!("{}/secret-id/destroy", role_path(mount, role_name)))
            .json(json!({ "secret_id": secret_id.expose_secret() }));
        self.send(call).await?.envelope()
    }

    /// Reads a SecretID's properties by its accessor (`POST
    /// auth/{mount}/role/:role_name/secret-id-accessor/lookup`); `None` when
    /// Vault does not know it.
    pub async fn lookup_secret_id_accessor(
        &self,
        mount: &str,
        role_name: &str,
        accessor: &str,
    ) -> Result<Option<Enveloped<SecretIdInfo>>> {
        let path = format!("{}/secret-id-accessor/lookup", role_path(mount, role_name));
        let call = Call::post("look up SecretID accessor", path).json(json!({ "secret_id_accessor": accessor }));
        self.optional_typed(call).await
    }

    /// Destroys a SecretID by its accessor (`POST
    /// auth/{mount}/role/:role_name/secret-id-accessor/destroy`).
    pub async fn destroy_secret_id_accessor(
        &self,
        mount: &str,
        role_name: &str,
        accessor: &str,
    ) -> Result<Option<VaultResponse>> {
        let path = format!("{}/secret-id-accessor/destroy", role_path(mount, role_name));
        let call = Call::post("destroy SecretID accessor", path).json(json!({ "secret_id_accessor": accessor }));
        self.send(call).await?.envelope()
    }

    /// A typed answer; `None` for 204, an empty body, or a 404 without errors.
    async fn optional_typed<T: serde::de::DeserializeOwned>(&self, call: Call) -> Result<Option<Enveloped<T>>> {
        match self.send_optional(call).await? {
            Some(raw) if raw.body.as_ref().is_some_and(|body| !body["data"].is_null()) => raw.enveloped().map(Some),
            _ => Ok(None),
        }
    }
}

/// The `secret-id` body: only what the request sets, so the role's settings
/// apply to the rest.
fn secret_id_body(request: &SecretIdRequest) -> Value {
    let mut body = Map::new();
    if !request.metadata.is_empty() {
        let metadata = serde_json::to_string(&request.metadata).unwrap_or_default();
        body.insert("metadata".into(), Value::String(metadata));
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
        body.insert("ttl".into(), json!(whole_seconds(ttl)));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;

    #[test]
    fn secret_id_body_sends_metadata_as_a_json_string_and_only_what_is_set() {
        let request = SecretIdRequest {
            metadata: BTreeMap::from([("pod".to_owned(), "myapp-0".to_owned())]),
            cidr_list: vec!["10.0.0.7/32".into()],
            num_uses: Some(1),
            ttl: Some(Duration::from_secs(300)),
            ..SecretIdRequest::default()
        };
        assert_eq!(
            secret_id_body(&request),
            json!({ "metadata": "{\"pod\":\"myapp-0\"}", "cidr_list": ["10.0.0.7/32"], "num_uses": 1, "ttl": 300 })
        );
        assert_eq!(secret_id_body(&SecretIdRequest::default()), json!({}));
    }
}
