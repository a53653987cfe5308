//! Secret API throughput: `POST .../role-id` for an already-provisioned app,
//! over loopback HTTP, against an in-memory Vault served by `DevServer` (what
//! `qsec dev vault` runs), with the service holding a token of the
//! documented policy and writing its audit log to a file.
//!
//! Run: `cargo bench -p qsec-benches --bench secret_api`. A load generator,
//! not criterion: 32 concurrent keep-alive clients send requests until
//! `QSEC_BENCH_REQUESTS` (default 20 000) have been answered or 30 s have
//! passed, once with the provisioning cache on (the default, 30 s) and once
//! with it off (a full idempotent check per call). Service, Vault and load
//! generator share one 2-thread runtime on the same machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use qsec_secret_api::testkit::{StackOptions, TestSigner, TestStack};

const CONCURRENCY: usize = 32;
const WARM_UP: u64 = 500;
const TIME_LIMIT: Duration = Duration::from_secs(30);

const RULES: &str = r#"
  - groups: [deployers]
    verbs: [role-id]
    apps: ["aws.stg.*"]
"#;

struct Figures {
    answered: u64,
    failed: u64,
    elapsed: Duration,
}

/// Sends `total` role-id requests from `CONCURRENCY` clients (or stops at the
/// time limit), counting non-200 answers as failures.
async fn drive(url: &str, token: &str, total: u64) -> Figures {
    let http = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY).build().expect("an HTTP client");
    let endpoint = Arc::new(format!("{url}/v1/apps/aws/stg/myapp/role-id"));
    let token = Arc::new(token.to_owned());
    let issued = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, endpoint, token) = (http.clone(), Arc::clone(&endpoint), Arc::clone(&token));
            let (issued, answered, failed) = (Arc::clone(&issued), Arc::clone(&answered), Arc::clone(&failed));
            tokio::spawn(async move {
                while issued.fetch_add(1, Ordering::Relaxed) < total && started.elapsed() < TIME_LIMIT {
                    let answer = http.post(endpoint.as_str()).bearer_auth(token.as_str()).send().await;
                    let ok = match answer {
                        Ok(response) => response.status().as_u16() == 200 && response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    answered.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a load worker");
    }
    let elapsed = started.elapsed();
    Figures { answered: answered.load(Ordering::Relaxed), failed: failed.load(Ordering::Relaxed), elapsed }
}

async fn measure(label: &str, cache_ttl: u64, signer: TestSigner, total: u64) {
    let mut options = StackOptions::with_rules(RULES);
    options.provision_cache_ttl = cache_ttl;
    let stack = TestStack::start_with_signer(options, signer).await;
    // A token for an hour: the run must not outlive it.
    let mut claims = stack.signer().claims("bench", &["deployers"]);
    claims["exp"] = serde_json::json!(qsec_secret_api::testkit::now() + 3600);
    let token = stack.signer().rsa().sign(Some(qsec_secret_api::testkit::RSA_KID), &claims);

    let first = drive(&stack.url(), &token, 1).await;
    assert_eq!(first.failed, 0, "provisioning the app failed");
    let warm = drive(&stack.url(), &token, WARM_UP).await;
    assert_eq!(warm.failed, 0, "warm-up requests failed");
    let run = drive(&stack.url(), &token, total).await;
    let rate = run.answered as f64 / run.elapsed.as_secs_f64();
    println!(
        "secret_api/role-id ({label}): {} requests in {:.2} s = {rate:.0} requests/s, {} failed, concurrency {CONCURRENCY}",
        run.answered,
        run.elapsed.as_secs_f64(),
        run.failed
    );
    let records = stack.audit_records().len() as u64;
    assert_eq!(records, 1 + WARM_UP + run.answered, "one audit line per request");
    stack.shutdown().await;
}

fn main() {
    let total: u64 = std::env::var("QSEC_BENCH_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a Tokio runtime");
    runtime.block_on(async {
        let signer = TestSigner::generate(qsec_secret_api::testkit::ISSUER, qsec_secret_api::testkit::AUDIENCE);
        measure("provisioned app, cache on", 30, signer.clone(), total).await;
        measure("provisioned app, cache off", 0, signer, total).await;
    });
}
