//! The Secret API's own way into Vault: the client, and the credential it
//! keeps fresh — `VAULT_TOKEN`, a token file (re-read, as Vault Agent
//! rewrites it), or a Kubernetes auth login (renewed by logging in again).

mod metered;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qsec_vault::client::RetryPolicy;
use qsec_vault::{VaultClient, VaultConfig};
use serde::Deserialize;
use tokio::task::JoinHandle;

pub use self::metered::Metered;
use crate::error::{Error, Result};
use crate::metrics::Metrics;

/// How often a token file is read again.
const TOKEN_FILE_POLL: Duration = Duration::from_secs(30);
/// How long to wait before trying a failed Kubernetes login again.
const LOGIN_RETRY: Duration = Duration::from_secs(5);

/// The `vault` section of the configuration. Unset fields fall back to the
/// vault CLI's environment variables (`VAULT_ADDR`, `VAULT_CACERT`,
/// `VAULT_NAMESPACE`, `VAULT_TOKEN`, ...).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSettings {
    /// Vault's address; default `VAULT_ADDR`.
    #[serde(default)]
    pub address: Option<String>,
    /// CA certificates to trust for Vault; default `VAULT_CACERT`.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// The Vault namespace; default `VAULT_NAMESPACE`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// A file holding the service's Vault token (e.g. a Vault Agent sink),
    /// read again every 30 s. Takes precedence over `VAULT_TOKEN`.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Log in with Kubernetes auth instead of using a token.
    #[serde(default)]
    pub kubernetes: Option<KubernetesLogin>,
    /// Seconds one Vault HTTP request may take. Default 5.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// Retries of a failed Vault call (connection errors, 5xx), within the
    /// request timeout. Default 1.
    #[serde(default = "default_retries")]
    pub max_retries: usize,
}

/// Kubernetes auth: the service's own service-account token, exchanged for
/// a Vault token with `role`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesLogin {
    /// The Kubernetes auth role.
    pub role: String,
    /// Where the auth method is mounted, without `auth/`. Default `kubernetes`.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// The service-account token. Default the pod's mounted token.
    #[serde(default = "default_sa_token")]
    pub token_file: PathBuf,
}

fn default_timeout() -> u64 {
    5
}
fn default_retries() -> usize {
    1
}
fn default_mount() -> String {
    "kubernetes".into()
}
fn default_sa_token() -> PathBuf {
    qsec_vault::client::DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH.into()
}

/// The connection: a metered client and the tasks keeping its token fresh,
/// stopped when it is dropped.
pub struct VaultConnection {
    vault: Metered,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for VaultConnection {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl VaultConnection {
    /// Builds the client and sets up its credential. Vault need not be up:
    /// a Kubernetes login is retried in the background until it works.
    pub async fn connect(settings: &VaultSettings, request_timeout: Duration, metrics: Arc<Metrics>) -> Result<Self> {
        let config = client_config(settings, request_timeout)?;
        let client = VaultClient::new(config)
            .map_err(|e| Error::config("vault", format!("cannot build the Vault client: {e}")))?;
        let mut tasks = Vec::new();
        if let Some(login) = &settings.kubernetes {
            client.clear_token();
            tasks.push(tokio::spawn(keep_logged_in(client.clone(), login.clone())));
        } else if let Some(path) = &settings.token_file {
            client.set_token(read_token(path).map_err(|why| Error::config("vault.token_file", why))?.into());
            tasks.push(tokio::spawn(follow_token_file(client.clone(), path.clone())));
        } else if client.token().is_none() {
            return Err(Error::config(
                "vault",
                "no Vault credential: set VAULT_TOKEN, vault.token_file or vault.kubernetes",
            ));
        }
        Ok(Self { vault: Metered::new(client, metrics), tasks })
    }

    /// The metered client.
    pub fn vault(&self) -> &Metered {
        &self.vault
    }
}

fn client_config(settings: &VaultSettings, request_timeout: Duration) -> Result<VaultConfig> {
    let mut config = VaultConfig::from_env().map_err(|e| Error::config("vault (environment)", e.to_string()))?;
    if let Some(address) = &settings.address {
        config.address = VaultConfig::new(address).map_err(|e| Error::config("vault.address", e.to_string()))?.address;
    }
    if let Some(path) = &settings.ca_cert {
        config = config.with_ca_cert(qsec_vault::client::Pem::File(path.clone()));
    }
    if let Some(namespace) = &settings.namespace {
        config = config.with_namespace(namespace.clone());
    }
    let per_call = Duration::from_secs(settings.timeout.max(1)).min(request_timeout);
    // Retries stay within the request timeout, so a request never outlives
    // it because Vault is away.
    let retry = RetryPolicy {
        max_retries: settings.max_retries,
        min_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        max_total_time: request_timeout,
    };
    Ok(config.with_timeout(per_call).with_retry(retry))
}

fn read_token(path: &Path) -> std::result::Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(token.to_owned())
}

async fn follow_token_file(client: VaultClient, path: PathBuf) {
    loop {
        tokio::time::sleep(TOKEN_FILE_POLL).await;
        match read_token(&path) {
            Ok(token) if client.token().is_none_or(|current| current.expose_secret() != token) => {
                tracing::info!(file = %path.display(), "Vault token file changed; using the new token");
                client.set_token(token.into());
            }
            Ok(_) => {}
            Err(why) => tracing::warn!("keeping the current Vault token: {why}"),
        }
    }
}

async fn keep_logged_in(client: VaultClient, login: KubernetesLogin) {
    loop {
        let wait = match client.login_kubernetes_from_file(&login.mount, &login.role, &login.token_file).await {
            Ok(auth) => {
                tracing::info!(role = %login.role, ttl = auth.lease_duration, "logged in to Vault with Kubernetes auth");
                // Log in again at two thirds of the token's life.
                Duration::from_secs((auth.lease_duration * 2 / 3).max(5))
            }
            Err(error) => {
                tracing::warn!(role = %login.role, "Kubernetes login to Vault failed: {error}");
                LOGIN_RETRY
            }
        };
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stay_within_the_request_timeout() {
        let settings = VaultSettings {
            address: Some("http://127.0.0.1:8200".into()),
            timeout: 30,
            max_retries: 2,
            ..VaultSettings::default()
        };
        let config = client_config(&settings, Duration::from_secs(4)).unwrap();
        assert_eq!(config.address.as_str(), "http://127.0.0.1:8200/");
        assert_eq!(config.timeout, Duration::from_secs(4));
        assert_eq!((config.retry.max_retries, config.retry.max_total_time), (2, Duration::from_secs(4)));
    }
}
