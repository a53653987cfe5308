//! The database engine's static roles: one existing database account per
//! role, whose password this Vault rotates every `rotation_period` (and on
//! `rotate-role`), and hands out with `static-creds`.

use std::time::SystemTime;

use serde_json::json;

use super::database::{Database, credential_type, password, statements};
use super::outcome::{ApiError, ApiResult, Outcome};
use super::params::{after, rfc3339, secs_until};
use super::request::Method;
use super::router::Call;

/// Vault refuses shorter rotation periods.
const MIN_ROTATION_PERIOD: u64 = 5;

/// A static role and its account's current password.
#[derive(Debug, Clone)]
pub(crate) struct StaticRole {
    db_name: String,
    pub(super) username: String,
    rotation_period: u64,
    rotation_statements: Vec<String>,
    credential_type: String,
    pub(super) password: String,
    last_rotation: SystemTime,
}

impl StaticRole {
    /// Rotates the password if a whole period has passed since the last
    /// rotation, keeping the schedule (the next one is a period after the
    /// rotation that was due).
    pub(super) fn rotate_if_due(&mut self, now: SystemTime) {
        let period = self.rotation_period.max(MIN_ROTATION_PERIOD);
        let elapsed = now.duration_since(self.last_rotation).map(|d| d.as_secs()).unwrap_or(0);
        if elapsed >= period {
            self.last_rotation = after(self.last_rotation, elapsed / period * period);
            self.password = password();
        }
    }

    fn rotate_now(&mut self, now: SystemTime) {
        self.last_rotation = now;
        self.password = password();
    }
}

/// `static-roles/:name`: read, write, delete.
pub(super) fn role(db: &mut Database, call: &Call, name: &str) -> ApiResult {
    match call.method {
        Method::Get => {
            let role = db.static_roles.get(name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "credential_type": role.credential_type,
                "db_name": role.db_name,
                "username": role.username,
                "rotation_statements": role.rotation_statements,
                "rotation_period": role.rotation_period,
                "last_vault_rotation": rfc3339(role.last_rotation),
            })))
        }
        Method::Post | Method::Put => write(db, call, name),
        Method::Delete => {
            // The account was made outside Vault: it stays, as in Vault.
            db.static_roles.remove(name);
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

fn write(db: &mut Database, call: &Call, name: &str) -> ApiResult {
    let params = &call.params;
    let existing = db.static_roles.get(name).cloned();
    let db_name = params
        .str("db_name")
        .filter(|n| !n.is_empty())
        .or(existing.as_ref().map(|r| r.db_name.clone()))
        .ok_or_else(|| ApiError::bad_request("empty database name attribute"))?;
    if !db.has_connection(&db_name) {
        return Err(ApiError::bad_request(format!("could not find database named: {db_name}")));
    }
    let username = match (params.str("username").filter(|u| !u.is_empty()), &existing) {
        (Some(username), Some(old)) if username != old.username => {
            return Err(ApiError::bad_request("cannot update static account username"));
        }
        (Some(username), _) => username,
        (None, Some(old)) => old.username.clone(),
        (None, None) => return Err(ApiError::bad_request("username is a required field to create a static account")),
    };
    let rotation_period = match (params.duration("rotation_period")?, &existing) {
        (Some(period), _) => period,
        (None, Some(old)) => old.rotation_period,
        (None, None) => return Err(ApiError::bad_request("rotation_period is required to create static accounts")),
    };
    if rotation_period < MIN_ROTATION_PERIOD {
        return Err(ApiError::bad_request(format!("rotation_period must be {MIN_ROTATION_PERIOD} seconds or more")));
    }
    let role = StaticRole {
        db_name,
        username,
        rotation_period,
        rotation_statements: statements(
            params,
            "rotation_statements",
            existing.as_ref().map(|r| &r.rotation_statements),
        )?,
        credential_type: credential_type(params, existing.as_ref().map(|r| r.credential_type.as_str()))?,
        // Vault rotates the password when it creates a static role: it
        // cannot know it otherwise.
        password: existing.as_ref().map(|r| r.password.clone()).unwrap_or_else(password),
        last_rotation: existing.as_ref().map(|r| r.last_rotation).unwrap_or(call.now),
    };
    db.static_roles.insert(name.to_owned(), role);
    Ok(Outcome::NoContent)
}

/// `static-creds/:name`: the account's current password and how long it
/// has left.
pub(super) fn creds(db: &mut Database, call: &Call, name: &str) -> ApiResult {
    let role = db.static_roles.get(name).ok_or_else(|| ApiError::bad_request(format!("unknown role: {name}")))?;
    let last = rfc3339(role.last_rotation);
    Ok(Outcome::data(json!({
        "username": role.username,
        "password": role.password,
        // Vault's field, and the name OpenBao's documented sample uses.
        "last_vault_rotation": last,
        "last_openbao_rotation": last,
        "rotation_period": role.rotation_period,
        "ttl": secs_until(call.now, after(role.last_rotation, role.rotation_period)),
    })))
}

/// `rotate-role/:name`: a new password now.
pub(super) fn rotate(db: &mut Database, call: &Call, name: &str) -> ApiResult {
    let role = db
        .static_roles
        .get_mut(name)
        .ok_or_else(|| ApiError::bad_request(format!("no static role found for role name \"{name}\"")))?;
    role.rotate_now(call.now);
    Ok(Outcome::NoContent)
}
