//! Vault down, sealed or too slow: 503 with a JSON body, never a hang past
//! the request timeout; `/readyz` says so while `/healthz` stays up.

mod common;

use std::time::Duration;

use common::Api;
use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::json;

const RULES: &str = r#"
  - groups: [platform]
    verbs: ["*"]
    apps: ["*"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_vault_gives_503_and_not_ready() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let token = stack.signer().token("root-ann", &["platform"]);
    let api = Api::new(&stack.url());
    assert_eq!(api.call("GET", "/readyz", None, None).await.status, 200);

    let server = stack.stop_vault().await;
    let answer = api.role_id("aws.stg.myapp", &token).await;
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.body["error"], "vault_unavailable");
    let secret = api.put_secret("aws.stg.myapp", "db", json!({ "k": "v" }), &token).await;
    assert_eq!(secret.status, 503, "{secret:?}");
    let ready = api.call("GET", "/readyz", None, None).await;
    assert_eq!((ready.status, ready.body["status"].as_str()), (503, Some("not ready")));
    assert_eq!(api.call("GET", "/healthz", None, None).await.status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_sealed_vault_gives_503_within_the_request_timeout() {
    let mut options = StackOptions::with_rules(RULES);
    options.request_timeout = 1;
    let stack = TestStack::start(options).await;
    let token = stack.signer().token("root-ann", &["platform"]);
    let api = Api::new(&stack.url());
    assert_eq!(api.role_id("aws.stg.myapp", &token).await.status, 200);

    // Vault answers after 5 s; the client below gives up after 4 s, so a
    // 503 here means the service answered by its own 1 s deadline.
    stack.vault().faults().set_latency(Duration::from_secs(5));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(4)).build().unwrap();
    let response = http
        .post(format!("{}/v1/apps/aws/stg/myapp/secret-id-token", stack.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the service answers before the client's deadline");
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "vault_unavailable");
    stack.vault().faults().clear();

    stack.vault().faults().seal();
    let sealed = api.secret_id_token("aws.stg.myapp", &token).await;
    assert_eq!(sealed.status, 503, "{sealed:?}");
    assert_eq!(api.call("GET", "/readyz", None, None).await.status, 503);
    stack.vault().faults().unseal();
    assert_eq!(api.secret_id_token("aws.stg.myapp", &token).await.status, 200);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_decisions_and_vault_latency() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let token = stack.signer().token("root-ann", &["platform"]);
    let api = Api::new(&stack.url());
    assert_eq!(api.role_id("aws.stg.myapp", &token).await.status, 200);
    assert_eq!(api.role_id("aws.stg.myapp", "bad").await.status, 401);
    let metrics = api.call("GET", "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.body.as_str().unwrap();
    let route = "route=\"/v1/apps/{provider}/{cluster}/{app}/role-id\",method=\"POST\"";
    assert!(text.contains(&format!("qsec_secret_api_requests_total{{{route},status=\"200\"}} 1")), "{text}");
    assert!(text.contains(&format!("qsec_secret_api_requests_total{{{route},status=\"401\"}} 1")), "{text}");
    assert!(text.contains("qsec_secret_api_decisions_total{verb=\"role-id\",outcome=\"denied\"} 1"), "{text}");
    assert!(text.contains("qsec_secret_api_vault_request_duration_seconds_count{operation=\"read\"}"), "{text}");
    assert!(!text.contains("myapp"), "no app names in labels");
    stack.shutdown().await;
}
