//! One look at one pod: act on a failed refresh sidecar, and deliver a
//! SecretID to a waiting `qsec-init` exactly once per run of it.
//!
//! Exactly-once rests on the claim: the SecretID's accessor is written into
//! the pod's delivery record with the `resourceVersion` the pod was checked
//! at as precondition, so of two controllers (or a controller and its
//! restarted self) only one can claim a run; the loser destroys its SecretID.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use qsec_core::AppRef;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::config::{ControllerConfig, RefreshAction};
use super::init_client::{Delivered, InitClient, InitConnection, Readiness};
use super::issue::{self, Issued};
use super::metrics::{Failure, Metrics};
use super::pod_view::{PodKey, PodView, RefreshStatus};
use super::pods::{EventType, Guarded, PodApi};
use super::queue::{Outcome, Work};
use super::record::{DeliveryRecord, DeliveryState};
use super::record_writer::{RecordUpdate, RecordWriter};
use super::state::{Tracked, Views};
use super::tokens::{AppAccess, SecretIdTokens};
use crate::annotations::SECRET_ID_DELIVERY;

/// Everything one look at a pod needs.
pub struct Reconciler {
    pub(crate) config: Arc<ControllerConfig>,
    pub(crate) pods: Arc<dyn PodApi>,
    pub(crate) tokens: Arc<SecretIdTokens>,
    pub(crate) init: InitClient,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) views: Arc<Views>,
    pub(crate) records: RecordWriter,
    pub(crate) leader: watch::Receiver<bool>,
}

#[async_trait]
impl Work for Reconciler {
    async fn run(&self, key: PodKey) -> Outcome {
        self.reconcile(&key).await
    }
}

impl Reconciler {
    /// Looks at pod `key` and does what is due.
    pub async fn reconcile(&self, key: &PodKey) -> Outcome {
        // A standby keeps its views warm but acts on nothing.
        if !*self.leader.borrow() {
            return Outcome::Done;
        }
        let Some(tracked) = self.views.get(key) else { return Outcome::Done };
        if tracked.view.deleting {
            return Outcome::Done;
        }
        if let Some(outcome) = self.check_refresh(&tracked).await {
            return outcome;
        }
        self.deliver(&tracked).await
    }

    /// Records a failure: always a metric, and an Event the first time a
    /// kind of problem persists for this pod. `qsec-init` is often reported
    /// running a moment before it listens, so not answering counts only
    /// from the third attempt in a row.
    async fn report(&self, view: &PodView, reason: Failure, event_reason: &str, message: &str) {
        self.metrics.failed(reason);
        let threshold = match reason {
            Failure::InitUnreachable | Failure::InitNotReady => 3,
            _ => 1,
        };
        let mut fresh = false;
        self.views.update(&view.key, &view.uid, |tracked| {
            let (last, repeats, reported) = match tracked.last_failure {
                Some((last, repeats, reported)) if last == reason => (last, repeats + 1, reported),
                _ => (reason, 1, false),
            };
            fresh = !reported && repeats >= threshold;
            tracked.last_failure = Some((last, repeats, reported || fresh));
        });
        debug!(pod = %view.key, reason = reason.as_str(), message, "delivery attempt failed");
        if fresh {
            warn!(pod = %view.key, reason = reason.as_str(), message, "SecretID delivery problem");
            self.event(view, EventType::Warning, event_reason, message).await;
        }
    }

    async fn event(&self, view: &PodView, kind: EventType, reason: &str, message: &str) {
        if let Err(error) = self.pods.event(&view.key, &view.uid, kind, reason, message).await {
            warn!(pod = %view.key, %error, "could not record an Event");
        }
    }

