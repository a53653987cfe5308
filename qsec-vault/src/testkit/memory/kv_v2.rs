//! The kv v2 (versioned) secrets engine.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::kv::{child_keys, scan_keys};
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, after, format_go_duration, rfc3339, uuid};
use super::request::Method;
use super::router::Call;
use super::state::{Engine, State};

/// Vault keeps 10 versions unless told otherwise.
const DEFAULT_MAX_VERSIONS: u64 = 10;

#[derive(Debug, Clone)]
struct Version {
    data: Option<Map<String, Value>>,
    created: SystemTime,
    deletion: Option<SystemTime>,
    destroyed: bool,
}

impl Version {
    fn deleted(&self, now: SystemTime) -> bool {
        self.deletion.is_some_and(|at| at <= now)
    }

    fn metadata(&self, number: u64, custom: &Option<BTreeMap<String, String>>) -> Value {
        json!({
            "created_time": rfc3339(self.created),
            "custom_metadata": custom,
            "deletion_time": self.deletion.map(rfc3339).unwrap_or_default(),
            "destroyed": self.destroyed,
            "version": number,
        })
    }
}

#[derive(Debug, Clone)]
struct Key {
    versions: BTreeMap<u64, Version>,
    current: u64,
    oldest: u64,
    created: SystemTime,
    updated: SystemTime,
    max_versions: u64,
    cas_required: bool,
    delete_version_after: u64,
    custom_metadata: Option<BTreeMap<String, String>>,
}

impl Key {
    fn new(now: SystemTime) -> Self {
        Self {
            versions: BTreeMap::new(),
            current: 0,
            oldest: 0,
            created: now,
            updated: now,
            max_versions: 0,
            cas_required: false,
            delete_version_after: 0,
            custom_metadata: None,
        }
    }
}

/// A kv v2 store.
#[derive(Debug, Default, Clone)]
pub(crate) struct KvV2 {
    keys: BTreeMap<String, Key>,
    max_versions: u64,
    cas_required: bool,
    delete_version_after: u64,
}

impl KvV2 {
    /// Existence check: `data/` and `metadata/` writes tell create from update.
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        let (area, path) = rel.split_once('/')?;
        match area {
            "data" | "metadata" => Some(self.keys.contains_key(path.trim_matches('/'))),
            _ => None,
        }
    }

    /// Writes a new version (for seeding); answers its number.
    pub(crate) fn put(&mut self, path: &str, data: Map<String, Value>, now: SystemTime) -> u64 {
        let (max_versions, dva) = (self.max_versions, self.delete_version_after);
        let key = self.keys.entry(path.trim_matches('/').to_owned()).or_insert_with(|| Key::new(now));
        key.current += 1;
        let keep = if key.max_versions > 0 {
            key.max_versions
        } else if max_versions > 0 {
            max_versions
        } else {
            DEFAULT_MAX_VERSIONS
        };
        let dva = effective_dva(key.delete_version_after, dva);
        let deletion = (dva > 0).then(|| after(now, dva));
        key.versions.insert(key.current, Version { data: Some(data), created: now, deletion, destroyed: false });
        key.updated = now;
        while key.versions.len() as u64 > keep {
            let oldest = *key.versions.keys().next().unwrap_or(&0);
            key.versions.remove(&oldest);
        }
        key.oldest = key.versions.keys().next().copied().unwrap_or(0);
        key.current
    }

    /// The latest live data at `path`.
    #[cfg(test)]
    fn latest(&self, path: &str, now: SystemTime) -> Option<Map<String, Value>> {
        let key = self.keys.get(path.trim_matches('/'))?;
        let version = key.versions.get(&key.current)?;
        if version.deleted(now) || version.destroyed { None } else { version.data.clone() }
    }
}

/// A key's `delete_version_after` may only shorten the engine's.
fn effective_dva(key: u64, engine: u64) -> u64 {
    match (key, engine) {
        (0, engine) => engine,
        (key, 0) => key,
        (key, engine) => key.min(engine),
    }
}

fn versions(params: &Params) -> ApiResult<Vec<u64>> {
    let versions = match params.raw("versions") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok())).collect()
        }
        Some(_) => params.list("versions")?.unwrap_or_default().iter().filter_map(|v| v.parse().ok()).collect(),
        None => Vec::new(),
    };
    if versions.is_empty() {
        return Err(ApiError::bad_request("no version number provided"));
    }
    Ok(versions)
}

