//! `sys/mounts/*` and `sys/auth/*`: enabling, listing, tuning and
//! disabling secrets engines and auth methods.

use serde_json::{Map, Value, json};

use super::approle::AppRoleStore;
use super::aws::Aws;
use super::database::Database;
use super::kubernetes::KubernetesStore;
use super::kv::KvV1;
use super::kv_v2::KvV2;
use super::outcome::{ApiError, ApiResult, Outcome};
use super::params::Params;
use super::request::Method;
use super::router::Call;
use super::state::{AuthEngine, AuthMount, Engine, MountConfig, SecretMount, State};

/// Builds the engine for a `sys/mounts` type, or says it is unknown.
pub(crate) fn engine_for(kind: &str, version: Option<&str>) -> ApiResult<(String, Engine)> {
    let engine = match (kind, version) {
        ("kv", Some("2")) | ("kv-v2", _) => Engine::KvV2(KvV2::default()),
        ("kv" | "generic", _) | ("kv-v1", _) => Engine::KvV1(KvV1::default()),
        ("database", _) => Engine::Database(Database::default()),
        ("aws", _) => Engine::Aws(Aws::default()),
        ("pki", _) => Engine::Pki(Box::default()),
        (
            "transit" | "totp" | "ssh" | "rabbitmq" | "nomad" | "consul" | "kubernetes" | "ldap" | "azure" | "gcp"
            | "gcpkms" | "kmip" | "terraform",
            _,
        ) => Engine::Inert,
        _ => return Err(ApiError::bad_request(format!("plugin not found in the catalog: {kind}"))),
    };
    let kind = if kind.starts_with("kv") || kind == "generic" { "kv" } else { kind };
    Ok((kind.to_owned(), engine))
}

/// Builds the engine for a `sys/auth` type.
pub(crate) fn auth_engine_for(kind: &str) -> ApiResult<AuthEngine> {
    match kind {
        "approle" => Ok(AuthEngine::AppRole(AppRoleStore::default())),
        "kubernetes" => Ok(AuthEngine::Kubernetes(KubernetesStore::default())),
        "token" => Err(ApiError::bad_request("token credential backend cannot be instantiated")),
        "userpass" | "ldap" | "github" | "jwt" | "oidc" | "cert" | "radius" | "okta" | "aws" | "azure" | "gcp"
        | "cf" | "alicloud" | "oci" | "kerberos" => Ok(AuthEngine::Inert),
        _ => Err(ApiError::bad_request(format!("plugin not found in the catalog: {kind}"))),
    }
}

fn mount_key(path: &str) -> String {
    format!("{}/", path.trim_matches('/'))
}

fn config_json(config: &MountConfig) -> Value {
    json!({
        "default_lease_ttl": config.default_lease_ttl,
        "max_lease_ttl": config.max_lease_ttl,
        "force_no_cache": false,
    })
}

fn info(
    kind: &str,
    accessor: &str,
    uuid: &str,
    description: &str,
    config: &MountConfig,
    options: Value,
    local: bool,
) -> Value {
    json!({
        "accessor": accessor,
        "config": config_json(config),
        "deprecation_status": "supported",
        "description": description,
        "external_entropy_access": false,
        "local": local,
        "options": options,
        "plugin_version": "",
        "running_plugin_version": "",
        "running_sha256": "",
        "seal_wrap": false,
        "type": kind,
        "uuid": uuid,
    })
}

fn secret_info(mount: &SecretMount) -> Value {
    let options = mount.options.clone().map(Value::Object).unwrap_or(Value::Null);
    info(&mount.kind, &mount.accessor, &mount.uuid, &mount.description, &mount.config, options, mount.local)
}

fn auth_info(mount: &AuthMount) -> Value {
    info(&mount.kind, &mount.accessor, &mount.uuid, &mount.description, &mount.config, Value::Null, false)
}

/// Reads `config.default_lease_ttl` / `max_lease_ttl` (or top-level ones,
/// as `tune` takes them) into `config`.
fn apply_config(params: &Params, config: &mut MountConfig) -> ApiResult<()> {
    let nested = params.raw("config").and_then(Value::as_object).cloned().map(Params).unwrap_or_default();
    for source in [&nested, params] {
        if let Some(ttl) = source.duration("default_lease_ttl")? {
            config.default_lease_ttl = ttl;
        }
        if let Some(ttl) = source.duration("max_lease_ttl")? {
            config.max_lease_ttl = ttl;
        }
    }
    if config.max_lease_ttl > 0 && config.default_lease_ttl > config.max_lease_ttl {
        return Err(ApiError::bad_request("default lease TTL cannot be greater than max lease TTL"));
    }
    Ok(())
}

fn in_use(keys: impl Iterator<Item = String>, key: &str) -> Option<String> {
    keys.into_iter().find(|existing| existing.starts_with(key) || key.starts_with(existing.as_str()))
}

