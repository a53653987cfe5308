//! A simulated database secrets engine: connections and roles as Vault
//! stores them, dynamic users that live exactly as long as their lease, and
//! static roles (in `database_static`) whose passwords rotate on schedule.

use std::collections::BTreeMap;
use std::time::SystemTime;

use rand::Rng;
use serde_json::{Map, Value, json};

use super::database_static::{self, StaticRole};
use super::leases::{LeasedSecret, NewLease};
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, random_base62};
use super::request::Method;
use super::router::Call;
use super::state::{Engine, State};

/// Connection parameters that are the engine's own; every other one is the
/// plugin's and is kept in `connection_details` (but `password`, never
/// shown again).
const ENGINE_PARAMETERS: [&str; 7] = [
    "plugin_name",
    "plugin_version",
    "verify_connection",
    "allowed_roles",
    "root_rotation_statements",
    "password_policy",
    "password",
];

#[derive(Debug, Clone)]
struct Connection {
    plugin_name: String,
    plugin_version: String,
    allowed_roles: Vec<String>,
    root_rotation_statements: Vec<String>,
    password_policy: String,
    verify_connection: bool,
    /// The plugin's parameters: `connection_url`, `username`, ...
    details: Map<String, Value>,
}

impl Connection {
    fn allows(&self, role: &str) -> bool {
        self.allowed_roles.iter().any(|r| super::token_roles::glob_match(r, role))
    }
}

#[derive(Debug, Clone)]
struct Role {
    db_name: String,
    default_ttl: u64,
    max_ttl: u64,
    creation_statements: Vec<String>,
    revocation_statements: Vec<String>,
    rollback_statements: Vec<String>,
    renew_statements: Vec<String>,
    credential_type: String,
}

/// A user the simulated database holds: created by `creds/:role`, dropped
/// when its lease is revoked or expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUser {
    /// The user name, e.g. `v-token-readonly-a1b2c3d4e5f6g7h8i9j0-1700000000`.
    pub username: String,
    /// The role it was created for.
    pub role: String,
    /// The connection (`database/config/:name`) it lives in.
    pub db_name: String,
    /// The mount, e.g. `database/`.
    pub mount: String,
}

/// The engine's state.
#[derive(Debug, Default)]
pub(crate) struct Database {
    connections: BTreeMap<String, Connection>,
    roles: BTreeMap<String, Role>,
    pub(super) static_roles: BTreeMap<String, StaticRole>,
    /// Live users by name, with their passwords.
    users: BTreeMap<String, (DatabaseUser, String)>,
}

impl Database {
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        let (area, name) = rel.split_once('/')?;
        match area {
            "config" => Some(self.connections.contains_key(name)),
            "roles" => Some(self.roles.contains_key(name)),
            "static-roles" => Some(self.static_roles.contains_key(name)),
            _ => None,
        }
    }

    pub(crate) fn drop_user(&mut self, username: &str) {
        self.users.remove(username);
    }

    pub(crate) fn users(&self) -> impl Iterator<Item = &DatabaseUser> {
        self.users.values().map(|(user, _)| user)
    }

    /// Whether `username` exists with `password`: a dynamic user, or a
    /// static role's account with its current password.
    pub(crate) fn accepts(&self, username: &str, password: &str) -> bool {
        self.users.get(username).is_some_and(|(_, p)| p == password)
            || self.static_roles.values().any(|role| role.username == username && role.password == password)
    }

    /// Rotates every static role whose rotation period has come round.
    pub(crate) fn rotate_due(&mut self, now: SystemTime) {
        for role in self.static_roles.values_mut() {
            role.rotate_if_due(now);
        }
    }

    /// Whether a connection named `name` exists.
    pub(super) fn has_connection(&self, name: &str) -> bool {
        self.connections.contains_key(name)
    }
}

/// A password as Vault's default policy makes them: 20 characters with an
/// upper, a lower, a digit and a dash.
pub(super) fn password() -> String {
    let mut rng = rand::rng();
    let mut chars: Vec<char> = random_base62(16).chars().collect();
    chars.extend(['A', 'a', '0', '-']);
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    chars.into_iter().collect()
}

/// A list of statements: a JSON list, or one string (which Vault takes as
/// a single statement, semicolons and all).
pub(super) fn statements(params: &Params, key: &str, old: Option<&Vec<String>>) -> ApiResult<Vec<String>> {
    Ok(match params.raw(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => params.list(key)?.unwrap_or_default(),
        None => old.cloned().unwrap_or_default(),
    })
}

