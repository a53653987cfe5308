//! The injection settings as command-line flags, shared by `qsec deploy
//! render` and `qsec-webhook` so both speak the same language.

use super::settings::{ConfigFrom, InjectSettings, SidecarMode, VaultCa};
use crate::error::{Error, Result};

/// Flags for [`InjectSettings`]; every default is [`InjectSettings::default`]'s.
/// Where config comes from is each front end's own flag.
#[derive(Debug, Clone, clap::Args)]
pub struct InjectArgs {
    /// The qsec-init image (in image mode: the base of the app's init image).
    #[arg(long, env = "QSEC_INIT_IMAGE", value_name = "IMAGE")]
    pub init_image: Option<String>,
    /// The qsec-refresh image.
    #[arg(long, env = "QSEC_REFRESH_IMAGE", value_name = "IMAGE")]
    pub refresh_image: Option<String>,
    /// imagePullPolicy of the qsec containers (Always, IfNotPresent, Never).
    #[arg(long, value_name = "POLICY")]
    pub image_pull_policy: Option<String>,
    /// Vault's address, given to the qsec containers as VAULT_ADDR.
    #[arg(long, env = "VAULT_ADDR", value_name = "URL")]
    pub vault_addr: Option<String>,
    /// Vault's CA certificate: a path inside the images, or
    /// configmap:NAME:KEY for a ConfigMap in the pod's namespace.
    #[arg(long, value_name = "PATH|configmap:NAME:KEY")]
    pub vault_ca: Option<String>,
    /// How qsec-refresh runs: native (Kubernetes 1.29+), classic or none.
    #[arg(long, value_name = "MODE", conflicts_with = "kubernetes_version")]
    pub sidecar: Option<String>,
    /// Pick the sidecar mode the cluster supports, from its version (e.g. 1.28).
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// The port qsec-init listens on for its SecretID.
    #[arg(long, value_name = "PORT")]
    pub init_port: Option<u16>,
    /// The port qsec-refresh serves /healthz and /metrics on.
    #[arg(long, value_name = "PORT")]
    pub refresh_port: Option<u16>,
    /// Where the app containers find the rendered config files.
    #[arg(long, value_name = "PATH")]
    pub config_path: Option<String>,
    /// Also mount the config into the app's own init containers.
    #[arg(long)]
    pub config_in_init_containers: bool,
    /// The user the qsec containers run as; 0 keeps the image's user.
    #[arg(long, value_name = "UID")]
    pub run_as_user: Option<i64>,
    /// Do not add the init port to Istio's excludeInboundPorts.
    #[arg(long)]
    pub no_istio_exclusion: bool,
    /// Outbound ports (e.g. Vault's 8200) Istio's proxy must leave alone.
    #[arg(long, value_name = "PORT", value_delimiter = ',')]
    pub istio_exclude_outbound_port: Vec<u16>,
    /// More settings for qsec-init, as NAME=VALUE (repeatable), e.g.
    /// QSEC_KV_VERSION=2 when the app areas are in a kv v2 mount.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_env)]
    pub init_env: Vec<(String, String)>,
}

fn parse_env(text: &str) -> std::result::Result<(String, String), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("{text:?}: expected NAME=VALUE"))?;
    Ok((name.trim().to_owned(), value.to_owned()))
}

impl InjectArgs {
    /// The settings these flags give, config coming from `config_from`.
    pub fn to_settings(&self, config_from: ConfigFrom) -> Result<InjectSettings> {
        let mut settings = InjectSettings { config_from, ..InjectSettings::default() };
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(value) = value {
                target.clone_from(value);
            }
        };
        set(&mut settings.init_image, &self.init_image);
        set(&mut settings.refresh_image, &self.refresh_image);
        set(&mut settings.vault_addr, &self.vault_addr);
        set(&mut settings.config_mount_path, &self.config_path);
        settings.image_pull_policy.clone_from(&self.image_pull_policy);
        if let Some(ca) = &self.vault_ca {
            settings.vault_ca = Some(vault_ca(ca)?);
        }
        if let Some(mode) = &self.sidecar {
            settings.sidecar = mode.parse()?;
        }
        if let Some(version) = &self.kubernetes_version {
            settings.sidecar = SidecarMode::for_kubernetes_version(version)?;
        }
        settings.init_port = self.init_port.unwrap_or(settings.init_port);
        settings.refresh_port = self.refresh_port.unwrap_or(settings.refresh_port);
        settings.config_in_init_containers = self.config_in_init_containers;
        if let Some(user) = self.run_as_user {
            settings.run_as_user = (user != 0).then_some(user);
        }
        settings.mesh.istio_exclude_init_port = !self.no_istio_exclusion;
        settings.mesh.istio_exclude_outbound_ports.clone_from(&self.istio_exclude_outbound_port);
        settings.init_env.clone_from(&self.init_env);
        settings.validate()?;
        Ok(settings)
    }
}

fn vault_ca(text: &str) -> Result<VaultCa> {
    let Some(reference) = text.strip_prefix("configmap:") else {
        return Ok(VaultCa::File(text.to_string()));
    };
    match reference.split_once(':') {
        Some((name, key)) if !name.is_empty() && !key.is_empty() => {
            Ok(VaultCa::ConfigMap { name: name.into(), key: key.into() })
        }
        _ => Err(Error::InvalidSettings { reason: format!("Vault CA {text:?}: expected configmap:NAME:KEY") }),
    }
}
