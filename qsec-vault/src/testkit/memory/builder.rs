//! [`MemoryVaultBuilder`]: setting up a [`MemoryVault`]: mounts, auth
//! methods, policies, seeded secrets, the root token and the clock.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::Value;

use super::outcome::ApiError;
use super::params::random_base62;
use super::pki_role::PkiRole;
use super::state::{AuthMount, Engine, SecretMount, State};
use super::tokens::TokenSpec;
use super::{Clock, Faults, Inner, MemoryVault, mounts};

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

    /// Builds the Vault, or says what is wrong with the setup: an unknown
    /// mount or auth type, a reserved path, a policy that does not parse
    /// (or is `root`), a seeded secret that is not a JSON object or lies in
    /// no kv mount. For callers that take the setup from people, such as
    /// `qsec dev vault`.
    pub fn try_build(self) -> Result<MemoryVault, String> {
        let clock = self.clock.unwrap_or_default();
        let now = clock.now();
        let mut state = State::new(now);
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
            if RESERVED_MOUNTS.contains(&path.as_str()) || path.starts_with("sys/") || path == "/" {
                return Err(format!("mount {path}: the path is reserved"));
            }
            let (kind, engine) =
                mounts::engine_for(&kind, None).map_err(|e| format!("mount {path}: {}", message(&e)))?;
            let mut mount = SecretMount::new(&kind, "", engine);
            if let Engine::Pki(pki) = &mut mount.engine
                && self.dev_mounts
                && path == "pki/"
            {
                // Like the usual dev setup: a 10-year root and a tuned max TTL.
                mount.config.max_lease_ttl = 87_600 * 3600;
                pki.generate_root("qsec dev root CA", "", 87_600 * 3600, now)
                    .map_err(|e| format!("dev root CA: {}", message(&e)))?;
                pki.put_role("dev", PkiRole::dev());
            }
            state.mounts.insert(path, mount);
        }
        for (path, kind) in auth {
            if path == "token/" || path == "/" {
                return Err(format!("auth {path}: the path is reserved for the token auth method"));
            }
            let engine = mounts::auth_engine_for(&kind).map_err(|e| format!("auth {path}: {}", message(&e)))?;
            state.auth_mounts.insert(path, AuthMount::new(&kind, "", engine));
        }
        for (name, text) in self.policies {
            state.policies.put(&name, &text, now).map_err(|e| format!("policy {name}: {e}"))?;
        }
        for (path, data) in self.seeds {
            seed(&mut state, &path, data, now)?;
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
        state.tokens.create(spec, config, now).map_err(|e| format!("root token: {}", message(&e)))?;
        Ok(MemoryVault {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                clock,
                faults: Faults::default(),
                log: Mutex::new(std::collections::VecDeque::new()),
                root_token,
            }),
        })
    }

    /// Builds the Vault.
    ///
    /// # Panics
    ///
    /// When [`MemoryVaultBuilder::try_build`] fails: a mistake in the
    /// test's own setup, best shown where it is made.
    pub fn build(self) -> MemoryVault {
        self.try_build().unwrap_or_else(|why| panic!("MemoryVault setup: {why}"))
    }
}

/// Paths no secrets engine may be mounted at: Vault's own.
const RESERVED_MOUNTS: [&str; 4] = ["sys/", "auth/", "cubbyhole/", "identity/"];

/// An API error's messages, for a setup error.
fn message(error: &ApiError) -> String {
    error.errors.join("; ")
}

fn seed(state: &mut State, path: &str, data: Value, now: SystemTime) -> Result<(), String> {
    let Value::Object(data) = data else { return Err(format!("seed {path}: the data must be a JSON object")) };
    let (mount, rel) = state.secret_mount_of(path).ok_or_else(|| format!("seed {path}: no kv mount there"))?;
    let rel = rel.trim_matches('/');
    if rel.is_empty() {
        return Err(format!("seed {path}: the path names the mount {mount}, not a secret in it"));
    }
    match &mut state.mounts.get_mut(&mount).map(|m| &mut m.engine) {
        Some(Engine::KvV1(store)) => store.put(rel, data),
        Some(Engine::KvV2(store)) => {
            store.put(rel.strip_prefix("data/").unwrap_or(rel), data, now);
        }
        _ => return Err(format!("seed {path}: {mount} is not a kv mount")),
    }
    Ok(())
}
