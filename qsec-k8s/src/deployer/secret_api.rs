//! Road 1: asking the Secret API for an app's RoleID.

use std::time::Duration;

use qsec_core::{AppRef, Jwt, RoleId};
use serde::Deserialize;

use crate::error::{Error, Result};

/// The Secret API's answer to `POST /v1/apps/{provider}/{cluster}/{app}/role-id`.
#[derive(Debug, Clone, Deserialize)]
pub struct RoleIdResponse {
    /// The AppRole's RoleID.
    pub role_id: RoleId,
    /// The AppRole's name in Vault, e.g. `aws.stg.myapp`.
    pub role_name: String,
}

/// Asks the Secret API at `api` (e.g. `https://secret-api.example.com`) for
/// `app`'s RoleID, as the caller identified by `token`. The Secret API makes
/// sure the AppRole and its policies exist first (seed step 3). Installs
/// ring as the rustls provider if the process has none.
pub async fn fetch_role_id(api: &str, token: &Jwt, app: &AppRef) -> Result<RoleIdResponse> {
    let url =
        format!("{}/v1/apps/{}/{}/{}/role-id", api.trim_end_matches('/'), app.provider(), app.cluster(), app.app());
    let failed = |error: reqwest::Error| Error::SecretApi { reason: format!("POST {url}: {error}") };
    crate::ensure_crypto_provider();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(failed)?;
    let response = client.post(&url).bearer_auth(token.expose_secret()).send().await.map_err(failed)?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let detail: String = body.trim().chars().take(300).collect();
        let hint = match status.as_u16() {
            401 => " (is the token valid and unexpired?)",
            403 => " (is the caller in a group allowed to deploy this app?)",
            _ => "",
        };
        return Err(Error::SecretApi { reason: format!("POST {url} answered {status}{hint}: {detail}") });
    }
    response.json().await.map_err(failed)
}
