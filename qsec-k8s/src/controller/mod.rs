//! The Secret Controller (seed step 9): watches pods annotated
//! `qsec.io/approle`, and when a pod's `qsec-init` waits, gets a
//! get-secret-id token from the Secret API, a single-use, short-lived,
//! pod-IP-bound, response-wrapped SecretID from Vault, and POSTs the
//! wrapping token to the pod — exactly once per run of `qsec-init`, across
//! restarts and replicas. It also replaces pods whose refresh sidecar failed.
//!
//! The parts: [`config`] (settings), [`slim_pod`] (what is decoded of a
//! pod), [`pod_view`] (what is kept of it),
//! [`record`] (the delivery record on the pod), [`record_writer`] (writing
//! it, "delivered" after the burst), [`tokens`] (Secret API
//! tokens, cached), [`issue`] (the SecretID), [`init_client`] (talking to
//! `qsec-init`), [`pods`] (Kubernetes operations), [`reconcile`] (one look
//! at one pod), [`queue`] (per-pod work with backoff), [`watch`] (the pod
//! watch), [`leader`] (the Lease), [`metrics`] and [`http`].

pub mod config;
pub mod http;
pub mod init_client;
pub mod issue;
pub mod leader;
pub mod metrics;
pub mod pod_view;
pub mod pods;
pub mod queue;
pub mod reconcile;
pub mod record;
pub mod record_writer;
pub mod slim_pod;
pub mod state;
pub mod tokens;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use qsec_vault::VaultConfig;
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;
use tracing::warn;

pub use self::config::{ControllerConfig, RefreshAction};
pub use self::leader::LeaseSettings;
pub use self::metrics::{Failure, Metrics};
use self::pods::{KubePods, PodApi};
use self::queue::QueueSettings;
use self::reconcile::Reconciler;
use self::record_writer::RecordWriter;
use self::state::Views;
use self::tokens::SecretIdTokens;
use crate::error::Result;

/// How long running deliveries get to finish when the controller stops.
const DRAIN: Duration = Duration::from_secs(10);

/// Completes once `stop` turns true (or its sender is gone).
pub(crate) async fn stopped(stop: &mut signal::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// A controller, set up and not yet running.
pub struct Controller {
    config: Arc<ControllerConfig>,
    client: Client,
    pods: Arc<dyn PodApi>,
    tokens: Arc<SecretIdTokens>,
    metrics: Arc<Metrics>,
    views: Arc<Views>,
}

impl Controller {
    /// A controller watching through `client`, issuing SecretIDs from the
    /// Vault `vault` describes (its token, if any, is not used).
    pub fn new(config: ControllerConfig, client: Client, vault: VaultConfig) -> Result<Self> {
        config.validate()?;
        let tokens = SecretIdTokens::new(&config.secret_api, config.token_file.clone(), vault, config.token_margin);
        Ok(Self {
            pods: Arc::new(KubePods::new(client.clone(), &config.identity)),
            config: Arc::new(config),
            client,
            tokens: Arc::new(tokens),
            metrics: Arc::default(),
            views: Arc::default(),
        })
    }

    /// Uses `pods` for pod operations instead of the client (tests wrap the
    /// real ones to inject faults).
    pub fn with_pod_api(mut self, pods: Arc<dyn PodApi>) -> Self {
        self.pods = pods;
        self
    }

    /// The counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The tracked pods.
    pub fn views(&self) -> Arc<Views> {
        self.views.clone()
    }

    /// Starts watching and delivering. With `lease`, only while this replica
    /// holds it; without, at once (a single replica).
    pub fn spawn(self, lease: Option<LeaseSettings>) -> Running {
        let (stop, stop_rx) = signal::channel(false);
        let (leader_tx, leader) = leader::always();
        let mut tasks = Vec::new();
        if let Some(settings) = lease {
            leader_tx.send_replace(false);
            let (client, identity, stopped) = (self.client.clone(), self.config.identity.clone(), stop_rx.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(error) = leader::campaign(client, settings, identity, leader_tx, stopped).await {
                    warn!(%error, "leader election stopped; this replica stays standby");
                }
            }));
        }
        let activity = Arc::new(queue::Activity::default());
        let (records, records_task) =
            RecordWriter::start(self.pods.clone(), self.views.clone(), self.metrics.clone(), activity.clone());
        let reconciler = Arc::new(Reconciler {
            config: self.config.clone(),
            pods: self.pods.clone(),
            tokens: self.tokens.clone(),
            init: init_client::InitClient::new(self.config.probe_timeout, self.config.delivery_timeout),
            metrics: self.metrics.clone(),
            views: self.views.clone(),
            records,
            leader: leader.clone(),
        });
        let settings = QueueSettings {
            concurrency: self.config.concurrency,
            retry_min: self.config.retry_min,
            retry_max: self.config.retry_max,
        };
        let (queue, queue_task) = queue::start(reconciler, settings, activity, stop_rx.clone(), DRAIN);
        tasks.push(queue_task);
        // Ends after the queue (its last sender), writing what is left.
        tasks.push(records_task);
        // On becoming leader, look at every pod: the standby's views are warm.
        let (views, metrics, mut leads, mut until) =
            (self.views.clone(), self.metrics.clone(), leader.clone(), stop_rx.clone());
        let requeue = queue.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let leading = *leads.borrow_and_update();
                metrics.set_leader(leading);
                if leading {
                    for key in views.keys() {
                        requeue.push(key);
                    }
                }
                tokio::select! {
                    changed = leads.changed() => if changed.is_err() { return },
                    () = self::stopped(&mut until) => return,
                }
            }
        }));
        let (client, config, views) = (self.client.clone(), self.config.clone(), self.views.clone());
        tasks.push(tokio::spawn(async move { watch::run(client, &config, views, queue, stop_rx).await }));
        Running { stop, tasks, leader, views: self.views, metrics: self.metrics }
    }
}

/// A running controller; stop it with [`Running::stop`].
pub struct Running {
    stop: signal::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    leader: signal::Receiver<bool>,
    views: Arc<Views>,
    metrics: Arc<Metrics>,
}

impl Running {
    /// Whether this replica leads (always, without a Lease).
    pub fn is_leader(&self) -> bool {
        *self.leader.borrow()
    }

    /// What `/healthz`, `/readyz` and `/metrics` read.
    pub fn probes(&self) -> http::Probes {
        http::Probes { views: self.views.clone(), metrics: self.metrics.clone(), leader: self.leader.clone() }
    }

    /// The counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Stops at once, as a crashed process would: nothing finishes and the
    /// Lease is not released (it expires). For failover tests.
    pub fn abandon(self) {
        for task in self.tasks {
            task.abort();
        }
    }

    /// Stops watching, lets running deliveries finish, releases the Lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
