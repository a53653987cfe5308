//! End to end: the controller's watch path through `kube::Client` against
//! the fake Kubernetes API (list + watch), the Secret API and an in-memory
//! Vault on loopback, and real `qsec-init` processes as pods, each on its
//! own loopback address (127.21.0.x) as pod IP. Each gets a wrapped
//! SecretID bound to its IP, logs in from that IP, renders and exits 0.
//!
//! Loopback detail: connections to Vault on 127.0.0.1 leave from
//! 127.0.0.1 whatever address a process listens on, so each `qsec-init`
//! binds its Vault connections to its pod IP (`QSEC_VAULT_SOURCE_IP`), as
//! a pod's connections leave from its IP. The last test shows the binding
//! is enforced: without it, Vault refuses the login.

use std::net::IpAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use qsec_k8s::annotations::APPROLE;
use qsec_k8s::controller::record::{DeliveryRecord, DeliveryState};
use qsec_k8s::controller::{Controller, ControllerConfig};
use qsec_k8s::testkit::{FakeKubeApi, pod};
use qsec_secret_api::testkit::{StackOptions, TestStack};
use tokio::process::{Child, Command};

const NS: &str = "shop";
const SUBJECT: &str = "system:serviceaccount:qsec-system:qsec-controller";
const PATIENCE: Duration = Duration::from_secs(30);

struct World {
    kube: FakeKubeApi,
    stack: TestStack,
    role_id: String,
    dir: tempfile::TempDir,
}

async fn world() -> World {
    qsec_vault::install_crypto_provider();
    let stack = TestStack::start(StackOptions::for_controller(SUBJECT)).await;
    let role_id = stack.role_id("aws.stg.shop").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sa-token"), stack.signer().token(SUBJECT, &[])).unwrap();
    std::fs::create_dir(dir.path().join("source")).unwrap();
    std::fs::write(dir.path().join("source/app.yml.tmpl"), "app: {{ .appRef }}\nip: {{ .pod.ip }}\n").unwrap();
    World { kube: FakeKubeApi::start().await.unwrap(), stack, role_id, dir }
}

impl World {
    fn controller(&self) -> qsec_k8s::controller::Running {
        let mut config = ControllerConfig::new("stg", &self.stack.url(), "ctl-e2e");
        config.token_file = self.dir.path().join("sa-token");
        config.retry_min = Duration::from_millis(100);
        config.retry_max = Duration::from_millis(500);
        config.namespace = Some(NS.into());
        let vault = qsec_vault::VaultConfig::new(&self.stack.vault_url()).unwrap();
        Controller::new(config, self.kube.client(), vault).unwrap().spawn(None)
    }

