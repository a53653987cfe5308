//! One delivery at a time, no listening after acceptance, and the deadline.

use std::time::Duration;

use crate::support::{self, GatedProxy, Harness, Init, PATIENCE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_delivery_gets_409_while_processing_and_a_refused_connection_after() {
    let h = Harness::start().await;
    let mut proxy = GatedProxy::start(h.server.addr()).await;
    let mut init = Init::spawn(h.command(&proxy.url));
    let addr = init.listening().await;
    let client = support::http();

    let (first, _) = h.secret_id(false).await;
    let first = tokio::spawn({
        let client = client.clone();
        async move { support::post(&client, addr, "application/json", first).await }
    });
    // qsec-init is now logging in, held at the proxy.
    proxy.arrival().await;
    assert_eq!(support::health(&client, addr).await, (200, serde_json::json!({ "status": "processing" })));
    let (second, _) = h.secret_id(false).await;
    let (status, answer) = support::post(&client, addr, "application/json", second.clone()).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"], "a SecretID delivery is already being processed");

    proxy.open();
    let (status, answer) = first.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    // The listener closes as the answer goes out: until it has, a delivery
    // gets 409 (or, caught in the closing, its connection is dropped
    // unanswered); after, the connection is refused.
    let refused = tokio::time::timeout(PATIENCE, async {
        loop {
            let sent = client
                .post(format!("http://{addr}/v1/secret-id"))
                .header("content-type", "application/json")
                .body(second.clone())
                .send()
                .await;
            match sent {
                Err(error) if error.is_connect() => return,
                Err(error) => assert!(error.is_request(), "expected 409 or no answer, got {error}"),
                Ok(response) => assert_eq!(response.status().as_u16(), 409),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "qsec-init kept listening after accepting a SecretID");
    let (status, stderr) = init.finish().await;
    assert!(status.success(), "{status}; stderr:\n{stderr}");
    assert_eq!(h.published(), ["app.yml", "local.yml"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_id_before_the_deadline_exits_non_zero_with_one_line() {
    let h = Harness::start().await;
    let mut command = h.command(&h.server.url());
    command.env("QSEC_WAIT_TIMEOUT", "1s");
    let mut init = Init::spawn(command);
    init.listening().await;
    let (status, stderr) = init.finish().await;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    let line = support::last_line(&stderr);
    assert!(line.starts_with("qsec-init: no SecretID was delivered within 1s; check that qsec-controller"), "{line}");
    assert!(h.published().is_empty());
    assert!(!h.lease_dir().join(qsec_vault::LEASE_FILE_NAME).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_delivery_is_refused_the_deadline_line_says_why() {
    let h = Harness::start().await;
    let mut command = h.command(&h.server.url());
    command.env("QSEC_WAIT_TIMEOUT", "5s").env("QSEC_ROLE_ID", "a-role-id-from-another-app");
    let mut init = Init::spawn(command);
    let addr = init.listening().await;
    let (body, _) = h.secret_id(false).await;
    let (status, answer) = support::post(&support::http(), addr, "application/json", body).await;
    assert_eq!(status, 403, "{answer}");
    let (status, stderr) = init.finish().await;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    let line = support::last_line(&stderr);
    assert!(
        line.starts_with("qsec-init: no SecretID was accepted within 5s; the last delivery: AppRole login was refused"),
        "{line}"
    );
    assert!(line.contains("check the RoleID baked into the image"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_vault_ends_the_wait_with_one_line() {
    let h = Harness::start().await;
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut command = h.command(&format!("http://{closed}"));
    command.env("VAULT_MAX_RETRIES", "1");
    let mut init = Init::spawn(command);
    let addr = init.listening().await;
    let (body, _) = h.secret_id(false).await;
    let (status, answer) = support::post(&support::http(), addr, "application/json", body).await;
    assert_eq!(status, 503, "{answer}");
    let (status, stderr) = init.finish().await;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    let line = support::last_line(&stderr);
    assert!(line.starts_with("qsec-init: Vault is unavailable for AppRole login: "), "{line}");
    assert!(
        line.ends_with("check VAULT_ADDR, VAULT_CACERT, the network path to Vault and that Vault is unsealed"),
        "{line}"
    );
}

#[tokio::test]
async fn settings_errors_are_one_line_with_exit_code_2() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_qsec-init"))
        .env_clear()
        .args(["--app", "aws.stg.myapp", "--config-source", "/nonexistent/config"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        support::last_line(&stderr),
        "qsec-init: invalid setting --config-source: /nonexistent/config is not a directory; bake the app's config/ into the image there"
    );
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_qsec-init")).env_clear().output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("qsec-init: invalid settings: ") && stderr.contains("--app"), "{stderr}");
}