/// `credential_type`: only `password` is simulated.
pub(super) fn credential_type(params: &Params, old: Option<&str>) -> ApiResult<String> {
    match params.str("credential_type").filter(|t| !t.is_empty()) {
        None => Ok(old.unwrap_or("password").to_owned()),
        Some(kind) if kind == "password" => Ok(kind),
        Some(kind) => Err(ApiError::bad_request(format!(
            "credential_type {kind:?} is not supported by the qsec in-memory Vault (password only)"
        ))),
    }
}

/// `database/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    let config = mount.config;
    let Engine::Database(db) = &mut mount.engine else { return Err(ApiError::no_route(&call.path)) };
    let rel = call.rel.trim_end_matches('/');
    let (area, name) = rel.split_once('/').unwrap_or((rel, ""));
    if name.ends_with('.') {
        // Vault's name pattern cannot end in a period: no route matches.
        return Err(ApiError::unsupported_path());
    }
    match (area, name.is_empty(), call.method) {
        ("config", _, Method::List) => Outcome::keys(db.connections.keys().cloned().collect()),
        ("roles", _, Method::List) => Outcome::keys(db.roles.keys().cloned().collect()),
        ("static-roles", _, Method::List) => Outcome::keys(db.static_roles.keys().cloned().collect()),
        ("config", false, Method::Get) => {
            let c = db.connections.get(name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "allowed_roles": c.allowed_roles,
                "connection_details": c.details,
                "password_policy": c.password_policy,
                "plugin_name": c.plugin_name,
                "plugin_version": c.plugin_version,
                "root_credentials_rotate_statements": c.root_rotation_statements,
                "verify_connection": c.verify_connection,
            })))
        }
        ("config", false, Method::Post | Method::Put) => write_connection(db, call, name),
        ("config", false, Method::Delete) => {
            db.connections.remove(name);
            Ok(Outcome::NoContent)
        }
        ("roles", false, Method::Get) => {
            let r = db.roles.get(name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "creation_statements": r.creation_statements,
                "credential_type": r.credential_type,
                "db_name": r.db_name,
                "default_ttl": r.default_ttl,
                "max_ttl": r.max_ttl,
                "renew_statements": r.renew_statements,
                "revocation_statements": r.revocation_statements,
                "rollback_statements": r.rollback_statements,
            })))
        }
        ("roles", false, Method::Post | Method::Put) => write_role(db, call, name),
        ("roles", false, Method::Delete) => {
            db.roles.remove(name);
            Ok(Outcome::NoContent)
        }
        ("creds", false, Method::Get) => creds(state, call, name, config),
        ("static-roles", false, _) => database_static::role(db, call, name),
        ("static-creds", false, Method::Get) => database_static::creds(db, call, name),
        ("rotate-role", false, Method::Post | Method::Put) => database_static::rotate(db, call, name),
        ("reset" | "rotate-root", false, Method::Post | Method::Put) => {
            if !db.connections.contains_key(name) {
                return Err(ApiError::bad_request(format!("unable to find connection {name}")));
            }
            Ok(Outcome::NoContent)
        }
        ("config" | "roles" | "creds" | "static-creds" | "rotate-role" | "reset" | "rotate-root", _, _) => {
            Err(ApiError::unsupported_operation())
        }
        _ => Err(ApiError::no_route(&call.path)),
    }
}

fn write_connection(db: &mut Database, call: &Call, name: &str) -> ApiResult {
    let params = &call.params;
    let existing = db.connections.get(name).cloned();
    let plugin_name = params
        .str("plugin_name")
        .filter(|p| !p.is_empty())
        .or(existing.as_ref().map(|c| c.plugin_name.clone()))
        .ok_or_else(|| ApiError::bad_request("empty plugin name"))?;
    let mut details = existing.as_ref().map(|c| c.details.clone()).unwrap_or_default();
    for (key, value) in &params.0 {
        if !ENGINE_PARAMETERS.contains(&key.as_str()) && key != "name" {
            details.insert(key.clone(), value.clone());
        }
    }
    let connection = Connection {
        plugin_name,
        plugin_version: params.str("plugin_version").unwrap_or_default(),
        allowed_roles: params
            .list("allowed_roles")?
            .or(existing.as_ref().map(|c| c.allowed_roles.clone()))
            .unwrap_or_default(),
        root_rotation_statements: statements(
            params,
            "root_rotation_statements",
            existing.as_ref().map(|c| &c.root_rotation_statements),
        )?,
        password_policy: params.str("password_policy").unwrap_or_default(),
        verify_connection: params.bool("verify_connection")?.unwrap_or(true),
        details,
    };
    db.connections.insert(name.to_owned(), connection);
    Ok(Outcome::NoContent)
}

