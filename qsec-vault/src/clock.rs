//! Time as the renewer sees it, injectable so tests do not sleep.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

/// A source of wall-clock time that can also wait.
#[async_trait]
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Returns at `deadline` (at once if it has passed).
    async fn sleep_until(&self, deadline: SystemTime);
}

/// The real clock: `SystemTime::now` and tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    async fn sleep_until(&self, deadline: SystemTime) {
        if let Ok(wait) = deadline.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// A clock that only moves when told, or when someone sleeps on it (then it
/// jumps straight to the deadline): a test of hours of renewals runs at once.
pub struct ManualClock {
    now: Mutex<SystemTime>,
    on_advance: Option<Box<dyn Fn(SystemTime) + Send + Sync>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self { now: Mutex::new(start), on_advance: None }
    }

    /// A clock that also calls `hook` with the new time whenever it moves, to
    /// keep another clock (an in-memory Vault's) in step.
    pub fn with_hook(start: SystemTime, hook: impl Fn(SystemTime) + Send + Sync + 'static) -> Self {
        Self { now: Mutex::new(start), on_advance: Some(Box::new(hook)) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let now = self.now() + by;
        self.set(now);
    }

    /// Sets the clock to `to` (never backwards).
    pub fn set(&self, to: SystemTime) {
        let moved = {
            let mut now = self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if to > *now {
                *now = to;
                true
            } else {
                false
            }
        };
        if moved && let Some(hook) = &self.on_advance {
            hook(to);
        }
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn sleep_until(&self, deadline: SystemTime) {
        self.set(deadline);
        // Let other tasks observe the new time, as a real sleep would.
        tokio::task::yield_now().await;
    }
}

/// Seconds since the Unix epoch, as Vault and the lease file count them.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The time `seconds` after the Unix epoch.
pub fn from_unix_seconds(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}
