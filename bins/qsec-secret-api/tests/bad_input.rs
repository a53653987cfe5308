//! Bad input gets a JSON error naming what was wrong: 400 with the rule for
//! invalid app references, secret names and bodies; 404 for unknown apps
//! and endpoints; 413 for bodies over the limit.

mod common;

use common::Api;
use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::json;

const RULES: &str = r#"
  - groups: [platform]
    verbs: ["*"]
    apps: ["*"]
"#;

async fn bad_request(api: &Api, method: &str, path: &str, token: &str, body: Option<serde_json::Value>, rule: &str) {
    let answer = api.call(method, path, Some(token), body).await;
    assert_eq!(answer.status, 400, "{method} {path}: {answer:?}");
    assert_eq!(answer.body["error"], "bad_request", "{answer:?}");
    assert_eq!(answer.body["rule"], rule, "{method} {path}: {answer:?}");
    assert!(answer.body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_400_naming_the_rule() {
    let mut options = StackOptions::with_rules(RULES);
    options.max_body_bytes = 1024;
    let stack = TestStack::start(options).await;
    let api = Api::new(&stack.url());
    let admin = stack.signer().token("root-ann", &["platform"]);
    assert_eq!(api.role_id("aws.stg.myapp", &admin).await.status, 200);

    for app in ["AWS/stg/myapp", "aws/stg/my_app", "aws/stg.x/myapp", "aws/stg/-app", "aws/st%20g/app"] {
        bad_request(&api, "POST", &format!("/v1/apps/{app}/role-id"), &admin, None, "app reference").await;
    }
    let secret = |name: &str| format!("/v1/apps/aws/stg/myapp/secrets/{name}");
    for name in ["Db", "a..b", ".env", "a%2Fb", "sp%20ace", &"x".repeat(129)] {
        bad_request(&api, "GET", &secret(name), &admin, None, "secret name").await;
    }
    for body in [json!([1, 2]), json!("text"), json!({}), json!({ "k": null }), json!({ "": "v" })] {
        bad_request(&api, "PUT", &secret("db"), &admin, Some(body), "secret data").await;
    }
    bad_request(&api, "GET", &format!("{}?version=latest", secret("db")), &admin, None, "version").await;
    bad_request(&api, "POST", &format!("{}/rollback", secret("db")), &admin, Some(json!({})), "rollback body").await;
    bad_request(
        &api,
        "POST",
        &format!("{}/rollback", secret("db")),
        &admin,
        Some(json!({"version": 0})),
        "rollback body",
    )
    .await;

    let huge = json!({ "blob": "x".repeat(4096) });
    let too_large = api.call("PUT", &secret("db"), Some(&admin), Some(huge)).await;
    assert_eq!(too_large.status, 413, "{too_large:?}");
    assert_eq!(too_large.body["error"], "payload_too_large");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_apps_and_endpoints_are_404_and_wrong_methods_405() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let admin = stack.signer().token("root-ann", &["platform"]);
    for (method, path) in [
        ("POST", "/v1/apps/aws/stg/ghost/secret-id-token"),
        ("GET", "/v1/apps/aws/stg/ghost/secrets/db"),
        ("GET", "/v1/apps/aws/stg/ghost/secrets/db/versions"),
    ] {
        let answer = api.call(method, path, Some(&admin), None).await;
        assert_eq!(answer.status, 404, "{path}: {answer:?}");
        assert_eq!(answer.body["error"], "not_found");
    }
    let nowhere = api.call("GET", "/v1/nowhere", Some(&admin), None).await;
    assert_eq!((nowhere.status, nowhere.body["error"].as_str()), (404, Some("not_found")));
    let wrong_method = api.call("GET", "/v1/apps/aws/stg/myapp/role-id", Some(&admin), None).await;
    assert_eq!((wrong_method.status, wrong_method.body["error"].as_str()), (405, Some("method_not_allowed")));
    stack.shutdown().await;
}
