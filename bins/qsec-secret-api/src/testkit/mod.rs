//! Test support (feature `testkit`): a [`TestSigner`] identity provider, and
//! a [`TestStack`] running an in-memory Vault on loopback and the Secret API
//! in front of it, configured through the documented YAML format, with the
//! service holding a token of exactly the documented Vault policy.
//!
//! ```no_run
//! # async fn demo() {
//! use qsec_secret_api::testkit::{StackOptions, TestStack};
//!
//! let stack = TestStack::start(StackOptions::with_rules(r#"
//!   - groups: [deployers]
//!     verbs: [role-id]
//!     apps: ["aws.stg.*"]
//! "#)).await;
//! let token = stack.signer().token("alice", &["deployers"]);
//! // POST {stack.url()}/v1/apps/aws/stg/myapp/role-id with `Authorization: Bearer {token}`
//! stack.shutdown().await;
//! # }
//! ```

mod signer;

use std::path::{Path, PathBuf};

use qsec_vault::testkit::memory::VaultRequest;
use qsec_vault::testkit::{DevServer, MemoryVault};
use serde_json::{Value, json};

pub use self::signer::{EC_KID, RSA_KID, TestKey, TestSigner, now, tampered_token, unsigned_token};
use crate::{Config, RunningServer, SecretApi, VAULT_POLICY};

/// The issuer of the stack's tokens.
pub const ISSUER: &str = "https://login.qsec.test";
/// The audience of the stack's tokens.
pub const AUDIENCE: &str = "qsec-secret-api";
/// The root token of the stack's Vault.
pub const ROOT_TOKEN: &str = "test-root";

/// How to set up a [`TestStack`].
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The `rules:` list, as YAML.
    pub rules: String,
    /// `provision_cache_ttl`, seconds.
    pub provision_cache_ttl: u64,
    /// `auth.jwks_min_refresh_interval`, seconds.
    pub jwks_min_refresh_interval: u64,
    /// `request_timeout`, seconds.
    pub request_timeout: u64,
    /// `max_body_bytes`.
    pub max_body_bytes: usize,
    /// More entries for `auth.issuers`, as YAML list items.
    pub extra_issuers: String,
}

impl StackOptions {
    /// Defaults with these rules: cache 30 s, JWKS refresh on every unknown
    /// `kid`, 10 s request timeout, 64 KiB bodies.
    pub fn with_rules(rules: &str) -> Self {
        Self {
            rules: rules.to_owned(),
            provision_cache_ttl: 30,
            jwks_min_refresh_interval: 0,
            request_timeout: 10,
            max_body_bytes: 64 * 1024,
            extra_issuers: String::new(),
        }
    }

    /// Defaults with the rules a Secret Controller test needs: group
    /// `deployers` may get RoleIDs of `aws.stg.*` apps (see
    /// [`TestStack::role_id`]), and `controller` (a JWT subject)
    /// get-secret-id tokens for them.
    pub fn for_controller(controller: &str) -> Self {
        Self::with_rules(&format!(
            "  - groups: [deployers]\n    verbs: [role-id]\n    apps: [\"aws.stg.*\"]\n  - subjects: [\"{controller}\"]\n    verbs: [secret-id-token]\n    apps: [\"aws.stg.*\"]\n"
        ))
    }
}

/// An in-memory Vault on loopback, and the Secret API in front of it.
pub struct TestStack {
    vault: MemoryVault,
    dev: DevServer,
    api: RunningServer,
    signer: TestSigner,
    dir: tempfile::TempDir,
}

impl TestStack {
    /// Starts the stack. Panics when the setup fails: a test's own mistake.
    pub async fn start(options: StackOptions) -> Self {
        Self::start_with_signer(options, TestSigner::generate(ISSUER, AUDIENCE)).await
    }

    /// Starts the stack trusting `signer` (reuse one to save RSA key
    /// generation across stacks).
    pub async fn start_with_signer(options: StackOptions, signer: TestSigner) -> Self {
        qsec_vault::install_crypto_provider();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let vault = MemoryVault::builder().root_token(ROOT_TOKEN).dev_mounts().build();
        let dev = DevServer::start(vault.clone(), "127.0.0.1:0".parse().expect("loopback")).expect("the dev Vault");
        let service_token = policy_token(&vault, VAULT_POLICY);
        std::fs::write(dir.path().join("vault-token"), service_token).expect("writing the Vault token file");
        std::fs::write(dir.path().join("jwks.json"), signer.jwks().to_string()).expect("writing the JWKS");
        let config_path = dir.path().join("secret-api.yaml");
        std::fs::write(&config_path, config_yaml(&options, &signer, &dev.url())).expect("writing the config");
        let config = Config::load(&config_path).unwrap_or_else(|e| panic!("test config: {e}"));
        let api = SecretApi::new(config).await.unwrap_or_else(|e| panic!("starting the Secret API: {e}"));
        let api = api.start("127.0.0.1:0".parse().expect("loopback")).await.expect("binding the Secret API");
        Self { vault, dev, api, signer, dir }
    }

