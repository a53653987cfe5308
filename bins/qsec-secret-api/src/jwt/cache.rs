//! Tokens verified recently, so a caller reusing its token (a CI job, the
//! controller) is not re-verified on every request: an RSA verification
//! costs far more than the rest of a cached `role-id`.
//!
//! Entries are keyed by the token's SHA-256, never the token itself. A hit
//! still checks `exp` (with the leeway), and an entry lives at most the
//! cache TTL, so a key removed from the issuer's JWKS stops being honoured
//! within that time. Only accepted tokens are cached.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::Identity;

/// Entries kept at most; past it the expired ones go, then all.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    identity: Identity,
    /// `exp` plus the leeway, Unix seconds.
    valid_until: u64,
    cached_at: Instant,
}

/// Verified tokens by their hash.
pub(crate) struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl TokenCache {
    /// A cache keeping entries for `ttl`; a zero TTL caches nothing.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// Who `token` names, if it was verified within the TTL and has not expired.
    pub(crate) fn get(&self, token: &str, now: u64) -> Option<Identity> {
        if self.ttl.is_zero() {
            return None;
        }
        let key = hash(token);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&key)?;
        if now <= entry.valid_until && entry.cached_at.elapsed() < self.ttl {
            return Some(entry.identity.clone());
        }
        entries.remove(&key);
        None
    }

    /// Remembers that `token`, valid until `valid_until` (Unix seconds,
    /// leeway included), names `identity`.
    pub(crate) fn insert(&self, token: &str, identity: &Identity, valid_until: u64, now: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, entry| now <= entry.valid_until && entry.cached_at.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        let entry = Entry { identity: identity.clone(), valid_until, cached_at: Instant::now() };
        entries.insert(hash(token), entry);
    }
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Identity {
        Identity { issuer: "i".into(), subject: "alice".into(), groups: vec![] }
    }

    #[test]
    fn hits_until_expiry_and_never_when_off() {
        let cache = TokenCache::new(Duration::from_secs(60));
        assert_eq!(cache.get("t", 100), None);
        cache.insert("t", &alice(), 130, 100);
        assert_eq!(cache.get("t", 130), Some(alice()));
        assert_eq!(cache.get("t2", 100), None);
        assert_eq!(cache.get("t", 131), None, "expired");
        assert_eq!(cache.get("t", 100), None, "and forgotten");
        let off = TokenCache::new(Duration::ZERO);
        off.insert("t", &alice(), 130, 100);
        assert_eq!(off.get("t", 100), None);
    }
}
