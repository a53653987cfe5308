//! The kv v1 secrets engine, and the cubbyhole (kv v1 per token).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::parse_duration;
use super::request::Method;
use super::router::Call;
use super::state::{Engine, State};

/// A kv v1 store: secrets by path inside the mount.
#[derive(Debug, Default, Clone)]
pub(crate) struct KvV1 {
    entries: BTreeMap<String, Map<String, Value>>,
}

impl KvV1 {
    pub(crate) fn contains(&self, rel: &str) -> bool {
        self.entries.contains_key(rel.trim_matches('/'))
    }

    /// Stores a secret (for seeding).
    pub(crate) fn put(&mut self, rel: &str, data: Map<String, Value>) {
        self.entries.insert(rel.trim_matches('/').to_owned(), data);
    }

    pub(crate) fn get(&self, rel: &str) -> Option<&Map<String, Value>> {
        self.entries.get(rel.trim_matches('/'))
    }
}

/// The names directly under `prefix` among `keys`: leaves as they are,
/// folders with a trailing `/`. `prefix` is empty or ends with `/`.
pub(crate) fn child_keys<'a>(keys: impl Iterator<Item = &'a String>, prefix: &str) -> Vec<String> {
    let mut children: Vec<String> = keys
        .filter_map(|key| key.strip_prefix(prefix))
        .filter(|rest| !rest.is_empty())
        .map(|rest| match rest.split_once('/') {
            Some((folder, _)) => format!("{folder}/"),
            None => rest.to_owned(),
        })
        .collect();
    children.sort();
    children.dedup();
    children
}

/// Every key under `prefix`, however deep, relative to it: what OpenBao's
/// `SCAN` (a recursive list) answers. `prefix` is empty or ends with `/`.
pub(crate) fn scan_keys<'a>(keys: impl Iterator<Item = &'a String>, prefix: &str) -> Vec<String> {
    keys.filter_map(|key| key.strip_prefix(prefix)).filter(|rest| !rest.is_empty()).map(str::to_owned).collect()
}

fn folder(rel: &str) -> String {
    let rel = rel.trim_start_matches('/');
    if rel.is_empty() || rel.ends_with('/') { rel.to_owned() } else { format!("{rel}/") }
}

/// The kv v1 operations on `store`; `lease_ttl` is the advisory
/// `lease_duration` of reads without a `ttl` key.
fn kv_v1(store: &mut KvV1, call: &Call, lease_ttl: u64) -> ApiResult {
    let rel = call.rel.as_str();
    match call.method {
        Method::List => Outcome::keys(child_keys(store.entries.keys(), &folder(rel))),
        Method::Scan => Outcome::keys(scan_keys(store.entries.keys(), &folder(rel))),
        Method::Get => {
            let data = store.get(rel).ok_or_else(ApiError::not_found)?;
            // A `ttl` key is advisory: it only sets `lease_duration`.
            let ttl = data
                .get("ttl")
                .and_then(|ttl| match ttl {
                    Value::String(text) => parse_duration(text).ok(),
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                })
                .unwrap_or(lease_ttl);
            Ok(Outcome::Envelope(Envelope { lease_duration: ttl, ..Envelope::data(Value::Object(data.clone())) }))
        }
        Method::Post | Method::Put => {
            if rel.trim_matches('/').is_empty() {
                return Err(ApiError::unsupported_operation());
            }
            if call.params.0.is_empty() {
                return Err(ApiError::bad_request("missing data fields"));
            }
            store.put(rel, call.params.0.clone());
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            store.entries.remove(rel.trim_matches('/'));
            Ok(Outcome::NoContent)
        }
        Method::Patch => Err(ApiError::unsupported_operation()),
    }
}

/// A kv v1 mount.
pub(crate) fn handle_v1(state: &mut State, call: &Call) -> ApiResult {
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    let lease_ttl = mount.config.default_ttl();
    match &mut mount.engine {
        Engine::KvV1(store) => kv_v1(store, call, lease_ttl),
        _ => Err(ApiError::no_route(&call.path)),
    }
}

/// The cubbyhole: each token sees only its own kv v1 store, gone with it.
pub(crate) fn handle_cubbyhole(state: &mut State, call: &Call) -> ApiResult {
    let token = call.token_id().ok_or_else(ApiError::permission_denied)?.to_owned();
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    match &mut mount.engine {
        Engine::Cubbyhole(boxes) => {
            let store = boxes.entry(token).or_default();
            match kv_v1(store, call, 0)? {
                Outcome::Envelope(envelope) => Ok(Outcome::Envelope(Envelope { lease_duration: 0, ..envelope })),
                other => Ok(other),
            }
        }
        _ => Err(ApiError::no_route(&call.path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_direct_children_with_folders() {
        let keys: Vec<String> = ["foo", "foo/bar", "foo/baz/qux", "other"].iter().map(|s| s.to_string()).collect();
        assert_eq!(child_keys(keys.iter(), ""), ["foo", "foo/", "other"]);
        assert_eq!(child_keys(keys.iter(), "foo/"), ["bar", "baz/"]);
        assert!(child_keys(keys.iter(), "nothing/").is_empty());
        assert_eq!(scan_keys(keys.iter(), ""), ["foo", "foo/bar", "foo/baz/qux", "other"]);
        assert_eq!(scan_keys(keys.iter(), "foo/"), ["bar", "baz/qux"]);
    }
}
