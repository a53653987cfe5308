//! Writes delivery records onto pods. A "delivered" record is bookkeeping:
//! the claim written before the POST already rules out a second delivery,
//! so it waits until no pod is waiting for a SecretID (or at most
//! [`RecordWriter::MAX_DELAY`]) instead of taking API round trips from a
//! burst of deliveries. A "failed" record is written at once: it is what lets
//! the same `qsec-init` run be tried again.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::warn;

use super::metrics::{Failure, Metrics};
use super::pod_view::{PodKey, PodView};
use super::pods::{Guarded, PodApi};
use super::queue::Activity;
use super::record::DeliveryRecord;
use super::state::Views;
use crate::annotations::SECRET_ID_DELIVERY;

/// A record to move a claimed pod on to.
#[derive(Debug)]
pub struct RecordUpdate {
    /// The pod.
    pub key: PodKey,
    /// The incarnation claimed.
    pub uid: String,
    /// The pod's resourceVersion right after the claim.
    pub claimed_version: String,
    /// The new record (same accessor as the claim).
    pub record: DeliveryRecord,
}

/// Writes records now or later; cheap to clone.
#[derive(Clone)]
pub struct RecordWriter {
    inner: Arc<Inner>,
    later: mpsc::UnboundedSender<(Instant, RecordUpdate)>,
}

struct Inner {
    pods: Arc<dyn PodApi>,
    views: Arc<Views>,
    metrics: Arc<Metrics>,
}

impl RecordWriter {
    /// The longest a deferred record waits for a quiet moment.
    pub const MAX_DELAY: Duration = Duration::from_secs(2);
    /// Deferred records written at once, between looks at the queue.
    const CONCURRENCY: usize = 8;
    /// How long the queue must stay quiet after a busy spell.
    pub const SETTLE: Duration = Duration::from_millis(50);

    /// Starts the writer of deferred records. It writes them a few at a
    /// time while `activity` is quiet (or once one waited [`Self::MAX_DELAY`]),
    /// and ends, after writing what is left, when every clone of the writer
    /// is gone.
    pub fn start(
        pods: Arc<dyn PodApi>,
        views: Arc<Views>,
        metrics: Arc<Metrics>,
        activity: Arc<Activity>,
    ) -> (Self, JoinHandle<()>) {
        let inner = Arc::new(Inner { pods, views, metrics });
        let (later, mut pending) = mpsc::unbounded_channel::<(Instant, RecordUpdate)>();
        let writer = inner.clone();
        let task = tokio::spawn(async move {
            let mut waiting: VecDeque<(Instant, RecordUpdate)> = VecDeque::new();
            loop {
                if waiting.is_empty() {
                    match pending.recv().await {
                        Some(update) => waiting.push_back(update),
                        None => break,
                    }
                }
                while let Ok(update) = pending.try_recv() {
                    waiting.push_back(update);
                }
                let oldest = waiting.front().map_or_else(Instant::now, |(since, _)| *since);
                // Deliveries first: pods wait for their SecretIDs, nobody waits for this.
                tokio::select! {
                    () = settled(&activity) => {}
                    () = tokio::time::sleep_until(oldest + Self::MAX_DELAY) => {}
                }
                // A few at a time, looking again in between: a burst may resume.
                let chunk: Vec<RecordUpdate> =
                    waiting.drain(..waiting.len().min(Self::CONCURRENCY)).map(|(_, update)| update).collect();
                futures_util::future::join_all(chunk.iter().map(|update| writer.write(update))).await;
            }
        });
        (Self { inner, later }, task)
    }

    /// Writes `update` once deliveries allow.
    pub fn defer(&self, update: RecordUpdate) {
        if let Err(mpsc::error::SendError((_, update))) = self.later.send((Instant::now(), update)) {
            // Only while stopping; the claim still rules out a second delivery.
            warn!(pod = %update.key, "stopping: the delivery record stays at its claim");
        }
    }

    /// Writes `update` now.
    pub async fn write_now(&self, update: &RecordUpdate) {
        self.inner.write(update).await;
    }
}

/// Completes when no pod is being worked on: at once if none is now, else
/// once the queue has been quiet for [`RecordWriter::SETTLE`] (the next pods
/// of a burst often arrive right after a lull).
async fn settled(activity: &Activity) {
    loop {
        if activity.busy() == 0 {
            return;
        }
        activity.quiet().await;
        tokio::time::sleep(RecordWriter::SETTLE).await;
    }
}

