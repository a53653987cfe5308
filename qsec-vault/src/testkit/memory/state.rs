//! Everything the in-memory Vault holds, and the operations that cut across
//! concerns: mount lookup, lazy expiry, revoking tokens with their children
//! and leases.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::approle::AppRoleStore;
use super::aws::Aws;
use super::database::Database;
use super::kubernetes::KubernetesStore;
use super::kv::KvV1;
use super::kv_v2::KvV2;
use super::leases::{LeasedSecret, Leases};
use super::params::uuid;
use super::pki::Pki;
use super::policies::PolicyStore;
use super::token_roles::TokenRole;
use super::tokens::TokenStore;
use super::wrapping::WrapStore;

/// Vault's system default and maximum lease TTL: 32 days.
pub(crate) const SYSTEM_DEFAULT_TTL: u64 = 32 * 24 * 3600;
/// See [`SYSTEM_DEFAULT_TTL`].
pub(crate) const SYSTEM_MAX_TTL: u64 = 32 * 24 * 3600;

/// A mount's TTL settings; 0 means "the system's".
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MountConfig {
    pub(crate) default_lease_ttl: u64,
    pub(crate) max_lease_ttl: u64,
    /// Stored and reported only: this Vault has no cache to bypass.
    pub(crate) force_no_cache: bool,
}

impl MountConfig {
    /// The default TTL in force: the mount's, or the system's.
    pub(crate) fn default_ttl(&self) -> u64 {
        let max = self.max_ttl();
        (if self.default_lease_ttl > 0 { self.default_lease_ttl } else { SYSTEM_DEFAULT_TTL }).min(max)
    }

    /// The maximum TTL in force: the mount's, or the system's.
    pub(crate) fn max_ttl(&self) -> u64 {
        if self.max_lease_ttl > 0 { self.max_lease_ttl } else { SYSTEM_MAX_TTL }
    }

    /// Default and max TTL for something a role asks for: the role's values
    /// when set, never beyond the mount's max.
    pub(crate) fn ttls_for(&self, role_ttl: u64, role_max: u64) -> (u64, u64) {
        let max = if role_max > 0 { role_max.min(self.max_ttl()) } else { self.max_ttl() };
        let ttl = if role_ttl > 0 { role_ttl } else { self.default_ttl() };
        (ttl.min(max), max)
    }
}

/// A secrets engine's state.
#[derive(Debug)]
pub(crate) enum Engine {
    KvV1(KvV1),
    KvV2(KvV2),
    Database(Database),
    Aws(Aws),
    Pki(Box<Pki>),
    /// Per-token storage, keyed by token id.
    Cubbyhole(HashMap<String, KvV1>),
    /// A built-in Vault engine this Vault does not simulate: it can be
    /// mounted, listed, tuned and unmounted, and serves no paths.
    Inert,
}

/// A mounted secrets engine.
#[derive(Debug)]
pub(crate) struct SecretMount {
    pub(crate) kind: String,
    pub(crate) accessor: String,
    pub(crate) uuid: String,
    pub(crate) description: String,
    pub(crate) config: MountConfig,
    pub(crate) options: Option<Map<String, Value>>,
    pub(crate) local: bool,
    /// Tuning Vault stores and reports but this Vault does not act on
    /// (`listing_visibility`, `passthrough_request_headers`, ...).
    pub(crate) tuning: Map<String, Value>,
    pub(crate) engine: Engine,
}

/// An auth method's state.
#[derive(Debug)]
pub(crate) enum AuthEngine {
    Token,
    /// A built-in Vault auth method this Vault does not simulate: it can be
    /// enabled, listed, tuned and disabled, and serves no paths.
    Inert,
    AppRole(AppRoleStore),
    Kubernetes(KubernetesStore),
}

/// An enabled auth method.
#[derive(Debug)]
pub(crate) struct AuthMount {
    pub(crate) kind: String,
    pub(crate) accessor: String,
    pub(crate) uuid: String,
    pub(crate) description: String,
    pub(crate) config: MountConfig,
    /// See [`SecretMount::tuning`].
    pub(crate) tuning: Map<String, Value>,
    /// `default-service` or `service`: this Vault issues no batch tokens.
    pub(crate) token_type: String,
    pub(crate) engine: AuthEngine,
}

