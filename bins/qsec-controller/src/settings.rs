//! The controller's command line: every setting a flag and an environment
//! variable (the flag wins).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use qsec_k8s::controller::{ControllerConfig, LeaseSettings, RefreshAction};
use qsec_vault::VaultConfig;

/// The Secret Controller: delivers single-use, wrapped, pod-bound SecretIDs
/// to pods annotated `qsec.io/approle` whose qsec-init waits for one.
#[derive(Parser, Debug)]
#[command(name = "qsec-controller", version, about)]
pub(crate) struct Args {
    /// The cluster this controller serves (the CLUSTER of PROVIDER.CLUSTER.APP).
    #[arg(long, env = "QSEC_CLUSTER")]
    pub(crate) cluster: String,
    /// Also refuse apps of other providers than this one.
    #[arg(long, env = "QSEC_PROVIDER")]
    pub(crate) provider: Option<String>,
    /// The Secret API's base URL.
    #[arg(long, env = "QSEC_SECRET_API", value_name = "URL")]
    pub(crate) secret_api: String,
    /// The service-account token presented to the Secret API (re-read for every request).
    #[arg(long, env = "QSEC_TOKEN_FILE", default_value = "/var/run/secrets/kubernetes.io/serviceaccount/token")]
    pub(crate) token_file: PathBuf,
    /// Vault's address.
    #[arg(long, env = "VAULT_ADDR", value_name = "URL")]
    pub(crate) vault_addr: Option<String>,
    /// PEM CA certificates to trust for Vault.
    #[arg(long, env = "VAULT_CACERT", value_name = "FILE")]
    pub(crate) vault_cacert: Option<PathBuf>,
    /// Watch only this namespace (default: all).
    #[arg(long, env = "QSEC_NAMESPACE")]
    pub(crate) namespace: Option<String>,
    /// Watch only pods with these labels, e.g. `qsec.io/managed=true` (filtered by the API server).
    #[arg(long, env = "QSEC_LABEL_SELECTOR")]
    pub(crate) label_selector: Option<String>,
    /// This replica's name (default: the pod name from POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    pub(crate) identity: Option<String>,
    /// Where /healthz, /readyz and /metrics are served.
    #[arg(long, env = "QSEC_LISTEN", default_value = "0.0.0.0:8080")]
    pub(crate) listen: SocketAddr,
    /// Seconds a SecretID lives.
    #[arg(long, env = "QSEC_SECRET_ID_TTL", default_value_t = 120)]
    pub(crate) secret_id_ttl: u64,
    /// Seconds its wrapping token lives.
    #[arg(long, env = "QSEC_WRAP_TTL", default_value_t = 60)]
    pub(crate) wrap_ttl: u64,
    /// Pods worked on at once.
    #[arg(long, env = "QSEC_CONCURRENCY", default_value_t = 64)]
    pub(crate) concurrency: usize,
    /// What to do with a pod whose refresh sidecar failed.
    #[arg(long, env = "QSEC_REFRESH_ACTION", value_enum, default_value = "delete")]
    pub(crate) refresh_action: RefreshAction,
    /// Seconds a started refresh sidecar may stay unready before that counts as failed.
    #[arg(long, env = "QSEC_REFRESH_GRACE", default_value_t = 60)]
    pub(crate) refresh_grace: u64,
    /// Elect a leader through a Lease (turn off only for a single replica).
    #[arg(long, env = "QSEC_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) leader_election: bool,
    /// The Lease's name.
    #[arg(long, env = "QSEC_LEASE_NAME", default_value = "qsec-controller")]
    pub(crate) lease_name: String,
    /// The Lease's namespace (default: the pod's, from POD_NAMESPACE; else the
    /// kubeconfig context's or in-cluster namespace).
    #[arg(long, env = "POD_NAMESPACE")]
    pub(crate) lease_namespace: Option<String>,
    /// Seconds the leader holds the Lease without renewing; a standby takes over within it.
    #[arg(long, env = "QSEC_LEASE_DURATION", default_value_t = 15)]
    pub(crate) lease_duration: u64,
    /// Seconds before expiry the leader renews.
    #[arg(long, env = "QSEC_LEASE_GRACE", default_value_t = 5)]
    pub(crate) lease_grace: u64,
}

impl Args {
    /// The controller's settings.
    pub(crate) fn controller_config(&self) -> ControllerConfig {
        let identity = self.identity.clone().filter(|id| !id.trim().is_empty()).unwrap_or_else(host_name);
        let mut config = ControllerConfig::new(&self.cluster, &self.secret_api, &identity);
        config.provider = self.provider.clone();
        config.namespace = self.namespace.clone().filter(|ns| !ns.is_empty());
        config.label_selector = self.label_selector.clone().filter(|s| !s.is_empty());
        config.token_file = self.token_file.clone();
        config.secret_id_ttl = Duration::from_secs(self.secret_id_ttl);
        config.wrap_ttl = Duration::from_secs(self.wrap_ttl);
        config.concurrency = self.concurrency;
        config.refresh_action = self.refresh_action;
        config.refresh_grace = Duration::from_secs(self.refresh_grace);
        config
    }

    /// The Lease, when leader election is on; `default_namespace` is the
    /// client's (kubeconfig context or in-cluster).
    pub(crate) fn lease(&self, default_namespace: &str) -> Option<LeaseSettings> {
        self.leader_election.then(|| LeaseSettings {
            namespace: self
                .lease_namespace
                .clone()
                .filter(|ns| !ns.is_empty())
                .unwrap_or_else(|| default_namespace.to_owned()),
            name: self.lease_name.clone(),
            duration: self.lease_duration,
            grace: self.lease_grace,
        })
    }

    /// The Vault client's settings: these flags and the vault CLI's other
    /// `VAULT_*` variables, except `VAULT_TOKEN` (the controller only uses
    /// get-secret-id tokens from the Secret API).
    pub(crate) fn vault_config(&self) -> Result<VaultConfig, qsec_vault::Error> {
        VaultConfig::from_lookup(|name| match name {
            "VAULT_ADDR" => self.vault_addr.clone(),
            "VAULT_CACERT" => self.vault_cacert.as_ref().map(|path| path.display().to_string()),
            "VAULT_TOKEN" => None,
            other => std::env::var(other).ok(),
        })
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "qsec-controller".into())
}
