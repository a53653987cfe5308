//! The controller tests' world: the fake Kubernetes API, the Secret API in
//! front of an in-memory Vault (on loopback), the controller's
//! service-account token, and stub `qsec-init` endpoints on their own
//! loopback addresses, one per pod.

#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use k8s_openapi::api::core::v1::Pod;
use qsec_k8s::annotations::{APPROLE, INIT_PORT, SECRET_ID_DELIVERY};
use qsec_k8s::controller::record::DeliveryRecord;
use qsec_k8s::controller::{Controller, ControllerConfig};
use qsec_k8s::testkit::{FakeKubeApi, pod};
use qsec_secret_api::testkit::{ROOT_TOKEN, StackOptions, TestStack};
use qsec_vault::VaultConfig;
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const APP: &str = "aws.stg.myapp";
pub const ROLE: &str = "aws.stg.myapp";
pub const NS: &str = "team";

/// Bounds every wait, so a broken controller fails a test instead of hanging it.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct World {
    pub kube: FakeKubeApi,
    pub stack: TestStack,
    pub role_id: String,
    dir: tempfile::TempDir,
}

impl World {
    pub async fn start() -> World {
        qsec_vault::install_crypto_provider();
        let kube = FakeKubeApi::start().await.expect("the fake Kubernetes API");
        let rules = r#"
  - groups: [deployers]
    verbs: [role-id]
    apps: ["aws.stg.*", "aws.prd.*"]
  - subjects: [system:serviceaccount:qsec-system:qsec-controller]
    verbs: [secret-id-token]
    apps: ["aws.stg.*"]
"#;
        let stack = TestStack::start(StackOptions::with_rules(rules)).await;
        let role_id = stack.role_id("aws.stg.myapp").await;
        let dir = tempfile::tempdir().unwrap();
        let world = World { kube, stack, role_id, dir };
        world.rotate_token();
        world
    }

    /// Writes a fresh service-account token for the controller.
    pub fn rotate_token(&self) {
        let token = self.stack.signer().token("system:serviceaccount:qsec-system:qsec-controller", &[]);
        std::fs::write(self.token_file(), token).unwrap();
    }

    pub fn token_file(&self) -> PathBuf {
        self.dir.path().join("sa-token")
    }

    pub fn config(&self, identity: &str) -> ControllerConfig {
        let mut config = ControllerConfig::new("stg", &self.stack.url(), identity);
        config.token_file = self.token_file();
        config.retry_min = Duration::from_millis(50);
        config.retry_max = Duration::from_millis(400);
        config.probe_timeout = Duration::from_secs(1);
        config.delivery_timeout = Duration::from_secs(5);
        config.refresh_grace = Duration::from_millis(300);
        config
    }

    pub fn vault_config(&self) -> VaultConfig {
        VaultConfig::new(&self.stack.vault_url()).unwrap()
    }

    pub fn controller(&self, config: ControllerConfig) -> Controller {
        Controller::new(config, self.kube.client(), self.vault_config()).unwrap()
    }

    /// SecretIDs Vault holds for the app.
    pub fn secret_ids(&self) -> usize {
        self.stack.vault().secret_id_count("approle", ROLE)
    }

    /// A SecretID's properties, by accessor (root token); `None` when gone.
    pub fn secret_id(&self, accessor: &str) -> Option<Value> {
        let path = format!("auth/approle/role/{ROLE}/secret-id-accessor/lookup");
        let reply = self
            .stack
            .vault()
            .handle(VaultRequest::post(path, json!({ "secret_id_accessor": accessor })).with_token(ROOT_TOKEN));
        reply.data().cloned()
    }

    /// The pod's delivery record.
    pub fn record(&self, name: &str) -> Option<DeliveryRecord> {
        let pod = self.kube.pod(NS, name)?;
        DeliveryRecord::of(pod.metadata.annotations.as_ref()?)
    }

    /// Reasons of the Events on pod `name`.
    pub fn event_reasons(&self, name: &str) -> Vec<String> {
        self.kube
            .events()
            .into_iter()
            .filter(|event| event.involved_object.name.as_deref() == Some(name))
            .filter_map(|event| event.reason)
            .collect()
    }