fn write_role(db: &mut Database, call: &Call, name: &str) -> ApiResult {
    let params = &call.params;
    let existing = db.roles.get(name).cloned();
    let db_name = params
        .str("db_name")
        .filter(|n| !n.is_empty())
        .or(existing.as_ref().map(|r| r.db_name.clone()))
        .ok_or_else(|| ApiError::bad_request("empty database name attribute"))?;
    let old = |pick: fn(&Role) -> &Vec<String>| existing.as_ref().map(pick);
    let role = Role {
        creation_statements: statements(params, "creation_statements", old(|r| &r.creation_statements))?,
        revocation_statements: statements(params, "revocation_statements", old(|r| &r.revocation_statements))?,
        rollback_statements: statements(params, "rollback_statements", old(|r| &r.rollback_statements))?,
        renew_statements: statements(params, "renew_statements", old(|r| &r.renew_statements))?,
        default_ttl: params.duration("default_ttl")?.or(existing.as_ref().map(|r| r.default_ttl)).unwrap_or(0),
        max_ttl: params.duration("max_ttl")?.or(existing.as_ref().map(|r| r.max_ttl)).unwrap_or(0),
        credential_type: credential_type(params, existing.as_ref().map(|r| r.credential_type.as_str()))?,
        db_name,
    };
    if role.creation_statements.is_empty() {
        return Err(ApiError::bad_request("creation_statements are required"));
    }
    if role.max_ttl > 0 && role.default_ttl > role.max_ttl {
        return Err(ApiError::bad_request("ttl cannot be greater than max_ttl"));
    }
    db.roles.insert(name.to_owned(), role);
    Ok(Outcome::NoContent)
}

/// `creds/:name`: a new user, alive as long as its lease.
fn creds(state: &mut State, call: &Call, name: &str, config: super::state::MountConfig) -> ApiResult {
    let Some(Engine::Database(db)) = state.mounts.get_mut(&call.mount).map(|m| &mut m.engine) else {
        return Err(ApiError::no_route(&call.path));
    };
    let role = db.roles.get(name).cloned().ok_or_else(|| ApiError::bad_request(format!("unknown role: {name}")))?;
    let connection = db
        .connections
        .get(&role.db_name)
        .ok_or_else(|| ApiError::internal(format!("failed to get connection: {}", role.db_name)))?;
    if !connection.allows(name) {
        return Err(ApiError::bad_request(format!("\"{name}\" is not an allowed role")));
    }
    let display = call.caller.as_ref().map(|c| c.token.display_name.clone()).unwrap_or_else(|| "token".into());
    let username = format!(
        "v-{}-{}-{}-{}",
        display.chars().take(8).collect::<String>(),
        name.chars().take(8).collect::<String>(),
        random_base62(20),
        super::params::unix(call.now)
    );
    let password = password();
    let user = DatabaseUser {
        username: username.clone(),
        role: name.to_owned(),
        db_name: role.db_name.clone(),
        mount: call.mount.clone(),
    };
    db.users.insert(username.clone(), (user, password.clone()));
    let (ttl, max_ttl) = config.ttls_for(role.default_ttl, role.max_ttl);
    let lease_id = state.leases.create(
        NewLease {
            path: call.path.trim_end_matches('/').to_owned(),
            mount: call.mount.clone(),
            owner: call.token_id().map(str::to_owned),
            ttl,
            max_ttl,
            renewable: true,
            secret: LeasedSecret::DatabaseUser { username: username.clone() },
        },
        call.now,
    );
    Ok(Outcome::Envelope(Envelope {
        lease_id,
        lease_duration: ttl,
        renewable: true,
        ..Envelope::data(json!({ "username": username, "password": password }))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_default_policy() {
        let p = password();
        assert_eq!(p.len(), 20);
        assert!(p.contains('-'));
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert_ne!(p, password());
    }
}
