//! The demo's Secret API: the real service, in this process, configured by
//! a YAML file as an operator would write it, trusting a demo identity
//! provider whose keys are generated at start.

use std::path::{Path, PathBuf};

use anyhow::Context;
use qsec_core::{QsecLayout, VaultBackend};
use qsec_secret_api::testkit::TestSigner;
use qsec_secret_api::{Config, RunningServer, SecretApi, VAULT_POLICY};
use serde_json::json;

use super::vault::DemoVault;

/// Who the demo's tokens say they are.
pub(crate) const ISSUER: &str = "https://login.qsec.demo";
/// The audience the Secret API expects.
pub(crate) const AUDIENCE: &str = "qsec-secret-api";
/// The developer who keeps myapp's secrets.
pub(crate) const DEVELOPER: (&str, &str) = ("alice@example.com", "team-myapp");
/// The CI job that deploys to staging.
pub(crate) const DEPLOYER: &str = "ci-deployer@example.com";
/// The controller's service account, as Kubernetes names it in its tokens.
pub(crate) const CONTROLLER: &str = "system:serviceaccount:qsec:qsec-controller";

/// The running service, its config file and the identity provider it trusts.
pub(crate) struct DemoSecretApi {
    pub(crate) server: RunningServer,
    pub(crate) signer: TestSigner,
    pub(crate) config_path: PathBuf,
}

impl DemoSecretApi {
    /// Writes the config (rules, layout, JWKS, the service's Vault token of
    /// exactly its documented policy) under `dir` and starts the service.
    pub(crate) async fn start(dir: &Path, vault: &DemoVault, layout: &QsecLayout) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let signer = TestSigner::generate(ISSUER, AUDIENCE);
        std::fs::write(dir.join("jwks.json"), signer.jwks().to_string()).context("writing the JWKS")?;
        let token = service_token(vault).await?;
        write_private(&dir.join("vault-token"), &token)?;
        let config_path = dir.join("secret-api.yaml");
        std::fs::write(&config_path, config_yaml(&vault.url(), layout)?).context("writing the Secret API config")?;
        let config = Config::load(&config_path)?;
        let server = SecretApi::new(config).await?.start("127.0.0.1:0".parse()?).await?;
        Ok(Self { server, signer, config_path })
    }

    /// The service's base URL.
    pub(crate) fn url(&self) -> String {
        self.server.url()
    }
}

/// A Vault token holding the Secret API's documented policy, made with root.
async fn service_token(vault: &DemoVault) -> anyhow::Result<String> {
    let root = vault.memory.backend().with_token(vault.root_token.as_str());
    root.write("sys/policies/acl/qsec-secret-api", &json!({ "policy": VAULT_POLICY })).await?;
    let created = root.write("auth/token/create", &json!({ "policies": ["qsec-secret-api"], "ttl": "24h" })).await?;
    let auth = created.and_then(|response| response.auth).context("Vault created no token for the Secret API")?;
    let token = auth.client_token;
    Ok(token.expose_secret().to_owned())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

fn config_yaml(vault_url: &str, layout: &QsecLayout) -> anyhow::Result<String> {
    let layout = serde_yaml_ng::to_string(layout).context("writing the layout as YAML")?;
    let layout: String = layout.lines().map(|line| format!("  {line}\n")).collect();
    let (developer, team) = DEVELOPER;
    Ok(format!(
        r#"# qsec demo: the Secret API's configuration (see bins/qsec-secret-api/README.md).
listen: 127.0.0.1:0
provision_cache_ttl: 30
secret_id_token_ttl: 300
vault:
  address: {vault_url}
  token_file: vault-token
auth:
  issuers:
    - issuer: {ISSUER}
      audiences: [{AUDIENCE}]
      jwks_file: jwks.json
audit:
  path: audit.log
layout:
{layout}rules:
  - description: the myapp team keeps its app's secrets and deploys it ({developer})
    groups: [{team}]
    verbs: [role-id, "secrets:*"]
    apps: ["*.*.myapp"]
  - description: CI deploys to staging
    subjects: [{DEPLOYER}]
    verbs: [role-id]
    apps: ["aws.stg.*"]
  - description: the staging controller gets SecretIDs for staging apps
    subjects: ["{CONTROLLER}"]
    verbs: [secret-id-token]
    apps: ["aws.stg.*"]
"#
    ))
}
