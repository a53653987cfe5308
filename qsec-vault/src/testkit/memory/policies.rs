//! ACL policies: the store, `sys/policies/acl/*`, the older `sys/policy/*`,
//! and `sys/capabilities*`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::outcome::{ApiError, ApiResult, Outcome};
use super::params::{after, parse_rfc3339, rfc3339};
use super::request::Method;
use super::router::{Call, acl_for};
use super::state::State;
use crate::testkit::acl::AclPolicy;

/// The `default` policy every token gets unless excluded: what Vault ships
/// (own token lookup/renew/revoke, own capabilities, lease renew and lookup,
/// own cubbyhole, response wrapping), without the identity and
/// control-group paths this Vault does not serve.
pub const DEFAULT_POLICY: &str = r#"# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/renew" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}

# Allow looking up lease properties (needs the lease ID)
path "sys/leases/lookup" {
  capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a wrapping token
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
"#;

#[derive(Debug, Clone)]
struct StoredPolicy {
    text: String,
    parsed: AclPolicy,
    version: u64,
    modified: SystemTime,
    cas_required: bool,
    /// After this the policy is gone (`expiration` or `ttl` when written).
    expiration: Option<SystemTime>,
    allow_slashes_in_identity_templates: bool,
    allow_wildcards_in_identity_templates: bool,
}

impl StoredPolicy {
    fn new(name: &str, text: &str, version: u64, now: SystemTime) -> Result<Self, String> {
        Ok(Self {
            text: text.into(),
            parsed: AclPolicy::parse(name, text)?,
            version,
            modified: now,
            cas_required: false,
            expiration: None,
            allow_slashes_in_identity_templates: false,
            allow_wildcards_in_identity_templates: false,
        })
    }
}

/// Every ACL policy but `root`, which is built in and has no text.
#[derive(Debug)]
pub(crate) struct PolicyStore {
    policies: BTreeMap<String, StoredPolicy>,
}

impl PolicyStore {
    /// The store with the `default` policy, created at `now`.
    pub(crate) fn new(now: SystemTime) -> Self {
        let default = StoredPolicy::new("default", DEFAULT_POLICY, 0, now)
            .unwrap_or_else(|why| panic!("the built-in default policy does not parse: {why}"));
        Self { policies: BTreeMap::from([("default".to_owned(), default)]) }
    }

    /// Stores a policy after checking it parses; `root` is built in and
    /// cannot be written, as in Vault.
    pub(crate) fn put(&mut self, name: &str, text: &str, now: SystemTime) -> Result<(), String> {
        if name == "root" {
            return Err("cannot update \"root\" policy".into());
        }
        let version = self.policies.get(name).map(|p| p.version + 1).unwrap_or(1);
        self.policies.insert(name.into(), StoredPolicy::new(name, text, version, now)?);
        Ok(())
    }

    pub(crate) fn exists(&self, name: &str) -> bool {
        name == "root" || self.policies.contains_key(name)
    }

    /// The parsed policies among `names` that exist (`root` excluded).
    pub(crate) fn parsed(&self, names: &[String]) -> Vec<AclPolicy> {
        names.iter().filter_map(|name| self.policies.get(name).map(|p| p.parsed.clone())).collect()
    }

    /// Forgets policies whose expiration has passed.
    pub(crate) fn expire(&mut self, now: SystemTime) {
        self.policies.retain(|_, policy| policy.expiration.is_none_or(|at| at > now));
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.policies.keys().cloned().collect();
        names.push("root".into());
        names.sort();
        names
    }
}

/// Which API a policy call came through: they differ in names and shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// `sys/policies/acl`.
    Acl,
    /// `sys/policies/detailed/acl`: lists with every policy's data.
    Detailed,
    /// `sys/policy`, the older API: `rules` for `policy`, `policies` for `keys`.
    Legacy,
}

