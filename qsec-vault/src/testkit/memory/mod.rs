//! [`MemoryVault`]: Vault's documented HTTP semantics, in memory.
//!
//! One synchronous handler, [`MemoryVault::handle`], answers
//! [`VaultRequest`]s with [`VaultReply`]s exactly as Vault's HTTP API would
//! (status codes, the response envelope, `{"errors": [...]}`), and two front
//! ends use it: [`MemoryBackend`] implements [`qsec_core::VaultBackend`] and
//! [`qsec_core::SecretIdIssuer`] in-process, and
//! [`crate::testkit::DevServer`] serves it over HTTP.
//!
//! ```
//! use qsec_vault::testkit::MemoryVault;
//! use qsec_vault::testkit::memory::VaultRequest;
//! use serde_json::json;
//!
//! let vault = MemoryVault::builder().root_token("root").dev_mounts().build();
//! let write = VaultRequest::post("secret/data/myapp/db", json!({"data": {"password": "s3cret"}}))
//!     .with_token("root");
//! assert_eq!(vault.handle(write).status, 200);
//! let read = vault.handle(VaultRequest::get("secret/data/myapp/db").with_token("root"));
//! assert_eq!(read.data().unwrap()["data"]["password"], "s3cret");
//! // Without a token, Vault says 403.
//! assert_eq!(vault.handle(VaultRequest::get("secret/data/myapp/db")).status, 403);
//! ```
//!
//! # What it serves
//!
//! Tokens (`auth/token/*`, roles included), ACL policies enforced on every
//! request (`sys/policies/acl/*`, `sys/policy/*`, `sys/capabilities*`),
//! AppRole and Kubernetes auth, kv v1 and v2, the cubbyhole, response
//! wrapping (`X-Vault-Wrap-TTL`, `sys/wrapping/*`), leases (`sys/leases/*`),
//! simulated database and AWS engines, PKI issuing real certificates,
//! `sys/mounts`, `sys/auth`, `sys/health`, `sys/seal-status`, `sys/seal`,
//! `sys/unseal`.
//!
//! # Where it differs from Vault
//!
//! - Namespaces are not supported: a request with a non-root
//!   `X-Vault-Namespace` gets 400 saying so.
//! - Service tokens only: asking for a batch token is a 400.
//! - The `default` policy is Vault's without its identity and control-group
//!   paths ([`policies::DEFAULT_POLICY`]).
//! - Kubernetes login verifies the JWT against the configured `pem_keys`
//!   only (no TokenReview API).
//! - PKI has one issuer per mount and no RSA keys: a role left at
//!   `key_type=rsa` issues EC P-256 keys, with a warning.
//! - Database and AWS credentials are simulated; [`MemoryVault::database_users`]
//!   and [`MemoryVault::aws_access_keys`] show which are alive. STS
//!   credentials die with their lease too (real AWS cannot revoke them).
//! - Expiry is evaluated lazily, at the start of every request and
//!   inspection, against the vault's [`Clock`].

mod approle;
mod aws;
mod backend;
mod clock;
mod database;
mod faults;
mod kubernetes;
mod kv;
mod kv_v2;
mod leases;
mod mounts;
mod outcome;
mod params;
mod pki;
pub mod policies;
mod request;
mod router;
mod state;
mod sys;
mod token_api;
mod token_roles;
mod token_settings;
mod tokens;
mod wrapping;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde_json::Value;

pub use aws::AwsAccessKey;
pub use backend::MemoryBackend;
pub use clock::Clock;
pub use database::DatabaseUser;
pub use faults::Faults;
pub use request::{LoggedRequest, Method, RawBody, VaultReply, VaultRequest};

use self::params::random_base62;
use self::pki::PkiRole;
use self::state::{AuthEngine, AuthMount, Engine, SecretMount, State};
use self::tokens::TokenSpec;

/// The request log keeps at most this many entries (the newest).
const REQUEST_LOG_LIMIT: usize = 10_000;

