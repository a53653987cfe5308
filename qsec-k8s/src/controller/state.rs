//! What the controller knows between events: the view of every annotated
//! pod, when it was first seen ready, and what was already said about it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::metrics::Failure;
use super::pod_view::{PodKey, PodView, RefreshStatus};

/// One pod as tracked.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The newest view from the watch.
    pub view: PodView,
    /// When its current `qsec-init` run was first seen running: the start
    /// of the delivery latency.
    pub ready_since: Option<Instant>,
    /// Since when its refresh sidecar has been unready.
    pub refresh_unready_since: Option<Instant>,
    /// The refresh failure was acted on (deleted or reported) already.
    pub refresh_handled: bool,
    /// The kind of the last failure, how many times in a row it happened,
    /// and whether it was reported as an Event: a pod retried many times
    /// gets one Event per kind of problem, not one per attempt.
    pub last_failure: Option<(Failure, u32, bool)>,
}

impl Tracked {
    /// Whether a look at the pod could do anything: deliver, act on a
    /// failed refresh sidecar, or report an unusable annotation. The
    /// watch events a delivery itself causes (claim, record) need none.
    pub fn wants_attention(&self) -> bool {
        let view = &self.view;
        !view.deleting
            && (view.awaits_delivery()
                || view.app.is_err()
                || view.port.is_err()
                || (view.refresh != RefreshStatus::Fine && !self.refresh_handled))
    }
}

/// Every tracked pod, plus the controller's sync state.
#[derive(Default)]
pub struct Views {
    pods: Mutex<HashMap<PodKey, Tracked>>,
    synced: AtomicBool,
}

impl Views {
    fn pods(&self) -> MutexGuard<'_, HashMap<PodKey, Tracked>> {
        self.pods.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes in a new view of a pod; returns whether it changed in a way
    /// worth a look.
    pub fn upsert(&self, view: PodView) -> bool {
        let now = Instant::now();
        let mut pods = self.pods();
        let key = view.key.clone();
        match pods.get_mut(&key) {
            Some(tracked) if tracked.view.uid == view.uid => {
                if view.init_running != tracked.view.init_running {
                    tracked.ready_since = view.init_running.as_ref().map(|_| now);
                }
                if view.refresh != RefreshStatus::Unready {
                    tracked.refresh_unready_since = None;
                } else if tracked.refresh_unready_since.is_none() {
                    tracked.refresh_unready_since = Some(now);
                }
                if view.init_running != tracked.view.init_running {
                    tracked.last_failure = None;
                }
                let changed = tracked.view != view;
                tracked.view = view;
                changed && tracked.wants_attention()
            }
            _ => {
                // New, or a new incarnation under the same name.
                let tracked = Tracked {
                    ready_since: view.init_running.as_ref().map(|_| now),
                    refresh_unready_since: (view.refresh == RefreshStatus::Unready).then_some(now),
                    refresh_handled: false,
                    last_failure: None,
                    view,
                };
                let wanted = tracked.wants_attention();
                pods.insert(key, tracked);
                wanted
            }
        }
    }

    /// Forgets a pod.
    pub fn remove(&self, key: &PodKey) {
        self.pods().remove(key);
    }

    /// Forgets every pod not in `keep` (after a relist).
    pub fn retain(&self, keep: &std::collections::HashSet<PodKey>) {
        self.pods().retain(|key, _| keep.contains(key));
    }

    /// A copy of a pod's tracking.
    pub fn get(&self, key: &PodKey) -> Option<Tracked> {
        self.pods().get(key).cloned()
    }

    /// Changes a pod's tracking, if it is still the incarnation `uid`.
    pub fn update(&self, key: &PodKey, uid: &str, change: impl FnOnce(&mut Tracked)) {
        if let Some(tracked) = self.pods().get_mut(key).filter(|t| t.view.uid == uid) {
            change(tracked);
        }
    }

    /// Every tracked pod's key.
    pub fn keys(&self) -> Vec<PodKey> {
        self.pods().keys().cloned().collect()
    }

    /// Pods waiting for a SecretID.
    pub fn pending(&self) -> usize {
        self.pods().values().filter(|t| t.view.awaits_delivery()).count()
    }

    /// Pods tracked.
    pub fn len(&self) -> usize {
        self.pods().len()
    }

    /// Whether no pod is tracked.
    pub fn is_empty(&self) -> bool {
        self.pods().is_empty()
    }

    /// Marks the first full list as done.
    pub fn set_synced(&self) {
        self.synced.store(true, Ordering::Release);
    }

    /// Whether the first full list is done.
    pub fn synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }
}
