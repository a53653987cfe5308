//! A small in-process stand-in for the Kubernetes API (feature `testkit`):
//! [`FakeKubeApi`] serves pods, events, leases and any other namespaced
//! resource on loopback (plain HTTP, or HTTPS with its own CA and a
//! required bearer token: [`FakeKubeApi::start_tls`]), with the semantics a
//! controller and kube-runtime rely on — list with label and field selectors, watch
//! (resourceVersion resume, bookmarks, 410 Gone past its history), get,
//! create, replace, merge / strategic / JSON patch with `resourceVersion`
//! preconditions, server-side apply with field-ownership conflicts, delete
//! with `uid` preconditions — and `Status` bodies as Kubernetes sends them.
//! [`FakeKubeApi::expire_watches`] compacts its history as etcd does, so
//! watchers meet 410 Gone and must list again.
//!
//! Pods are deleted at once (no grace period, no kubelet): a delete is a
//! deletion. There is no authorization, admission or discovery.
//!
//! ```no_run
//! # async fn demo() -> qsec_k8s::Result<()> {
//! use qsec_k8s::testkit::{FakeKubeApi, pod};
//!
//! let api = FakeKubeApi::start().await?;
//! api.create_pod(pod("default", "web-0", &[("qsec.io/approle", "aws.stg.myapp")]));
//! api.set_init_running("default", "web-0", "127.0.0.2".parse().unwrap());
//! let client = api.client(); // a kube::Client talking to it
//! # drop(client);
//! api.shutdown().await;
//! # Ok(()) }
//! ```

mod patch;
mod routes;
mod select;
mod store;
mod tls;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus, Event, Pod, PodIP,
    PodSpec, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::routes::Shared;
use self::store::{Resource, Store};
use crate::error::{Error, Result};
use crate::inject::names::{INIT_CONTAINER, REFRESH_CONTAINER};

/// The fake API server; stop it with [`FakeKubeApi::shutdown`].
pub struct FakeKubeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    tls: Option<tls::ServerIdentity>,
}

impl FakeKubeApi {
    /// Starts on `127.0.0.1`, on a free port.
    pub async fn start() -> Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`, over plain HTTP, without authentication.
    pub async fn start_on(addr: SocketAddr) -> Result<Self> {
        Self::serve(addr, None).await
    }

    /// Starts on `127.0.0.1` the way a real API server is reached: HTTPS
    /// with a certificate from a CA made for it (in
    /// [`FakeKubeApi::kubeconfig`] as `certificate-authority-data`), and
    /// requests without the kubeconfig's bearer token refused with 401.
    pub async fn start_tls() -> Result<Self> {
        qsec_vault::install_crypto_provider();
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::serve(addr, Some(tls::ServerIdentity::for_address(addr.ip())?)).await
    }

    async fn serve(addr: SocketAddr, tls: Option<tls::ServerIdentity>) -> Result<Self> {
        let (stop, closing) = watch::channel(false);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            closing: closing.clone(),
            watches_ended: watch::Sender::new(0),
            expired_answers: AtomicU64::new(0),
        });
        let app = routes::router(shared.clone());
        let (addr, server) = match &tls {
            None => serve_plain(addr, app, closing).await?,
            Some(identity) => serve_tls(addr, tls::require_token(app), identity, closing).await?,
        };
        Ok(Self { addr, shared, stop, server, tls })
    }

    /// Its base URL, e.g. `http://127.0.0.1:41234` (`https://` from [`FakeKubeApi::start_tls`]).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// A `kube::Client` for it (no discovery is needed for typed APIs).
    pub fn client(&self) -> kube::Client {
        let uri = self.url().parse().expect("a loopback URL is a valid URI");
        let mut config = kube::Config::new(uri);
        config.default_namespace = "default".into();
        if let Some(identity) = &self.tls {
            config.root_cert = Some(vec![identity.ca_der.clone()]);
            config.auth_info.token = Some(tls::TOKEN.to_owned().into());
        }
        kube::Client::try_from(config).expect("a client for the fake API")
    }

    /// A standard kubeconfig pointing at it, for processes using `KUBECONFIG`.
    pub fn kubeconfig(&self) -> String {
        let authority = match &self.tls {
            Some(identity) => format!("\n    certificate-authority-data: {}", identity.ca_data()),
            None => String::new(),
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {url}{authority}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\ncurrent-context: fake\nusers:\n- name: fake\n  user:\n    token: {token}\npreferences: {{}}\n",
            url = self.url(),
            token = tls::TOKEN,
        )
    }

