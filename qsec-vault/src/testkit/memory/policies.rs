//! ACL policies: the store, `sys/policies/acl/*`, the older `sys/policy/*`,
//! and `sys/capabilities*`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine as _;
use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult, Outcome};
use super::params::rfc3339;
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
}

/// Every ACL policy but `root`, which is built in and has no text.
#[derive(Debug)]
pub(crate) struct PolicyStore {
    policies: BTreeMap<String, StoredPolicy>,
}

impl PolicyStore {
    pub(crate) fn new() -> Self {
        let mut store = Self { policies: BTreeMap::new() };
        let parsed = AclPolicy::parse("default", DEFAULT_POLICY).unwrap_or_else(|why| panic!("default policy: {why}"));
        let default = StoredPolicy {
            text: DEFAULT_POLICY.into(),
            parsed,
            version: 0,
            modified: SystemTime::now(),
            cas_required: false,
        };
        store.policies.insert("default".into(), default);
        store
    }

    /// Stores a policy after checking it parses.
    pub(crate) fn put(&mut self, name: &str, text: &str, now: SystemTime) -> Result<(), String> {
        let parsed = AclPolicy::parse(name, text)?;
        let version = self.policies.get(name).map(|p| p.version + 1).unwrap_or(1);
        let stored = StoredPolicy { text: text.into(), parsed, version, modified: now, cas_required: false };
        self.policies.insert(name.into(), stored);
        Ok(())
    }

    pub(crate) fn exists(&self, name: &str) -> bool {
        name == "root" || self.policies.contains_key(name)
    }

    /// The parsed policies among `names` that exist (`root` excluded).
    pub(crate) fn parsed(&self, names: &[String]) -> Vec<AclPolicy> {
        names.iter().filter_map(|name| self.policies.get(name).map(|p| p.parsed.clone())).collect()
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.policies.keys().cloned().collect();
        names.push("root".into());
        names.sort();
        names
    }
}

/// `sys/policy*`, `sys/policies/acl*` and `sys/capabilities*`; `rest` is
/// the path after `sys/`.
pub(crate) fn handle(state: &mut State, call: &Call, rest: &str) -> ApiResult {
    if rest.starts_with("capabilities") {
        return capabilities(state, call, rest);
    }
    let (legacy, name) = if let Some(name) = rest.strip_prefix("policies/acl") {
        (false, name.trim_start_matches('/'))
    } else if let Some(name) = rest.strip_prefix("policy") {
        (true, name.trim_start_matches('/'))
    } else {
        return Err(ApiError::no_route(&call.path));
    };
    let name = name.trim().to_lowercase();
    let list_all = call.method == Method::List || (legacy && name.is_empty() && call.method == Method::Get);
    if list_all {
        let prefix = name.trim_end_matches('/');
        let keys: Vec<String> = state.policies.names().into_iter().filter(|n| n.starts_with(prefix)).collect();
        return if legacy { Ok(Outcome::data(json!({ "policies": keys, "keys": keys }))) } else { Outcome::keys(keys) };
    }
    if name.is_empty() {
        return Err(ApiError::unsupported_operation());
    }
    match call.method {
        Method::Get => read(state, &name, legacy),
        Method::Post | Method::Put | Method::Patch => write(state, call, &name),
        Method::Delete => {
            if name == "root" || name == "default" {
                return Err(ApiError::bad_request(format!("cannot delete \"{name}\" policy")));
            }
            state.policies.policies.remove(&name);
            Ok(Outcome::NoContent)
        }
        Method::List => Err(ApiError::unsupported_operation()),
    }
}

fn read(state: &State, name: &str, legacy: bool) -> ApiResult {
    let (text, version, modified, cas_required) = match state.policies.policies.get(name) {
        Some(p) => (p.text.clone(), p.version, Some(p.modified), p.cas_required),
        None if name == "root" => (String::new(), 0, None, false),
        None => return Err(ApiError::not_found()),
    };
    let mut data = json!({
        "name": name,
        "version": version,
        "cas_required": cas_required,
        "modified": modified.map(rfc3339),
    });
    data[if legacy { "rules" } else { "policy" }] = json!(text);
    Ok(Outcome::data(data))
}

fn write(state: &mut State, call: &Call, name: &str) -> ApiResult {
    if name == "root" {
        return Err(ApiError::bad_request("cannot update \"root\" policy"));
    }
    let existing = state.policies.policies.get(name).cloned();
    if call.method == Method::Patch && existing.is_none() {
        return Err(ApiError::not_found());
    }
    let text = call.params.str("policy").or_else(|| call.params.str("rules")).filter(|t| !t.trim().is_empty());
    let text = match (text, &existing) {
        (Some(text), _) => decode_policy(&text),
        (None, Some(existing)) if call.method == Method::Patch => existing.text.clone(),
        _ => return Err(ApiError::bad_request("'policy' parameter not supplied or empty")),
    };
    let cas = call.params.i64("cas")?;
    let cas_required = call.params.bool("cas_required")?.unwrap_or(false);
    if cas.is_none() && (cas_required || existing.as_ref().is_some_and(|p| p.cas_required)) {
        return Err(ApiError::bad_request("check-and-set parameter required for this call"));
    }
    if let Some(cas) = cas {
        let current = existing.as_ref().map(|p| p.version as i64).unwrap_or(-1);
        if cas != current {
            return Err(ApiError::bad_request("check-and-set parameter did not match the current version"));
        }
    }
    state
        .policies
        .put(name, &text, call.now)
        .map_err(|why| ApiError::bad_request(format!("failed to parse policy: {why}")))?;
    if let Some(stored) = state.policies.policies.get_mut(name) {
        stored.cas_required = cas_required;
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