/// An in-memory Vault. Clones share the same Vault.
#[derive(Clone)]
pub struct MemoryVault {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    clock: Clock,
    faults: Faults,
    log: Mutex<Vec<LoggedRequest>>,
    root_token: String,
}

impl std::fmt::Debug for MemoryVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryVault").field("sealed", &self.inner.faults.is_sealed()).finish_non_exhaustive()
    }
}

impl Default for MemoryVault {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryVault {
    /// A bare Vault: the token auth method and the cubbyhole, a generated
    /// root token, nothing else mounted.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A Vault like `vault server -dev` plus qsec's extras; see
    /// [`MemoryVaultBuilder::dev_mounts`].
    pub fn dev() -> Self {
        Self::builder().dev_mounts().build()
    }

    /// Starts building a Vault.
    pub fn builder() -> MemoryVaultBuilder {
        MemoryVaultBuilder::default()
    }

    /// The root token.
    pub fn root_token(&self) -> &str {
        &self.inner.root_token
    }

    /// The clock every TTL is measured against.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Fault injection: latency, failing requests, the seal.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// A backend in this process with no token yet.
    pub fn backend(&self) -> MemoryBackend {
        MemoryBackend::new(self.clone())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state, with everything due expired.
    fn current_state(&self) -> MutexGuard<'_, State> {
        let now = self.inner.clock.now();
        let mut state = self.state();
        state.expire(now);
        state
    }

    /// Answers one request as Vault's HTTP API would. Injected failures and
    /// the seal apply; latency does not (see [`MemoryVault::handle_async`]).
    pub fn handle(&self, request: VaultRequest) -> VaultReply {
        let path = request.path.trim_start_matches('/').to_owned();
        let reply = self.answer(&request, &path);
        let mut log = self.inner.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() >= REQUEST_LOG_LIMIT {
            log.remove(0);
        }
        log.push(LoggedRequest { method: request.method, path, status: reply.status });
        reply
    }

    fn answer(&self, request: &VaultRequest, path: &str) -> VaultReply {
        let faults = &self.inner.faults;
        if let Some(status) = faults.take_failure(path) {
            return VaultReply::error(status, vec![faults::failure_message(status).to_owned()]);
        }
        if faults.is_sealed() && !matches!(path, "sys/health" | "sys/seal-status" | "sys/unseal") {
            return VaultReply::error(503, vec!["Vault is sealed".to_owned()]);
        }
        if let Some(namespace) = &request.namespace {
            let namespace = namespace.trim_matches('/');
            if !namespace.is_empty() && namespace != "root" {
                return VaultReply::error(
                    400,
                    vec![format!(
                        "namespaces are not supported by the qsec in-memory Vault (X-Vault-Namespace {namespace:?}); \
                         only the root namespace exists"
                    )],
                );
            }
        }
        let now = self.inner.clock.now();
        let mut state = self.state();
        state.expire(now);
        router::route(&mut state, request, path, now, faults)
    }

    /// Like [`MemoryVault::handle`], after the injected latency.
    pub async fn handle_async(&self, request: VaultRequest) -> VaultReply {
        let latency = self.inner.faults.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        self.handle(request)
    }