    /// Writes [`FakeKubeApi::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.kubeconfig()).map_err(Error::io("writing", path))
    }

    /// Creates a pod as the API server would (uid, resourceVersion,
    /// creation time) and returns it. Panics if it exists: a test's mistake.
    pub fn create_pod(&self, mut pod: Pod) -> Pod {
        let namespace = pod.metadata.namespace.get_or_insert_with(|| "default".into()).clone();
        let mut object = serde_json::to_value(&pod).expect("pods serialize");
        let resource = Resource::pods();
        let name = routes::prepare_new(&resource, &namespace, &mut object)
            .unwrap_or_else(|_| panic!("pod {namespace}/{:?} has no name", pod.metadata.name));
        let mut store = self.shared.store();
        assert!(store.get(&resource, &namespace, &name).is_none(), "pod {namespace}/{name} exists already");
        let stored = store.put(&resource, &namespace, &name, object);
        drop(store);
        typed(&stored)
    }

    /// Changes a pod in place (as the kubelet or another client would) and
    /// returns it; `None` when it does not exist.
    pub fn update_pod(&self, namespace: &str, name: &str, change: impl Fn(&mut Pod)) -> Option<Pod> {
        let resource = Resource::pods();
        // Converted outside the lock, so API requests are not held up; a
        // change that raced in between is taken up by trying again.
        loop {
            let current = self.shared.store().get(&resource, namespace, name)?.clone();
            let mut pod: Pod = typed(&current);
            change(&mut pod);
            let object = serde_json::to_value(&pod).expect("pods serialize");
            let mut store = self.shared.store();
            if store.get(&resource, namespace, name).is_some_and(|now| Arc::ptr_eq(now, &current)) {
                let stored = store.put(&resource, namespace, name, object);
                drop(store);
                return Some(typed(&stored));
            }
        }
    }

    /// The kubelet's part: the pod got `ip` and its `qsec-init` container
    /// runs (a new container ID each call, as after a restart).
    pub fn set_init_running(&self, namespace: &str, name: &str, ip: IpAddr) -> Option<Pod> {
        self.update_pod(namespace, name, |pod| {
            let status = pod.status.get_or_insert_with(PodStatus::default);
            status.phase = Some("Pending".into());
            status.pod_ip = Some(ip.to_string());
            status.pod_ips = Some(vec![PodIP { ip: ip.to_string() }]);
            let statuses = status.init_container_statuses.get_or_insert_with(Vec::new);
            let restarts = statuses.iter().find(|s| s.name == INIT_CONTAINER).map_or(0, |s| s.restart_count + 1);
            statuses.retain(|s| s.name != INIT_CONTAINER);
            statuses.insert(
                0,
                ContainerStatus {
                    name: INIT_CONTAINER.into(),
                    container_id: Some(format!("fake://{}", uuid::Uuid::new_v4().simple())),
                    restart_count: restarts,
                    started: Some(true),
                    state: Some(ContainerState {
                        running: Some(ContainerStateRunning { started_at: Some(Time(jiff::Timestamp::now())) }),
                        ..ContainerState::default()
                    }),
                    ..ContainerStatus::default()
                },
            );
        })
    }

    /// The kubelet's part: the `qsec-refresh` native sidecar ended with
    /// `exit_code` and was restarted (its last state says so).
    pub fn set_refresh_terminated(&self, namespace: &str, name: &str, exit_code: i32) -> Option<Pod> {
        self.update_pod(namespace, name, |pod| {
            let status = pod.status.get_or_insert_with(PodStatus::default);
            let statuses = status.init_container_statuses.get_or_insert_with(Vec::new);
            statuses.retain(|s| s.name != REFRESH_CONTAINER);
            statuses.push(ContainerStatus {
                name: REFRESH_CONTAINER.into(),
                restart_count: 1,
                started: Some(true),
                ready: false,
                state: Some(ContainerState {
                    running: Some(ContainerStateRunning { started_at: Some(Time(jiff::Timestamp::now())) }),
                    ..ContainerState::default()
                }),
                last_state: Some(ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code,
                        reason: Some("Error".into()),
                        ..ContainerStateTerminated::default()
                    }),
                    ..ContainerState::default()
                }),
                ..ContainerStatus::default()
            });
        })
    }

    /// A pod as stored now.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Pod> {
        let pod = self.shared.store().get(&Resource::pods(), namespace, name).cloned();
        pod.map(|pod| typed(&pod))
    }

    /// Every pod.
    pub fn pods(&self) -> Vec<Pod> {
        let pods = self.shared.store().list(&Resource::pods(), None);
        pods.iter().map(|pod| typed(pod)).collect()
    }

    /// Deletes a pod; returns it as it was.
    pub fn delete_pod(&self, namespace: &str, name: &str) -> Option<Pod> {
        let gone = self.shared.store().remove(&Resource::pods(), namespace, name);
        gone.map(|pod| typed(&pod))
    }

    /// Every core/v1 Event recorded, oldest first.
    pub fn events(&self) -> Vec<Event> {
        let stored = self.shared.store().list(&Resource::events(), None);
        let mut events: Vec<Event> = stored.iter().map(|event| typed(event)).collect();
        events.sort_by_key(|event| {
            event.metadata.resource_version.as_deref().and_then(|v| v.parse::<u64>().ok()).unwrap_or_default()
        });
        events
    }

    /// A coordination.k8s.io/v1 Lease.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Lease> {
        let resource = Resource::new("coordination.k8s.io", "v1", "leases");
        let object = self.shared.store().get(&resource, namespace, name).cloned();
        object.map(|object| typed(&object))
    }

    /// The newest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.store().version()
    }

    /// Compacts the change history, as etcd does, and ends every open watch:
    /// each watcher comes back with a resourceVersion that is now too old,
    /// gets 410 Gone, and has to list again.
    pub fn expire_watches(&self) {
        self.shared.store().compact();
        self.shared.watches_ended.send_modify(|generation| *generation += 1);
    }

    /// How many watch requests were answered 410 Gone so far.
    pub fn expired_watch_answers(&self) -> u64 {
        self.shared.expired_answers.load(Ordering::Relaxed)
    }

    /// Stops serving and ends every open watch.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
    }
}

