//! `VaultConfig` and how the client applies it: headers from the
//! environment, address prefixes, setting errors, and TLS (custom CA,
//! client certificate, server name override) against a loopback rustls
//! server.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use qsec_vault::client::{Pem, RetryPolicy};
use qsec_vault::{Error, VaultClient, VaultConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

// Test-only PKI, valid 2020-2120: a CA, a server certificate for
// vault.qsec.test, and a client certificate. Generated with openssl; the
// keys protect nothing.
const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBYTCCAQegAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxxc2VjIHRl
c3QgQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBcxFTATBgNV
BAMMDHFzZWMgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABD0stcSA
kj6fIIAhHXKrge8SVMp0HtqtgMj4jEheOMHetj4gJPLaGCsmQtbCli0248M9Boak
yQl9F0PW27/6WDejQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEG
MB0GA1UdDgQWBBTikQMS4n57+Mc4tkOqkamH1TN1HDAKBggqhkjOPQQDAgNIADBF
AiEAlhKw/1t8mDkDPdAN68oCGYx8YyRUBKlhjHWDMdWEpGMCIBqdNN9Ikom+c0yS
QyBducxnkPX85Q0Ebhcug2ND/k+Z
-----END CERTIFICATE-----
";
const SERVER_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBsTCCAVigAwIBAgIBAjAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxxc2VjIHRl
c3QgQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBoxGDAWBgNV
BAMMD3ZhdWx0LnFzZWMudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFb
r9sOD+Ldow4/pMFUhSYUAQFazzbuOm/Eg3i8sTmrHFMev9mCASBIdoTKg9cC2yH5
0vVy+viH+cMl5i/gFlSjgY8wgYwwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCB4Aw
EwYDVR0lBAwwCgYIKwYBBQUHAwEwGgYDVR0RBBMwEYIPdmF1bHQucXNlYy50ZXN0
MB8GA1UdIwQYMBaAFOKRAxLifnv4xzi2Q6qRqYfVM3UcMB0GA1UdDgQWBBQzWC23
cMu4dxNLI/n++f+KtPqV/DAKBggqhkjOPQQDAgNHADBEAiAzEhw5n73pU9qSdx6x
MjsqT4QTNO2JEmjC3cQp0+zkOgIgMKGDUvy2U7uY4/V76+bDEWxsJcRxqbbiIAFH
MAVAW1o=
-----END CERTIFICATE-----
";
const SERVER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0fovDbDPoxbRXFmt
b5J6uMmU6pJhcVBgqwUDvEklow2hRANCAAQBW6/bDg/i3aMOP6TBVIUmFAEBWs82
7jpvxIN4vLE5qxxTHr/ZggEgSHaEyoPXAtsh+dL1cvr4h/nDJeYv4BZU
-----END PRIVATE KEY-----
";
const CLIENT_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIBAzAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxxc2VjIHRl
c3QgQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBYxFDASBgNV
BAMMC3FzZWMgY2xpZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFI/3i3Md
MmmHhOGDxbF72x15i1Il9cNYzxeXMg/6dQBqo4Z17E/WGKYgWmJLyjbLRWiU9c9/
u23CPvgz3yN5VqNyMHAwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0l
BAwwCgYIKwYBBQUHAwIwHwYDVR0jBBgwFoAU4pEDEuJ+e/jHOLZDqpGph9UzdRww
HQYDVR0OBBYEFEFv2rVWQbkTEXHbBVuV7QPO4XoCMAoGCCqGSM49BAMCA0cAMEQC
IBNIs0NjAPY8bEpN7IajVbM7+fyBqVVFpJKX8qm9Gt5OAiBFjTSCsJEMsNdhmmbB
1ENNdZjlGZj982zRTS4tuc1Rvw==
-----END CERTIFICATE-----
";
const CLIENT_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2N75N9kU7Q00Y/ui
Oey226BmFsEjZJXOroXemLPYPn6hRANCAAQUj/eLcx0yaYeE4YPFsXvbHXmLUiX1
w1jPF5cyD/p1AGqjhnXsT9YYpiBaYkvKNstFaJT1z3+7bcI++DPfI3lW
-----END PRIVATE KEY-----
";

/// What the TLS server saw of one connection.
#[derive(Debug)]
struct Seen {
    sni: Option<String>,
    client_certificate: bool,
    request_line: String,
}

/// An HTTPS server on loopback that requires a client certificate from the
/// test CA and answers `sys/health`; it reports each connection it accepts.
fn tls_server() -> (SocketAddr, mpsc::Receiver<Seen>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(CA.as_bytes()).unwrap()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(SERVER_CERT.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, receiver) = mpsc::channel();
    // The thread ends when the test drops the receiver and a connection comes.
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            if sender.send(serve(&config, tcp)).is_err() {
                return;
            }
        }
    });
    (address, receiver)
}

fn serve(config: &Arc<rustls::ServerConfig>, tcp: std::net::TcpStream) -> Seen {
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config.clone()).unwrap(), tcp);
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    if !request.is_empty() {
        let body = json!({ "initialized": true, "sealed": false, "standby": false, "version": "2.0.0" }).to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = tls.write_all(answer.as_bytes()).and_then(|()| tls.flush());
    }
    Seen {
        sni: tls.conn.server_name().map(str::to_owned),
        client_certificate: tls.conn.peer_certificates().is_some_and(|certs| !certs.is_empty()),
        request_line: String::from_utf8_lossy(&request).lines().next().unwrap_or_default().to_owned(),
    }
}