/// `sys/policy*`, `sys/policies/acl*`, `sys/policies/detailed/acl*` and
/// `sys/capabilities*`; `rest` is the path after `sys/`.
pub(crate) fn handle(state: &mut State, call: &Call, rest: &str) -> ApiResult {
    if rest.starts_with("capabilities") {
        return capabilities(state, call, rest);
    }
    let (api, name) = if let Some(name) = rest.strip_prefix("policies/acl") {
        (Api::Acl, name)
    } else if let Some(name) = rest.strip_prefix("policies/detailed/acl") {
        (Api::Detailed, name)
    } else if let Some(name) = rest.strip_prefix("policy") {
        (Api::Legacy, name)
    } else {
        return Err(ApiError::no_route(&call.path));
    };
    if !(name.is_empty() || name.starts_with('/')) {
        return Err(ApiError::no_route(&call.path));
    }
    let name = name.trim_start_matches('/').trim().to_lowercase();
    let list_all = call.method == Method::List || (api == Api::Legacy && name.is_empty() && call.method == Method::Get);
    if list_all {
        return list(state, api, name.trim_end_matches('/'));
    }
    if name.is_empty() || api == Api::Detailed {
        return Err(ApiError::unsupported_operation());
    }
    match call.method {
        Method::Get => Ok(Outcome::data(read(state, &name, api)?)),
        Method::Post | Method::Put | Method::Patch => write(state, call, &name),
        Method::Delete => {
            if name == "root" || name == "default" {
                return Err(ApiError::bad_request(format!("cannot delete \"{name}\" policy")));
            }
            state.policies.policies.remove(&name);
            Ok(Outcome::NoContent)
        }
        Method::List | Method::Scan => Err(ApiError::unsupported_operation()),
    }
}

fn list(state: &State, api: Api, prefix: &str) -> ApiResult {
    let keys: Vec<String> = state.policies.names().into_iter().filter(|n| n.starts_with(prefix)).collect();
    match api {
        Api::Legacy => Ok(Outcome::data(json!({ "policies": keys, "keys": keys }))),
        Api::Acl => Outcome::keys(keys),
        Api::Detailed => {
            if keys.is_empty() {
                return Err(ApiError::not_found());
            }
            let mut key_info = Map::new();
            for key in &keys {
                key_info.insert(key.clone(), read(state, key, Api::Acl)?);
            }
            Ok(Outcome::data(json!({ "keys": keys, "key_info": key_info })))
        }
    }
}

fn read(state: &State, name: &str, api: Api) -> ApiResult<Value> {
    let policy = match state.policies.policies.get(name) {
        Some(p) => p.clone(),
        None if name == "root" => {
            StoredPolicy::new("root", "", 0, SystemTime::UNIX_EPOCH).map_err(ApiError::internal)?
        }
        None => return Err(ApiError::not_found()),
    };
    let modified = (name != "root").then(|| rfc3339(policy.modified));
    let mut data = json!({
        "name": name,
        "cas_required": policy.cas_required,
        "modified": modified,
        "allow_slashes_in_identity_templates": policy.allow_slashes_in_identity_templates,
        "allow_wildcards_in_identity_templates": policy.allow_wildcards_in_identity_templates,
    });
    if api == Api::Legacy {
        // As `sys/policy`'s documented sample: the rules, and the version
        // as a string.
        data["rules"] = json!(policy.text);
        data["version"] = json!(policy.version.to_string());
    } else {
        data["policy"] = json!(policy.text);
        data["version"] = json!(policy.version);
    }
    if let Some(expiration) = policy.expiration {
        data["expiration"] = json!(rfc3339(expiration));
    }
    Ok(data)
}

/// When a policy written now expires: `expiration` (RFC 3339) or `ttl`,
/// never both, never in the past.
fn expiration(call: &Call) -> ApiResult<Option<SystemTime>> {
    let at = call.params.str("expiration").filter(|e| !e.is_empty());
    let ttl = call.params.duration("ttl")?.filter(|t| *t > 0);
    let at = match (at, ttl) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("cannot set both expiration and ttl")),
        (Some(text), None) => Some(parse_rfc3339(&text).ok_or_else(|| {
            ApiError::bad_request(format!("error converting input {text} for field \"expiration\": invalid time"))
        })?),
        (None, Some(ttl)) => Some(after(call.now, ttl)),
        (None, None) => None,
    };
    if at.is_some_and(|at| at <= call.now) {
        return Err(ApiError::bad_request("expiration time cannot be in the past"));
    }
    Ok(at)
}

