//! The in-memory Vault's clock: real time plus an offset tests control.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// The time every TTL of a [`super::MemoryVault`] is measured against.
///
/// By default it runs with real time, so a dev server behaves like a real
/// Vault; tests jump ahead with [`Clock::advance`] (tokens, leases, SecretIDs
/// and wrapping tokens then expire on their next access), or stop it with
/// [`Clock::freeze`] for exact TTL assertions. Clones share one clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Default)]
struct ClockState {
    /// Added to real time while running.
    ahead: Duration,
    /// Subtracted from real time while running (after [`Clock::set`] into the past).
    behind: Duration,
    /// When frozen: the time it stands at.
    frozen: Option<SystemTime>,
}

impl Clock {
    /// A clock running with real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        let state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        state.frozen.unwrap_or_else(|| SystemTime::now() + state.ahead - state.behind)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(frozen) = &mut state.frozen {
            *frozen += by;
        } else if state.behind >= by {
            state.behind -= by;
        } else {
            let rest = by - state.behind;
            state.ahead += rest;
            state.behind = Duration::ZERO;
        }
    }

    /// Sets the clock to `time`; a running clock keeps running from there.
    pub fn set(&self, time: SystemTime) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if state.frozen.is_some() {
            state.frozen = Some(time);
            return;
        }
        let real = SystemTime::now();
        match time.duration_since(real) {
            Ok(ahead) => (state.ahead, state.behind) = (ahead, Duration::ZERO),
            Err(past) => (state.ahead, state.behind) = (Duration::ZERO, past.duration()),
        }
    }

    /// Stops the clock where it is; only [`Clock::advance`] and
    /// [`Clock::set`] move it afterwards.
    pub fn freeze(&self) {
        let now = self.now();
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).frozen = Some(now);
    }

    /// Lets a frozen clock run with real time again, from where it stands.
    pub fn resume(&self) {
        let now = self.now();
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).frozen = None;
        self.set(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_and_sets_a_frozen_clock_exactly() {
        let clock = Clock::new();
        clock.freeze();
        let start = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert_eq!(clock.now(), start + Duration::from_secs(3600));
        let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        clock.set(epoch);
        assert_eq!(clock.now(), epoch);
    }

    #[test]
    fn a_running_clock_keeps_its_offset() {
        let clock = Clock::new();
        clock.advance(Duration::from_secs(86_400));
        let ahead = clock.now().duration_since(SystemTime::now()).unwrap();
        assert!(ahead > Duration::from_secs(86_000));
        let past = SystemTime::now() - Duration::from_secs(7200);
        clock.set(past);
        assert!(clock.now() < SystemTime::now() - Duration::from_secs(7000));
        clock.advance(Duration::from_secs(7200 + 60));
        assert!(clock.now() > SystemTime::now());
    }
}