/// `sys/mounts[/:path[/tune]]`; `rest` is what follows `sys/mounts`.
pub(crate) fn handle_mounts(state: &mut State, call: &Call, rest: &str) -> ApiResult {
    let path = rest.trim_matches('/');
    if path.is_empty() {
        call.expect(&[Method::Get])?;
        let mut data: Map<String, Value> = state.mounts.iter().map(|(k, m)| (k.clone(), secret_info(m))).collect();
        let system = info(
            "system",
            "system_0",
            "system",
            "system endpoints used for control, policy and debugging",
            &MountConfig::default(),
            Value::Null,
            false,
        );
        data.insert("sys/".into(), system);
        return Ok(Outcome::data(Value::Object(data)));
    }
    if let Some(path) = path.strip_suffix("/tune") {
        let key = mount_key(path);
        let mount = state.mounts.get_mut(&key).ok_or_else(|| no_mount(&key))?;
        return tune(call, &mut mount.config, &mut mount.description, mount.options.clone(), false);
    }
    let key = mount_key(path);
    match call.method {
        Method::Get => {
            let mount = state.mounts.get(&key).ok_or_else(|| no_mount(&key))?;
            Ok(Outcome::data(secret_info(mount)))
        }
        Method::Post | Method::Put => {
            let kind = call.params.required_str("type", "type is required")?;
            if matches!(key.as_str(), "sys/" | "auth/" | "cubbyhole/" | "identity/") || key.starts_with("sys/") {
                return Err(ApiError::bad_request(format!("cannot mount at reserved path \"{key}\"")));
            }
            if let Some(existing) = in_use(state.mounts.keys().cloned(), &key) {
                return Err(ApiError::bad_request(format!("path is already in use at {existing}")));
            }
            let options = call.params.raw("options").and_then(Value::as_object).cloned();
            let version = options
                .as_ref()
                .and_then(|o| o.get("version"))
                .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()));
            let (kind, engine) = engine_for(&kind, version.as_deref())?;
            let mut mount = SecretMount::new(&kind, &call.params.str("description").unwrap_or_default(), engine);
            apply_config(&call.params, &mut mount.config)?;
            state.mounts.insert(key, mount);
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            if key == "cubbyhole/" {
                return Err(ApiError::bad_request("cannot unmount \"cubbyhole/\""));
            }
            if state.mounts.remove(&key).is_some() {
                for lease in state.leases.with_prefix(&key) {
                    state.leases.remove(&lease);
                }
            }
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

fn no_mount(key: &str) -> ApiError {
    ApiError::bad_request(format!("No secret engine mount at {key}"))
}

fn tune(
    call: &Call,
    config: &mut MountConfig,
    description: &mut String,
    options: Option<Map<String, Value>>,
    auth: bool,
) -> ApiResult {
    match call.method {
        Method::Get => {
            let mut data = json!({
                "default_lease_ttl": config.default_ttl(),
                "max_lease_ttl": config.max_ttl(),
                "force_no_cache": false,
                "description": description,
                "options": options,
            });
            if auth {
                data["token_type"] = json!("default-service");
            }
            Ok(Outcome::data(data))
        }
        Method::Post | Method::Put => {
            apply_config(&call.params, config)?;
            if let Some(text) = call.params.str("description") {
                *description = text;
            }
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// `sys/auth[/:path[/tune]]`; `rest` is what follows `sys/auth`.
pub(crate) fn handle_auth(state: &mut State, call: &Call, rest: &str) -> ApiResult {
    let path = rest.trim_matches('/');
    if path.is_empty() {
        call.expect(&[Method::Get])?;
        let data: Map<String, Value> = state.auth_mounts.iter().map(|(k, m)| (k.clone(), auth_info(m))).collect();
        return Ok(Outcome::data(Value::Object(data)));
    }
    if let Some(path) = path.strip_suffix("/tune") {
        let key = mount_key(path);
        let mount = state.auth_mounts.get_mut(&key).ok_or_else(|| no_auth(&key))?;
        return tune(call, &mut mount.config, &mut mount.description, None, true);
    }
    let key = mount_key(path);
    match call.method {
        Method::Get => Ok(Outcome::data(auth_info(state.auth_mounts.get(&key).ok_or_else(|| no_auth(&key))?))),
        Method::Post | Method::Put => {
            let kind = call.params.required_str("type", "type is required")?;
            if let Some(existing) = in_use(state.auth_mounts.keys().cloned(), &key) {
                return Err(ApiError::bad_request(format!("path is already in use at auth/{existing}")));
            }
            let engine = auth_engine_for(&kind)?;
            let mut mount = AuthMount::new(&kind, &call.params.str("description").unwrap_or_default(), engine);
            apply_config(&call.params, &mut mount.config)?;
            state.auth_mounts.insert(key, mount);
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            if key == "token/" {
                return Err(ApiError::bad_request("token credential backend cannot be disabled"));
            }
            if state.auth_mounts.remove(&key).is_some() {
                // Tokens issued by the method die with it.
                state.revoke_prefix(&format!("auth/{key}"));
            }
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

fn no_auth(key: &str) -> ApiError {
    ApiError::bad_request(format!("No auth engine at auth/{key}"))
}
