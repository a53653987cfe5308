//! MemoryVault: ACL policies, stored (`sys/policies/acl`, `sys/policy`) and
//! enforced on every request.

use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::memory::{Method, VaultRequest};
use serde_json::{Value, json};

mod common;

use common::memory::{dev_vault, get, post};

fn token_with(vault: &MemoryVault, policies: &[&str]) -> String {
    let reply = post(vault, "root", "auth/token/create", json!({"policies": policies}));
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned()
}

fn put_policy(vault: &MemoryVault, name: &str, hcl: &str) {
    let reply = post(vault, "root", &format!("sys/policies/acl/{name}"), json!({"policy": hcl}));
    assert_eq!(reply.status, 204, "{reply:?}");
}

#[test]
fn policies_are_stored_read_listed_and_deleted() {
    let vault = dev_vault();
    put_policy(&vault, "secret-api/read-aws.stg.myapp", r#"path "secret/data/myapp/*" { capabilities = ["read"] }"#);
    let read = get(&vault, "root", "sys/policies/acl/secret-api/read-aws.stg.myapp");
    assert_eq!(read.status, 200);
    let body = read.body.unwrap();
    assert_eq!(body["data"]["name"], "secret-api/read-aws.stg.myapp");
    assert!(body["data"]["policy"].as_str().unwrap().contains("secret/data/myapp/*"));
    assert_eq!(body["name"], body["data"]["name"], "sys answers repeat data at the top level");

    let list = vault.handle(VaultRequest::list("sys/policies/acl").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["default", "root", "secret-api/read-aws.stg.myapp"]));
    let legacy = get(&vault, "root", "sys/policy");
    assert_eq!(legacy.body.unwrap()["policies"], json!(["default", "root", "secret-api/read-aws.stg.myapp"]));
    let legacy_read = get(&vault, "root", "sys/policy/secret-api/read-aws.stg.myapp");
    assert!(legacy_read.data().unwrap()["rules"].as_str().unwrap().contains("secret/data/myapp/*"));

    let delete =
        vault.handle(VaultRequest::delete("sys/policies/acl/secret-api/read-aws.stg.myapp").with_token("root"));
    assert_eq!(delete.status, 204);
    assert_eq!(get(&vault, "root", "sys/policies/acl/secret-api/read-aws.stg.myapp").status, 404);
    let again = vault.handle(VaultRequest::delete("sys/policies/acl/secret-api/read-aws.stg.myapp").with_token("root"));
    assert_eq!(again.status, 204, "deleting is idempotent");
}

#[test]
fn built_in_policies_are_protected_and_bad_policies_refused() {
    let vault = dev_vault();
    let root =
        post(&vault, "root", "sys/policies/acl/root", json!({"policy": "path \"x\" { capabilities = [\"read\"] }"}));
    assert_eq!(root.errors(), ["cannot update \"root\" policy"]);
    let default = vault.handle(VaultRequest::delete("sys/policies/acl/default").with_token("root"));
    assert_eq!(default.errors(), ["cannot delete \"default\" policy"]);
    let bad = post(&vault, "root", "sys/policies/acl/bad", json!({"policy": "path \"x\" { capabilities = "}));
    assert_eq!(bad.status, 400);
    assert!(bad.errors()[0].starts_with("failed to parse policy"), "{bad:?}");
    let empty = post(&vault, "root", "sys/policies/acl/empty", json!({}));
    assert_eq!(empty.status, 400);
    let default_text =
        get(&vault, "root", "sys/policies/acl/default").data().unwrap()["policy"].as_str().unwrap().to_owned();
    assert!(default_text.contains("auth/token/lookup-self"));
}

#[test]
fn policy_check_and_set() {
    let vault = dev_vault();
    let hcl = r#"path "a" { capabilities = ["read"] }"#;
    assert_eq!(post(&vault, "root", "sys/policies/acl/p", json!({"policy": hcl, "cas": -1})).status, 204);
    let clash = post(&vault, "root", "sys/policies/acl/p", json!({"policy": hcl, "cas": -1}));
    assert_eq!(clash.errors(), ["check-and-set parameter did not match the current version"]);
    let version = get(&vault, "root", "sys/policies/acl/p").data().unwrap()["version"].as_i64().unwrap();
    assert_eq!(post(&vault, "root", "sys/policies/acl/p", json!({"policy": hcl, "cas": version})).status, 204);
}

