//! The Secret Controller under a burst: 1,000 annotated pods exist, then
//! their `qsec-init` containers all start at once (the fake Kubernetes API
//! publishes the status changes back to back). Measured per pod: from the
//! status change ("made ready") to the delivery POST arriving at the pod's
//! stub `qsec-init` (a small listener on its own loopback address,
//! 127.40.x.y, that answers `/healthz` and accepts the POST). Reported:
//! p50/p90/p99 latency, throughput (deliveries per second from the first
//! status change to the last delivery), and the controller's resident
//! memory (VmHWM, VmRSS).
//!
//! The controller runs as the real `qsec-controller` binary, a child
//! process talking to the fake API through a kubeconfig, when
//! `target/release/qsec-controller` exists (build it first); otherwise it
//! runs in-process and the memory figure is the whole bench process's (fake
//! API, Vault and stubs included). The Secret API and an in-memory Vault run
//! in the bench process on loopback.
//!
//! A second round paces the same number of pods at a steady rate (one every
//! 2.5 ms asked; timer granularity makes it ~270 pods/s, above the 200/s goal),
//! where latency is the controller's per-pod work rather than queueing
//! behind the burst.
//!
//! Run: `cargo build --release -p qsec-controller && cargo bench -p qsec-benches --bench controller_burst`.
//! `QSEC_BENCH_PODS` changes the number of pods.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qsec_k8s::annotations::{APPROLE, INIT_PORT};
use qsec_k8s::controller::{Controller, ControllerConfig};
use qsec_k8s::testkit::{FakeKubeApi, pod};
use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::Value;

// The stand-ins (fake API, Vault, Secret API, stubs) share the two cores
// with the controller; on jemalloc, like the controller binary, they take
// ~15 % less CPU per delivery than on glibc's malloc (mostly the fake API
// copying pods under its store lock), which leaves more to the controller.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SUBJECT: &str = "system:serviceaccount:qsec-system:qsec-controller";
const NS: &str = "burst";
/// The init port of every stub (each has its own IP).
const PORT: u16 = 8099;

type Arrivals = Arc<Mutex<Vec<Option<Instant>>>>;

fn pod_ip(n: usize) -> IpAddr {
    IpAddr::from([127, 40, (n / 250) as u8, (n % 250 + 1) as u8])
}

/// Starts the stub `qsec-init` of pod `n`: `GET /healthz` answers
/// "waiting", `POST /v1/secret-id` with a `wrapped_secret_id` is accepted
/// and its arrival time noted. A few lines of HTTP/1.1 rather than a full
/// server per pod: the stubs share the two cores with the controller, and
/// the controller's side of each exchange is what is measured.
async fn stub(n: usize, arrivals: Arrivals) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(pod_ip(n), PORT)).await.expect("binding a stub");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve_stub(stream, n, arrivals.clone()));
        }
    })
}

