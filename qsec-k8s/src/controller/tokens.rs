//! Get-secret-id tokens from the Secret API, one per app, cached until
//! shortly before they expire. The controller authenticates with its
//! service-account token, read from its file for every request so a rotated
//! token is used at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use qsec_core::{AppRef, VaultToken};
use qsec_vault::{VaultClient, VaultConfig};
use serde::Deserialize;

use crate::error::{Error, Result};

/// What a get-secret-id token lets the controller do for one app.
#[derive(Clone)]
pub struct AppAccess {
    /// A Vault client holding the app's get-secret-id token.
    pub vault: Arc<VaultClient>,
    /// The AppRole auth mount, e.g. `approle`.
    pub approle_mount: String,
    /// The AppRole's name.
    pub role_name: String,
    /// When the token stops being used.
    pub renew_at: Instant,
}

/// The Secret API's answer (the token inside is never logged).
#[derive(Deserialize)]
struct TokenAnswer {
    token: VaultToken,
    ttl: u64,
    role_name: String,
    secret_id_path: String,
}

/// Fetches and caches get-secret-id tokens.
pub struct SecretIdTokens {
    http: reqwest::Client,
    api: String,
    token_file: PathBuf,
    vault: VaultConfig,
    margin: Duration,
    /// One slot per app; its async lock makes concurrent pods of one app
    /// wait for a single request instead of each asking.
    apps: Mutex<HashMap<AppRef, Arc<tokio::sync::Mutex<Option<AppAccess>>>>>,
}

impl SecretIdTokens {
    /// Tokens from the Secret API at `api`, authenticated with the JWT in
    /// `token_file`, for Vault as `vault` says (its token is ignored).
    pub fn new(api: &str, token_file: PathBuf, vault: VaultConfig, margin: Duration) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default();
        Self { http, api: api.trim_end_matches('/').to_owned(), token_file, vault, margin, apps: Mutex::default() }
    }

    fn slot(&self, app: &AppRef) -> Arc<tokio::sync::Mutex<Option<AppAccess>>> {
        self.apps.lock().unwrap_or_else(PoisonError::into_inner).entry(app.clone()).or_default().clone()
    }

    /// A current token for `app`: cached, or fetched now.
    pub async fn access(&self, app: &AppRef) -> Result<AppAccess> {
        let slot = self.slot(app);
        let mut cached = slot.lock().await;
        if let Some(access) = cached.as_ref().filter(|access| access.renew_at > Instant::now()) {
            return Ok(access.clone());
        }
        let fresh = self.fetch(app).await?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Forgets `app`'s token (Vault refused it: revoked or expired early).
    pub async fn forget(&self, app: &AppRef) {
        *self.slot(app).lock().await = None;
    }

    async fn fetch(&self, app: &AppRef) -> Result<AppAccess> {
        let failed = |reason: String| Error::SecretApi { reason: format!("secret-id-token for {app}: {reason}") };
        let jwt = tokio::fs::read_to_string(&self.token_file).await.map_err(|error| {
            failed(format!("reading the service-account token {}: {error}", self.token_file.display()))
        })?;
        let url = format!("{}/v1/apps/{}/{}/{}/secret-id-token", self.api, app.provider(), app.cluster(), app.app());
        let asked = Instant::now();
        let response = self
            .http
            .post(&url)
            .bearer_auth(jwt.trim())
            .send()
            .await
            .map_err(|error| failed(format!("POST {url}: {error}; check --secret-api and the network")))?;
        let status = response.status();
        if !status.is_success() {
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let message = body["message"].as_str().unwrap_or_default().chars().take(300).collect::<String>();
            return Err(failed(format!("HTTP {status}: {message}")));
        }
        let answer: TokenAnswer =
            response.json().await.map_err(|error| failed(format!("unexpected answer: {error}")))?;
        let approle_mount = mount_of(&answer.secret_id_path, &answer.role_name)
            .ok_or_else(|| failed(format!("unexpected secret_id_path {:?}", answer.secret_id_path)))?;
        let vault = VaultClient::new(self.vault.clone().with_token(answer.token))
            .map_err(Error::vault(format!("setting up the Vault client for {app}")))?;
        let ttl = Duration::from_secs(answer.ttl);
        // Renew before the margin, and never use more than the first half of a short token's life.
        let usable = ttl.saturating_sub(self.margin).max(ttl / 2);
        Ok(AppAccess { vault: Arc::new(vault), approle_mount, role_name: answer.role_name, renew_at: asked + usable })
    }
}

/// The mount in `auth/<mount>/role/<role>/secret-id`.
fn mount_of(secret_id_path: &str, role_name: &str) -> Option<String> {
    let rest = secret_id_path.strip_prefix("auth/")?;
    let mount = rest.strip_suffix(&format!("/role/{role_name}/secret-id"))?;
    (!mount.is_empty()).then(|| mount.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_comes_from_the_secret_id_path() {
        assert_eq!(mount_of("auth/approle/role/aws.stg.myapp/secret-id", "aws.stg.myapp").as_deref(), Some("approle"));
        assert_eq!(mount_of("auth/team/approle/role/r/secret-id", "r").as_deref(), Some("team/approle"));
        assert_eq!(mount_of("auth/approle/role/other/secret-id", "r"), None);
    }
}