impl Inner {
    /// Moves the pod's claim on to `update.record`, as long as the pod is
    /// still the incarnation claimed and still carries this claim.
    async fn write(&self, update: &RecordUpdate) {
        let RecordUpdate { key, uid, claimed_version, record } = update;
        // The watch usually knows a newer resourceVersion than the claim's
        // (kubelet status updates): start there and spare a conflict.
        let mut version = self
            .views
            .get(key)
            .filter(|tracked| tracked.view.uid == *uid && carries(&tracked.view, record))
            .map_or_else(|| claimed_version.clone(), |tracked| tracked.view.resource_version);
        for _ in 0..5 {
            match self.pods.annotate(key, &version, SECRET_ID_DELIVERY, &record.to_json()).await {
                Ok(Guarded::Done(_)) | Ok(Guarded::Gone) => return,
                Ok(Guarded::Conflict) => match self.pods.get(key).await {
                    Ok(Some(pod))
                        if pod.metadata.uid.as_deref() == Some(uid.as_str())
                            && PodView::of(&pod).is_some_and(|view| carries(&view, record)) =>
                    {
                        version = pod.metadata.resource_version.unwrap_or_default();
                    }
                    _ => return,
                },
                Err(error) => {
                    warn!(pod = %key, %error, "could not update the delivery record");
                    self.metrics.failed(Failure::Kubernetes);
                    return;
                }
            }
        }
    }
}

/// Whether `view` still carries the claim `record` moves on from.
fn carries(view: &PodView, record: &DeliveryRecord) -> bool {
    view.record.as_ref().is_some_and(|current| current.accessor == record.accessor)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::controller::pods::EventType;
    use crate::controller::queue::Working;
    use crate::controller::record::DeliveryState;
    use crate::controller::slim_pod::SlimPod;

    /// Pods that accept every annotation and remember it.
    #[derive(Default)]
    struct Written(Mutex<Vec<(String, String, String)>>);

    #[async_trait]
    impl PodApi for Written {
        async fn get(&self, _: &PodKey) -> crate::Result<Option<SlimPod>> {
            Ok(None)
        }
        async fn annotate(&self, key: &PodKey, version: &str, _: &str, value: &str) -> crate::Result<Guarded<SlimPod>> {
            self.0.lock().unwrap().push((key.name.clone(), version.to_owned(), value.to_owned()));
            Ok(Guarded::Done(SlimPod::default()))
        }
        async fn delete(&self, _: &PodKey, _: &str) -> crate::Result<Guarded<()>> {
            unreachable!("records never delete")
        }
        async fn event(&self, _: &PodKey, _: &str, _: EventType, _: &str, _: &str) -> crate::Result<()> {
            unreachable!("records raise no events")
        }
    }

    fn update(name: &str) -> RecordUpdate {
        RecordUpdate {
            key: PodKey::new("team", name),
            uid: format!("uid-{name}"),
            claimed_version: "41".into(),
            record: DeliveryRecord::new(DeliveryState::Delivered, "acc", "ctl", "c://1"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_delivered_record_waits_for_the_deliveries_but_not_forever() {
        let written = Arc::new(Written::default());
        let activity = Arc::new(Activity::default());
        let (writer, task) = RecordWriter::start(written.clone(), Arc::default(), Arc::default(), activity.clone());
        let names = |written: &Written| written.0.lock().unwrap().iter().map(|(n, ..)| n.clone()).collect::<Vec<_>>();

        // A delivery in progress: the record waits.
        let busy = Working::begin(activity.clone());
        writer.defer(update("a"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(names(&written).is_empty(), "written while a pod waited for its SecretID");
        drop(busy);
        tokio::time::sleep(RecordWriter::SETTLE / 2).await;
        assert!(names(&written).is_empty(), "written before the queue settled");
        tokio::time::sleep(RecordWriter::SETTLE).await;
        assert_eq!(names(&written), ["a"], "written once quiet, at the claim's resourceVersion");
        let first = written.0.lock().unwrap()[0].clone();
        assert_eq!(first.1, "41");
        assert!(first.2.contains("\"delivered\""), "{}", first.2);

        // Never quiet: written after MAX_DELAY anyway.
        let _busy = Working::begin(activity.clone());
        writer.defer(update("b"));
        tokio::time::sleep(RecordWriter::MAX_DELAY - Duration::from_millis(100)).await;
        assert_eq!(names(&written), ["a"]);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(names(&written), ["a", "b"]);

        // Dropping the last writer flushes the rest and ends the task.
        writer.defer(update("c"));
        drop(writer);
        tokio::time::sleep(RecordWriter::MAX_DELAY * 2).await;
        task.await.unwrap();
        assert_eq!(names(&written), ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_failed_record_is_written_at_once() {
        let written = Arc::new(Written::default());
        let activity = Arc::new(Activity::default());
        let (writer, _task) = RecordWriter::start(written.clone(), Arc::default(), Arc::default(), activity.clone());
        let _busy = Working::begin(activity);
        let mut failed = update("f");
        failed.record.state = DeliveryState::Failed;
        writer.write_now(&failed).await;
        let written = written.0.lock().unwrap().clone();
        assert_eq!(written.len(), 1, "not held back by the pod being worked on");
        assert!(written[0].2.contains("\"failed\""), "{}", written[0].2);
    }
}
