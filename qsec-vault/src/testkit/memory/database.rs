//! A simulated database secrets engine: connections and roles as Vault
//! stores them, and dynamic users that live exactly as long as their lease.

use std::collections::BTreeMap;

use rand::Rng;
use serde_json::json;

use super::leases::{LeasedSecret, NewLease};
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::random_base62;
use super::request::Method;
use super::router::Call;
use super::state::{Engine, State};

#[derive(Debug, Clone)]
struct Connection {
    plugin_name: String,
    plugin_version: String,
    allowed_roles: Vec<String>,
    connection_url: String,
    username: String,
    password_policy: String,
    verify_connection: bool,
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
    /// Live users by name, with their passwords.
    users: BTreeMap<String, (DatabaseUser, String)>,
}

impl Database {
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        let (area, name) = rel.split_once('/')?;
        match area {
            "config" => Some(self.connections.contains_key(name)),
            "roles" => Some(self.roles.contains_key(name)),
            _ => None,
        }
    }

    pub(crate) fn drop_user(&mut self, username: &str) {
        self.users.remove(username);
    }

    pub(crate) fn users(&self) -> impl Iterator<Item = &DatabaseUser> {
        self.users.values().map(|(user, _)| user)
    }

    /// Whether `username` exists with `password`.
    pub(crate) fn accepts(&self, username: &str, password: &str) -> bool {
        self.users.get(username).is_some_and(|(_, p)| p == password)
    }
}

/// A password as Vault's default policy makes them: 20 characters with an
/// upper, a lower, a digit and a dash.
fn password() -> String {
    let mut rng = rand::rng();
    let mut chars: Vec<char> = random_base62(16).chars().collect();
    chars.extend(['A', 'a', '0', '-']);
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    chars.into_iter().collect()
}

/// `database/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    let config = mount.config;
    let Engine::Database(db) = &mut mount.engine else { return Err(ApiError::no_route(&call.path)) };
    let rel = call.rel.trim_end_matches('/');
    let (area, name) = rel.split_once('/').unwrap_or((rel, ""));
    let params = &call.params;
    match (area, name.is_empty(), call.method) {
        ("config", _, Method::List) => Outcome::keys(db.connections.keys().cloned().collect()),
        ("roles", _, Method::List) => Outcome::keys(db.roles.keys().cloned().collect()),
        ("config", false, Method::Get) => {
            let c = db.connections.get(name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "allowed_roles": c.allowed_roles,
                "connection_details": { "connection_url": c.connection_url, "username": c.username },
                "password_policy": c.password_policy,
                "plugin_name": c.plugin_name,
                "plugin_version": c.plugin_version,
                "root_credentials_rotate_statements": [],
                "verify_connection": c.verify_connection,
            })))
        }
        ("config", false, Method::Post | Method::Put) => {
            let existing = db.connections.get(name).cloned();
            let plugin_name = params
                .str("plugin_name")
                .filter(|p| !p.is_empty())
                .or(existing.as_ref().map(|c| c.plugin_name.clone()))
                .ok_or_else(|| ApiError::bad_request("empty plugin name"))?;
            let connection = Connection {
                plugin_name,
                plugin_version: params.str("plugin_version").unwrap_or_default(),
                allowed_roles: params
                    .list("allowed_roles")?
                    .or(existing.as_ref().map(|c| c.allowed_roles.clone()))
                    .unwrap_or_default(),
                connection_url: params
                    .str("connection_url")
                    .or(params.str("url"))
                    .or(existing.as_ref().map(|c| c.connection_url.clone()))
                    .unwrap_or_default(),
                username: params.str("username").or(existing.as_ref().map(|c| c.username.clone())).unwrap_or_default(),
                password_policy: params.str("password_policy").unwrap_or_default(),
                verify_connection: params.bool("verify_connection")?.unwrap_or(true),
            };
            db.connections.insert(name.to_owned(), connection);
            Ok(Outcome::NoContent)
        }
        ("config", false, Method::Delete) => {
            db.connections.remove(name);
            Ok(Outcome::NoContent)
        }
        ("roles", false, Method::Get) => {
            let r = db.roles.get(name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "creation_statements": r.creation_statements,
                "credential_type": "password",
                "db_name": r.db_name,
                "default_ttl": r.default_ttl,
                "max_ttl": r.max_ttl,
                "renew_statements": r.renew_statements,
                "revocation_statements": r.revocation_statements,
                "rollback_statements": r.rollback_statements,
            })))
        }
        ("roles", false, Method::Post | Method::Put) => {
            let existing = db.roles.get(name).cloned();
            let db_name = params
                .str("db_name")
                .filter(|n| !n.is_empty())
                .or(existing.as_ref().map(|r| r.db_name.clone()))
                .ok_or_else(|| ApiError::bad_request("empty database name attribute"))?;
            let statements = |key: &str, old: Option<&Vec<String>>| -> ApiResult<Vec<String>> {
                Ok(match params.raw(key) {
                    Some(serde_json::Value::String(s)) => vec![s.clone()],
                    Some(_) => params.list(key)?.unwrap_or_default(),
                    None => old.cloned().unwrap_or_default(),
                })
            };
            let role = Role {
                creation_statements: statements(
                    "creation_statements",
                    existing.as_ref().map(|r| &r.creation_statements),
                )?,
                revocation_statements: statements(
                    "revocation_statements",
                    existing.as_ref().map(|r| &r.revocation_statements),
                )?,
                rollback_statements: statements(
                    "rollback_statements",
                    existing.as_ref().map(|r| &r.rollback_statements),
                )?,
                renew_statements: statements("renew_statements", existing.as_ref().map(|r| &r.renew_statements))?,
                default_ttl: params.duration("default_ttl")?.or(existing.as_ref().map(|r| r.default_ttl)).unwrap_or(0),
                max_ttl: params.duration("max_ttl")?.or(existing.as_ref().map(|r| r.max_ttl)).unwrap_or(0),
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
        ("roles", false, Method::Delete) => {
            db.roles.remove(name);
            Ok(Outcome::NoContent)
        }
        ("creds", false, Method::Get) => {
            let role =
                db.roles.get(name).cloned().ok_or_else(|| ApiError::bad_request(format!("unknown role: {name}")))?;
            let connection = db
                .connections
                .get(&role.db_name)
                .ok_or_else(|| ApiError::internal(format!("failed to get connection: {}", role.db_name)))?;
            if !connection.allowed_roles.iter().any(|r| r == "*" || r == name) {
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
        ("reset" | "rotate-root", false, Method::Post | Method::Put) => {
            if !db.connections.contains_key(name) {
                return Err(ApiError::bad_request(format!("unable to find connection {name}")));
            }
            Ok(Outcome::NoContent)
        }
        ("config" | "roles" | "creds" | "reset" | "rotate-root", _, _) => Err(ApiError::unsupported_operation()),
        _ => Err(ApiError::no_route(&call.path)),
    }
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
