//! The audit log has one line per decision — allowed, denied or failed —
//! saying who, what, which app and why, and never a secret value or token.

mod common;

use common::Api;
use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::{Value, json};

const RULES: &str = r#"
  - groups: [team]
    verbs: [role-id, secret-id-token, "secrets:*"]
    apps: ["aws.stg.myapp"]
"#;
const APP: &str = "aws.stg.myapp";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_is_one_line_and_no_secret_leaks() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let alice = stack.signer().token("alice", &["team", "devs"]);
    let eve = stack.signer().token("eve", &["outsiders"]);
    let secret_values = ["hunter2-top-secret", "s3cr3t-second-value", "key-with-\"quotes\""];

    let mut expected: Vec<(&str, &str, u16)> = Vec::new();
    let role_id = api.role_id(APP, &alice).await;
    expected.push(("role-id", "allowed", role_id.status));
    let token = api.secret_id_token(APP, &alice).await;
    expected.push(("secret-id-token", "allowed", token.status));
    let written = api.put_secret(APP, "db", json!({ "password": secret_values[0], "other": secret_values[2] }), &alice);
    expected.push(("secrets:write", "allowed", written.await.status));
    let second = api.put_secret(APP, "db", json!({ "password": secret_values[1] }), &alice).await;
    expected.push(("secrets:write", "allowed", second.status));
    let read = api.get_secret(APP, "db", &alice).await;
    assert_eq!(read.body["data"]["password"], secret_values[1]);
    expected.push(("secrets:read", "allowed", read.status));
    expected.push(("secrets:history", "allowed", api.versions(APP, "db", &alice).await.status));
    expected.push(("secrets:write", "allowed", api.rollback(APP, "db", 1, &alice).await.status));
    expected.push(("secrets:read", "denied", api.get_secret(APP, "db", &eve).await.status));
    expected.push(("role-id", "denied", api.role_id("aws.prod.myapp", &alice).await.status));
    expected.push(("role-id", "denied", api.role_id(APP, "not-a-token").await.status));
    let missing = api.call("POST", "/v1/apps/aws/stg/myapp/role-id", None, None).await;
    expected.push(("role-id", "denied", missing.status));
    expected.push(("secrets:write", "error", api.put_secret(APP, "BAD..NAME", json!({"k": "v"}), &alice).await.status));
    expected.push(("secrets:read", "error", api.get_secret(APP, "absent", &alice).await.status));

    let records = stack.audit_records();
    assert_eq!(records.len(), expected.len(), "one line per decision: {records:#?}");
    for (record, (verb, outcome, status)) in records.iter().zip(&expected) {
        assert_eq!(record["verb"], *verb, "{record}");
        assert_eq!(record["outcome"], *outcome, "{record}");
        assert_eq!(record["status"], *status, "{record}");
        for field in ["time", "request_id", "reason"] {
            assert!(record[field].as_str().is_some_and(|v| !v.is_empty()), "{field} in {record}");
        }
        assert!(record["app"].is_string(), "{record}");
    }
    let first = &records[0];
    assert_eq!((first["subject"].as_str(), first["groups"].clone()), (Some("alice"), json!(["team", "devs"])));
    assert_eq!(first["rule"], 0);
    assert_eq!(records[2]["secret"], "db");
    assert_eq!(records[7]["subject"], "eve");
    assert!(records[7]["reason"].as_str().unwrap().contains("no rule grants"));
    assert_eq!(records[9]["subject"], Value::Null, "an unauthenticated caller is no one");
    assert!(records[9]["reason"].as_str().unwrap().contains("not a JWT"));

    let text = std::fs::read_to_string(stack.audit_path()).unwrap();
    let mut forbidden: Vec<String> = secret_values.iter().map(|v| v.to_string()).collect();
    forbidden.push("quotes".into());
    forbidden.extend([alice.clone(), eve.clone()]);
    forbidden.push(role_id.body["role_id"].as_str().unwrap().to_owned());
    forbidden.push(token.body["token"].as_str().unwrap().to_owned());
    forbidden.push(std::fs::read_to_string(stack.config_path().with_file_name("vault-token")).unwrap());
    // A JWT's signature alone must not appear either.
    forbidden.push(alice.rsplit('.').next().unwrap().to_owned());
    for needle in &forbidden {
        assert!(!text.contains(needle.as_str()), "the audit log contains a secret: {needle}");
    }
    stack.shutdown().await;
}
