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

/// The version every built-in plugin reports.
const BUILTIN_VERSION: &str = "v2.0.0+builtin.openbao";

/// Tuning parameters Vault keeps and reports as they were set: lists, then
/// plain values.
const TUNING_LISTS: [&str; 4] = [
    "audit_non_hmac_request_keys",
    "audit_non_hmac_response_keys",
    "passthrough_request_headers",
    "allowed_response_headers",
];
const TUNING_VALUES: [&str; 3] = ["listing_visibility", "plugin_version", "user_lockout_config"];

/// A mount's `config` as `sys/mounts` and `sys/auth` list it; `token_type`
/// for auth methods only.
fn config_json(config: &MountConfig, tuning: &Map<String, Value>, token_type: Option<&str>) -> Value {
    let mut data = json!({
        "default_lease_ttl": config.default_lease_ttl,
        "max_lease_ttl": config.max_lease_ttl,
        "force_no_cache": config.force_no_cache,
    });
    if let Value::Object(map) = &mut data {
        map.extend(tuning.iter().filter(|(k, _)| *k != "plugin_version").map(|(k, v)| (k.clone(), v.clone())));
        if let Some(token_type) = token_type {
            map.insert("token_type".into(), json!(token_type));
        }
    }
    data
}

/// What `sys/mounts` and `sys/auth` say about one mount.
struct Info<'a> {
    kind: &'a str,
    accessor: &'a str,
    uuid: &'a str,
    description: &'a str,
    config: Value,
    options: Value,
    local: bool,
    plugin_version: String,
}

impl Info<'_> {
    fn to_json(&self) -> Value {
        json!({
            "accessor": self.accessor,
            "config": self.config,
            "deprecation_status": "supported",
            "description": self.description,
            "external_entropy_access": false,
            "local": self.local,
            "options": self.options,
            "plugin_version": self.plugin_version,
            "running_plugin_version": BUILTIN_VERSION,
            "running_sha256": "",
            "seal_wrap": false,
            "type": self.kind,
            "uuid": self.uuid,
        })
    }
}