    /// Provisions `app` (e.g. `aws.stg.myapp`) and returns its RoleID, asked
    /// as a member of group `deployers` (the rules must grant it `role-id`).
    /// Panics unless the Secret API answers 200.
    pub async fn role_id(&self, app: &str) -> String {
        let path = app.replace('.', "/");
        let answer = reqwest::Client::new()
            .post(format!("{}/v1/apps/{path}/role-id", self.url()))
            .bearer_auth(self.signer.token("alice", &["deployers"]))
            .send()
            .await
            .unwrap_or_else(|e| panic!("asking for the RoleID of {app}: {e}"));
        assert_eq!(answer.status(), 200, "provisioning {app}");
        let body: Value = answer.json().await.unwrap_or_else(|e| panic!("the RoleID answer for {app}: {e}"));
        body["role_id"].as_str().unwrap_or_else(|| panic!("no role_id for {app}: {body}")).to_owned()
    }

    /// The Secret API's base URL.
    pub fn url(&self) -> String {
        self.api.url()
    }

    /// The Vault's base URL.
    pub fn vault_url(&self) -> String {
        self.dev.url()
    }

    /// The in-memory Vault, to inspect or to inject faults into.
    pub fn vault(&self) -> &MemoryVault {
        &self.vault
    }

    /// The identity provider whose tokens the service trusts.
    pub fn signer(&self) -> &TestSigner {
        &self.signer
    }

    /// The JWKS file the service reads its keys from.
    pub fn jwks_path(&self) -> PathBuf {
        self.dir.path().join("jwks.json")
    }

    /// The audit log's path.
    pub fn audit_path(&self) -> PathBuf {
        self.dir.path().join("audit.log")
    }

    /// The configuration file the service was started with.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("secret-api.yaml")
    }

    /// Every audit record so far.
    pub fn audit_records(&self) -> Vec<Value> {
        read_lines(&self.audit_path())
    }

    /// Stops the Secret API, then the Vault.
    pub async fn shutdown(self) {
        self.api.shutdown().await;
        self.dev.shutdown().await;
    }

    /// Stops only the Vault, to see the service without it.
    pub async fn stop_vault(self) -> RunningServer {
        self.dev.shutdown().await;
        self.api
    }
}

/// A Vault token of a policy holding `hcl`, made with the root token.
pub fn policy_token(vault: &MemoryVault, hcl: &str) -> String {
    let policy =
        VaultRequest::post("sys/policies/acl/qsec-secret-api", json!({ "policy": hcl })).with_token(ROOT_TOKEN);
    let written = vault.handle(policy);
    assert!(written.is_success(), "writing the service policy: {:?}", written.errors());
    let create = VaultRequest::post("auth/token/create", json!({ "policies": ["qsec-secret-api"], "ttl": "24h" }))
        .with_token(ROOT_TOKEN);
    let reply = vault.handle(create);
    reply.body.as_ref().and_then(|body| body["auth"]["client_token"].as_str()).expect("a service token").to_owned()
}

fn config_yaml(options: &StackOptions, signer: &TestSigner, vault_url: &str) -> String {
    format!(
        r#"listen: 127.0.0.1:0
request_timeout: {timeout}
max_body_bytes: {max_body}
provision_cache_ttl: {cache}
secret_id_token_ttl: 300
vault:
  address: {vault_url}
  token_file: vault-token
  timeout: {timeout}
  max_retries: 0
auth:
  jwks_min_refresh_interval: {refresh}
  issuers:
    - issuer: {issuer}
      audiences: [{audience}]
      jwks_file: jwks.json
{extra}
audit:
  path: audit.log
rules:
{rules}
"#,
        timeout = options.request_timeout,
        max_body = options.max_body_bytes,
        cache = options.provision_cache_ttl,
        refresh = options.jwks_min_refresh_interval,
        issuer = signer.issuer(),
        audience = signer.audience(),
        extra = options.extra_issuers,
        rules = if options.rules.trim().is_empty() { "  []".to_owned() } else { options.rules.clone() },
    )
}

fn read_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).expect("audit lines are JSON")).collect()
}
