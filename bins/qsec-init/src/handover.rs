//! The hand-over after login: render the config directory into the config
//! volume, then write the token and leases into the lease volume.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use qsec_core::{AppPlan, AuthInfo, LeaseBundle, LeaseStore, StoredToken, VaultBackend};
use qsec_template::config_dir::{ConfigDirOptions, render_config_dir};
use qsec_template::{VaultFunctionsConfig, VaultRenderer};
use qsec_vault::FileLeaseStore;
use tracing::{info, warn};

use crate::error::{Error, one_line};

/// How long revoking the token after a failed hand-over may take.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything the hand-over needs besides Vault and the token.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The app's plan: its name, secret areas and kv mounts, for `lookup`.
    pub plan: AppPlan,
    /// Where the Vault template functions find things (`app` is set from
    /// [`Handover::plan`]).
    pub functions: VaultFunctionsConfig,
    /// Template functions templates may not call.
    pub deny_functions: Vec<String>,
    /// The config templates and files baked into the image.
    pub config_source: PathBuf,
    /// The config volume.
    pub config_dir: PathBuf,
    /// The lease volume.
    pub lease_dir: PathBuf,
    /// File mode, template data (the dot) and check command.
    pub options: ConfigDirOptions,
    /// How long rendering may take.
    pub render_timeout: Duration,
}

/// What a successful hand-over left behind.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every file published, relative to the config volume, sorted.
    pub files: Vec<PathBuf>,
    /// The lease file written.
    pub lease_file: PathBuf,
    /// How many leases it holds besides the token.
    pub leases: usize,
    /// The token's accessor (safe to log).
    pub token_accessor: String,
}

impl Handover {
    /// Renders the config directory with `vault` (whose current token is
    /// `auth`'s), then saves the token and every lease the templates
    /// obtained. On failure the token is revoked, and with it every lease
    /// rendering obtained, so a restart does not leave credentials behind.
    pub async fn run(&self, vault: Arc<dyn VaultBackend>, auth: &AuthInfo) -> Result<Report, Error> {
        let obtained_at = qsec_vault::unix_seconds(SystemTime::now());
        match self.publish(vault.clone(), auth, obtained_at).await {
            Ok(report) => Ok(report),
            Err(error) => {
                match tokio::time::timeout(REVOKE_TIMEOUT, vault.revoke_self()).await {
                    Ok(Ok(())) => info!(accessor = %auth.accessor, "revoked the token after the failure"),
                    Ok(Err(revoke)) => warn!(accessor = %auth.accessor, error = %revoke, "could not revoke the token"),
                    Err(_) => warn!(accessor = %auth.accessor, "revoking the token timed out"),
                }
                Err(error)
            }
        }
    }

    async fn publish(&self, vault: Arc<dyn VaultBackend>, auth: &AuthInfo, obtained_at: u64) -> Result<Report, Error> {
        let functions = VaultFunctionsConfig { app: Some(self.plan.clone()), ..self.functions.clone() };
        // One renderer per render: its scope shares one credential per
        // database role across every template, and no further.
        let renderer = VaultRenderer::builder(vault)
            .config(functions)
            .deny(self.deny_functions.iter().map(String::as_str))
            .build();
        let render = render_config_dir(&renderer, &self.config_source, &self.config_dir, &self.options);
        let rendered = tokio::time::timeout(self.render_timeout, render)
            .await
            .map_err(|_| Error::RenderTimeout { timeout: self.render_timeout })?
            .map_err(|error| Error::render(&self.config_source, &self.config_dir, error))?;

        let store = FileLeaseStore::in_dir(&self.lease_dir);
        let leases = rendered.leases.len();
        let bundle =
            LeaseBundle::new(Some(self.plan.app.clone()), StoredToken::from_auth(auth, obtained_at), rendered.leases);
        store
            .save(&bundle)
            .await
            .map_err(|error| Error::Leases { dir: self.lease_dir.clone(), reason: one_line(error) })?;
        let report = Report {
            files: rendered.files,
            lease_file: store.path().to_owned(),
            leases,
            token_accessor: auth.accessor.clone(),
        };
        info!(
            files = report.files.len(),
            leases = report.leases,
            accessor = %report.token_accessor,
            config_dir = %self.config_dir.display(),
            lease_file = %report.lease_file.display(),
            "config published; token and leases handed over"
        );
        Ok(report)
    }
}