/// A kv v2 mount.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    let Engine::KvV2(store) = &mut mount.engine else { return Err(ApiError::no_route(&call.path)) };
    let (area, path) = call.rel.split_once('/').unwrap_or((call.rel.as_str(), ""));
    let now = call.now;
    match area {
        "config" => config(store, call),
        "data" => data(store, call, path.trim_matches('/')),
        "metadata" | "detailed-metadata" if matches!(call.method, Method::List | Method::Scan) => {
            let prefix = if path.is_empty() || path.ends_with('/') { path.to_owned() } else { format!("{path}/") };
            let keys = if call.method == Method::Scan {
                scan_keys(store.keys.keys(), &prefix)
            } else {
                child_keys(store.keys.keys(), &prefix)
            };
            if area == "metadata" {
                return Outcome::keys(keys);
            }
            if keys.is_empty() {
                return Err(ApiError::not_found());
            }
            // `detailed-metadata` adds every listed secret's full metadata.
            let key_info: Map<String, Value> = keys
                .iter()
                .filter_map(|k| Some((k.clone(), metadata_json(store.keys.get(&format!("{prefix}{k}"))?))))
                .collect();
            Ok(Outcome::data(json!({ "keys": keys, "key_info": key_info })))
        }
        "metadata" => metadata(store, call, path.trim_matches('/')),
        "detailed-metadata" => Err(ApiError::unsupported_operation()),
        "delete" | "undelete" | "destroy" => {
            call.expect(&[Method::Post])?;
            let numbers = versions(&call.params)?;
            if let Some(key) = store.keys.get_mut(path.trim_matches('/')) {
                for number in numbers {
                    if let Some(version) = key.versions.get_mut(&number) {
                        match area {
                            "delete" if !version.deleted(now) && !version.destroyed => version.deletion = Some(now),
                            "undelete" if !version.destroyed => version.deletion = None,
                            "destroy" => {
                                version.destroyed = true;
                                version.data = None;
                            }
                            _ => {}
                        }
                    }
                }
                key.updated = now;
            }
            Ok(Outcome::NoContent)
        }
        "subkeys" => {
            call.expect(&[Method::Get])?;
            let key = store.keys.get(path.trim_matches('/')).ok_or_else(ApiError::not_found)?;
            let number = call.params.u64("version")?.filter(|v| *v > 0).unwrap_or(key.current);
            let version = key.versions.get(&number).ok_or_else(ApiError::not_found)?;
            let data = version.data.as_ref().filter(|_| !version.deleted(now)).ok_or_else(ApiError::not_found)?;
            let depth = call.params.u64("depth")?.unwrap_or(0);
            let subkeys = subkeys(&Value::Object(data.clone()), depth, 1);
            let data = json!({ "subkeys": subkeys, "metadata": version.metadata(number, &key.custom_metadata) });
            // Vault answers in `data`; the documented sample shows `subkeys`
            // and `metadata` at the top level. Both are there, so a client
            // reading either finds them.
            Ok(Outcome::Json(200, Envelope::data(data).to_json(&uuid(), true)))
        }
        _ => Err(ApiError::new(
            404,
            "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use.",
        )),
    }
}

fn subkeys(value: &Value, depth: u64, level: u64) -> Value {
    match value {
        Value::Object(map) if !map.is_empty() && (depth == 0 || level < depth) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), subkeys(v, depth, level + 1))).collect())
        }
        Value::Object(map) if !map.is_empty() => Value::Object(map.keys().map(|k| (k.clone(), Value::Null)).collect()),
        _ => Value::Null,
    }
}