fn plugin_version(tuning: &Map<String, Value>) -> String {
    tuning.get("plugin_version").and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn secret_info(mount: &SecretMount) -> Value {
    Info {
        kind: &mount.kind,
        accessor: &mount.accessor,
        uuid: &mount.uuid,
        description: &mount.description,
        config: config_json(&mount.config, &mount.tuning, None),
        options: mount.options.clone().map(Value::Object).unwrap_or(Value::Null),
        local: mount.local,
        plugin_version: plugin_version(&mount.tuning),
    }
    .to_json()
}

fn auth_info(mount: &AuthMount) -> Value {
    Info {
        kind: &mount.kind,
        accessor: &mount.accessor,
        uuid: &mount.uuid,
        description: &mount.description,
        config: config_json(&mount.config, &mount.tuning, Some(&mount.token_type)),
        options: Value::Null,
        local: false,
        plugin_version: plugin_version(&mount.tuning),
    }
    .to_json()
}

/// Reads the tuning a request sets, from its `config` map (enabling) and
/// its top level (`tune` takes them there), into `config` and `tuning`.
fn apply_config(params: &Params, config: &mut MountConfig, tuning: &mut Map<String, Value>) -> ApiResult<()> {
    let nested = params.raw("config").and_then(Value::as_object).cloned().map(Params).unwrap_or_default();
    for source in [&nested, params] {
        if let Some(ttl) = source.duration("default_lease_ttl")? {
            config.default_lease_ttl = ttl;
        }
        if let Some(ttl) = source.duration("max_lease_ttl")? {
            config.max_lease_ttl = ttl;
        }
        if let Some(flag) = source.bool("force_no_cache")? {
            config.force_no_cache = flag;
        }
        for key in TUNING_LISTS {
            if let Some(list) = source.list(key)? {
                tuning.insert(key.into(), json!(list));
            }
        }
        for key in TUNING_VALUES {
            if let Some(value) = source.raw(key) {
                tuning.insert(key.into(), value.clone());
            }
        }
    }
    if let Some(visibility) = tuning.get("listing_visibility").and_then(Value::as_str)
        && !matches!(visibility, "" | "unauth" | "hidden")
    {
        return Err(ApiError::bad_request("listing_visibility must be either 'unauth' or 'hidden'"));
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
        let system = Info {
            kind: "system",
            accessor: "system_0",
            uuid: "system",
            description: "system endpoints used for control, policy and debugging",
            // Vault lets `Accept` through to the system backend.
            config: config_json(
                &MountConfig::default(),
                &Map::from_iter([("passthrough_request_headers".to_owned(), json!(["Accept"]))]),
                None,
            ),
            options: Value::Null,
            local: false,
            plugin_version: String::new(),
        };
        data.insert("sys/".into(), system.to_json());
        return Ok(Outcome::data(Value::Object(data)));
    }
    if let Some(path) = path.strip_suffix("/tune") {
        if let Some(auth) = path.strip_prefix("auth/") {
            // `sys/mounts/auth/:path/tune` tunes an auth method without the
            // sudo `sys/auth/:path/tune` needs.
            return handle_auth(state, call, &format!("/{auth}/tune"));
        }
        let key = mount_key(path);
        let mount = state.mounts.get_mut(&key).ok_or_else(|| no_mount(&key))?;
        let options = mount.options.clone();
        return tune(
            call,
            Tunable {
                config: &mut mount.config,
                tuning: &mut mount.tuning,
                description: &mut mount.description,
                token_type: None,
            },
            options,
        );
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
            let (engine_kind, engine) = engine_for(&kind, version.as_deref())?;
            let mut mount = SecretMount::new(&engine_kind, &call.params.str("description").unwrap_or_default(), engine);
            // The options as given, values as strings; `kv-v1` and `kv-v2`
            // add their version, as Vault does. A plain `kv` without options
            // has none (and is version 1).
            let mut options: Option<Map<String, Value>> = options.map(|options| {
                options
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().map(Value::from).unwrap_or_else(|| Value::from(v.to_string()))))
                    .collect()
            });
            if let Some(version) = kind.strip_prefix("kv-v") {
                options.get_or_insert_default().insert("version".into(), Value::from(version));
            }
            mount.options = options;
            apply_config(&call.params, &mut mount.config, &mut mount.tuning)?;
            state.mounts.insert(key, mount);
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            if key == "cubbyhole/" || key == "identity/" {
                return Err(ApiError::bad_request(format!("cannot unmount {key:?}")));
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

/// What `tune` may change on a mount.
struct Tunable<'a> {
    config: &'a mut MountConfig,
    tuning: &'a mut Map<String, Value>,
    description: &'a mut String,
    /// Auth methods only.
    token_type: Option<&'a mut String>,
}

fn tune(call: &Call, mount: Tunable<'_>, options: Option<Map<String, Value>>) -> ApiResult {
    match call.method {
        Method::Get => {
            let config = *mount.config;
            let mut data = json!({
                "default_lease_ttl": config.default_ttl(),
                "max_lease_ttl": config.max_ttl(),
                "force_no_cache": config.force_no_cache,
                "description": mount.description,
                "options": options,
            });
            if let Value::Object(map) = &mut data {
                map.extend(mount.tuning.iter().map(|(k, v)| (k.clone(), v.clone())));
                if let Some(token_type) = &mount.token_type {
                    map.insert("token_type".into(), json!(token_type));
                }
            }
            Ok(Outcome::data(data))
        }
        Method::Post | Method::Put => {
            let mut config = *mount.config;
            let mut tuning = mount.tuning.clone();
            apply_config(&call.params, &mut config, &mut tuning)?;
            let token_type = call.params.str("token_type").filter(|t| !t.is_empty());
            if let Some(kind) = &token_type {
                if mount.token_type.is_none() {
                    return Err(ApiError::bad_request("'token_type' can only be modified on auth mounts"));
                }
                if !matches!(kind.as_str(), "default-service" | "service") {
                    return Err(ApiError::bad_request(format!(
                        "token_type {kind:?} is not supported by the qsec in-memory Vault (service tokens only)"
                    )));
                }
            }
            *mount.config = config;
            *mount.tuning = tuning;
            if let (Some(kind), Some(current)) = (token_type, mount.token_type) {
                *current = kind;
            }
            if let Some(text) = call.params.str("description") {
                *mount.description = text;
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
        let tunable = Tunable {
            config: &mut mount.config,
            tuning: &mut mount.tuning,
            description: &mut mount.description,
            token_type: Some(&mut mount.token_type),
        };
        return tune(call, tunable, None);
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
            apply_config(&call.params, &mut mount.config, &mut mount.tuning)?;
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