/// Serves `app` over plain HTTP until `closing`; the bound address.
async fn serve_plain(
    addr: SocketAddr,
    app: Router,
    mut closing: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(Error::Server)?;
    let addr = listener.local_addr().map_err(Error::Server)?;
    // Watch events are small writes: without TCP_NODELAY, Nagle and the
    // client's delayed ACK hold some back ~40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        let stopped = async move {
            let _ = closing.wait_for(|closing| *closing).await;
        };
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
            tracing::warn!(%error, "the fake Kubernetes API stopped");
        }
    });
    Ok((addr, server))
}

/// Serves `app` over HTTPS as `identity` until `closing`; the bound address.
async fn serve_tls(
    addr: SocketAddr,
    app: Router,
    identity: &tls::ServerIdentity,
    mut closing: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    use axum_server::accept::{TcpConfigAcceptor, TcpSocketConfig};
    use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

    let config = RustlsConfig::from_pem(identity.cert_pem.clone().into_bytes(), identity.key_pem.clone().into_bytes())
        .await
        .map_err(Error::Server)?;
    let listener = std::net::TcpListener::bind(addr).map_err(Error::Server)?;
    listener.set_nonblocking(true).map_err(Error::Server)?;
    let addr = listener.local_addr().map_err(Error::Server)?;
    let acceptor = RustlsAcceptor::new(config).acceptor(TcpConfigAcceptor::new(TcpSocketConfig::new().nodelay(true)));
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp(listener).map_err(Error::Server)?.acceptor(acceptor).handle(handle.clone());
    let server = tokio::spawn(async move {
        let serving = server.serve(app.into_make_service());
        tokio::pin!(serving);
        tokio::select! {
            result = &mut serving => {
                if let Err(error) = result {
                    tracing::warn!(%error, "the fake Kubernetes API stopped");
                }
                return;
            }
            _ = closing.wait_for(|closing| *closing) => handle.graceful_shutdown(Some(std::time::Duration::from_secs(1))),
        }
        let _ = serving.await;
    });
    Ok((addr, server))
}

fn typed<T: DeserializeOwned>(value: &Value) -> T {
    T::deserialize(value).expect("the fake API stores only valid objects")
}

/// A minimal pod: one app container, the `qsec-init` init container, and
/// `annotations`.
pub fn pod(namespace: &str, name: &str, annotations: &[(&str, &str)]) -> Pod {
    let container =
        |name: &str| Container { name: name.into(), image: Some(format!("{name}:1")), ..Container::default() };
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            annotations: Some(
                annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            ),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            init_containers: Some(vec![container(INIT_CONTAINER)]),
            containers: vec![container("app")],
            ..PodSpec::default()
        }),
        status: Some(PodStatus { phase: Some("Pending".into()), ..PodStatus::default() }),
    }
}
