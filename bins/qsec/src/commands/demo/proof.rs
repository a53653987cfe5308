//! What the demo observes and proves: the pod's lease file, the refresh
//! sidecar's renewals (from its `/metrics`), and, after the pod stops, that
//! Vault refuses the pod's token and knows none of its leases.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use qsec_core::{LeaseBundle, LeaseStore, VaultToken};
use qsec_vault::{FileLeaseStore, VaultClient, VaultConfig};

use super::vault::DemoVault;

/// The lease file `qsec-init` left in the lease volume `dir`.
pub(crate) async fn lease_bundle(dir: &Path) -> anyhow::Result<LeaseBundle> {
    FileLeaseStore::in_dir(dir).load().await?.context("qsec-init left no lease file")
}

/// Polls the sidecar's `/metrics` until it counts `at_least` renewals.
pub(crate) async fn renewals(url: &str, at_least: u64, patience: Duration) -> anyhow::Result<u64> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(response) = client.get(url).send().await
            && let Ok(text) = response.text().await
        {
            let count = text
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{} ", qsec_refresh::RENEWALS)))
                .and_then(|value| value.trim().parse::<f64>().ok())
                .unwrap_or_default() as u64;
            if count >= at_least {
                return Ok(count);
            }
        }
        if Instant::now() > deadline {
            bail!("no renewal counted at {url} within {patience:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What Vault said after the pod stopped.
pub(crate) struct Proof {
    pub(crate) token_refused: bool,
    pub(crate) leases_gone: usize,
    pub(crate) leases_total: usize,
}

/// Whether Vault accepts the pod's token from the pod's address (`Ok(false)`:
/// 403, the token is gone).
pub(crate) async fn token_accepted(vault: &DemoVault, bundle: &LeaseBundle, ip: Ipv4Addr) -> anyhow::Result<bool> {
    let mut config = VaultConfig::new(&vault.url())?.with_local_address(ip.into());
    config.token = Some(VaultToken::new(bundle.token.token.expose_secret()));
    match VaultClient::new(config)?.lookup_self().await {
        Ok(_) => Ok(true),
        Err(error) if error.status() == Some(403) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Asks Vault with the pod's own token, from the pod's address (refused
/// when revoked), and as root about each lease (unknown when revoked).
pub(crate) async fn prove_revoked(vault: &DemoVault, bundle: &LeaseBundle, ip: Ipv4Addr) -> anyhow::Result<Proof> {
    let token_refused = !token_accepted(vault, bundle, ip).await?;
    let root = vault.root_client()?;
    let mut leases_gone = 0;
    for lease in &bundle.leases {
        if root.lookup_lease(&lease.lease_id).await.is_err() {
            leases_gone += 1;
        }
    }
    Ok(Proof { token_refused, leases_gone, leases_total: bundle.leases.len() })
}
