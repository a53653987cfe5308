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
//! request (`sys/policies/acl/*`, `sys/policies/detailed/acl`,
//! `sys/policy/*`, `sys/capabilities*`), AppRole and Kubernetes auth, kv v1
//! and v2 (`SCAN` included), the cubbyhole, response wrapping
//! (`X-Vault-Wrap-TTL`, `sys/wrapping/*`), leases of secrets and tokens
//! (`sys/leases/*`), simulated database (static roles included) and AWS
//! engines, PKI issuing real certificates, `sys/mounts`, `sys/auth`,
//! `sys/health`, `sys/init`, `sys/seal-status`, `sys/seal`, `sys/unseal`;
//! `?help=1` on any of them. Lists take the documented `after` and `limit`.
//!
//! `tests/dev_server_docs.rs` checks every endpoint against the API docs'
//! sample requests and answers.
//!
//! # Where it differs from Vault
//!
//! - Namespaces are not supported: a request with a non-root
//!   `X-Vault-Namespace` gets 400 saying so.
//! - Service tokens only: asking for a batch token is a 400.
//! - It starts initialized, as `vault server -dev` does: `POST sys/init` is
//!   Vault's 400 "already initialized", and any unseal key unseals.
//! - The `default` policy is Vault's without its identity and control-group
//!   paths ([`policies::DEFAULT_POLICY`]).
//! - Kubernetes login verifies the JWT against the configured `pem_keys`
//!   only (no TokenReview API).
//! - PKI has one issuer per mount (generating a root replaces it) and no
//!   RSA keys: a role left at `key_type=rsa` issues EC P-256 keys, with a
//!   warning. No CRLs, OCSP, ACME, CSR signing or intermediates.
//! - Database and AWS credentials are simulated; [`MemoryVault::database_users`]
//!   and [`MemoryVault::aws_access_keys`] show which are alive. STS
//!   credentials die with their lease too (real AWS cannot revoke them).
//! - Where the documented sample answer and Vault disagree, the sample
//!   wins when the page is consistent: updating an AppRole's RoleID
//!   answers 200 with the RoleID (Vault: 204); the tidy endpoints answer 200
//!   (Vault: 202); `sys/policy/:name` gives `version` as a string; kv v2
//!   `subkeys` are in `data` and at the top level.
//! - Expiry is evaluated lazily, at the start of every request and
//!   inspection, against the vault's [`Clock`].

mod approle;
mod aws;
mod backend;
mod builder;
mod clock;
mod database;
mod database_static;
mod faults;
mod help;
mod kubernetes;
mod kv;
mod kv_v2;
mod leases;
mod mounts;
mod outcome;
mod params;
mod pki;
mod pki_role;
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

pub use aws::AwsAccessKey;
pub use backend::MemoryBackend;
pub use builder::MemoryVaultBuilder;
pub use clock::Clock;
pub use database::DatabaseUser;
pub use faults::Faults;
pub use request::{LoggedRequest, Method, RawBody, VaultReply, VaultRequest};

use self::state::{AuthEngine, Engine, State};

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
    log: Mutex<std::collections::VecDeque<LoggedRequest>>,
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
            log.pop_front();
        }
        log.push_back(LoggedRequest { method: request.method, path, status: reply.status });
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
        self.inner.log.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
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