    /// The seed's open problem: a refresh sidecar that died (its token is
    /// revoked) or stays unready (its token will expire) leaves a pod that
    /// will lose its secrets; have it replaced.
    async fn check_refresh(&self, tracked: &Tracked) -> Option<Outcome> {
        let view = &tracked.view;
        if tracked.refresh_handled {
            return None;
        }
        let problem = match view.refresh {
            RefreshStatus::Fine => return None,
            RefreshStatus::Exited(code) => {
                format!("the refresh sidecar exited with code {code}: its Vault token is revoked or expiring")
            }
            RefreshStatus::Unready => {
                let since = tracked.refresh_unready_since.unwrap_or_else(Instant::now);
                let unready = since.elapsed();
                if unready < self.config.refresh_grace {
                    return Some(Outcome::After(self.config.refresh_grace - unready + Duration::from_millis(50)));
                }
                format!("the refresh sidecar has been unready for {}s: its Vault token will expire", unready.as_secs())
            }
        };
        self.metrics.failed(Failure::RefreshFailed);
        match self.config.refresh_action {
            RefreshAction::Event => {
                self.event(
                    view,
                    EventType::Warning,
                    "RefreshSidecarFailed",
                    &format!("{problem}; delete the pod to replace it"),
                )
                .await;
            }
            RefreshAction::Delete => {
                self.event(
                    view,
                    EventType::Warning,
                    "RefreshSidecarFailed",
                    &format!("{problem}; deleting the pod so it is replaced"),
                )
                .await;
                match self.pods.delete(&view.key, &view.uid).await {
                    Ok(Guarded::Done(())) => {
                        info!(pod = %view.key, uid = %view.uid, "deleted: {problem}");
                        self.metrics.pod_deleted();
                    }
                    Ok(Guarded::Conflict | Guarded::Gone) => debug!(pod = %view.key, "already replaced"),
                    Err(error) => {
                        warn!(pod = %view.key, %error, "could not delete the pod");
                        self.metrics.failed(Failure::Kubernetes);
                        return Some(Outcome::Failed);
                    }
                }
            }
        }
        self.views.update(&view.key, &view.uid, |tracked| tracked.refresh_handled = true);
        Some(Outcome::Done)
    }

