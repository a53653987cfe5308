//! `sys/wrapping`: looking at and unwrapping response-wrapping tokens.

use qsec_core::{VaultResponse, VaultToken, WrapLookup, WrappingToken};
use serde_json::json;

use super::answer::decode_error;
use super::transport::{Auth, Call};
use super::types::GeneratedSecretId;
use super::{Enveloped, VaultClient};
use crate::error::Result;

impl VaultClient {
    /// Looks at a wrapping token without using it (`POST
    /// sys/wrapping/lookup` with `token`). Check its `creation_path` before
    /// unwrapping.
    pub async fn lookup_wrapping(&self, token: &WrappingToken) -> Result<WrapLookup> {
        let call = Call::post("wrapping lookup", "sys/wrapping/lookup").json(json!({ "token": token.expose_secret() }));
        self.send(call).await?.payload()
    }

    /// Unwraps a wrapping token, which works once (`POST
    /// sys/wrapping/unwrap`). As the vault CLI does: with no current token,
    /// the wrapping token is sent as `X-Vault-Token`; otherwise the current
    /// token authenticates and the wrapping token goes in the `token` body
    /// parameter. Never both: Vault would burn it without answering.
    pub async fn unwrap(&self, token: &WrappingToken) -> Result<VaultResponse> {
        match self.token() {
            None => self.unwrap_with_header(token).await,
            Some(current) if current.expose_secret() == token.expose_secret() => self.unwrap_with_header(token).await,
            Some(_) => self.unwrap_with_body(token).await,
        }
    }

    /// Unwraps with the wrapping token as `X-Vault-Token` and no body: no
    /// other token is needed.
    pub async fn unwrap_with_header(&self, token: &WrappingToken) -> Result<VaultResponse> {
        let call =
            Call::post("unwrap", "sys/wrapping/unwrap").auth(Auth::Explicit(VaultToken::new(token.expose_secret())));
        self.send(call).await?.required_envelope()
    }

    /// Unwraps with the current token as `X-Vault-Token` and the wrapping
    /// token in the `token` body parameter.
    pub async fn unwrap_with_body(&self, token: &WrappingToken) -> Result<VaultResponse> {
        let call = Call::post("unwrap", "sys/wrapping/unwrap").json(json!({ "token": token.expose_secret() }));
        self.send(call).await?.required_envelope()
    }

    /// Unwraps a wrapped `secret-id` answer into the SecretID (see
    /// [`VaultClient::unwrap`] for how the token is sent).
    pub async fn unwrap_secret_id(&self, token: &WrappingToken) -> Result<Enveloped<GeneratedSecretId>> {
        let envelope = self.unwrap(token).await?;
        let data = envelope.data.as_ref().map(|data| data.expose_secret().clone()).unwrap_or_default();
        let value = serde_json::from_value(data).map_err(|error| {
            decode_error("unwrap", "sys/wrapping/unwrap", format!("the wrapped answer is not a SecretID: {error}"))
        })?;
        Ok(Enveloped { value, envelope })
    }
}
