//! Who wrote each version of a secret, kept in the secret's kv v2
//! `custom_metadata`.
//!
//! kv v2 keeps custom metadata per secret, not per version, so qsec keeps a
//! map in it: `author.v3 = alice` for the author of version 3, and
//! `restored.v4 = 2` when version 4 was a rollback to version 2. Entries of
//! versions Vault no longer keeps (past `max_versions`) are dropped, and so
//! are the oldest entries when the whole map would exceed Vault's limit of
//! 64 keys. Other custom metadata is left as it is.

use std::collections::BTreeMap;

/// Vault refuses custom metadata with more keys than this.
const VAULT_MAX_KEYS: usize = 64;
/// Vault refuses custom metadata values longer than this (bytes).
const VAULT_MAX_VALUE: usize = 512;

const AUTHOR: &str = "author.v";
const RESTORED: &str = "restored.v";

/// The version an entry of ours is about, if it is one of ours.
fn entry_version(key: &str) -> Option<u64> {
    key.strip_prefix(AUTHOR).or_else(|| key.strip_prefix(RESTORED))?.parse().ok()
}

/// The author of `version`, if recorded.
pub fn author_of(custom: Option<&BTreeMap<String, String>>, version: u64) -> Option<String> {
    custom?.get(&format!("{AUTHOR}{version}")).cloned()
}

/// The version `version` restored, if it was a rollback.
pub fn restored_from(custom: Option<&BTreeMap<String, String>>, version: u64) -> Option<u64> {
    custom?.get(&format!("{RESTORED}{version}"))?.parse().ok()
}

/// The custom metadata after recording that `author` wrote `version`
/// (restoring `restored`, for a rollback), keeping only entries of versions
/// for which `kept` is true.
pub fn record(
    existing: Option<&BTreeMap<String, String>>,
    version: u64,
    author: &str,
    restored: Option<u64>,
    kept: impl Fn(u64) -> bool,
) -> BTreeMap<String, String> {
    let mut custom: BTreeMap<String, String> = existing
        .into_iter()
        .flatten()
        .filter(|(key, _)| entry_version(key).is_none_or(|v| v == version || kept(v)))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    custom.insert(format!("{AUTHOR}{version}"), truncate(author, VAULT_MAX_VALUE));
    if let Some(restored) = restored {
        custom.insert(format!("{RESTORED}{version}"), restored.to_string());
    }
    while custom.len() > VAULT_MAX_KEYS {
        let oldest = custom.keys().filter_map(|key| entry_version(key).map(|v| (v, key.clone()))).min();
        match oldest {
            Some((v, key)) if v != version => {
                custom.remove(&key);
            }
            // Only others' keys and ours for this version are left.
            _ => break,
        }
    }
    custom
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_authors_per_version_and_prunes_forgotten_versions() {
        let first = record(None, 1, "alice", None, |_| true);
        assert_eq!(author_of(Some(&first), 1).as_deref(), Some("alice"));
        let mut existing = first;
        existing.insert("owner".into(), "team-a".into());
        let second = record(Some(&existing), 2, "bob", Some(1), |v| v >= 2);
        assert_eq!(author_of(Some(&second), 1), None, "version 1 is no longer kept");
        assert_eq!(author_of(Some(&second), 2).as_deref(), Some("bob"));
        assert_eq!(restored_from(Some(&second), 2), Some(1));
        assert_eq!(second.get("owner").map(String::as_str), Some("team-a"), "others' metadata stays");
    }

    #[test]
    fn stays_within_vaults_limits() {
        let mut custom = BTreeMap::new();
        for version in 1..=100 {
            custom = record(Some(&custom), version, &"x".repeat(600), Some(1), |_| true);
        }
        assert!(custom.len() <= VAULT_MAX_KEYS);
        assert!(custom.contains_key("author.v100") && custom.contains_key("restored.v100"));
        assert!(!custom.contains_key("author.v1"));
        assert!(custom.values().all(|value| value.len() <= VAULT_MAX_VALUE));
        assert_eq!(truncate("héllo", 2), "h");
    }
}
