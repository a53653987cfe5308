//! The small view of a pod the controller keeps: only what delivery and the
//! refresh check need, so memory grows with annotated pods, not pod specs.

use std::net::IpAddr;

use qsec_core::AppRef;

use super::record::DeliveryRecord;
use super::slim_pod::{SlimContainerState, SlimContainerStatus, SlimPod};
use crate::annotations;
use crate::inject::names::{INIT_CONTAINER, REFRESH_CONTAINER};

/// A pod's namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl PodKey {
    /// The key of `namespace/name`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self { namespace: namespace.to_owned(), name: name.to_owned() }
    }
}

impl std::fmt::Display for PodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What the refresh sidecar's status says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    /// Absent, starting, or running and ready.
    Fine,
    /// It terminated with a non-zero exit code (now or before a restart):
    /// its token is gone.
    Exited(i32),
    /// It runs, has started, and its readiness probe (`/healthz`) fails:
    /// the token will expire.
    Unready,
}

/// The controller's view of one annotated pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    /// Namespace and name.
    pub key: PodKey,
    /// The incarnation.
    pub uid: String,
    /// The resourceVersion this view was read at.
    pub resource_version: String,
    /// The pod IP, once it has one.
    pub ip: Option<IpAddr>,
    /// The app (`qsec.io/approle`), or why the annotation is unusable.
    pub app: Result<AppRef, String>,
    /// `qsec-init`'s port (`qsec.io/init-port`), or why it is unusable.
    pub port: Result<u16, String>,
    /// The container ID (or restart count) of the running `qsec-init`;
    /// `None` when it does not run.
    pub init_running: Option<String>,
    /// The refresh sidecar's state.
    pub refresh: RefreshStatus,
    /// The delivery record, if any.
    pub record: Option<DeliveryRecord>,
    /// Being deleted.
    pub deleting: bool,
}

impl PodView {
    /// The view of `pod`; `None` unless it carries [`annotations::APPROLE`].
    pub fn of(pod: &SlimPod) -> Option<Self> {
        let meta = &pod.metadata;
        let annotations = meta.annotations.as_ref()?;
        let app = match annotations::app_of(annotations) {
            Ok(Some(app)) => Ok(app),
            Ok(None) => return None,
            Err(error) => Err(error.to_string()),
        };
        let status = pod.status.as_ref();
        let ip = status.and_then(|s| s.pod_ip.as_deref()).and_then(|ip| ip.parse().ok());
        let init_statuses = status.map(|s| s.init_container_statuses.as_slice()).unwrap_or_default();
        let statuses = status.map(|s| s.container_statuses.as_slice()).unwrap_or_default();
        // An init container reports in initContainerStatuses; containerStatuses
        // too, for a pod that runs qsec-init as a regular container.
        let init_running = init_statuses
            .iter()
            .chain(statuses)
            .find(|s| s.name == INIT_CONTAINER)
            .filter(|s| s.state.as_ref().is_some_and(|state| state.running.is_some()))
            .map(|s| s.container_id.clone().unwrap_or_else(|| format!("restart-{}", s.restart_count)));
        let refresh = init_statuses
            .iter()
            .chain(statuses)
            .find(|s| s.name == REFRESH_CONTAINER)
            .map_or(RefreshStatus::Fine, refresh_status);
        Some(Self {
            key: PodKey::new(meta.namespace.as_deref().unwrap_or("default"), meta.name.as_deref().unwrap_or_default()),
            uid: meta.uid.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
            ip,
            app,
            port: annotations::init_port(annotations).map_err(|error| error.to_string()),
            init_running,
            refresh,
            record: DeliveryRecord::of(annotations),
            deleting: meta.deletion_timestamp.is_some(),
        })
    }

    /// Whether this pod waits for a SecretID: `qsec-init` runs and no
    /// record rules its run out.
    pub fn awaits_delivery(&self) -> bool {
        match &self.init_running {
            Some(run) => !self.deleting && self.record.as_ref().is_none_or(|record| !record.blocks(run)),
            None => false,
        }
    }
}

fn refresh_status(status: &SlimContainerStatus) -> RefreshStatus {
    let exited = |state: Option<&SlimContainerState>| {
        state.and_then(|s| s.terminated.as_ref()).map(|t| t.exit_code).filter(|code| *code != 0)
    };
    if let Some(code) = exited(status.state.as_ref()).or_else(|| exited(status.last_state.as_ref())) {
        return RefreshStatus::Exited(code);
    }
    let running = status.state.as_ref().is_some_and(|s| s.running.is_some());
    if running && status.started == Some(true) && !status.ready {
        return RefreshStatus::Unready;
    }
    RefreshStatus::Fine
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotations::{APPROLE, INIT_PORT};

    fn pod(annotations: &[(&str, &str)]) -> SlimPod {
        let mut pod: SlimPod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-0", "namespace": "team", "uid": "u-1", "resourceVersion": "7"},
            "status": {"podIP": "10.1.2.3", "initContainerStatuses": [
                {"name": "qsec-init", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "containerID": "c://1", "state": {"running": {}}},
                {"name": "qsec-refresh", "image": "r", "imageID": "", "ready": false, "restartCount": 1, "started": true, "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 3}}}
            ]}
        }))
        .unwrap();
        pod.metadata.annotations = Some(annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        pod
    }

    #[test]
    fn reads_what_delivery_needs() {
        assert!(PodView::of(&pod(&[])).is_none(), "not annotated: not ours");
        let view = PodView::of(&pod(&[(APPROLE, "aws.stg.myapp"), (INIT_PORT, "8100")])).unwrap();
        assert_eq!(view.key.to_string(), "team/web-0");
        assert_eq!(view.ip, Some("10.1.2.3".parse().unwrap()));
        assert_eq!(view.app.as_ref().unwrap().to_string(), "aws.stg.myapp");
        assert_eq!(view.port, Ok(8100));
        assert_eq!(view.init_running.as_deref(), Some("c://1"));
        assert_eq!(view.refresh, RefreshStatus::Exited(3));
        assert!(view.awaits_delivery());
        let bad = PodView::of(&pod(&[(APPROLE, "aws.STG.x"), (INIT_PORT, "0")])).unwrap();
        assert!(bad.app.is_err() && bad.port.is_err());
    }
}
