//! The real binary against the fake Kubernetes API through a standard
//! kubeconfig (plain HTTP, and HTTPS with a CA and a bearer token): it elects itself, delivers to a waiting pod, serves its
//! probes and metrics, and on SIGTERM stops cleanly and releases the Lease.

use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use qsec_k8s::annotations::{APPROLE, INIT_PORT};
use qsec_k8s::testkit::{FakeKubeApi, pod};
use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::{Value, json};
use tokio::process::Command;

const SUBJECT: &str = "system:serviceaccount:qsec-system:qsec-controller";
const PATIENCE: Duration = Duration::from_secs(30);

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_binary_delivers_serves_metrics_and_stops_on_sigterm() {
    delivers_serves_metrics_and_stops(FakeKubeApi::start().await.unwrap()).await;
}

/// The same through HTTPS (the kubeconfig's `certificate-authority-data`)
/// with the kubeconfig's bearer token required, as a real API server has it.
#[tokio::test]
async fn the_binary_reaches_a_tls_api_server_with_the_kubeconfig_s_ca_and_token() {
    delivers_serves_metrics_and_stops(FakeKubeApi::start_tls().await.unwrap()).await;
}

async fn delivers_serves_metrics_and_stops(kube: FakeKubeApi) {
    qsec_vault::install_crypto_provider();
    let stack = TestStack::start(StackOptions::for_controller(SUBJECT)).await;
    stack.role_id("aws.stg.myapp").await;
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sa-token"), stack.signer().token(SUBJECT, &[])).unwrap();
    kube.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();

    // The pod's qsec-init, stubbed: waits, accepts one delivery.
    let posts: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = posts.clone();
    let init = Router::new().route("/healthz", get(|| async { axum::Json(json!({"status": "waiting"})) })).route(
        "/v1/secret-id",
        post(move |body: axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(body.0);
                axum::Json(json!({"status": "accepted"}))
            }
        }),
    );
    let ip = IpAddr::from([127, 31, 0, 2]);
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await.unwrap();
    let init_port = listener.local_addr().unwrap().port();
    let (stop_init, init_stopped) = tokio::sync::oneshot::channel::<()>();
    let init_task = tokio::spawn(async move {
        axum::serve(listener, init)
            .with_graceful_shutdown(async move {
                let _ = init_stopped.await;
            })
            .await
            .unwrap();
    });
    let probe_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let mut child = Command::new(env!("CARGO_BIN_EXE_qsec-controller"))
        .env_clear()
        .env("KUBECONFIG", dir.path().join("kubeconfig"))
        .env("QSEC_CLUSTER", "stg")
        .env("QSEC_SECRET_API", stack.url())
        .env("QSEC_TOKEN_FILE", dir.path().join("sa-token"))
        .env("VAULT_ADDR", stack.vault_url())
        .env("QSEC_LISTEN", format!("127.0.0.1:{probe_port}"))
        .env("POD_NAME", "qsec-controller-0")
        .env("POD_NAMESPACE", "qsec-system")
        .env("QSEC_LEASE_DURATION", "4")
        .env("QSEC_LEASE_GRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let probes = format!("http://127.0.0.1:{probe_port}");
    until("/readyz as leader", || async {
        match http.get(format!("{probes}/readyz")).send().await {
            Ok(answer) if answer.status() == 200 => answer.json::<Value>().await.unwrap()["role"] == "leader",
            _ => false,
        }
    })
    .await;
    assert_eq!(http.get(format!("{probes}/healthz")).send().await.unwrap().status(), 200);

    kube.create_pod(pod("default", "web-0", &[(APPROLE, "aws.stg.myapp"), (INIT_PORT, &init_port.to_string())]));
    kube.set_init_running("default", "web-0", ip);
    until("the delivery", || async { !posts.lock().unwrap().is_empty() }).await;
    assert!(posts.lock().unwrap()[0]["wrapped_secret_id"].is_string(), "a wrapped SecretID");
    until("the metrics", || async {
        let text = http.get(format!("{probes}/metrics")).send().await.unwrap().text().await.unwrap();
        text.contains("qsec_controller_deliveries_total 1\n") && text.contains("qsec_controller_leader 1\n")
    })
    .await;

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(PATIENCE, child.wait()).await.expect("it stops").unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).await.unwrap();
    assert!(status.success(), "exit {status}: {stderr}");
    // JSON logs, without the wrapping token.
    let token = posts.lock().unwrap()[0]["wrapped_secret_id"].as_str().unwrap().to_owned();
    assert!(!stderr.contains(&token));
    assert!(stderr.lines().all(|line| serde_json::from_str::<Value>(line).is_ok()), "{stderr}");
    let lease = kube.lease("qsec-system", "qsec-controller").expect("the Lease");
    assert!(lease.spec.unwrap().holder_identity.is_none(), "released on SIGTERM");

    let _ = stop_init.send(());
    init_task.await.unwrap();
    kube.shutdown().await;
    stack.shutdown().await;
}