#[test]
fn a_read_policy_reads_its_paths_and_nothing_else() {
    let vault = MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .seed_secret("secret/myapp/db", json!({"password": "p1"}))
        .seed_secret("secret/other/db", json!({"password": "p2"}))
        .policy("myapp-read", r#"path "secret/data/myapp/*" { capabilities = ["read"] }"#)
        .build();
    let token = token_with(&vault, &["myapp-read"]);
    let read = get(&vault, &token, "secret/data/myapp/db");
    assert_eq!(read.status, 200);
    assert_eq!(read.data().unwrap()["data"]["password"], "p1");
    let elsewhere = get(&vault, &token, "secret/data/other/db");
    assert_eq!(elsewhere.status, 403);
    assert_eq!(elsewhere.body.unwrap(), json!({"errors": ["permission denied"]}));
    let write = post(&vault, &token, "secret/data/myapp/db", json!({"data": {"password": "x"}}));
    assert_eq!(write.status, 403);
    let list = vault.handle(VaultRequest::list("secret/metadata/myapp").with_token(&token));
    assert_eq!(list.status, 403);
    // Token self-service comes from the default policy.
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 200);
}

#[test]
fn writes_need_create_or_update_by_existence() {
    let vault = dev_vault();
    put_policy(&vault, "creator", r#"path "secret/data/*" { capabilities = ["create"] }"#);
    put_policy(&vault, "updater", r#"path "secret/data/*" { capabilities = ["update"] }"#);
    let creator = token_with(&vault, &["creator"]);
    let updater = token_with(&vault, &["updater"]);
    let body = json!({"data": {"k": "v"}});
    assert_eq!(post(&vault, &updater, "secret/data/new", body.clone()).status, 403, "update cannot create");
    assert_eq!(post(&vault, &creator, "secret/data/new", body.clone()).status, 200);
    assert_eq!(post(&vault, &creator, "secret/data/new", body.clone()).status, 403, "create cannot update");
    assert_eq!(post(&vault, &updater, "secret/data/new", body).status, 200);
}

#[test]
fn policy_changes_apply_at_once() {
    let vault = dev_vault();
    let token = token_with(&vault, &["later"]);
    assert_eq!(get(&vault, &token, "sys/mounts").status, 403);
    put_policy(&vault, "later", r#"path "sys/mounts" { capabilities = ["read"] }"#);
    assert_eq!(get(&vault, &token, "sys/mounts").status, 200);
    vault.handle(VaultRequest::delete("sys/policies/acl/later").with_token("root"));
    assert_eq!(get(&vault, &token, "sys/mounts").status, 403, "a deleted policy grants nothing");
}

#[test]
fn deny_wins_and_parameters_are_checked() {
    let vault = dev_vault();
    put_policy(
        &vault,
        "mixed",
        r#"
path "secret/data/*" { capabilities = ["create", "read", "update"] }
path "secret/data/super-secret" { capabilities = ["deny"] }
path "sys/policies/acl/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "policy" = [] }
}
"#,
    );
    let token = token_with(&vault, &["mixed"]);
    assert_eq!(post(&vault, &token, "secret/data/ok", json!({"data": {"a": 1}})).status, 200);
    assert_eq!(post(&vault, &token, "secret/data/super-secret", json!({"data": {"a": 1}})).status, 403);
    let hcl = r#"path "x" { capabilities = ["read"] }"#;
    assert_eq!(post(&vault, &token, "sys/policies/acl/x", json!({"policy": hcl})).status, 204);
    assert_eq!(post(&vault, &token, "sys/policies/acl/y", json!({"policy": hcl, "cas": -1})).status, 403);
}

#[test]
fn sudo_guards_root_protected_paths() {
    let vault = dev_vault();
    put_policy(
        &vault,
        "ops",
        r#"path "sys/auth/*" { capabilities = ["create", "update", "delete", "read"] }
path "sys/leases/lookup/*" { capabilities = ["list"] }"#,
    );
    put_policy(
        &vault,
        "ops-sudo",
        r#"path "sys/auth/*" { capabilities = ["create", "update", "delete", "read", "sudo"] }
path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }"#,
    );
    let ops = token_with(&vault, &["ops"]);
    let sudo = token_with(&vault, &["ops-sudo"]);
    assert_eq!(post(&vault, &ops, "sys/auth/k8s", json!({"type": "kubernetes"})).status, 403);
    assert_eq!(post(&vault, &sudo, "sys/auth/k8s", json!({"type": "kubernetes"})).status, 204);
    assert_eq!(vault.handle(VaultRequest::list("sys/leases/lookup/database/").with_token(&ops)).status, 403);
    assert_eq!(
        vault.handle(VaultRequest::list("sys/leases/lookup/database/").with_token(&sudo)).status,
        404,
        "allowed, nothing to list"
    );
}

#[test]
fn every_endpoint_group_is_guarded() {
    let vault = dev_vault();
    let nobody = token_with(&vault, &["default"]);
    let cases: Vec<(Method, &str, Value)> = vec![
        (Method::Get, "sys/mounts", json!(null)),
        (Method::Post, "sys/mounts/kv2", json!({"type": "kv-v2"})),
        (Method::Get, "sys/auth", json!(null)),
        (Method::Post, "sys/policies/acl/x", json!({"policy": "path \"x\" { capabilities = [\"read\"] }"})),
        (Method::List, "sys/policies/acl", json!(null)),
        (Method::Post, "auth/token/create", json!({})),
        (Method::Post, "auth/token/roles/r", json!({})),
        (Method::Post, "auth/approle/role/r", json!({})),
        (Method::Post, "auth/approle/role/r/secret-id", json!({})),
        (Method::Post, "auth/kubernetes/config", json!({"kubernetes_host": "https://k8s"})),
        (Method::Get, "secret/data/app", json!(null)),
        (Method::Post, "secret/data/app", json!({"data": {"a": 1}})),
        (Method::List, "secret/metadata/", json!(null)),
        (Method::Post, "database/config/db", json!({"plugin_name": "postgresql-database-plugin"})),
        (Method::Get, "database/creds/ro", json!(null)),
        (Method::Get, "aws/creds/ro", json!(null)),
        (Method::Post, "pki/issue/dev", json!({"common_name": "a.example.com"})),
        (Method::Post, "sys/leases/revoke", json!({"lease_id": "database/creds/ro/x"})),
        (Method::Post, "sys/seal", json!({})),
    ];
    for (method, path, body) in cases {
        let reply = vault.handle(VaultRequest::new(method, path).with_body(body.clone()).with_token(&nobody));
        assert_eq!(reply.status, 403, "{method} {path} must be denied: {reply:?}");
        let anonymous = vault.handle(VaultRequest::new(method, path).with_body(body));
        assert_eq!(anonymous.status, 403, "{method} {path} without a token");
    }
    assert!(!vault.faults().is_sealed());
}

#[test]
fn capabilities_self_reports_what_the_acl_grants() {
    let vault = dev_vault();
    put_policy(&vault, "reader", r#"path "secret/data/myapp/*" { capabilities = ["read", "list"] }"#);
    let token = token_with(&vault, &["reader"]);
    let reply = post(&vault, &token, "sys/capabilities-self", json!({"paths": ["secret/data/myapp/db", "sys/mounts"]}));
    assert_eq!(reply.status, 200, "{reply:?}");
    let data = reply.data().unwrap();
    assert_eq!(data["secret/data/myapp/db"], json!(["list", "read"]));
    assert_eq!(data["sys/mounts"], json!(["deny"]));
    let root = post(&vault, "root", "sys/capabilities-self", json!({"path": "anything"}));
    assert_eq!(root.data().unwrap()["capabilities"], json!(["root"]));
}