    /// Every request answered so far (the newest 10 000): method, path and
    /// status, never a body or a token.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.inner.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Empties the request log.
    pub fn clear_request_log(&self) {
        self.inner.log.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The users the simulated database engines hold right now.
    pub fn database_users(&self) -> Vec<DatabaseUser> {
        let state = self.current_state();
        state
            .mounts
            .values()
            .filter_map(|m| match &m.engine {
                Engine::Database(db) => Some(db.users().cloned().collect::<Vec<_>>()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Whether a database engine would let `username` log in with `password`.
    pub fn database_credentials_valid(&self, username: &str, password: &str) -> bool {
        let state = self.current_state();
        state.mounts.values().any(|m| matches!(&m.engine, Engine::Database(db) if db.accepts(username, password)))
    }

    /// The access keys the simulated AWS engines hold right now.
    pub fn aws_access_keys(&self) -> Vec<AwsAccessKey> {
        let state = self.current_state();
        state
            .mounts
            .values()
            .filter_map(|m| match &m.engine {
                Engine::Aws(aws) => Some(aws.keys().cloned().collect::<Vec<_>>()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Whether an AWS engine would accept `access_key` with `secret_key`.
    pub fn aws_credentials_valid(&self, access_key: &str, secret_key: &str) -> bool {
        let state = self.current_state();
        state.mounts.values().any(|m| matches!(&m.engine, Engine::Aws(aws) if aws.accepts(access_key, secret_key)))
    }

    /// Whether `token` is a live token.
    pub fn token_is_valid(&self, token: &str) -> bool {
        self.current_state().tokens.get(token).is_some()
    }

    /// The ids of every live lease.
    pub fn lease_ids(&self) -> Vec<String> {
        self.current_state().leases.with_prefix("")
    }

    /// How many wrapping tokens can still be unwrapped.
    pub fn wrapping_token_count(&self) -> usize {
        self.current_state().wrapping.len()
    }

    /// How many live SecretIDs the AppRole `role` at `auth/{mount}` has.
    pub fn secret_id_count(&self, mount: &str, role: &str) -> usize {
        let state = self.current_state();
        match state.auth_mounts.get(&format!("{}/", mount.trim_matches('/'))).map(|m| &m.engine) {
            Some(AuthEngine::AppRole(store)) => store.secret_id_count(role),
            _ => 0,
        }
    }
}

/// Builds a [`MemoryVault`].
#[derive(Debug, Default)]
#[must_use]
pub struct MemoryVaultBuilder {
    root_token: Option<String>,
    dev_mounts: bool,
    mounts: Vec<(String, String)>,
    auth: Vec<(String, String)>,
    seeds: Vec<(String, Value)>,
    policies: Vec<(String, String)>,
    clock: Option<Clock>,
}

impl MemoryVaultBuilder {
    /// Uses `token` as the root token (Vault's `-dev-root-token-id`);
    /// without it one is generated.
    pub fn root_token(mut self, token: impl Into<String>) -> Self {
        self.root_token = Some(token.into());
        self
    }

    /// Mounts what `vault server -dev` has, plus qsec's extras: kv v2 at
    /// `secret/`, AppRole at `auth/approle/`, Kubernetes auth at
    /// `auth/kubernetes/` (unconfigured), PKI at `pki/` with a generated
    /// root CA (`qsec dev root CA`, 10 years) and a role `dev` that issues
    /// EC certificates for any name for up to 72h, database at `database/`
    /// and AWS at `aws/`. [`MemoryVaultBuilder::kv_v1`] and friends override
    /// a path.
    pub fn dev_mounts(mut self) -> Self {
        self.dev_mounts = true;
        self
    }

    /// Mounts kv v1 at `path` (e.g. `secret`, replacing the dev kv v2).
    pub fn kv_v1(self, path: &str) -> Self {
        self.mount(path, "kv-v1")
    }

    /// Mounts kv v2 at `path`.
    pub fn kv_v2(self, path: &str) -> Self {
        self.mount(path, "kv-v2")
    }

    /// Mounts a secrets engine of `kind` (`kv`, `kv-v2`, `database`, `aws`,
    /// `pki`) at `path`.
    pub fn mount(mut self, path: &str, kind: &str) -> Self {
        self.mounts.push((format!("{}/", path.trim_matches('/')), kind.to_owned()));
        self
    }

    /// Enables an auth method of `kind` (`approle`, `kubernetes`) at `auth/{path}`.
    pub fn auth(mut self, path: &str, kind: &str) -> Self {
        self.auth.push((format!("{}/", path.trim_matches('/')), kind.to_owned()));
        self
    }

    /// Writes `data` at the kv path `path` (e.g. `secret/myapp/db`; for kv
    /// v2 a `data/` after the mount is optional).
    pub fn seed_secret(mut self, path: &str, data: Value) -> Self {
        self.seeds.push((path.trim_matches('/').to_owned(), data));
        self
    }

    /// Stores the ACL policy `name` (HCL or JSON).
    pub fn policy(mut self, name: &str, text: &str) -> Self {
        self.policies.push((name.to_lowercase(), text.to_owned()));
        self
    }

    /// Uses `clock` (e.g. one shared with the code under test).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the Vault.
    ///
    /// # Panics
    ///
    /// When a mount type is unknown, a seeded path lies in no kv mount, a
    /// policy does not parse, or the dev CA cannot be generated: mistakes
    /// in the test's own setup.
    pub fn build(self) -> MemoryVault {
        let clock = self.clock.unwrap_or_default();
        let now = clock.now();
        let mut state = State::new();
        let mut mounts = Vec::new();
        let mut auth = Vec::new();
        if self.dev_mounts {
            mounts.extend(
                [("secret/", "kv-v2"), ("pki/", "pki"), ("database/", "database"), ("aws/", "aws")]
                    .map(|(p, k)| (p.to_owned(), k.to_owned())),
            );
            auth.extend(
                [("approle/", "approle"), ("kubernetes/", "kubernetes")].map(|(p, k)| (p.to_owned(), k.to_owned())),
            );
        }
        mounts.extend(self.mounts);
        auth.extend(self.auth);
        for (path, kind) in mounts {
            let (kind, engine) = mounts::engine_for(&kind, None).unwrap_or_else(|e| panic!("mount {path}: {e:?}"));
            let mut mount = SecretMount::new(&kind, "", engine);
            if let Engine::Pki(pki) = &mut mount.engine
                && self.dev_mounts
                && path == "pki/"
            {
                // Like the usual dev setup: a 10-year root and a tuned max TTL.
                mount.config.max_lease_ttl = 87_600 * 3600;
                pki.generate_root("qsec dev root CA", 87_600 * 3600, now)
                    .unwrap_or_else(|e| panic!("dev root CA: {e:?}"));
                pki.put_role("dev", PkiRole::dev());
            }
            state.mounts.insert(path, mount);
        }
        for (path, kind) in auth {
            let engine = mounts::auth_engine_for(&kind).unwrap_or_else(|e| panic!("auth {path}: {e:?}"));
            state.auth_mounts.insert(path, AuthMount::new(&kind, "", engine));
        }
        for (name, text) in self.policies {
            state.policies.put(&name, &text, now).unwrap_or_else(|e| panic!("policy {name}: {e}"));
        }
        for (path, data) in self.seeds {
            seed(&mut state, &path, data, now);
        }
        let root_token = self.root_token.unwrap_or_else(|| format!("s.{}", random_base62(24)));
        let spec = TokenSpec {
            id: Some(root_token.clone()),
            policies: vec!["root".into()],
            display_name: "root".into(),
            path: "auth/token/root".into(),
            ..TokenSpec::default()
        };
        let config = state.auth_config("token/");
        state.tokens.create(spec, config, now).unwrap_or_else(|e| panic!("root token: {e:?}"));
        MemoryVault {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                clock,
                faults: Faults::default(),
                log: Mutex::new(Vec::new()),
                root_token,
            }),
        }
    }
}

fn seed(state: &mut State, path: &str, data: Value, now: SystemTime) {
    let Value::Object(data) = data else { panic!("seed_secret({path}): the data must be a JSON object") };
    let (mount, rel) = state.secret_mount_of(path).unwrap_or_else(|| panic!("seed_secret({path}): no kv mount there"));
    match &mut state.mounts.get_mut(&mount).map(|m| &mut m.engine) {
        Some(Engine::KvV1(store)) => store.put(&rel, data),
        Some(Engine::KvV2(store)) => {
            store.put(rel.strip_prefix("data/").unwrap_or(&rel), data, now);
        }
        _ => panic!("seed_secret({path}): {mount} is not a kv mount"),
    }
}
