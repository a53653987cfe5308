//! The admission webhook: one AdmissionReview of a typical pod (a Helm
//! chart's Grafana, `qsec-k8s/tests/reviews/annotated.json`) to its patched
//! response, three ways: the pure decision, the axum router in-process
//! (tower `oneshot`), and over HTTPS on loopback with a kept-alive connection.
//!
//! Run: `cargo bench -p qsec-benches --bench webhook`. After criterion's
//! figures it times 10,000 reviews one by one each way and prints p50, p99
//! and the maximum, the figure the API server's timeout cares about.

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use qsec_k8s::inject::{ConfigFrom, InjectSettings};
use qsec_k8s::webhook::{self, ReloadingTls, TlsFiles, WebhookServer};
use tower::ServiceExt;

const REVIEWS: usize = 10_000;

fn review_body() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../qsec-k8s/tests/reviews/annotated.json");
    std::fs::read(path).expect("the review document")
}

fn settings() -> InjectSettings {
    InjectSettings { config_from: ConfigFrom::ConfigMap, ..InjectSettings::default() }
}

async fn through_router(router: &axum::Router, body: &[u8]) -> usize {
    let request = Request::post(webhook::MUTATE_PATH).body(Body::from(body.to_vec())).expect("a request");
    let response = router.clone().oneshot(request).await.expect("an answer");
    assert_eq!(response.status(), 200);
    axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body").len()
}

async fn over_https(client: &reqwest::Client, url: &str, body: &[u8]) -> usize {
    let response = client.post(url).body(body.to_vec()).send().await.expect("an answer");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("a body").len()
}

/// A webhook server on loopback with a fresh self-signed certificate, and a
/// client that trusts it.
async fn https_server(dir: &std::path::Path) -> (WebhookServer, reqwest::Client, String) {
    let key = rcgen::KeyPair::generate().expect("a key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .and_then(|params| params.self_signed(&key))
        .expect("a certificate");
    let files = TlsFiles { cert: dir.join("tls.crt"), key: dir.join("tls.key") };
    std::fs::write(&files.cert, cert.pem()).expect("writing the certificate");
    std::fs::write(&files.key, key.serialize_pem()).expect("writing the key");
    let tls = ReloadingTls::load(files).await.expect("the certificate loads");
    let router = webhook::router(settings()).expect("valid settings");
    let server =
        WebhookServer::start("127.0.0.1:0".parse().expect("an address"), tls, router, Duration::from_secs(3600))
            .await
            .expect("the server starts");
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.pem().as_bytes()).expect("PEM")])
        .build()
        .expect("a client");
    let url = format!("https://{}{}", server.local_addr(), webhook::MUTATE_PATH);
    (server, client, url)
}

/// Times `REVIEWS` calls one after another and prints their percentiles.
fn percentiles(label: &str, mut one: impl FnMut()) {
    let mut times = Vec::with_capacity(REVIEWS);
    for _ in 0..REVIEWS {
        let start = Instant::now();
        one();
        times.push(start.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "webhook {label}: {REVIEWS} reviews: p50 {:?}, p99 {:?}, max {:?}",
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
}

fn bench(c: &mut Criterion) {
    qsec_vault::install_crypto_provider();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let body = review_body();
    let settings = settings();
    let router = webhook::router(settings.clone()).expect("valid settings");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (server, client, url) = runtime.block_on(https_server(dir.path()));

    let mut group = c.benchmark_group("webhook");
    group.bench_function("review", |b| b.iter(|| black_box(webhook::review(black_box(&body), &settings))));
    group.bench_function("router_oneshot", |b| b.iter(|| runtime.block_on(through_router(&router, &body))));
    group.bench_function("https_loopback", |b| b.iter(|| runtime.block_on(over_https(&client, &url, &body))));
    group.finish();

    percentiles("review", || drop(black_box(webhook::review(&body, &settings))));
    percentiles("router_oneshot", || {
        black_box(runtime.block_on(through_router(&router, &body)));
    });
    percentiles("https_loopback", || {
        black_box(runtime.block_on(over_https(&client, &url, &body)));
    });

    runtime.block_on(server.shutdown(Duration::from_secs(5))).expect("the server stops");
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