    async fn deliver(&self, tracked: &Tracked) -> Outcome {
        let view = &tracked.view;
        let app = match &view.app {
            Ok(app) => app.clone(),
            Err(reason) => {
                self.report(view, Failure::InvalidAnnotation, "InvalidAnnotation", reason).await;
                return Outcome::Done;
            }
        };
        if let Some(reason) = self.config.refuses(&app) {
            self.report(view, Failure::WrongCluster, "WrongCluster", &format!("{reason}; no SecretID is issued")).await;
            return Outcome::Done;
        }
        let port = match view.port {
            Ok(port) => port,
            Err(ref reason) => {
                self.report(view, Failure::InvalidAnnotation, "InvalidAnnotation", reason).await;
                return Outcome::Done;
            }
        };
        // Not waiting, or already served: the next watch event brings news.
        if !view.awaits_delivery() {
            return Outcome::Done;
        }
        let (Some(ip), Some(run)) = (view.ip, view.init_running.clone()) else { return Outcome::Done };

        // The probe's connection is kept for the POST: one connection per delivery.
        let (readiness, connection) = self.init.probe(ip, port).await;
        match readiness {
            Readiness::Waiting => {}
            Readiness::Busy(reason) => {
                self.report(
                    view,
                    Failure::InitNotReady,
                    "InitNotReady",
                    &format!("qsec-init at {ip}:{port}: {reason}"),
                )
                .await;
                return Outcome::Failed;
            }
            Readiness::Unreachable(reason) => {
                self.report(
                    view,
                    Failure::InitUnreachable,
                    "InitUnreachable",
                    &format!("qsec-init at {ip}:{port}: {reason}"),
                )
                .await;
                return Outcome::Failed;
            }
        }
        let access = match self.tokens.access(&app).await {
            Ok(access) => access,
            Err(error) => {
                self.report(view, Failure::SecretApi, "SecretApiFailed", &error.to_string()).await;
                return Outcome::Failed;
            }
        };

        // No re-read before issuing: the claim below carries the resourceVersion
        // this view was taken at, so a pod deleted, replaced, moved or served
        // since then refuses the claim and the SecretID is destroyed unused.
        let fresh = view;
        let issued = match issue::issue(&access, fresh, ip, self.config.secret_id_ttl, self.config.wrap_ttl).await {
            Ok(issued) => issued,
            Err(error) => {
                if matches!(&error, crate::Error::Vault { source, .. } if source.is_permission_denied()) {
                    // The token may have been revoked: ask for a new one next time.
                    self.tokens.forget(&app).await;
                }
                self.report(view, Failure::Vault, "VaultFailed", &error.to_string()).await;
                return Outcome::Failed;
            }
        };
        self.claim_and_post(tracked, fresh, &app, &access, issued, connection, &run).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn claim_and_post(
        &self,
        tracked: &Tracked,
        fresh: &PodView,
        app: &AppRef,
        access: &AppAccess,
        issued: Issued,
        connection: InitConnection,
        run: &str,
    ) -> Outcome {
        let Issued { wrapping_token, accessor } = issued;
        let identity = &self.config.identity;
        let claim = DeliveryRecord::new(DeliveryState::Issued, &accessor, identity, run);
        let claimed =
            match self.pods.annotate(&fresh.key, &fresh.resource_version, SECRET_ID_DELIVERY, &claim.to_json()).await {
                Ok(Guarded::Done(pod)) => pod,
                Ok(Guarded::Conflict | Guarded::Gone) => {
                    // Changed, gone, or claimed by another controller since the view.
                    self.destroy(access, fresh, &accessor).await;
                    self.metrics.failed(Failure::PodChanged);
                    debug!(pod = %fresh.key, %accessor, "pod changed before the claim; SecretID destroyed");
                    // The change that refused the claim reaches the watch, which
                    // queues the pod again with a newer view; retrying on this
                    // (stale) view would only issue and destroy more SecretIDs.
                    return Outcome::Done;
                }
                Err(error) => {
                    self.destroy(access, fresh, &accessor).await;
                    self.report(fresh, Failure::Kubernetes, "KubernetesApiFailed", &error.to_string()).await;
                    return Outcome::Failed;
                }
            };

        let update = |state| RecordUpdate {
            key: fresh.key.clone(),
            uid: fresh.uid.clone(),
            claimed_version: claimed.metadata.resource_version.clone().unwrap_or_default(),
            record: DeliveryRecord::new(state, &accessor, identity, run),
        };
        let addr = connection.addr();
        match connection.deliver(wrapping_token).await {
            Delivered::Accepted => {
                let latency = tracked.ready_since.map(|since| since.elapsed()).unwrap_or_default();
                self.metrics.delivered(latency);
                info!(pod = %fresh.key, uid = %fresh.uid, app = %app, %accessor, latency_ms = latency.as_millis() as u64, "SecretID delivered");
                // The record (and this log line) say so; no Normal Event, which
                // would double the API writes of every delivery.
                self.records.defer(update(DeliveryState::Delivered));
                Outcome::Done
            }
            Delivered::Failed(reason) => {
                self.destroy(access, fresh, &accessor).await;
                // At once: a failed record is what lets this run be tried again.
                self.records.write_now(&update(DeliveryState::Failed)).await;
                let message = format!("qsec-init at {addr}: {reason}; SecretID {accessor} destroyed");
                self.report(fresh, Failure::DeliveryFailed, "DeliveryFailed", &message).await;
                Outcome::Failed
            }
        }
    }

    async fn destroy(&self, access: &AppAccess, view: &PodView, accessor: &str) {
        if let Err(error) = issue::destroy(access, accessor).await {
            // It still dies with its TTL and is bound to the pod IP.
            warn!(pod = %view.key, %accessor, %error, "could not destroy an undelivered SecretID");
            self.metrics.failed(Failure::Vault);
        }
    }
}
