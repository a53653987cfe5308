//! Retries: transient failures (connection errors, 429, 500, 502, 503, 504)
//! are retried with backoff, bounded in count and time; nothing else is.

use std::time::{Duration, Instant};

use qsec_vault::client::RetryPolicy;
use qsec_vault::{Error, VaultClient, VaultConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

use common::mock_vault_with;

/// Tiny delays so the tests stay fast.
fn quick(max_retries: usize) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_total_time: Duration::from_secs(10),
    }
}

fn client_for(address: &str, retry: RetryPolicy) -> VaultClient {
    qsec_vault::install_crypto_provider();
    VaultClient::new(VaultConfig::new(address).unwrap().with_retry(retry)).unwrap()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_503_then_a_200_succeeds() {
    let (server, client) = mock_vault_with(Some("s.t"), quick(2)).await;
    Mock::given(path("/v1/secret/app"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({ "errors": ["Vault is sealed"] })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/secret/app"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": { "k": "v" } })))
        .mount(&server)
        .await;

    let response = client.read("secret/app").await.unwrap().unwrap();
    assert_eq!(response.data.unwrap().get_str("k"), Some("v"));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn every_transient_status_is_retried() {
    for status in [429, 500, 502, 503, 504] {
        let (server, client) = mock_vault_with(Some("s.t"), quick(3)).await;
        Mock::given(method("POST"))
            .and(path("/v1/auth/approle/login"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        let login =
            json!({ "auth": { "client_token": "s.new", "accessor": "a", "lease_duration": 60, "renewable": true } });
        Mock::given(method("POST"))
            .and(path("/v1/auth/approle/login"))
            .respond_with(ResponseTemplate::new(200).set_body_json(login))
            .mount(&server)
            .await;

        client.login_approle("approle", &"r".into(), &"s".into()).await.unwrap();
        assert_eq!(requests(&server).await, 3, "status {status}");
    }
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let (server, client) = mock_vault_with(Some("s.t"), quick(5)).await;
    Mock::given(path("/v1/secret/app"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "errors": ["missing client token"] })))
        .expect(1)
        .mount(&server)
        .await;

    let error = client.write("secret/app", &json!({ "a": 1 })).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn other_client_errors_are_not_retried_either() {
    for status in [401, 403, 404, 405, 412] {
        let (server, client) = mock_vault_with(Some("s.t"), quick(5)).await;
        Mock::given(path("/v1/secret/app"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({ "errors": ["no"] })))
            .mount(&server)
            .await;
        let error = client.write("secret/app", &json!({})).await.unwrap_err();
        assert_eq!(error.status(), Some(status));
        assert_eq!(requests(&server).await, 1, "status {status}");
    }
}

#[tokio::test]
async fn the_retry_count_is_bounded_and_the_last_error_is_reported() {
    let (server, client) = mock_vault_with(Some("s.t"), quick(2)).await;
    Mock::given(path("/v1/secret/app"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({ "errors": ["Vault is sealed"] })))
        .mount(&server)
        .await;

    let error = client.read("secret/app").await.unwrap_err();
    assert_eq!(requests(&server).await, 3, "the first attempt and two retries");
    assert_eq!(error.to_string(), r#"Vault refused read on "secret/app" with HTTP 503: Vault is sealed"#);
}

#[tokio::test]
async fn the_total_time_is_bounded() {
    let policy = RetryPolicy { max_retries: 1000, max_total_time: Duration::from_millis(300), ..quick(0) };
    let (server, client) = mock_vault_with(Some("s.t"), policy).await;
    Mock::given(path("/v1/secret/app"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(50)))
        .mount(&server)
        .await;

    let started = Instant::now();
    let error = client.read("secret/app").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert!(matches!(error, Error::Timeout { timeout, .. } if timeout == Duration::from_millis(300)), "{error:?}");
    assert!(requests(&server).await < 1000);
}

#[tokio::test]
async fn a_request_timeout_is_reported_and_not_retried() {
    qsec_vault::install_crypto_provider();
    let server = MockServer::start().await;
    let config = VaultConfig::new(&server.uri()).unwrap().with_retry(quick(3)).with_timeout(Duration::from_millis(100));
    let client = VaultClient::new(config).unwrap();
    Mock::given(path("/v1/secret/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;

    let error = client.read("secret/slow").await.unwrap_err();
    assert!(matches!(error, Error::Timeout { timeout, .. } if timeout == Duration::from_millis(100)), "{error:?}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn connection_errors_are_retried_with_backoff() {
    // A port nothing listens on: bind one, then let it go.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let backoff =
        RetryPolicy { min_delay: Duration::from_millis(40), max_delay: Duration::from_millis(40), ..quick(2) };

    let started = Instant::now();
    let error = client_for(&address, backoff).read("secret/app").await.unwrap_err();
    let with_retries = started.elapsed();
    assert!(matches!(&error, Error::Transport { path, .. } if path == "secret/app"), "{error:?}");
    assert!(error.to_string().contains("could not reach Vault"), "{error}");
    assert!(with_retries >= Duration::from_millis(80), "two backoff delays were waited: {with_retries:?}");

    let started = Instant::now();
    client_for(&address, RetryPolicy { max_retries: 0, ..backoff }).read("secret/app").await.unwrap_err();
    assert!(started.elapsed() < with_retries, "no retries, no waiting");
}
