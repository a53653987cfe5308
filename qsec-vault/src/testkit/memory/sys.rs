//! The system backend: `sys/health`, `sys/seal-status`, `sys/seal`,
//! `sys/unseal`, `sys/init`, and dispatch to the other `sys/` endpoints.

use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult, Outcome};
use super::params::unix;
use super::request::Method;
use super::router::Call;
use super::state::State;
use super::{leases, mounts, policies, wrapping};

/// The version this Vault reports.
pub(crate) const VERSION: &str = "2.0.0+qsec-memory";

/// `sys/*`; `rest` is the path after `sys/`.
pub(crate) fn handle(state: &mut State, call: &Call, rest: &str) -> ApiResult {
    let rest = rest.trim_end_matches('/');
    let head = rest.split('/').next().unwrap_or("");
    match head {
        "health" => health(state, call),
        "seal-status" => {
            call.expect(&[Method::Get])?;
            Ok(Outcome::Json(200, seal_status(state, call.faults.is_sealed())))
        }
        "seal" => {
            call.expect(&[Method::Post])?;
            call.faults.seal();
            Ok(Outcome::NoContent)
        }
        "unseal" => {
            call.expect(&[Method::Post])?;
            let reset = call.params.bool("reset")?.unwrap_or(false);
            if !reset {
                // A dev server has no real key shares: any key unseals.
                call.params
                    .required_str("key", "'key' must be specified in request body as JSON, or 'reset' set to true")?;
                call.faults.unseal();
            }
            let mut status = seal_status(state, call.faults.is_sealed());
            if let Value::Object(map) = &mut status {
                map.retain(|key, _| !matches!(key.as_str(), "storage_type" | "build_date" | "commit_date"));
            }
            Ok(Outcome::Json(200, status))
        }
        "init" => {
            call.expect(&[Method::Get, Method::Post])?;
            if call.method.is_write() {
                // Like `vault server -dev`, this Vault starts initialized.
                return Err(ApiError::bad_request("Vault is already initialized"));
            }
            Ok(Outcome::Json(200, json!({ "initialized": true })))
        }
        "leader" => {
            call.expect(&[Method::Get])?;
            Ok(Outcome::Json(
                200,
                json!({
                    "ha_enabled": false,
                    "is_self": false,
                    "leader_address": "",
                    "leader_cluster_address": "",
                    "performance_standby": false,
                    "performance_standby_last_remote_wal": 0
                }),
            ))
        }
        "mounts" => mounts::handle_mounts(state, call, rest.strip_prefix("mounts").unwrap_or("")),
        "auth" => mounts::handle_auth(state, call, rest.strip_prefix("auth").unwrap_or("")),
        "policy" | "policies" | "capabilities" | "capabilities-self" | "capabilities-accessor" => {
            policies::handle(state, call, rest)
        }
        "leases" | "renew" | "revoke" | "revoke-prefix" | "revoke-force" => {
            // Keep the original suffix: lease ids may end with `/`.
            let rest = call.rel.as_str();
            leases::handle(state, call, rest)
        }
        "wrapping" => wrapping::handle(state, call, rest.strip_prefix("wrapping/").unwrap_or("")),
        _ => Err(ApiError::no_route(&call.path)),
    }
}

fn code(call: &Call, key: &str, default: u16) -> ApiResult<u16> {
    match call.query.get(key) {
        None => Ok(default),
        Some(text) => match text.parse::<u16>() {
            Ok(code) if (100..600).contains(&code) => Ok(code),
            _ => Err(ApiError::bad_request(format!("unable to parse {key} code: {text}"))),
        },
    }
}

/// `GET sys/health`: 200 active, 503 sealed, codes overridable by query.
fn health(state: &State, call: &Call) -> ApiResult {
    call.expect(&[Method::Get])?;
    let sealed = call.faults.is_sealed();
    let active = code(call, "activecode", 200)?;
    let sealed_code = code(call, "sealedcode", 503)?;
    // Validate the others even though this node is never a standby.
    code(call, "standbycode", 429)?;
    code(call, "uninitcode", 501)?;
    code(call, "perfstandbyokcode", 473)?;
    let mut body = json!({
        "initialized": true,
        "sealed": sealed,
        "standby": false,
        "performance_standby": false,
        "replication_performance_mode": "disabled",
        "replication_dr_mode": "disabled",
        "server_time_utc": unix(call.now),
        "version": VERSION,
    });
    if !sealed {
        body["cluster_name"] = json!(state.cluster_name);
        body["cluster_id"] = json!(state.cluster_id);
    }
    Ok(Outcome::Json(if sealed { sealed_code } else { active }, body))
}

fn seal_status(state: &State, sealed: bool) -> Value {
    let mut body = json!({
        "type": "shamir",
        "initialized": true,
        "sealed": sealed,
        "t": 1,
        "n": 1,
        "progress": 0,
        "nonce": "",
        "version": VERSION,
        "build_date": "2025-01-01T00:00:00Z",
        "commit_date": "2025-01-01T00:00:00Z",
        "migration": false,
        "recovery_seal": false,
        "storage_type": "inmem",
    });
    if !sealed {
        body["cluster_name"] = json!(state.cluster_name);
        body["cluster_id"] = json!(state.cluster_id);
    }
    body
}