/// Answers requests on one connection until the client closes it or asks to.
async fn serve_stub(mut stream: tokio::net::TcpStream, n: usize, arrivals: Arrivals) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut buffer = Vec::with_capacity(1024);
    loop {
        // One request: headers up to the blank line, then Content-Length bytes.
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        let body: Vec<u8> = buffer.drain(..head_end + length).skip(head_end).collect();
        let (status, answer) = if head.starts_with("get /healthz ") {
            ("200 OK", r#"{"status":"waiting"}"#)
        } else if head.starts_with("post /v1/secret-id ") {
            let delivery: Value = serde_json::from_slice(&body).unwrap_or_default();
            assert!(delivery["wrapped_secret_id"].is_string(), "a delivery without a wrapping token");
            arrivals.lock().unwrap()[n].get_or_insert_with(Instant::now);
            ("200 OK", r#"{"status":"accepted"}"#)
        } else {
            ("404 Not Found", r#"{"error":"not found"}"#)
        };
        let close = head.contains("connection: close");
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{answer}",
            answer.len(),
            if close { "connection: close\r\n" } else { "" }
        );
        if stream.write_all(response.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

enum Runner {
    Child(tokio::process::Child),
    InProcess(qsec_k8s::controller::Running),
}

fn controller_binary() -> Option<PathBuf> {
    // target/release/deps/controller_burst-* → target/release/qsec-controller
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("qsec-controller");
    path.exists().then_some(path)
}

fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// CPU seconds (user + system) `pid` has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    ticks as f64 / 100.0
}

async fn round(kube: &FakeKubeApi, arrivals: &Arrivals, first: usize, count: usize, pace: Option<Duration>, pid: u32) {
    let cpu_before = cpu_seconds(pid);
    let stand_ins_before = cpu_seconds(std::process::id());
    let mut made_ready = Vec::with_capacity(count);
    for n in first..first + count {
        made_ready.push(Instant::now());
        kube.set_init_running(NS, &format!("pod-{n}"), pod_ip(n)).expect("the pod exists");
        if let Some(pace) = pace {
            tokio::time::sleep(pace).await;
        }
    }
    let start = made_ready[0];
    let spread = made_ready.last().map_or(Duration::ZERO, |last| last.duration_since(start));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = arrivals.lock().unwrap()[first..first + count].iter().filter(|a| a.is_some()).count();
        if done == count {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of {count} deliveries within 120 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let arrived: Vec<Instant> = arrivals.lock().unwrap()[first..first + count].iter().map(|a| a.unwrap()).collect();
    let mut latencies: Vec<Duration> =
        arrived.iter().zip(&made_ready).map(|(at, ready)| at.saturating_duration_since(*ready)).collect();
    latencies.sort();
    let last = arrived.iter().max().copied().unwrap_or(start);
    let elapsed = last.duration_since(start);
    let cpu = cpu_seconds(pid) - cpu_before;
    let stand_ins = cpu_seconds(std::process::id()) - stand_ins_before;
    let label = match pace {
        None => format!("burst of {count}, all at once"),
        Some(_) => format!(
            "{count} made ready over {:.2} s ({:.0}/s)",
            spread.as_secs_f64(),
            count as f64 / spread.as_secs_f64()
        ),
    };
    println!(
        "{label}: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {count} deliveries in {:.3} s = {:.0}/s; controller CPU {:.2} s = {:.2} ms per delivery (stand-ins {:.2} ms)",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.90).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        cpu,
        cpu * 1e3 / count as f64,
        stand_ins * 1e3 / count as f64,
    );
}

#[tokio::main]
async fn main() {
    qsec_vault::install_crypto_provider();
    let pods: usize = std::env::var("QSEC_BENCH_PODS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let stack = TestStack::start(StackOptions::for_controller(SUBJECT)).await;
    stack.role_id("aws.stg.myapp").await;
    let kube = FakeKubeApi::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("sa-token");
    std::fs::write(&token_file, stack.signer().token(SUBJECT, &[])).unwrap();
    kube.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();

    // Two rounds of `pods` pods each; all exist before the controller starts.
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![None; pods * 2]));
    let mut stubs = Vec::new();
    for n in 0..pods * 2 {
        stubs.push(stub(n, arrivals.clone()).await);
        kube.create_pod(pod(NS, &format!("pod-{n}"), &[(APPROLE, "aws.stg.myapp"), (INIT_PORT, &PORT.to_string())]));
    }

    let runner = match controller_binary() {
        Some(binary) => {
            println!("controller: the qsec-controller binary, {}", binary.display());
            let child = tokio::process::Command::new(binary)
                .env_clear()
                .env("KUBECONFIG", dir.path().join("kubeconfig"))
                .env("QSEC_CLUSTER", "stg")
                .env("QSEC_SECRET_API", stack.url())
                .env("QSEC_TOKEN_FILE", &token_file)
                .env("VAULT_ADDR", stack.vault_url())
                .env("QSEC_LISTEN", "127.0.0.1:0")
                .env("QSEC_LEADER_ELECTION", "false")
                .env("QSEC_LOG", "warn")
                .env("POD_NAME", "bench")
                .env("QSEC_CONCURRENCY", std::env::var("QSEC_CONCURRENCY").unwrap_or_else(|_| "64".into()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("starting qsec-controller");
            Runner::Child(child)
        }
        None => {
            println!("controller: in-process (build target/release/qsec-controller to measure the binary alone)");
            let mut config = ControllerConfig::new("stg", &stack.url(), "bench");
            config.token_file = token_file.clone();
            let vault = qsec_vault::VaultConfig::new(&stack.vault_url()).unwrap();
            Runner::InProcess(Controller::new(config, kube.client(), vault).unwrap().spawn(None))
        }
    };
    // Let it list the pods and settle.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let pid = match &runner {
        Runner::Child(child) => child.id().unwrap_or_else(std::process::id),
        Runner::InProcess(_) => std::process::id(),
    };
    round(&kube, &arrivals, 0, pods, None, pid).await;
    round(&kube, &arrivals, pods, pods, Some(Duration::from_micros(2500)), pid).await;

    let (hwm, rss) = memory_kib(pid);
    println!("controller memory: VmHWM {:.1} MiB, VmRSS {:.1} MiB", hwm as f64 / 1024.0, rss as f64 / 1024.0);
    // "delivered" records are written once the deliveries leave room.
    let recorded = |kube: &FakeKubeApi| {
        kube.pods()
            .iter()
            .filter(|p| {
                p.metadata.annotations.as_ref().is_some_and(|a| {
                    a.get(qsec_k8s::annotations::SECRET_ID_DELIVERY).is_some_and(|r| r.contains("delivered"))
                })
            })
            .count()
    };
    let waited = Instant::now();
    while recorded(&kube) < pods * 2 && waited.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("pods recorded as delivered: {} of {}", recorded(&kube), pods * 2);

    match runner {
        Runner::Child(mut child) => {
            let _ = child.kill().await;
        }
        Runner::InProcess(running) => running.stop().await,
    }
    for stub in stubs {
        stub.abort();
    }
    kube.shutdown().await;
    stack.shutdown().await;
}
