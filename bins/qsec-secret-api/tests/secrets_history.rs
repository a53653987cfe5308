//! Secrets with history: set, set again by someone else, the history names
//! both authors, a rollback restores the old values as a new version.

mod common;

use common::Api;
use qsec_secret_api::testkit::{ROOT_TOKEN, StackOptions, TestStack};
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::json;

const RULES: &str = r#"
  - groups: [team]
    verbs: [role-id, "secrets:*"]
    apps: ["aws.stg.myapp"]
"#;
const APP: &str = "aws.stg.myapp";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_shows_authors_and_rollback_restores_old_values() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let alice = stack.signer().token("alice", &["team"]);
    let bob = stack.signer().es256_token("bob", &["team"]);
    let carol = stack.signer().token("carol", &["team"]);
    assert_eq!(api.role_id(APP, &alice).await.status, 200);

    let v1 = api.put_secret(APP, "db", json!({ "username": "app", "password": "first-pw" }), &alice).await;
    assert_eq!(v1.status, 200, "{v1:?}");
    assert_eq!((v1.body["version"].as_u64(), v1.body["author"].as_str()), (Some(1), Some("alice")));
    let v2 = api.put_secret(APP, "db", json!({ "username": "app", "password": "second-pw" }), &bob).await;
    assert_eq!((v2.body["version"].as_u64(), v2.body["author"].as_str()), (Some(2), Some("bob")));

    let latest = api.get_secret(APP, "db", &alice).await;
    assert_eq!(latest.status, 200);
    assert_eq!(latest.body["data"], json!({ "username": "app", "password": "second-pw" }));
    assert_eq!((latest.body["version"].as_u64(), latest.body["author"].as_str()), (Some(2), Some("bob")));
    let old = api.call("GET", "/v1/apps/aws/stg/myapp/secrets/db?version=1", Some(&alice), None).await;
    assert_eq!(old.body["data"]["password"], "first-pw");

    let history = api.versions(APP, "db", &alice).await;
    assert_eq!(history.status, 200);
    assert_eq!(history.body["current_version"], 2);
    let versions = history.body["versions"].as_array().unwrap();
    let summary: Vec<(u64, &str, bool)> = versions
        .iter()
        .map(|v| (v["version"].as_u64().unwrap(), v["author"].as_str().unwrap(), v["deleted"].as_bool().unwrap()))
        .collect();
    assert_eq!(summary, [(2, "bob", false), (1, "alice", false)]);
    assert!(versions.iter().all(|v| v["created_time"].as_str().is_some_and(|t| !t.is_empty())));
    assert!(!history.body.to_string().contains("-pw"), "history never shows values");

    let rolled = api.rollback(APP, "db", 1, &carol).await;
    assert_eq!(rolled.status, 200, "{rolled:?}");
    assert_eq!(rolled.body["version"], 3);
    assert_eq!(rolled.body["restored_from"], 1);
    let now = api.get_secret(APP, "db", &alice).await;
    assert_eq!(now.body["data"], json!({ "username": "app", "password": "first-pw" }));
    assert_eq!((now.body["version"].as_u64(), now.body["author"].as_str()), (Some(3), Some("carol")));
    let history = api.versions(APP, "db", &alice).await;
    assert_eq!(history.body["versions"][0]["author"], "carol");
    assert_eq!(history.body["versions"][0]["restored_from"], 1);

    // Stored where the layout says: kv v2, the app's own area.
    let raw = stack.vault().handle(VaultRequest::get("secret/data/myapp/db").with_token(ROOT_TOKEN));
    assert_eq!(raw.data().unwrap()["data"]["password"], "first-pw");
    assert_eq!(raw.data().unwrap()["metadata"]["custom_metadata"]["author.v3"], "carol");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_versions_show_in_history_and_cannot_be_restored() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let alice = stack.signer().token("alice", &["team"]);
    assert_eq!(api.role_id(APP, &alice).await.status, 200);
    for password in ["one", "two"] {
        assert_eq!(api.put_secret(APP, "api-key", json!({ "key": password }), &alice).await.status, 200);
    }
    let delete = VaultRequest::post("secret/delete/myapp/api-key", json!({ "versions": [1] })).with_token(ROOT_TOKEN);
    assert!(stack.vault().handle(delete).is_success());

    let history = api.versions(APP, "api-key", &alice).await;
    assert_eq!(history.body["versions"][1]["deleted"], true);
    assert_eq!(history.body["versions"][0]["deleted"], false);
    let rollback = api.rollback(APP, "api-key", 1, &alice).await;
    assert_eq!(rollback.status, 404, "{rollback:?}");
    let missing = api.rollback(APP, "api-key", 9, &alice).await;
    assert_eq!(missing.status, 404);
    assert_eq!(api.get_secret(APP, "nothing-here", &alice).await.status, 404);
    assert_eq!(api.versions(APP, "nothing-here", &alice).await.status, 404);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_of_an_unprovisioned_app_are_404() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let alice = stack.signer().token("alice", &["team"]);
    let answer = api.put_secret(APP, "db", json!({ "password": "x" }), &alice).await;
    assert_eq!(answer.status, 404, "{answer:?}");
    assert!(answer.body["message"].as_str().unwrap().contains("not provisioned"));
    stack.shutdown().await;
}