    pub async fn shutdown(self) {
        self.kube.shutdown().await;
        self.stack.shutdown().await;
    }
}

/// A pod of `app` whose `qsec-init` listens on `port`.
pub fn annotated(name: &str, app: &str, port: u16) -> Pod {
    pod(NS, name, &[(APPROLE, app), (INIT_PORT, &port.to_string())])
}

/// `127.<net>.0.<n>`: each test file uses its own `net`, so files running
/// at once never share an address.
pub fn pod_ip(net: u8, n: u8) -> IpAddr {
    IpAddr::from([127, net, 0, n])
}

/// Waits until `done` holds, checking every 20 ms; panics after [`PATIENCE`].
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A stand-in for `qsec-init`'s delivery endpoint.
pub struct StubInit {
    addr: SocketAddr,
    shared: Arc<StubState>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct StubState {
    posts: Mutex<Vec<String>>,
    refuse: AtomicUsize,
    busy: AtomicBool,
    accepted: AtomicBool,
}

impl StubInit {
    /// Listens on `ip`, on a free port.
    pub async fn start(ip: IpAddr) -> StubInit {
        Self::start_on(SocketAddr::new(ip, 0)).await
    }

    /// Listens on `addr`.
    pub async fn start_on(addr: SocketAddr) -> StubInit {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(StubState::default());
        let (health, deliver) = (shared.clone(), shared.clone());
        let app = Router::new()
            .route(
                "/healthz",
                get(move || {
                    let state = health.clone();
                    async move {
                        if state.accepted.load(Ordering::SeqCst) {
                            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"status": "done"})))
                        } else if state.busy.load(Ordering::SeqCst) {
                            (StatusCode::OK, axum::Json(json!({"status": "processing"})))
                        } else {
                            (StatusCode::OK, axum::Json(json!({"status": "waiting"})))
                        }
                    }
                }),
            )
            .route(
                "/v1/secret-id",
                post(move |body: axum::Json<Value>| {
                    let state = deliver.clone();
                    async move {
                        let token = body["wrapped_secret_id"].as_str().unwrap_or_default().to_owned();
                        state.posts.lock().unwrap().push(token);
                        if state.accepted.load(Ordering::SeqCst) {
                            return (StatusCode::CONFLICT, axum::Json(json!({"error": "no longer waiting"})));
                        }
                        if state.refuse.load(Ordering::SeqCst) > 0 {
                            state.refuse.fetch_sub(1, Ordering::SeqCst);
                            return (StatusCode::FORBIDDEN, axum::Json(json!({"error": "login refused"})));
                        }
                        state.accepted.store(true, Ordering::SeqCst);
                        (StatusCode::OK, axum::Json(json!({"status": "accepted"})))
                    }
                }),
            );
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        StubInit { addr, shared, stop, task }
    }

    pub fn ip(&self) -> IpAddr {
        self.addr.ip()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The wrapping tokens POSTed so far.
    pub fn posts(&self) -> Vec<String> {
        self.shared.posts.lock().unwrap().clone()
    }

    /// Refuses the next `count` deliveries with 403.
    pub fn refuse(&self, count: usize) {
        self.shared.refuse.store(count, Ordering::SeqCst);
    }

    /// Answers `/healthz` with "processing" (not waiting) while `busy`.
    pub fn set_busy(&self, busy: bool) {
        self.shared.busy.store(busy, Ordering::SeqCst);
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Whether `text` shows up anywhere on the pod or in its Events.
pub fn leaked(world: &World, name: &str, text: &str) -> bool {
    let pod = serde_json::to_string(&world.kube.pod(NS, name)).unwrap();
    let events = serde_json::to_string(&world.kube.events()).unwrap();
    !text.is_empty() && (pod.contains(text) || events.contains(text))
}

/// The annotation holding the record, for tests that read it raw.
pub const RECORD: &str = SECRET_ID_DELIVERY;
