//! The per-pod work queue: one task per pod at a time, at most
//! `concurrency` pods at once, failed pods retried with exponential backoff
//! on their own timers, so one slow or refusing pod never holds up another.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::pod_view::PodKey;

/// What became of one look at a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more to do until the pod changes.
    Done,
    /// Look again after this long (e.g. a grace period running out).
    After(Duration),
    /// It failed; retry with backoff.
    Failed,
}

/// The work done for one pod.
#[async_trait]
pub trait Work: Send + Sync + 'static {
    /// Looks at the pod `key` and does what is due.
    async fn run(&self, key: PodKey) -> Outcome;
}

/// Backoff and limits of the queue.
#[derive(Debug, Clone, Copy)]
pub struct QueueSettings {
    /// Pods worked on at once.
    pub concurrency: usize,
    /// First retry delay.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

/// Adds pods to the queue.
#[derive(Clone)]
pub struct WorkQueue {
    tx: mpsc::UnboundedSender<PodKey>,
}

impl WorkQueue {
    /// Asks for a look at `key` (merged with a pending one).
    pub fn push(&self, key: PodKey) {
        let _ = self.tx.send(key);
    }
}

/// How many pods the queue is working on (running or waiting for a
/// permit), so work that can wait (bookkeeping) can wait for a quiet moment.
#[derive(Debug, Default)]
pub struct Activity {
    busy: AtomicUsize,
    quiet: Notify,
}

impl Activity {
    fn begin(&self) {
        self.busy.fetch_add(1, Ordering::AcqRel);
    }

    fn end(&self) {
        if self.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.quiet.notify_waiters();
        }
    }

    /// Pods being worked on now.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Acquire)
    }

    /// Completes when no pod is being worked on.
    pub async fn quiet(&self) {
        loop {
            let quiet = self.quiet.notified();
            tokio::pin!(quiet);
            // Registered before the check, so an end() in between is not missed.
            quiet.as_mut().enable();
            if self.busy() == 0 {
                return;
            }
            quiet.await;
        }
    }
}

#[derive(Default)]
struct Entry {
    running: bool,
    dirty: bool,
    failures: u32,
}

/// The delay before retry number `failures` (1-based), with ±10% jitter so
/// pods that failed together do not retry in lockstep.
pub fn backoff(settings: &QueueSettings, failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    let base = settings.retry_min.saturating_mul(1 << exponent).min(settings.retry_max);
    let jitter =
        f64::from(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().subsec_nanos() % 200)
            / 1000.0;
    base.mul_f64(0.9 + jitter)
}

/// Starts the queue; it runs until `stop` turns true, then lets running
/// work finish (up to `drain`). `activity` counts the pods being worked on.
pub fn start(
    work: Arc<dyn Work>,
    settings: QueueSettings,
    activity: Arc<Activity>,
    mut stop: watch::Receiver<bool>,
    drain: Duration,
) -> (WorkQueue, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<PodKey>();
    let queue = WorkQueue { tx: tx.clone() };
    let retries = WorkQueue { tx };
    let handle = tokio::spawn(async move {
        let entries: Arc<Mutex<HashMap<PodKey, Entry>>> = Arc::default();
        let permits = Arc::new(Semaphore::new(settings.concurrency));
        let mut running = JoinSet::new();
        loop {
            let key = tokio::select! {
                () = super::stopped(&mut stop) => break,
                key = rx.recv() => match key {
                    Some(key) => key,
                    None => break,
                },
                // Reap finished tasks so the set stays small.
                Some(_) = running.join_next(), if !running.is_empty() => continue,
            };
            {
                let mut entries = entries.lock().unwrap_or_else(PoisonError::into_inner);
                let entry = entries.entry(key.clone()).or_default();
                if entry.running {
                    entry.dirty = true;
                    continue;
                }
                entry.running = true;
            }
            let (work, entries, permits, retries) = (work.clone(), entries.clone(), permits.clone(), retries.clone());
            let working = Working::begin(activity.clone());
            running.spawn(async move {
                let outcome = match permits.acquire_owned().await {
                    Ok(_permit) => work.run(key.clone()).await,
                    Err(_) => return,
                };
                drop(working);
                let retry = {
                    let mut entries = entries.lock().unwrap_or_else(PoisonError::into_inner);
                    let Some(entry) = entries.get_mut(&key) else { return };
                    entry.running = false;
                    let dirty = std::mem::take(&mut entry.dirty);
                    match outcome {
                        Outcome::Done => {
                            entry.failures = 0;
                            if dirty {
                                Some(Duration::ZERO)
                            } else {
                                entries.remove(&key);
                                None
                            }
                        }
                        Outcome::After(delay) => Some(if dirty { Duration::ZERO } else { delay }),
                        Outcome::Failed => {
                            entry.failures += 1;
                            Some(backoff(&settings, entry.failures))
                        }
                    }
                };
                match retry {
                    Some(delay) if delay.is_zero() => retries.push(key),
                    Some(delay) => {
                        // Its own timer: waiting never holds a permit.
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            retries.push(key);
                        });
                    }
                    None => {}
                }
            });
        }
        let _ = tokio::time::timeout(drain, async { while running.join_next().await.is_some() {} }).await;
        running.abort_all();
    });
    (queue, handle)
}

/// One pod counted in [`Activity`] until dropped (also when aborted).
pub(crate) struct Working(Arc<Activity>);

impl Working {
    pub(crate) fn begin(activity: Arc<Activity>) -> Self {
        activity.begin();
        Self(activity)
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        self.0.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let settings =
            QueueSettings { concurrency: 1, retry_min: Duration::from_millis(100), retry_max: Duration::from_secs(1) };
        let near =
            |d: Duration, ms: u64| d >= Duration::from_millis(ms * 9 / 10) && d <= Duration::from_millis(ms * 11 / 10);
        assert!(near(backoff(&settings, 1), 100));
        assert!(near(backoff(&settings, 2), 200));
        assert!(near(backoff(&settings, 4), 800));
        assert!(near(backoff(&settings, 30), 1000));
    }

    #[tokio::test]
    async fn activity_turns_quiet_when_the_last_pod_is_done() {
        let activity = Arc::new(Activity::default());
        let (first, second) = (Working::begin(activity.clone()), Working::begin(activity.clone()));
        let waiter = tokio::spawn({
            let activity = activity.clone();
            async move { activity.quiet().await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one pod is still being worked on");
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
        assert_eq!(activity.busy(), 0);
    }
}
