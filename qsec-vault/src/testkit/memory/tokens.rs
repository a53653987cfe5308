//! The token store: service tokens with TTLs, periods, use counts, parents
//! and accessors, and how they are created, renewed and looked up.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::SystemTime;

use ipnet::IpNet;
use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult};
use super::params::{after, ip_allowed, random_base62, random_hex, rfc3339, secs_until, unix};
use super::state::MountConfig;

/// A service token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) id: String,
    pub(crate) accessor: String,
    /// Sorted, with `default` unless excluded; `["root"]` for root tokens.
    pub(crate) policies: Vec<String>,
    pub(crate) parent: Option<String>,
    pub(crate) meta: BTreeMap<String, String>,
    pub(crate) display_name: String,
    /// Uses left; 0 is unlimited.
    pub(crate) num_uses: u64,
    pub(crate) creation: SystemTime,
    pub(crate) creation_ttl: u64,
    /// `None` never expires (root tokens without a TTL).
    pub(crate) expire: Option<SystemTime>,
    pub(crate) last_renewal: Option<SystemTime>,
    pub(crate) explicit_max_ttl: u64,
    pub(crate) period: u64,
    pub(crate) renewable: bool,
    /// The path that created it, e.g. `auth/approle/login`.
    pub(crate) path: String,
    pub(crate) bound_cidrs: Vec<IpNet>,
    /// The token role it was created against.
    pub(crate) role: Option<String>,
    /// What a renewal without an increment grants.
    pub(crate) default_ttl: u64,
    /// The latest it may live until, unless periodic (explicit max aside).
    pub(crate) max_deadline: Option<SystemTime>,
    /// Its lease in `sys/leases`: its path and a salted id, as Vault's
    /// `auth/approle/login/h5a2...`; `None` for tokens that never expire.
    pub(crate) lease_id: Option<String>,
}

impl Token {
    pub(crate) fn is_root(&self) -> bool {
        self.policies.iter().any(|p| p == "root")
    }

    pub(crate) fn orphan(&self) -> bool {
        self.parent.is_none()
    }

    /// Whether `ip` may use it. Non-expiring root tokens ignore CIDR bindings.
    pub(crate) fn allows_ip(&self, ip: IpAddr) -> bool {
        (self.is_root() && self.expire.is_none()) || ip_allowed(&self.bound_cidrs, ip)
    }

    pub(crate) fn ttl(&self, now: SystemTime) -> u64 {
        self.expire.map(|expire| secs_until(now, expire)).unwrap_or(0)
    }

    fn meta_json(&self) -> Value {
        if self.meta.is_empty() { Value::Null } else { json!(self.meta) }
    }

    /// The `data` of `auth/token/lookup*`; `id` is empty for accessor lookups.
    pub(crate) fn lookup_data(&self, now: SystemTime, with_id: bool) -> Value {
        let mut data = json!({
            "accessor": self.accessor,
            "creation_time": unix(self.creation),
            "creation_ttl": self.creation_ttl,
            "display_name": self.display_name,
            "entity_id": "",
            "expire_time": self.expire.map(rfc3339),
            "explicit_max_ttl": self.explicit_max_ttl,
            "id": if with_id { self.id.as_str() } else { "" },
            "issue_time": rfc3339(self.creation),
            "meta": self.meta_json(),
            "num_uses": self.num_uses,
            "orphan": self.orphan(),
            "path": self.path,
            "policies": self.policies,
            "renewable": self.renewable,
            "ttl": self.ttl(now),
            "type": "service",
        });
        if let Some(renewal) = self.last_renewal {
            data["last_renewal"] = json!(rfc3339(renewal));
            data["last_renewal_time"] = json!(unix(renewal));
        }
        if self.period > 0 {
            data["period"] = json!(self.period);
        }
        if let Some(role) = &self.role {
            data["role"] = json!(role);
        }
        if !self.bound_cidrs.is_empty() {
            data["bound_cidrs"] = json!(self.bound_cidrs.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        data
    }

    /// The `auth` block announcing it; `client_token` empty when answered
    /// by accessor.
    pub(crate) fn auth_block(&self, now: SystemTime, with_id: bool) -> Value {
        json!({
            "client_token": if with_id { self.id.as_str() } else { "" },
            "accessor": self.accessor,
            "policies": self.policies,
            "token_policies": self.policies,
            "metadata": self.meta_json(),
            "lease_duration": self.ttl(now),
            "renewable": self.renewable && self.expire.is_some(),
            "entity_id": "",
            "token_type": "service",
            "orphan": self.orphan(),
            "mfa_requirement": null,
            "num_uses": self.num_uses,
        })
    }
}

/// What to create a token with; TTLs are resolved by [`TokenStore::create`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenSpec {
    pub(crate) id: Option<String>,
    pub(crate) policies: Vec<String>,
    pub(crate) no_default_policy: bool,
    pub(crate) parent: Option<String>,
    pub(crate) meta: BTreeMap<String, String>,
    pub(crate) display_name: String,
    pub(crate) num_uses: u64,
    /// The TTL asked for; 0 takes the method's or mount's default.
    pub(crate) ttl: u64,
    /// The method's own max TTL (e.g. an AppRole's `token_max_ttl`); 0 none.
    pub(crate) max_ttl: u64,
    pub(crate) explicit_max_ttl: u64,
    pub(crate) period: u64,
    pub(crate) renewable: bool,
    pub(crate) path: String,
    pub(crate) bound_cidrs: Vec<IpNet>,
    pub(crate) role: Option<String>,
}

/// Sorts, dedups and adds `default` to a policy list, as Vault does.
pub(crate) fn normalize_policies(policies: &[String], no_default_policy: bool) -> Vec<String> {
    let mut out: Vec<String> = policies.iter().map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).collect();
    let is_root = out.iter().any(|p| p == "root");
    if !no_default_policy && !is_root && !out.iter().any(|p| p == "default") {
        out.push("default".into());
    }
    if is_root {
        out.retain(|p| p != "default" || policies.iter().any(|q| q == "default"));
    }
    out.sort();
    out.dedup();
    out
}