fn config(store: &mut KvV2, call: &Call) -> ApiResult {
    match call.method {
        Method::Get => Ok(Outcome::data(json!({
            "cas_required": store.cas_required,
            "delete_version_after": format_go_duration(store.delete_version_after),
            "max_versions": store.max_versions,
        }))),
        Method::Post | Method::Put => {
            if let Some(v) = call.params.u64("max_versions")? {
                store.max_versions = v;
            }
            if let Some(v) = call.params.bool("cas_required")? {
                store.cas_required = v;
            }
            if let Some(v) = call.params.duration("delete_version_after")? {
                store.delete_version_after = v;
            }
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

fn check_cas(store: &KvV2, key: Option<&Key>, params: &Params) -> ApiResult<()> {
    let options = params.raw("options").and_then(Value::as_object).cloned().map(Params).unwrap_or_default();
    let cas = options.u64("cas")?;
    let required = store.cas_required || key.is_some_and(|k| k.cas_required);
    match cas {
        None if required => Err(ApiError::bad_request("check-and-set parameter required for this call")),
        Some(cas) if cas != key.map(|k| k.current).unwrap_or(0) => {
            Err(ApiError::bad_request("check-and-set parameter did not match the current version"))
        }
        _ => Ok(()),
    }
}

fn data(store: &mut KvV2, call: &Call, path: &str) -> ApiResult {
    let now = call.now;
    if path.is_empty() {
        return Err(ApiError::unsupported_operation());
    }
    match call.method {
        Method::Get => {
            let key = store.keys.get(path).ok_or_else(ApiError::not_found)?;
            let number = call.params.u64("version")?.filter(|v| *v > 0).unwrap_or(key.current);
            let version = key.versions.get(&number).ok_or_else(ApiError::not_found)?;
            let metadata = version.metadata(number, &key.custom_metadata);
            match &version.data {
                Some(data) if !version.deleted(now) => Ok(Outcome::data(json!({ "data": data, "metadata": metadata }))),
                // Vault answers 404 with the version's metadata for a deleted
                // or destroyed version.
                _ => Ok(Outcome::Envelope(Envelope {
                    status: 404,
                    ..Envelope::data(json!({ "data": null, "metadata": metadata }))
                })),
            }
        }
        Method::Post | Method::Put | Method::Patch => {
            let new_data = match call.params.raw("data") {
                Some(Value::Object(map)) => map.clone(),
                Some(_) => return Err(ApiError::bad_request("data must be a JSON object")),
                None => return Err(ApiError::bad_request("no data provided")),
            };
            check_cas(store, store.keys.get(path), &call.params)?;
            let merged = if call.method == Method::Patch {
                let key = store.keys.get(path).ok_or_else(ApiError::not_found)?;
                let latest = key.versions.get(&key.current).filter(|v| !v.deleted(now) && !v.destroyed);
                let mut base = Value::Object(latest.and_then(|v| v.data.clone()).ok_or_else(ApiError::not_found)?);
                merge_patch(&mut base, &Value::Object(new_data));
                match base {
                    Value::Object(map) => map,
                    _ => Map::new(),
                }
            } else {
                new_data
            };
            let number = store.put(path, merged, now);
            let key = &store.keys[path];
            Ok(Outcome::data(key.versions[&number].metadata(number, &key.custom_metadata)))
        }
        Method::Delete => {
            if let Some(key) = store.keys.get_mut(path) {
                if let Some(version) = key.versions.get_mut(&key.current).filter(|v| !v.deleted(now) && !v.destroyed) {
                    version.deletion = Some(now);
                }
                key.updated = now;
            }
            Ok(Outcome::NoContent)
        }
        Method::List | Method::Scan => Err(ApiError::unsupported_operation()),
    }
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

fn metadata(store: &mut KvV2, call: &Call, path: &str) -> ApiResult {
    let now = call.now;
    if path.is_empty() {
        return Err(ApiError::unsupported_operation());
    }
    match call.method {
        Method::Get => Ok(Outcome::data(metadata_json(store.keys.get(path).ok_or_else(ApiError::not_found)?))),
        Method::Post | Method::Put | Method::Patch => {
            if call.method == Method::Patch && !store.keys.contains_key(path) {
                return Err(ApiError::not_found());
            }
            let params = &call.params;
            let key = store.keys.entry(path.to_owned()).or_insert_with(|| Key::new(now));
            if let Some(v) = params.u64("max_versions")? {
                key.max_versions = v;
            }
            if let Some(v) = params.bool("cas_required")? {
                key.cas_required = v;
            }
            if let Some(v) = params.duration("delete_version_after")? {
                key.delete_version_after = v;
            }
            if let Some(custom) = params.string_map("custom_metadata")? {
                key.custom_metadata = Some(if call.method == Method::Patch {
                    let mut merged = key.custom_metadata.clone().unwrap_or_default();
                    merged.extend(custom);
                    merged
                } else {
                    custom
                });
            }
            key.updated = now;
            if key.max_versions > 0 {
                while key.versions.len() as u64 > key.max_versions {
                    let oldest = *key.versions.keys().next().unwrap_or(&0);
                    key.versions.remove(&oldest);
                }
                key.oldest = key.versions.keys().next().copied().unwrap_or(key.oldest);
            }
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            store.keys.remove(path);
            Ok(Outcome::NoContent)
        }
        Method::List | Method::Scan => Err(ApiError::unsupported_operation()),
    }
}

/// A key's metadata and version history, as `metadata/:path` reads it.
fn metadata_json(key: &Key) -> Value {
    let versions: Map<String, Value> = key
        .versions
        .iter()
        .map(|(n, v)| {
            let meta = json!({
                "created_time": rfc3339(v.created),
                "deletion_time": v.deletion.map(rfc3339).unwrap_or_default(),
                "destroyed": v.destroyed,
            });
            (n.to_string(), meta)
        })
        .collect();
    json!({
        "cas_required": key.cas_required,
        "created_time": rfc3339(key.created),
        "current_version": key.current,
        "delete_version_after": format_go_duration(key.delete_version_after),
        "max_versions": key.max_versions,
        "oldest_version": key.oldest,
        "updated_time": rfc3339(key.updated),
        "custom_metadata": key.custom_metadata,
        "versions": versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}, "n": 1}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}, "n": 1}));
    }

    #[test]
    fn old_versions_beyond_max_are_dropped() {
        let mut store = KvV2 { max_versions: 2, ..KvV2::default() };
        let now = SystemTime::now();
        for i in 0..4 {
            store.put("app", Map::from_iter([("v".to_owned(), json!(i))]), now);
        }
        let key = &store.keys["app"];
        assert_eq!(key.current, 4);
        assert_eq!(key.oldest, 3);
        assert_eq!(key.versions.len(), 2);
        assert_eq!(store.latest("app", now).unwrap()["v"], 3);
    }
}
