//! The demo's Vault: `qsec dev vault`'s in-memory Vault on loopback, with
//! the engines examples/myapp's template reads from set up the way an
//! operator would (a database connection and role, an AWS role, a PKI role).

use std::time::Duration;

use anyhow::Context;
use qsec_core::{QsecLayout, VaultBackend, VaultToken};
use qsec_vault::testkit::{DevServer, MemoryVault};
use qsec_vault::{VaultClient, VaultConfig};
use serde_json::json;

/// How long the pod's token and leases live unless renewed: short, so the
/// refresh sidecar visibly renews within the demo.
pub(crate) const SHORT_TTL: Duration = Duration::from_secs(6);

/// The in-memory Vault and its HTTP server.
pub(crate) struct DemoVault {
    pub(crate) memory: MemoryVault,
    pub(crate) server: DevServer,
    pub(crate) root_token: String,
}

impl DemoVault {
    /// Starts it on a free loopback port and sets up the engines.
    pub(crate) async fn start(app_role: &str) -> anyhow::Result<Self> {
        let root_token = format!("demo-root-{}", std::process::id());
        let memory = MemoryVault::builder().root_token(&root_token).dev_mounts().build();
        let root = memory.backend().with_token(root_token.as_str());
        let ttl = format!("{}s", SHORT_TTL.as_secs());
        let writes = [
            (
                "database/config/main".to_owned(),
                json!({
                    "plugin_name": "postgresql-database-plugin",
                    "allowed_roles": "*",
                    "connection_url": "postgresql://{{username}}:{{password}}@db.myapp.internal:5432/myapp",
                }),
            ),
            (
                "database/roles/myapp".to_owned(),
                json!({
                    "db_name": "main",
                    "creation_statements": ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}'"],
                    "default_ttl": ttl,
                    "max_ttl": "1h",
                }),
            ),
            ("aws/config/lease".to_owned(), json!({ "lease": ttl, "lease_max": "1h" })),
            (
                format!("aws/roles/{app_role}"),
                json!({ "credential_type": "iam_user", "policy_document": "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }),
            ),
            (
                format!("pki/roles/{app_role}"),
                json!({ "allowed_domains": ["stg.internal"], "allow_subdomains": true, "ttl": "1h", "max_ttl": "24h" }),
            ),
        ];
        for (path, body) in writes {
            root.write(&path, &body).await.with_context(|| format!("setting up the dev Vault: {path}"))?;
        }
        let server = DevServer::start(memory.clone(), "127.0.0.1:0".parse()?).context("starting the dev Vault")?;
        Ok(Self { memory, server, root_token })
    }

    /// Its address, as `VAULT_ADDR`.
    pub(crate) fn url(&self) -> String {
        self.server.url()
    }

    /// A client with the root token: the demo's way to check Vault's side.
    pub(crate) fn root_client(&self) -> anyhow::Result<VaultClient> {
        let mut config = VaultConfig::new(&self.url())?;
        config.token = Some(VaultToken::new(self.root_token.clone()));
        Ok(VaultClient::new(config)?)
    }
}

/// The seed's layout with what examples/myapp's template reads added to
/// the read policy: its database role, AWS role and PKI role, and a short
/// token period so renewals happen while you watch.
pub(crate) fn layout() -> QsecLayout {
    use qsec_core::{Capability, KvMount, KvVersion, PolicyRule};
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    let rule =
        |path: &str, capabilities: &[Capability]| PolicyRule { path: path.into(), capabilities: capabilities.to_vec() };
    layout.policies.read_rules.extend([
        rule("database/creds/{app}", &[Capability::Read]),
        rule("pki/issue/{role}", &[Capability::Create, Capability::Update]),
    ]);
    layout.approle.token_period = SHORT_TTL.as_secs();
    layout
}
