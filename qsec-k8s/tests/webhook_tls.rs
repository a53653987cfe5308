//! The webhook over real TLS on loopback, and certificate reload.

use std::time::Duration;

use qsec_k8s::inject::InjectSettings;
use qsec_k8s::webhook::{self, ReloadingTls, TlsFiles, WebhookServer};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

/// A fresh CA and a certificate it signed for 127.0.0.1: (CA PEM, leaf PEM, key PEM).
fn certificate() -> (String, String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&leaf_key, &issuer).unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

fn client(ca: &str) -> reqwest::Client {
    reqwest::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()]).build().unwrap()
}

async fn health(client: &reqwest::Client, server: &WebhookServer) -> Result<u16, reqwest::Error> {
    let url = format!("https://{}{}", server.local_addr(), webhook::HEALTH_PATH);
    Ok(client.get(url).send().await?.status().as_u16())
}

#[tokio::test]
async fn serves_reviews_over_tls_and_reloads_a_rotated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles { cert: dir.path().join("tls.crt"), key: dir.path().join("tls.key") };
    let (first_ca, cert, key) = certificate();
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, key).unwrap();

    let tls = ReloadingTls::load(files.clone()).await.unwrap();
    let router = webhook::router(InjectSettings::default()).unwrap();
    // The watcher's own interval is out of the way: the test reloads by hand.
    let server = WebhookServer::start("127.0.0.1:0".parse().unwrap(), tls.clone(), router, Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(server.local_addr().ip().is_loopback());

    let first = client(&first_ca);
    assert_eq!(health(&first, &server).await.unwrap(), 200);
    let review = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reviews/annotated.json")).unwrap();
    let url = format!("https://{}{}", server.local_addr(), webhook::MUTATE_PATH);
    let answer: serde_json::Value = first.post(&url).body(review).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["response"]["allowed"], true);
    assert_eq!(answer["response"]["patchType"], "JSONPatch");
    assert!(!tls.reload_if_changed().await.unwrap(), "unchanged files are not reloaded");

    // Rotation: a certificate from another CA replaces the first in place.
    let (second_ca, cert, key) = certificate();
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, key).unwrap();
    assert!(tls.reload_if_changed().await.unwrap());
    assert_eq!(health(&client(&second_ca), &server).await.unwrap(), 200);
    assert!(health(&client(&first_ca), &server).await.is_err(), "the old certificate is no longer served");

    // A broken pair (caught half-written) is refused and the current one kept.
    std::fs::write(&files.key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let error = tls.reload_if_changed().await.unwrap_err().to_string();
    assert!(error.contains("still serving the previous certificate"), "{error}");
    assert_eq!(health(&client(&second_ca), &server).await.unwrap(), 200);

    server.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn unusable_certificates_and_taken_ports_fail_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles { cert: dir.path().join("tls.crt"), key: dir.path().join("tls.key") };
    let error = ReloadingTls::load(files.clone()).await.unwrap_err().to_string();
    assert!(error.starts_with("reading "), "{error}");

    let (_, cert, _) = certificate();
    let (_, _, other_key) = certificate();
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, other_key).unwrap();
    let error = ReloadingTls::load(files.clone()).await.unwrap_err().to_string();
    assert!(error.contains("cannot use it with key"), "{error}");

    let (_, cert, key) = certificate();
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, key).unwrap();
    let tls = ReloadingTls::load(files).await.unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let router = webhook::router(InjectSettings::default()).unwrap();
    let error = WebhookServer::start(taken.local_addr().unwrap(), tls, router, Duration::from_secs(3600)).await;
    assert!(error.unwrap_err().to_string().starts_with("webhook server: "));
}
