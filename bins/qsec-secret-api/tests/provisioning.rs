//! The full provisioning path against the dev Vault, with the service
//! holding a token of exactly the documented policy: role-id twice
//! (idempotent), then a get-secret-id token that can create SecretIDs for
//! its app and for no other.

mod common;

use common::Api;
use qsec_secret_api::testkit::{ROOT_TOKEN, StackOptions, TestStack};
use qsec_vault::testkit::memory::VaultRequest;
use qsec_vault::{VaultClient, VaultConfig};
use serde_json::json;

const RULES: &str = r#"
  - groups: [deployers]
    verbs: [role-id]
    apps: ["*"]
  - subjects: [controller]
    verbs: [secret-id-token]
    apps: ["*"]
"#;

fn vault_as(stack: &TestStack, token: &str) -> VaultClient {
    let client = VaultClient::new(VaultConfig::new(&stack.vault_url()).unwrap()).unwrap();
    client.set_token(token.into());
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_id_provisions_once_and_the_token_creates_secret_ids_for_its_app_only() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let deployer = stack.signer().token("dana", &["deployers"]);
    let controller = stack.signer().token("controller", &[]);

    let first = api.role_id("aws.stg.myapp", &deployer).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["role_name"], "aws.stg.myapp");
    let changes: Vec<&str> = first.body["changes"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert_eq!(changes.len(), 4, "policies, AppRole and token role created: {changes:?}");
    let role_id = first.body["role_id"].as_str().unwrap().to_owned();

    let second = api.role_id("aws.stg.myapp", &deployer).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["role_id"], role_id.as_str(), "the same RoleID");
    assert_eq!(second.body["changes"], json!([]), "nothing written the second time");

    let root = vault_as(&stack, ROOT_TOKEN);
    let approle = root.read("auth/approle/role/aws.stg.myapp").await.unwrap().unwrap();
    assert_eq!(approle.data.unwrap().expose_secret()["secret_id_num_uses"], 1);
    let policy = root.read("sys/policies/acl/secret-api/read-aws.stg.myapp").await.unwrap().unwrap();
    let hcl = policy.data.unwrap().expose_secret()["policy"].as_str().unwrap().to_owned();
    assert!(hcl.contains(r#"path "secret/data/myapp/*""#), "the read policy uses kv v2 paths:\n{hcl}");
    assert!(root.read("auth/token/roles/getsecretid-aws.stg.myapp").await.unwrap().is_some());

    // Another app, for the token to be refused on.
    assert_eq!(api.role_id("aws.stg.other", &deployer).await.status, 200);

    let answer = api.secret_id_token("aws.stg.myapp", &controller).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["policies"], json!(["secret-api/getsecretid-aws.stg.myapp"]), "only that policy");
    assert_eq!(answer.body["secret_id_path"], "auth/approle/role/aws.stg.myapp/secret-id");
    let ttl = answer.body["ttl"].as_u64().unwrap();
    assert!(ttl > 0 && ttl <= 300, "short-lived: {ttl}");
    assert!(answer.body["accessor"].as_str().is_some_and(|a| !a.is_empty()));

    let as_controller = vault_as(&stack, answer.body["token"].as_str().unwrap());
    let issued = as_controller.write("auth/approle/role/aws.stg.myapp/secret-id", &json!({})).await.unwrap().unwrap();
    assert!(issued.data.unwrap().get_str("secret_id").is_some_and(|s| !s.is_empty()));
    let other = as_controller.write("auth/approle/role/aws.stg.other/secret-id", &json!({})).await.unwrap_err();
    assert!(other.is_permission_denied(), "{other}");
    let role_id_read = as_controller.read("auth/approle/role/aws.stg.myapp/role-id").await.unwrap_err();
    assert!(role_id_read.is_permission_denied(), "the controller never sees a RoleID: {role_id_read}");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_approle_is_provisioned_again_despite_the_cache() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let deployer = stack.signer().token("dana", &["deployers"]);
    let before = api.role_id("aws.stg.myapp", &deployer).await;
    assert_eq!(before.status, 200);

    let deleted = stack.vault().handle(VaultRequest::delete("auth/approle/role/aws.stg.myapp").with_token(ROOT_TOKEN));
    assert!(deleted.is_success());
    let after = api.role_id("aws.stg.myapp", &deployer).await;
    assert_eq!(after.status, 200, "{after:?}");
    assert_eq!(after.body["changes"], json!(["AppRole aws.stg.myapp"]));
    assert_ne!(after.body["role_id"], before.body["role_id"], "a new AppRole has a new RoleID");
    let root = vault_as(&stack, ROOT_TOKEN);
    let live = root.read("auth/approle/role/aws.stg.myapp/role-id").await.unwrap().unwrap();
    assert_eq!(live.data.unwrap().expose_secret()["role_id"], after.body["role_id"]);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unprovisioned_app_has_no_secret_id_token() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let controller = stack.signer().token("controller", &[]);
    let answer = api.secret_id_token("aws.stg.never", &controller).await;
    assert_eq!(answer.status, 404, "{answer:?}");
    assert_eq!(answer.body["error"], "not_found");
    assert!(answer.body["message"].as_str().unwrap().contains("not provisioned"));
    stack.shutdown().await;
}