impl AuthMount {
    pub(crate) fn new(kind: &str, description: &str, engine: AuthEngine) -> Self {
        Self {
            kind: kind.into(),
            accessor: format!("auth_{kind}_{}", &uuid()[..8]),
            uuid: uuid(),
            description: description.into(),
            config: MountConfig::default(),
            tuning: Map::new(),
            token_type: "default-service".into(),
            engine,
        }
    }
}

impl SecretMount {
    pub(crate) fn new(kind: &str, description: &str, engine: Engine) -> Self {
        let options = match &engine {
            Engine::KvV2(_) => Some(Map::from_iter([("version".to_owned(), Value::from("2"))])),
            Engine::KvV1(_) => Some(Map::from_iter([("version".to_owned(), Value::from("1"))])),
            _ => None,
        };
        Self {
            kind: kind.into(),
            accessor: format!("{kind}_{}", &uuid()[..8]),
            uuid: uuid(),
            description: description.into(),
            config: MountConfig::default(),
            options,
            local: matches!(engine, Engine::Cubbyhole(_)),
            tuning: Map::new(),
            engine,
        }
    }
}

/// The whole in-memory Vault.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) tokens: TokenStore,
    pub(crate) token_roles: BTreeMap<String, TokenRole>,
    pub(crate) policies: PolicyStore,
    /// Auth methods by path with a trailing `/`, e.g. `approle/`.
    pub(crate) auth_mounts: BTreeMap<String, AuthMount>,
    /// Secrets engines by path with a trailing `/`, e.g. `secret/`.
    pub(crate) mounts: BTreeMap<String, SecretMount>,
    pub(crate) leases: Leases,
    pub(crate) wrapping: WrapStore,
    pub(crate) cluster_id: String,
    pub(crate) cluster_name: String,
}

impl State {
    /// A fresh Vault as it is at `now`.
    pub(crate) fn new(now: SystemTime) -> Self {
        let mut auth_mounts = BTreeMap::new();
        auth_mounts.insert("token/".into(), AuthMount::new("token", "token based credentials", AuthEngine::Token));
        let mut mounts = BTreeMap::new();
        mounts.insert(
            "cubbyhole/".into(),
            SecretMount::new("cubbyhole", "per-token private secret storage", Engine::Cubbyhole(HashMap::new())),
        );
        // Vault always has the identity store; this one serves none of it.
        mounts.insert("identity/".into(), SecretMount::new("identity", "identity store", Engine::Inert));
        Self {
            tokens: TokenStore::default(),
            token_roles: BTreeMap::new(),
            policies: PolicyStore::new(now),
            auth_mounts,
            mounts,
            leases: Leases::default(),
            wrapping: WrapStore::default(),
            cluster_id: uuid(),
            cluster_name: format!("vault-cluster-{}", &uuid()[..8]),
        }
    }

    /// The secrets engine `path` lies in: its key and the path inside it.
    pub(crate) fn secret_mount_of(&self, path: &str) -> Option<(String, String)> {
        mount_of(self.mounts.keys(), path)
    }

    /// The auth method `path` (relative to `auth/`) lies in.
    pub(crate) fn auth_mount_of(&self, path: &str) -> Option<(String, String)> {
        mount_of(self.auth_mounts.keys(), path)
    }

    /// Default and max TTL of the auth method at `mount` (e.g. `approle/`).
    pub(crate) fn auth_config(&self, mount: &str) -> MountConfig {
        self.auth_mounts.get(mount).map(|m| m.config).unwrap_or_default()
    }