fn tls_config(address: SocketAddr, dir: &std::path::Path) -> VaultConfig {
    qsec_vault::install_crypto_provider();
    std::fs::write(dir.join("client.pem"), CLIENT_CERT).unwrap();
    std::fs::write(dir.join("client.key"), CLIENT_KEY).unwrap();
    VaultConfig::new(&format!("https://127.0.0.1:{}", address.port()))
        .unwrap()
        .with_retry(RetryPolicy::none())
        .with_ca_cert(Pem::Bytes(CA.as_bytes().to_vec()))
        .with_client_identity(Pem::File(dir.join("client.pem")), Pem::File(dir.join("client.key")))
}

#[tokio::test]
async fn tls_trusts_the_configured_ca_presents_the_client_certificate_and_overrides_the_server_name() {
    let (address, seen) = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let client = VaultClient::new(tls_config(address, dir.path()).with_tls_server_name("vault.qsec.test")).unwrap();

    let health = client.health().await.unwrap();
    assert_eq!((health.status, health.version.as_str()), (200, "2.0.0"));
    let seen = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(seen.sni.as_deref(), Some("vault.qsec.test"));
    assert!(seen.client_certificate, "{seen:?}");
    assert_eq!(seen.request_line, "GET /v1/sys/health?standbyok=true HTTP/1.1");
    assert_eq!(client.address().as_str(), format!("https://127.0.0.1:{}/", address.port()), "the configured address");
}

#[tokio::test]
async fn tls_without_the_server_name_override_rejects_a_certificate_for_another_name() {
    let (address, seen) = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let retrying = RetryPolicy {
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    let client = VaultClient::new(tls_config(address, dir.path()).with_retry(retrying)).unwrap();

    let error = client.health().await.unwrap_err();
    assert!(matches!(&error, Error::Transport { path, .. } if path == "sys/health"), "{error:?}");
    assert!(error.to_string().contains("certificate"), "{error}");
    let attempt = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(attempt.request_line.is_empty(), "no request was sent: {attempt:?}");
    assert!(seen.recv_timeout(Duration::from_millis(200)).is_err(), "a refused certificate is not retried");
}

#[tokio::test]
async fn unusable_tls_material_is_a_config_error_naming_the_setting() {
    qsec_vault::install_crypto_provider();
    let base = || VaultConfig::new("https://127.0.0.1:8200").unwrap();
    let setting_of = |config: VaultConfig| match VaultClient::new(config) {
        Err(Error::Config { setting, reason }) => (setting, reason),
        other => panic!("expected a config error, got {other:?}"),
    };

    let (setting, reason) = setting_of(base().with_ca_cert(Pem::File("/nonexistent/ca.pem".into())));
    assert_eq!(setting, "ca_cert");
    assert!(reason.contains("/nonexistent/ca.pem"), "{reason}");
    let (setting, reason) = setting_of(base().with_ca_cert(Pem::Bytes(b"not a certificate".to_vec())));
    assert_eq!(setting, "ca_cert");
    assert!(reason.contains("PEM"), "{reason}");
    let (setting, _) =
        setting_of(base().with_client_identity(Pem::Bytes(b"junk".to_vec()), Pem::Bytes(b"junk".to_vec())));
    assert_eq!(setting, "client_cert");
    let mut half = base();
    half.client_cert = Some(Pem::Bytes(CLIENT_CERT.as_bytes().to_vec()));
    assert_eq!(setting_of(half).0, "client_key");
    let (setting, _) = setting_of(base().with_namespace("bad\nnamespace"));
    assert_eq!(setting, "namespace");
}

#[tokio::test]
async fn a_client_from_the_environment_sends_token_namespace_and_request_headers() {
    qsec_vault::install_crypto_provider();
    let server = MockServer::start().await;
    let env = HashMap::from([
        ("VAULT_ADDR", server.uri()),
        ("VAULT_TOKEN", "s.from-env".to_owned()),
        ("VAULT_NAMESPACE", "ns1/ns2/".to_owned()),
        ("VAULT_MAX_RETRIES", "0".to_owned()),
    ]);
    let config = VaultConfig::from_lookup(|name| env.get(name).cloned()).unwrap();
    let client = VaultClient::new(config).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/secret/foo"))
        .and(header("x-vault-token", "s.from-env"))
        .and(header("x-vault-namespace", "ns1/ns2/"))
        .and(header("x-vault-request", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": { "value": "bar" } })))
        .expect(1)
        .mount(&server)
        .await;

    let response = client.read("secret/foo").await.unwrap().unwrap();
    assert_eq!(response.data.unwrap().get_str("value"), Some("bar"));
    let debug = format!("{client:?}");
    assert!(!debug.contains("s.from-env") && debug.contains("has_token: true"), "{debug}");
}

#[tokio::test]
async fn an_address_with_a_path_keeps_it_before_v1_and_paths_may_carry_a_query() {
    qsec_vault::install_crypto_provider();
    let server = MockServer::start().await;
    let config = VaultConfig::new(&format!("{}/vault/", server.uri())).unwrap().with_retry(RetryPolicy::none());
    let client = VaultClient::new(config).unwrap();
    Mock::given(method("LIST"))
        .and(path("/vault/v1/secret/my%20dir/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": { "keys": ["a"] } })))
        .expect(1)
        .mount(&server)
        .await;

    Mock::given(method("GET"))
        .and(path("/vault/v1/secret/data/app"))
        .and(query_param("version", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": { "data": {} } })))
        .expect(1)
        .mount(&server)
        .await;

    let listed = client.list("secret/my dir/").await.unwrap().unwrap();
    assert_eq!(listed.keys(), ["a"]);
    assert!(client.read("secret/data/app?version=3").await.unwrap().is_some(), "a query in the path stays a query");
}
