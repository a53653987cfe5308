//! Fault injection: added latency, failing requests, and the seal.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Controls the faults a [`super::MemoryVault`] shows its callers. Clones
/// share the same settings.
///
/// Failures and the seal apply to [`super::MemoryVault::handle`] (so to the
/// dev server and the in-process backend alike); latency is added by
/// [`super::MemoryVault::handle_async`] only, as it has to sleep.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    latency: Duration,
    failures: Vec<Failure>,
    sealed: bool,
}

#[derive(Debug)]
struct Failure {
    remaining: u32,
    path_prefix: Option<String>,
    status: u16,
}

impl Faults {
    fn state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `latency` before every request answered by `handle_async`.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// The latency currently added.
    pub fn latency(&self) -> Duration {
        self.state().latency
    }

    /// Makes the next `count` requests fail with `status` (e.g. 500, 503, 429)
    /// before they reach any endpoint, so they change nothing.
    pub fn fail_next(&self, count: u32, status: u16) {
        self.state().failures.push(Failure { remaining: count, path_prefix: None, status });
    }

    /// Like [`Faults::fail_next`], counting only requests whose path starts
    /// with `path_prefix` (e.g. `auth/approle/login`).
    pub fn fail_next_matching(&self, count: u32, path_prefix: &str, status: u16) {
        let prefix = path_prefix.trim_start_matches('/').to_owned();
        self.state().failures.push(Failure { remaining: count, path_prefix: Some(prefix), status });
    }

    /// Seals the vault: everything but `sys/health`, `sys/seal-status` and
    /// `sys/unseal` answers 503 `Vault is sealed`.
    pub fn seal(&self) {
        self.state().sealed = true;
    }

    /// Unseals the vault.
    pub fn unseal(&self) {
        self.state().sealed = false;
    }

    /// Whether the vault is sealed.
    pub fn is_sealed(&self) -> bool {
        self.state().sealed
    }

    /// Removes every pending failure and the latency (the seal stays).
    pub fn clear(&self) {
        let mut state = self.state();
        state.failures.clear();
        state.latency = Duration::ZERO;
    }

    /// The status an injected failure makes `path` fail with, if one is due;
    /// counts it.
    pub(crate) fn take_failure(&self, path: &str) -> Option<u16> {
        let mut state = self.state();
        let index = state.failures.iter().position(|failure| {
            failure.remaining > 0 && failure.path_prefix.as_deref().is_none_or(|prefix| path.starts_with(prefix))
        })?;
        let failure = &mut state.failures[index];
        failure.remaining -= 1;
        let status = failure.status;
        if failure.remaining == 0 {
            state.failures.remove(index);
        }
        Some(status)
    }
}

/// The message an injected failure carries, in Vault's words where Vault
/// has some.
pub(crate) fn failure_message(status: u16) -> &'static str {
    match status {
        429 => "request path rate limit quota exceeded (injected fault)",
        503 => "Vault is temporarily unavailable (injected fault)",
        _ => "internal error (injected fault)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_down_and_match_prefixes() {
        let faults = Faults::default();
        faults.fail_next_matching(1, "/auth/approle/login", 503);
        faults.fail_next(2, 500);
        assert_eq!(faults.take_failure("auth/approle/login"), Some(503));
        assert_eq!(faults.take_failure("auth/approle/login"), Some(500));
        assert_eq!(faults.take_failure("secret/data/x"), Some(500));
        assert_eq!(faults.take_failure("secret/data/x"), None);
    }
}
