//! The pod watch: kube-runtime's watcher (list, then watch, resuming and
//! relisting as needed), filtered server-side by namespace and labels, kept
//! as small views of annotated pods only, each change queued for a look.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::StreamExt as _;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use tokio::sync::watch as signal;
use tracing::{info, warn};

use super::config::ControllerConfig;
use super::pod_view::{PodKey, PodView};
use super::queue::WorkQueue;
use super::slim_pod::SlimPod;
use super::state::Views;

/// Keeps `views` in step with the cluster's annotated pods until `stop`.
pub async fn run(
    client: Client,
    config: &ControllerConfig,
    views: Arc<Views>,
    queue: WorkQueue,
    mut stop: signal::Receiver<bool>,
) {
    // Slim pods: a watch event decodes only what the views keep.
    let api: Api<SlimPod> = match &config.namespace {
        Some(namespace) => Api::namespaced(client, namespace),
        None => Api::all(client),
    };
    let mut settings = watcher::Config::default();
    if let Some(selector) = &config.label_selector {
        settings = settings.labels(selector);
    }
    let stream = watcher::watcher(api, settings).default_backoff();
    futures_util::pin_mut!(stream);
    let mut listed: HashSet<PodKey> = HashSet::new();
    loop {
        let event = tokio::select! {
            () = super::stopped(&mut stop) => return,
            event = stream.next() => match event {
                Some(event) => event,
                None => return,
            },
        };
        match event {
            Ok(Event::Init) => listed.clear(),
            Ok(Event::InitApply(pod)) => {
                if let Some(key) = take(&views, &pod, &queue) {
                    listed.insert(key);
                }
            }
            Ok(Event::InitDone) => {
                views.retain(&listed);
                listed.clear();
                if !views.synced() {
                    info!(pods = views.len(), "pod watch synced");
                }
                views.set_synced();
            }
            Ok(Event::Apply(pod)) => {
                take(&views, &pod, &queue);
            }
            Ok(Event::Delete(pod)) => {
                if let Some(view) = PodView::of(&pod) {
                    views.remove(&view.key);
                }
            }
            Err(error) => warn!(%error, "pod watch failed; retrying with backoff"),
        }
    }
}

/// Takes in one pod: tracked if annotated (queued when it changed), forgotten if not.
fn take(views: &Views, pod: &SlimPod, queue: &WorkQueue) -> Option<PodKey> {
    match PodView::of(pod) {
        Some(view) => {
            let key = view.key.clone();
            if views.upsert(view) {
                queue.push(key.clone());
            }
            Some(key)
        }
        None => {
            let key = PodKey::new(
                pod.metadata.namespace.as_deref().unwrap_or("default"),
                pod.metadata.name.as_deref().unwrap_or_default(),
            );
            views.remove(&key);
            None
        }
    }
}
