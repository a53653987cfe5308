//! The configuration file: YAML (or JSON, which YAML reads too). Every
//! duration is in whole seconds. Relative file paths are resolved against
//! the configuration file's directory.
//!
//! `bins/qsec-secret-api/config.example.yaml` is a complete, commented
//! example; the README explains each part.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use qsec_core::{AppRef, KvMount, KvVersion, QsecLayout};
use serde::Deserialize;

use crate::audit::AuditConfig;
use crate::authz::Rule;
use crate::error::{Error, Result};
use crate::jwt::AuthConfig;
use crate::secrets::Secrets;
use crate::vault::VaultSettings;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen. Default `0.0.0.0:8080`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Seconds a request may take, Vault calls and their retries included;
    /// past it the answer is 503. Default 10.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: u64,
    /// The largest request body accepted, in bytes; larger is 413. Default 65536.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Seconds a get-secret-id token lives. Default 300.
    #[serde(default = "default_token_ttl")]
    pub secret_id_token_ttl: u64,
    /// Seconds an app stays known as provisioned after a full check (see
    /// the README's "Provisioning cache"); 0 turns the cache off. Default 30.
    #[serde(default = "default_cache_ttl")]
    pub provision_cache_ttl: u64,
    /// How the service reaches Vault.
    #[serde(default)]
    pub vault: VaultSettings,
    /// The layout, inline (the same document `qsec app plan --layout` reads).
    #[serde(default)]
    pub layout: Option<QsecLayout>,
    /// The layout, from a JSON or YAML file.
    #[serde(default)]
    pub layout_file: Option<PathBuf>,
    /// Who may call: token issuers and their keys.
    pub auth: AuthConfig,
    /// What they may do. Anything no rule grants is denied.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Where decisions are recorded.
    #[serde(default)]
    pub audit: AuditConfig,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 8080))
}
fn default_request_timeout() -> u64 {
    10
}
fn default_max_body() -> usize {
    64 * 1024
}
fn default_token_ttl() -> u64 {
    300
}
fn default_cache_ttl() -> u64 {
    30
}

impl Config {
    /// Reads and checks the file at `path`, resolving relative paths in it
    /// against its directory.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io { path: path.display().to_string(), reason: format!("cannot read: {e}") })?;
        let mut config = Self::parse(&text)?;
        config.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        config.load_layout_file()?;
        config.check()?;
        Ok(config)
    }

    /// Parses configuration text (YAML or JSON) without touching any file.
    pub fn parse(text: &str) -> Result<Self> {
        serde_yaml_ng::from_str(text).map_err(|e| Error::config("(file)", e.to_string()))
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout.max(1))
    }

    /// The layout in force: the configured one, or the seed's layout with
    /// `secret/` as kv v2 (the Secret API keeps history, which needs v2).
    pub fn effective_layout(&self) -> QsecLayout {
        self.layout.clone().unwrap_or_else(|| {
            let mut layout = QsecLayout::default();
            layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
            layout
        })
    }

    /// Checks what can be checked without Vault or the network.
    pub fn check(&self) -> Result<()> {
        if self.layout.is_some() && self.layout_file.is_some() {
            return Err(Error::config("layout", "set layout or layout_file, not both"));
        }
        if self.max_body_bytes == 0 {
            return Err(Error::config("max_body_bytes", "must be more than 0"));
        }
        if self.secret_id_token_ttl == 0 {
            return Err(Error::config("secret_id_token_ttl", "must be more than 0 seconds"));
        }
        let layout = self.effective_layout();
        layout.validate().map_err(|e| Error::config("layout", e.to_string()))?;
        let sample: AppRef =
            "provider.cluster.app".parse().map_err(|e: qsec_core::Error| Error::config("layout", e.to_string()))?;
        let plan = layout.plan(&sample).map_err(|e| Error::config("layout", e.to_string()))?;
        Secrets::check_layout(&plan)?;
        crate::jwt::check(&self.auth)?;
        crate::authz::Rules::new(self.rules.clone())?;
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        for issuer in &mut self.auth.issuers {
            [&mut issuer.jwks_file, &mut issuer.jwks_ca_file, &mut issuer.jwks_bearer_token_file]
                .into_iter()
                .flatten()
                .for_each(resolve);
        }
        [&mut self.vault.token_file, &mut self.vault.ca_cert, &mut self.layout_file]
            .into_iter()
            .flatten()
            .for_each(resolve);
        if let Some(login) = &mut self.vault.kubernetes {
            resolve(&mut login.token_file);
        }
        if self.audit.path != "-" && Path::new(&self.audit.path).is_relative() {
            self.audit.path = base.join(&self.audit.path).display().to_string();
        }
    }

    fn load_layout_file(&mut self) -> Result<()> {
        let Some(path) = self.layout_file.take() else { return Ok(()) };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::config("layout_file", format!("cannot read {}: {e}", path.display())))?;
        let layout: QsecLayout = serde_yaml_ng::from_str(&text)
            .map_err(|e| Error::config("layout_file", format!("{}: {e}", path.display())))?;
        self.layout = Some(layout);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
auth:
  issuers:
    - issuer: https://login.example.com
      audiences: [qsec]
      jwks_file: jwks.json
"#;

    #[test]
    fn minimal_config_takes_defaults() {
        let config = Config::parse(MINIMAL).unwrap();
        config.check().unwrap();
        assert_eq!(config.listen, default_listen());
        assert_eq!((config.request_timeout, config.max_body_bytes, config.secret_id_token_ttl), (10, 65536, 300));
        assert_eq!(config.auth.leeway, 30);
        assert!(config.rules.is_empty());
        let layout = config.effective_layout();
        assert_eq!(layout.policies.kv_mounts[0].version, KvVersion::V2);
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let mut config = Config::parse(MINIMAL).unwrap();
        config.audit.path = "audit.log".into();
        config.resolve_paths(Path::new("/etc/qsec"));
        assert_eq!(config.auth.issuers[0].jwks_file.as_deref(), Some(Path::new("/etc/qsec/jwks.json")));
        assert_eq!(config.audit.path, "/etc/qsec/audit.log");
    }

    #[test]
    fn refuses_unknown_fields_and_kv_v1_app_areas() {
        let unknown = format!("{MINIMAL}\nlisten_on: 1\n");
        assert!(Config::parse(&unknown).unwrap_err().to_string().contains("listen_on"));
        let v1 = format!("{MINIMAL}\nlayout:\n  policies:\n    kv_mounts: [{{path: secret, version: v1}}]\n");
        assert!(Config::parse(&v1).unwrap().check().unwrap_err().to_string().contains("kv v1"));
    }
}