    /// A pod's `qsec-init`, listening on `ip:8099` (the default port).
    /// `qsec-init` for pod `name` listening on `ip`; `source` overrides the
    /// address its Vault connections leave from (by default the listen
    /// address, both being on loopback).
    fn init(&self, name: &str, ip: IpAddr, source: Option<IpAddr>) -> Child {
        let pod_dir = self.dir.path().join(name);
        let mut command = Command::new(env!("CARGO_BIN_EXE_qsec-init"));
        command
            .env_clear()
            .env("VAULT_ADDR", self.stack.vault_url())
            .env("QSEC_APP", "aws.stg.shop")
            .env("QSEC_ROLE_ID", &self.role_id)
            .env("QSEC_CONFIG_SOURCE", self.dir.path().join("source"))
            .env("QSEC_CONFIG_DIR", pod_dir.join("config"))
            .env("QSEC_LEASE_DIR", pod_dir.join("leases"))
            .env("QSEC_LISTEN", format!("{ip}:8099"))
            .env("QSEC_WAIT_TIMEOUT", "60s")
            .env("POD_NAME", name)
            .env("POD_IP", ip.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(source) = source {
            command.env("QSEC_VAULT_SOURCE_IP", source.to_string());
        }
        command.spawn().expect("qsec-init starts")
    }

    fn record(&self, name: &str) -> Option<DeliveryRecord> {
        DeliveryRecord::of(self.kube.pod(NS, name)?.metadata.annotations.as_ref()?)
    }
}

/// Waits for `qsec-init` at `ip` to answer /healthz.
async fn listening(ip: IpAddr) {
    let start = Instant::now();
    let url = format!("http://{ip}:8099/healthz");
    while reqwest::get(&url).await.is_err() {
        assert!(start.elapsed() < PATIENCE, "qsec-init at {ip} never listened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn rendered(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name).join("config/app.yml")).ok()
}

#[tokio::test]
async fn real_qsec_init_pods_get_their_secret_ids_through_the_watch() {
    let world = world().await;
    let ips: Vec<IpAddr> = (2..5u8).map(|n| IpAddr::from([127, 21, 0, n])).collect();
    let mut children = Vec::new();
    for (n, ip) in ips.iter().enumerate() {
        let name = format!("shop-{n}");
        world.kube.create_pod(pod(NS, &name, &[(APPROLE, "aws.stg.shop")]));
        children.push(world.init(&name, *ip, None));
    }
    // A pod in another namespace: outside the controller's watch.
    world.kube.create_pod(pod("elsewhere", "ignored", &[(APPROLE, "aws.stg.shop")]));
    let running = world.controller();
    for (n, ip) in ips.iter().enumerate() {
        listening(*ip).await;
        world.kube.set_init_running(NS, &format!("shop-{n}"), *ip);
    }
    world.kube.set_init_running("elsewhere", "ignored", IpAddr::from([127, 21, 0, 99]));

    for (n, child) in children.iter_mut().enumerate() {
        let status = tokio::time::timeout(PATIENCE, child.wait()).await.expect("qsec-init finishes").unwrap();
        assert!(status.success(), "qsec-init of shop-{n} exited with {status}");
    }
    for (n, ip) in ips.iter().enumerate() {
        let name = format!("shop-{n}");
        let config = rendered(world.dir.path(), &name).expect("the config was rendered");
        assert_eq!(config, format!("app: aws.stg.shop\nip: {ip}\n"));
        // qsec-init may finish before the controller's "delivered" patch lands.
        let start = Instant::now();
        while world.record(&name).map(|record| record.state) != Some(DeliveryState::Delivered) {
            assert!(start.elapsed() < PATIENCE, "{name}: record {:?}", world.record(&name));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(world.stack.vault().secret_id_count("approle", "aws.stg.shop"), 0, "each SecretID was used, once");
    assert!(world.record("ignored").is_none() && world.kube.pod("elsewhere", "ignored").is_some());
    assert_eq!(running.metrics().deliveries(), 3);

    running.stop().await;
    world.kube.shutdown().await;
    world.stack.shutdown().await;
}

#[tokio::test]
async fn vault_refuses_a_login_from_another_address_than_the_pod_ip() {
    let world = world().await;
    let ip = IpAddr::from([127, 21, 1, 2]);
    world.kube.create_pod(pod(NS, "unbound", &[(APPROLE, "aws.stg.shop")]));
    // Its Vault connections leave from 127.0.0.1, not its pod IP.
    let mut child = world.init("unbound", ip, Some(IpAddr::from([127, 0, 0, 1])));
    let running = world.controller();
    listening(ip).await;
    world.kube.set_init_running(NS, "unbound", ip);

    let start = Instant::now();
    loop {
        let refused = world.kube.events().iter().any(|event| {
            event.reason.as_deref() == Some("DeliveryFailed")
                && event.message.as_deref().is_some_and(|m| m.contains("403"))
        });
        if refused {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "no refused delivery: {:?}", world.kube.events());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "qsec-init keeps waiting after a refused SecretID");
    assert_ne!(world.record("unbound").map(|r| r.state), Some(DeliveryState::Delivered));
    assert!(rendered(world.dir.path(), "unbound").is_none());

    running.stop().await;
    child.kill().await.unwrap();
    world.kube.shutdown().await;
    world.stack.shutdown().await;
}
