//! DevServer: MemoryVault over real HTTP on 127.0.0.1, in Vault's wire format.

use std::time::Duration;

use qsec_vault::testkit::{DevServer, MemoryVault};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

fn client() -> Client {
    qsec_vault::install_crypto_provider();
    Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

fn start() -> (MemoryVault, DevServer) {
    let vault = MemoryVault::builder().root_token("root").dev_mounts().build();
    let server = DevServer::start(vault.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    (vault, server)
}

async fn send(
    client: &Client,
    method: Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

#[tokio::test]
async fn serves_vaults_api_with_status_codes_and_error_bodies() {
    let (_vault, server) = start();
    let client = client();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_ne!(server.addr().port(), 0);

    let (status, health) = send(&client, Method::GET, format!("{}/v1/sys/health", server.url()), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["sealed"], false);

    let url = format!("{}/v1/secret/data/myapp", server.url());
    let (status, body) =
        send(&client, Method::POST, url.clone(), Some("root"), Some(json!({"data": {"k": "v"}}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["version"], 1);
    let (status, body) = send(&client, Method::GET, url.clone(), Some("root"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["data"]["k"], "v");
    let (status, body) = send(&client, Method::GET, url.clone(), None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"errors": ["permission denied"]}));
    let (status, body) =
        send(&client, Method::GET, format!("{}/v1/secret/data/none", server.url()), Some("root"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": []}));
    let (status, body) = send(&client, Method::DELETE, url, Some("root"), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = send(&client, Method::GET, format!("{}/v2/sys/health", server.url()), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A bearer token works like X-Vault-Token.
    let response = client
        .get(format!("{}/v1/auth/token/lookup-self", server.url()))
        .header("Authorization", "Bearer root")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    server.shutdown().await;
}

#[tokio::test]
async fn list_method_and_list_query_are_the_same() {
    let (vault, server) = start();
    let client = client();
    for path in ["a", "b/c"] {
        let reply = vault.handle(
            qsec_vault::testkit::memory::VaultRequest::post(format!("secret/data/{path}"), json!({"data": {"x": 1}}))
                .with_token("root"),
        );
        assert_eq!(reply.status, 200);
    }
    let list = Method::from_bytes(b"LIST").unwrap();
    let (status, by_method) =
        send(&client, list, format!("{}/v1/secret/metadata/", server.url()), Some("root"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_method["data"]["keys"], json!(["a", "b/"]));
    let (status, by_query) =
        send(&client, Method::GET, format!("{}/v1/secret/metadata/?list=true", server.url()), Some("root"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_query["data"]["keys"], by_method["data"]["keys"]);
    let log = vault.request_log();
    assert_eq!(log.last().unwrap().method, qsec_vault::testkit::memory::Method::List);
    server.shutdown().await;
}

#[tokio::test]
async fn the_wrap_header_wraps_and_unwrap_works_once() {
    let (_vault, server) = start();
    let client = client();
    let response = client
        .post(format!("{}/v1/sys/wrapping/wrap", server.url()))
        .header("X-Vault-Token", "root")
        .header("X-Vault-Wrap-TTL", "5m")
        .json(&json!({"zip": "zap"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["wrap_info"]["ttl"], 300);
    let token = body["wrap_info"]["token"].as_str().unwrap().to_owned();
    let unwrap = format!("{}/v1/sys/wrapping/unwrap", server.url());
    let (status, body) = send(&client, Method::POST, unwrap.clone(), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"zip": "zap"}));
    let (status, body) = send(&client, Method::POST, unwrap, Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"errors": ["wrapping token is not valid or does not exist"]}));
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_a_400_and_the_server_keeps_serving() {
    let (_vault, server) = start();
    let client = client();
    for bad in ["{not json", "[1,2]", "\"text\""] {
        let response = client
            .post(format!("{}/v1/secret/data/x", server.url()))
            .header("X-Vault-Token", "root")
            .header("Content-Type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0].as_str().unwrap().starts_with("failed to parse JSON input"), "{body}");
    }
    let (status, _) = send(&client, Method::GET, format!("{}/v1/sys/health", server.url()), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(&client, Method::OPTIONS, format!("{}/v1/sys/health", server.url()), None, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"errors": ["unsupported operation"]}));
    server.shutdown().await;
}

#[tokio::test]
async fn the_client_address_is_the_tcp_peer_not_x_forwarded_for() {
    let (vault, server) = start();
    let client = client();
    let root = |path: &str, body: Value| {
        vault.handle(qsec_vault::testkit::memory::VaultRequest::post(path, body).with_token("root"))
    };
    root("auth/approle/role/pod", json!({"secret_id_num_uses": 1}));
    let role_id = vault
        .handle(qsec_vault::testkit::memory::VaultRequest::get("auth/approle/role/pod/role-id").with_token("root"))
        .data()
        .unwrap()["role_id"]
        .clone();
    let secret_id =
        root("auth/approle/role/pod/secret-id", json!({"cidr_list": "10.9.9.9/32"})).data().unwrap()["secret_id"]
            .clone();
    let response = client
        .post(format!("{}/v1/auth/approle/login", server.url()))
        .header("X-Forwarded-For", "10.9.9.9")
        .json(&json!({"role_id": role_id, "secret_id": secret_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "127.0.0.1 is not in 10.9.9.9/32");
    server.shutdown().await;
}

#[tokio::test]
async fn sealed_and_faulty_vaults_answer_over_http() {
    let (vault, server) = start();
    let client = client();
    vault.faults().fail_next(1, 500);
    let (status, body) =
        send(&client, Method::GET, format!("{}/v1/sys/mounts", server.url()), Some("root"), None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["errors"].is_array());
    vault.faults().seal();
    let (status, body) =
        send(&client, Method::GET, format!("{}/v1/sys/mounts", server.url()), Some("root"), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"errors": ["Vault is sealed"]}));
    let (status, _) = send(&client, Method::GET, format!("{}/v1/sys/health", server.url()), None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) =
        send(&client, Method::PUT, format!("{}/v1/sys/unseal", server.url()), None, Some(json!({"key": "k"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sealed"], false);
    let response = client.get(format!("{}/v1/pki/ca/pem", server.url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_serving_and_serve_until_stops_on_its_signal() {
    let (_vault, server) = start();
    let url = format!("{}/v1/sys/health", server.url());
    server.shutdown().await;
    let client = Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    assert!(client.get(&url).send().await.is_err(), "nothing listens any more");

    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let vault = MemoryVault::dev();
    let task = tokio::spawn(DevServer::serve_until(vault, addr, async move {
        let _ = rx.await;
    }));
    let mut up = false;
    for _ in 0..50 {
        if client.get(format!("http://{addr}/v1/sys/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "serve_until serves");
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(DevServer::start(MemoryVault::new(), "0.0.0.0:0".parse().unwrap()).is_err(), "loopback only");
}