/// Every token, by id and by accessor.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    by_id: HashMap<String, Token>,
    by_accessor: HashMap<String, String>,
}

impl TokenStore {
    /// Creates and stores a token; answers it and the warnings Vault gives
    /// (a capped TTL).
    pub(crate) fn create(
        &mut self,
        spec: TokenSpec,
        mount: MountConfig,
        now: SystemTime,
    ) -> ApiResult<(Token, Vec<String>)> {
        let policies = normalize_policies(&spec.policies, spec.no_default_policy);
        let is_root = policies.iter().any(|p| p == "root");
        let mut warnings = Vec::new();
        let max = if spec.max_ttl > 0 { spec.max_ttl.min(mount.max_ttl()) } else { mount.max_ttl() };
        let ttl = if spec.period > 0 {
            spec.period
        } else if spec.ttl > 0 {
            if spec.ttl > max {
                warnings.push(capped_warning(spec.ttl, max));
            }
            spec.ttl.min(max)
        } else if is_root && spec.explicit_max_ttl == 0 {
            // A root token without a TTL never expires.
            0
        } else {
            mount.default_ttl().min(max)
        };
        let ttl = if spec.explicit_max_ttl > 0 && (ttl == 0 || ttl > spec.explicit_max_ttl) {
            spec.explicit_max_ttl
        } else {
            ttl
        };
        let id = match spec.id {
            Some(id) if self.by_id.contains_key(&id) => {
                return Err(ApiError::bad_request("cannot create a token with a duplicate ID"));
            }
            Some(id) => id,
            None => format!("s.{}", random_base62(24)),
        };
        let accessor = random_base62(24);
        let lease_id = (ttl > 0).then(|| format!("{}/h{}", spec.path.trim_end_matches('/'), random_hex(64)));
        let token = Token {
            id: id.clone(),
            accessor: accessor.clone(),
            policies,
            parent: spec.parent,
            meta: spec.meta,
            display_name: if spec.display_name.is_empty() { "token".into() } else { spec.display_name },
            num_uses: spec.num_uses,
            creation: now,
            creation_ttl: ttl,
            expire: (ttl > 0).then(|| after(now, ttl)),
            last_renewal: None,
            explicit_max_ttl: spec.explicit_max_ttl,
            period: spec.period,
            renewable: spec.renewable && ttl > 0,
            path: spec.path,
            bound_cidrs: spec.bound_cidrs,
            role: spec.role,
            default_ttl: if spec.ttl > 0 { spec.ttl.min(max) } else { mount.default_ttl().min(max) },
            max_deadline: (spec.period == 0 && ttl > 0).then(|| after(now, max)),
            lease_id,
        };
        self.by_accessor.insert(accessor, id.clone());
        self.by_id.insert(id, token.clone());
        Ok((token, warnings))
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Token> {
        self.by_id.get(id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Token> {
        self.by_id.get_mut(id)
    }

    pub(crate) fn id_of_accessor(&self, accessor: &str) -> Option<String> {
        self.by_accessor.get(accessor).cloned()
    }

    pub(crate) fn accessors(&self) -> Vec<String> {
        self.by_accessor.keys().cloned().collect()
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<Token> {
        let token = self.by_id.remove(id)?;
        self.by_accessor.remove(&token.accessor);
        Some(token)
    }

    pub(crate) fn children_of(&self, id: &str) -> Vec<String> {
        self.by_id.values().filter(|t| t.parent.as_deref() == Some(id)).map(|t| t.id.clone()).collect()
    }

    pub(crate) fn orphan(&mut self, id: &str) {
        if let Some(token) = self.by_id.get_mut(id) {
            token.parent = None;
        }
    }

    pub(crate) fn expired(&self, now: SystemTime) -> Vec<String> {
        self.by_id.values().filter(|t| t.expire.is_some_and(|e| e <= now)).map(|t| t.id.clone()).collect()
    }

    /// The token whose lease is `lease_id`.
    pub(crate) fn by_lease(&self, lease_id: &str) -> Option<&Token> {
        self.by_id.values().find(|t| t.lease_id.as_deref() == Some(lease_id))
    }

    /// The lease ids of the tokens whose lease id starts with `prefix`.
    pub(crate) fn lease_ids_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.by_id.values().filter_map(|t| t.lease_id.clone()).filter(|id| id.starts_with(prefix)).collect()
    }

    pub(crate) fn with_path_prefix(&self, prefix: &str) -> Vec<String> {
        self.by_id.values().filter(|t| t.path.starts_with(prefix)).map(|t| t.id.clone()).collect()
    }

    /// Renews a token by `increment` seconds (or its default), within its
    /// max TTL, explicit max TTL and period; answers the warnings.
    pub(crate) fn renew(
        &mut self,
        id: &str,
        increment: Option<u64>,
        period_now: Option<u64>,
        now: SystemTime,
    ) -> ApiResult<Vec<String>> {
        let token = self.by_id.get_mut(id).ok_or_else(|| ApiError::bad_request("invalid token"))?;
        if !token.renewable || token.expire.is_none() {
            return Err(ApiError::bad_request("lease is not renewable"));
        }
        let mut warnings = Vec::new();
        let period = period_now.unwrap_or(token.period);
        let mut ttl = if period > 0 {
            period
        } else {
            let wanted = increment.filter(|i| *i > 0).unwrap_or(token.default_ttl);
            let room = token.max_deadline.map(|deadline| secs_until(now, deadline)).unwrap_or(wanted);
            if wanted > room {
                warnings.push(capped_warning(wanted, room));
            }
            wanted.min(room)
        };
        if token.explicit_max_ttl > 0 {
            let room = secs_until(now, after(token.creation, token.explicit_max_ttl));
            if ttl > room {
                warnings.push(capped_warning(ttl, room));
                ttl = room;
            }
        }
        token.expire = Some(after(now, ttl));
        token.last_renewal = Some(now);
        Ok(warnings)
    }
}

fn capped_warning(wanted: u64, max: u64) -> String {
    format!(
        "TTL of \"{}\" exceeded the effective max_ttl of \"{}\"; TTL value is capped accordingly",
        super::params::format_go_duration(wanted),
        super::params::format_go_duration(max)
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn spec(policies: &[&str]) -> TokenSpec {
        TokenSpec {
            policies: policies.iter().map(|p| p.to_string()).collect(),
            renewable: true,
            path: "auth/token/create".into(),
            ..TokenSpec::default()
        }
    }

    #[test]
    fn default_policy_is_added_except_for_root() {
        assert_eq!(normalize_policies(&["web".into(), "Web".into()], false), ["default", "web"]);
        assert_eq!(normalize_policies(&["web".into()], true), ["web"]);
        assert_eq!(normalize_policies(&["root".into()], false), ["root"]);
    }

    #[test]
    fn ttls_are_capped_by_the_mount_max_and_explicit_max() {
        let mut store = TokenStore::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mount = MountConfig { default_lease_ttl: 0, max_lease_ttl: 3600, ..MountConfig::default() };
        let (token, warnings) = store.create(TokenSpec { ttl: 7200, ..spec(&["web"]) }, mount, now).unwrap();
        assert_eq!(token.creation_ttl, 3600);
        assert_eq!(warnings.len(), 1);
        let (token, _) =
            store.create(TokenSpec { explicit_max_ttl: 60, ..spec(&["web"]) }, MountConfig::default(), now).unwrap();
        assert_eq!(token.creation_ttl, 60);
        let (root, _) = store.create(spec(&["root"]), MountConfig::default(), now).unwrap();
        assert!(root.expire.is_none());
        assert!(!root.renewable);
    }

    #[test]
    fn periodic_tokens_renew_to_their_period_forever() {
        let mut store = TokenStore::default();
        let mut now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mount = MountConfig { default_lease_ttl: 0, max_lease_ttl: 600, ..MountConfig::default() };
        let (token, _) = store.create(TokenSpec { period: 300, ..spec(&["app"]) }, mount, now).unwrap();
        for _ in 0..10 {
            now += Duration::from_secs(250);
            store.renew(&token.id, Some(10_000), None, now).unwrap();
            assert_eq!(store.get(&token.id).unwrap().ttl(now), 300);
        }
    }
}
