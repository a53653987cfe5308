//! The demo's Kubernetes: `qsec_k8s::testkit::FakeKubeApi`, a small
//! in-process stand-in for the API server (pods, events, leases, list and
//! watch), and the real Secret Controller watching it through `kube`, as
//! it would watch a cluster. The demo plays the kubelet: it writes the
//! pod's status as its containers start and stop.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus, Pod,
};
use qsec_k8s::controller::record::{DeliveryRecord, DeliveryState};
use qsec_k8s::controller::{Controller, ControllerConfig, Running};
use qsec_k8s::inject::names::{INIT_CONTAINER, REFRESH_CONTAINER};
use qsec_k8s::testkit::FakeKubeApi;
use qsec_vault::VaultConfig;

/// The cluster the demo's controller serves: apps `*.stg.*`.
pub(crate) const CLUSTER: &str = "stg";

/// A delivery the controller recorded on a pod.
pub(crate) struct Delivery {
    /// The SecretID's accessor (never the SecretID).
    pub(crate) accessor: String,
    /// From `qsec-init` reported running to the record saying delivered.
    pub(crate) latency: Duration,
}

/// The API stand-in, the controller, and the kubelet's notes.
pub(crate) struct DemoCluster {
    kube: FakeKubeApi,
    controller: Running,
    kubeconfig: PathBuf,
    pods: Mutex<HashMap<String, (Ipv4Addr, Option<Instant>)>>,
}

impl DemoCluster {
    /// Starts the API stand-in on loopback (with a kubeconfig for it under
    /// `dir`) and the controller, talking to the Secret API at `api_url`
    /// with the service-account token in `token_file` and to Vault at
    /// `vault_url`.
    pub(crate) async fn start(dir: &Path, vault_url: &str, api_url: &str, token_file: &Path) -> anyhow::Result<Self> {
        let kube = FakeKubeApi::start().await?;
        let kubeconfig = dir.join("kubeconfig");
        kube.write_kubeconfig(&kubeconfig)?;
        let mut config = ControllerConfig::new(CLUSTER, api_url, "qsec-controller-demo");
        config.token_file = token_file.to_path_buf();
        config.retry_min = Duration::from_millis(50);
        let controller = Controller::new(config, kube.client(), VaultConfig::new(vault_url)?)?.spawn(None);
        Ok(Self { kube, controller, kubeconfig, pods: Mutex::new(HashMap::new()) })
    }

    /// The API stand-in's URL.
    pub(crate) fn url(&self) -> String {
        self.kube.url()
    }

    /// A kubeconfig for it (`kubectl` works with it for pods).
    pub(crate) fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Creates the pod, scheduled to run on `ip`.
    pub(crate) fn create_pod(&self, pod: Pod, ip: Ipv4Addr) -> Pod {
        let pod = self.kube.create_pod(pod);
        self.pods.lock().expect("not poisoned").insert(key(&pod), (ip, None));
        pod
    }

    /// The kubelet's report: the pod has its IP and `qsec-init` runs.
    pub(crate) fn init_running(&self, namespace: &str, name: &str) -> anyhow::Result<()> {
        let mut pods = self.pods.lock().expect("not poisoned");
        let Some((ip, ready)) = pods.get_mut(&format!("{namespace}/{name}")) else { bail!("no pod {name}") };
        self.kube.set_init_running(namespace, name, IpAddr::V4(*ip)).context("the pod is gone")?;
        *ready = Some(Instant::now());
        Ok(())
    }

    /// Waits for the controller's delivery record on the pod to say delivered.
    pub(crate) async fn delivered(&self, namespace: &str, name: &str, patience: Duration) -> anyhow::Result<Delivery> {
        let started = Instant::now();
        loop {
            let pod = self.kube.pod(namespace, name).context("the pod is gone")?;
            let record = pod.metadata.annotations.as_ref().and_then(DeliveryRecord::of);
            if let Some(record) = record.filter(|record| record.state == DeliveryState::Delivered) {
                let ready = self.pods.lock().expect("not poisoned").get(&key(&pod)).and_then(|(_, ready)| *ready);
                let latency = ready.map(|ready| ready.elapsed()).unwrap_or_default();
                return Ok(Delivery { accessor: record.accessor, latency });
            }
            if started.elapsed() > patience {
                let events: Vec<String> = self
                    .kube
                    .events()
                    .into_iter()
                    .filter(|event| event.involved_object.name.as_deref() == Some(name))
                    .map(|event| format!("{}: {}", event.reason.unwrap_or_default(), event.message.unwrap_or_default()))
                    .collect();
                bail!("no delivery to {namespace}/{name} within {patience:?}; events: {events:?}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The kubelet's report: `qsec-init` exited 0.
    pub(crate) fn init_done(&self, namespace: &str, name: &str) -> anyhow::Result<()> {
        self.set_status(namespace, name, INIT_CONTAINER, terminated(0), false)
    }

    /// The kubelet's report: the refresh sidecar started and is ready; the
    /// app containers run.
    pub(crate) fn sidecar_ready(&self, namespace: &str, name: &str) -> anyhow::Result<()> {
        self.set_status(namespace, name, REFRESH_CONTAINER, running(), true)?;
        self.kube
            .update_pod(namespace, name, |pod| {
                pod.status.get_or_insert_with(Default::default).phase = Some("Running".into())
            })
            .context("the pod is gone")?;
        Ok(())
    }

    /// Deletes the pod, as `kubectl delete pod` would.
    pub(crate) fn delete_pod(&self, namespace: &str, name: &str) {
        self.kube.delete_pod(namespace, name);
    }

    /// Stops the controller, then the API stand-in.
    pub(crate) async fn shutdown(self) {
        self.controller.stop().await;
        self.kube.shutdown().await;
    }

    fn set_status(
        &self,
        namespace: &str,
        name: &str,
        container: &str,
        state: ContainerState,
        ready: bool,
    ) -> anyhow::Result<()> {
        self.kube
            .update_pod(namespace, name, |pod| {
                let status = pod.status.get_or_insert_with(Default::default);
                let statuses = status.init_container_statuses.get_or_insert_with(Vec::new);
                match statuses.iter_mut().find(|status| status.name == container) {
                    Some(status) => {
                        status.state = Some(state.clone());
                        status.ready = ready;
                    }
                    None => statuses.push(ContainerStatus {
                        name: container.into(),
                        started: Some(true),
                        ready,
                        state: Some(state.clone()),
                        ..ContainerStatus::default()
                    }),
                }
            })
            .context("the pod is gone")?;
        Ok(())
    }
}

fn key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

fn running() -> ContainerState {
    ContainerState { running: Some(ContainerStateRunning::default()), ..ContainerState::default() }
}

fn terminated(exit_code: i32) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code,
            reason: Some("Completed".into()),
            ..Default::default()
        }),
        ..ContainerState::default()
    }
}