    /// Revokes, lazily, everything whose time has come: tokens (with their
    /// children and leases), leases, wrapping tokens and SecretIDs.
    pub(crate) fn expire(&mut self, now: SystemTime) {
        for id in self.tokens.expired(now) {
            self.revoke_token(&id, true);
        }
        for id in self.leases.expired(now) {
            self.revoke_lease(&id);
        }
        self.wrapping.expire(now);
        self.policies.expire(now);
        for mount in self.auth_mounts.values_mut() {
            if let AuthEngine::AppRole(store) = &mut mount.engine {
                store.expire(now);
            }
        }
        for mount in self.mounts.values_mut() {
            if let Engine::Database(db) = &mut mount.engine {
                db.rotate_due(now);
            }
        }
    }

    /// Revokes a token, its leases and, with `with_children`, its whole
    /// subtree; without, its children become orphans.
    pub(crate) fn revoke_token(&mut self, id: &str, with_children: bool) {
        let mut queue = vec![id.to_owned()];
        while let Some(current) = queue.pop() {
            let children = self.tokens.children_of(&current);
            if with_children {
                queue.extend(children);
            } else {
                for child in children {
                    self.tokens.orphan(&child);
                }
            }
            if self.tokens.remove(&current).is_some() {
                for lease in self.leases.owned_by(&current) {
                    self.revoke_lease(&lease);
                }
                if let Some(SecretMount { engine: Engine::Cubbyhole(boxes), .. }) = self.mounts.get_mut("cubbyhole/") {
                    boxes.remove(&current);
                }
            }
        }
    }

    /// Revokes a lease and makes its secret invalid in its engine.
    pub(crate) fn revoke_lease(&mut self, id: &str) -> bool {
        let Some(lease) = self.leases.remove(id) else { return false };
        if let Some(mount) = self.mounts.get_mut(&lease.mount) {
            match (&mut mount.engine, &lease.secret) {
                (Engine::Database(db), LeasedSecret::DatabaseUser { username }) => db.drop_user(username),
                (Engine::Aws(aws), LeasedSecret::AwsKey { access_key }) => aws.delete_key(access_key),
                (Engine::Pki(pki), LeasedSecret::Certificate { serial }) => pki.revoke_serial(serial, lease.issued),
                _ => {}
            }
        }
        true
    }

    /// Revokes every lease whose id starts with `prefix`, and every token
    /// whose creation path does.
    pub(crate) fn revoke_prefix(&mut self, prefix: &str) {
        for id in self.leases.with_prefix(prefix) {
            self.revoke_lease(&id);
        }
        for id in self.tokens.with_path_prefix(prefix) {
            self.revoke_token(&id, true);
        }
    }
}

/// The longest mount key that `path` lies in (`secret/` holds `secret` and
/// `secret/anything`), with the rest of the path.
fn mount_of<'a>(keys: impl Iterator<Item = &'a String>, path: &str) -> Option<(String, String)> {
    keys.filter(|key| path == key.trim_end_matches('/') || path.starts_with(key.as_str()))
        .max_by_key(|key| key.len())
        .map(|key| (key.clone(), path.get(key.len()..).unwrap_or("").to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_longest_mount() {
        let keys = ["secret/".to_owned(), "secret/apps/".to_owned(), "sec/".to_owned()];
        assert_eq!(mount_of(keys.iter(), "secret/data/x"), Some(("secret/".into(), "data/x".into())));
        assert_eq!(mount_of(keys.iter(), "secret/apps/x"), Some(("secret/apps/".into(), "x".into())));
        assert_eq!(mount_of(keys.iter(), "secret"), Some(("secret/".into(), "".into())));
        assert_eq!(mount_of(keys.iter(), "secrets/x"), None);
    }

    #[test]
    fn mount_ttls_fall_back_to_the_system_and_cap_roles() {
        let config = MountConfig { default_lease_ttl: 0, max_lease_ttl: 7200, ..MountConfig::default() };
        assert_eq!(config.default_ttl(), 7200);
        assert_eq!(config.ttls_for(3600, 0), (3600, 7200));
        assert_eq!(config.ttls_for(0, 100_000), (7200, 7200));
        assert_eq!(MountConfig::default().ttls_for(0, 0), (SYSTEM_DEFAULT_TTL, SYSTEM_MAX_TTL));
    }
}