fn write(state: &mut State, call: &Call, name: &str) -> ApiResult {
    if name == "root" {
        return Err(ApiError::bad_request("cannot update \"root\" policy"));
    }
    let existing = state.policies.policies.get(name).cloned();
    let patch = call.method == Method::Patch;
    if patch && existing.is_none() {
        // New policies cannot be created by a patch.
        return Err(ApiError::not_found());
    }
    let text = call.params.str("policy").or_else(|| call.params.str("rules")).filter(|t| !t.trim().is_empty());
    let text = match (text, &existing) {
        (Some(text), _) => decode_policy(&text),
        (None, Some(existing)) if patch => existing.text.clone(),
        _ => return Err(ApiError::bad_request("'policy' parameter not supplied or empty")),
    };
    let cas = call.params.i64("cas")?;
    // POST resets what it does not set; PATCH keeps it.
    let kept = |pick: fn(&StoredPolicy) -> bool| patch && existing.as_ref().is_some_and(pick);
    let cas_required = call.params.bool("cas_required")?.unwrap_or_else(|| kept(|p| p.cas_required));
    if cas.is_none() && (cas_required || existing.as_ref().is_some_and(|p| p.cas_required)) {
        return Err(ApiError::bad_request("check-and-set parameter required for this call"));
    }
    if let Some(cas) = cas {
        let current = existing.as_ref().map(|p| p.version as i64).unwrap_or(-1);
        if cas != current {
            return Err(ApiError::bad_request("check-and-set parameter did not match the current version"));
        }
    }
    let expiration = match expiration(call)? {
        Some(at) => Some(at),
        None if patch => existing.as_ref().and_then(|p| p.expiration),
        None => None,
    };
    let slashes = call.params.bool("allow_slashes_in_identity_templates")?;
    let wildcards = call.params.bool("allow_wildcards_in_identity_templates")?;
    state
        .policies
        .put(name, &text, call.now)
        .map_err(|why| ApiError::bad_request(format!("failed to parse policy: {why}")))?;
    if let Some(stored) = state.policies.policies.get_mut(name) {
        stored.cas_required = cas_required;
        stored.expiration = expiration;
        stored.allow_slashes_in_identity_templates =
            slashes.unwrap_or_else(|| kept(|p| p.allow_slashes_in_identity_templates));
        stored.allow_wildcards_in_identity_templates =
            wildcards.unwrap_or_else(|| kept(|p| p.allow_wildcards_in_identity_templates));
    }
    Ok(Outcome::NoContent)
}

/// Vault accepts a policy base64-encoded, to spare escaping.
fn decode_policy(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.contains(['{', '"', ' ', '\n']) {
        return text.to_owned();
    }
    base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// `sys/capabilities-self`, `sys/capabilities` and `sys/capabilities-accessor`.
fn capabilities(state: &State, call: &Call, rest: &str) -> ApiResult {
    call.expect(&[Method::Post])?;
    let token = match rest {
        "capabilities-self" => call.caller.as_ref().map(|c| c.token.clone()),
        "capabilities" => {
            let id = call.params.required_str("token", "missing token")?;
            state.tokens.get(&id).cloned()
        }
        "capabilities-accessor" => {
            let accessor = call.params.required_str("accessor", "missing accessor")?;
            state.tokens.id_of_accessor(&accessor).and_then(|id| state.tokens.get(&id).cloned())
        }
        _ => return Err(ApiError::no_route(&call.path)),
    };
    let token = token.ok_or_else(|| ApiError::bad_request("invalid token"))?;
    let mut paths = call.params.list("paths")?.unwrap_or_default();
    if let Some(path) = call.params.str("path") {
        paths.push(path);
    }
    if paths.is_empty() {
        return Err(ApiError::bad_request("paths must be supplied"));
    }
    let acl = acl_for(state, &token, call.now);
    let mut data = serde_json::Map::new();
    let mut all = Vec::new();
    for path in &paths {
        let caps: Vec<String> =
            acl.capability_names(path.trim_start_matches('/')).into_iter().map(str::to_owned).collect();
        all.extend(caps.clone());
        data.insert(path.clone(), json!(caps));
    }
    all.sort();
    all.dedup();
    data.insert("capabilities".into(), json!(all));
    Ok(Outcome::data(Value::Object(data)))
}
