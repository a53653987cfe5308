//! MemoryVault: leases on the simulated database and AWS engines, and
//! `sys/leases/*`.

use std::time::Duration;

use qsec_core::VaultBackend;
use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::{Value, json};

mod common;

use common::memory::{get, post};

/// A dev vault with a database role `readonly` (1h, max 24h) and AWS roles
/// `deploy` (IAM user) and `assume` (assumed role).
fn vault() -> MemoryVault {
    let vault = MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .policy(
            "app",
            r#"path "database/creds/readonly" { capabilities = ["read"] }
path "aws/creds/deploy" { capabilities = ["read"] }
path "aws/sts/assume" { capabilities = ["read", "update"] }"#,
        )
        .build();
    vault.clock().freeze();
    let setup = [
        (
            "database/config/postgres",
            json!({"plugin_name": "postgresql-database-plugin", "allowed_roles": "readonly",
                   "connection_url": "postgresql://{{username}}:{{password}}@db:5432/app", "username": "vault", "password": "pw"}),
        ),
        (
            "database/roles/readonly",
            json!({"db_name": "postgres", "creation_statements": ["CREATE ROLE \"{{name}}\""], "default_ttl": "1h", "max_ttl": "24h"}),
        ),
        ("aws/config/root", json!({"access_key": "AKIAROOT", "secret_key": "s", "region": "eu-west-1"})),
        (
            "aws/roles/deploy",
            json!({"credential_type": "iam_user", "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}),
        ),
        ("aws/roles/assume", json!({"credential_type": "assumed_role", "role_arns": ["arn:aws:iam::1:role/x"]})),
    ];
    for (path, body) in setup {
        let reply = post(&vault, "root", path, body);
        assert_eq!(reply.status, 204, "{path}: {reply:?}");
    }
    vault
}

fn app_token(vault: &MemoryVault) -> String {
    let reply = post(vault, "root", "auth/token/create", json!({"policies": ["app"]}));
    reply.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned()
}

#[test]
fn database_credentials_are_unique_and_leased() {
    let vault = vault();
    let token = app_token(&vault);
    let first = get(&vault, &token, "database/creds/readonly");
    assert_eq!(first.status, 200, "{first:?}");
    let body = first.body.unwrap();
    assert!(body["lease_id"].as_str().unwrap().starts_with("database/creds/readonly/"));
    assert_eq!(body["lease_duration"], 3600);
    assert_eq!(body["renewable"], true);
    let (user, password) = (body["data"]["username"].as_str().unwrap(), body["data"]["password"].as_str().unwrap());
    let second = get(&vault, &token, "database/creds/readonly").body.unwrap();
    assert_ne!(second["data"]["username"], user);
    assert!(vault.database_credentials_valid(user, password));
    assert_eq!(vault.database_users().len(), 2);
    assert_eq!(vault.database_users()[0].role, "readonly");

    let role = get(&vault, "root", "database/roles/readonly");
    assert_eq!(role.data().unwrap()["default_ttl"], 3600);
    let config = get(&vault, "root", "database/config/postgres");
    assert_eq!(config.data().unwrap()["connection_details"]["username"], "vault");
    assert!(config.data().unwrap()["connection_details"].get("password").is_none());
    assert_eq!(get(&vault, "root", "database/creds/nope").status, 400);
}

#[test]
fn revoking_the_token_revokes_its_database_and_aws_leases() {
    let vault = vault();
    let token = app_token(&vault);
    let db = get(&vault, &token, "database/creds/readonly").body.unwrap();
    let aws = get(&vault, &token, "aws/creds/deploy").body.unwrap();
    let sts = post(&vault, &token, "aws/sts/assume", json!({"ttl": "15m"})).body.unwrap();
    assert_eq!(sts["lease_duration"], 900);
    assert!(sts["data"]["security_token"].is_string());
    assert_eq!(aws["data"]["security_token"], Value::Null);
    let (user, password) = (db["data"]["username"].as_str().unwrap(), db["data"]["password"].as_str().unwrap());
    let (key, secret) = (aws["data"]["access_key"].as_str().unwrap(), aws["data"]["secret_key"].as_str().unwrap());
    assert!(vault.aws_credentials_valid(key, secret));
    assert_eq!(vault.aws_access_keys().len(), 2);
    assert_eq!(vault.lease_ids().len(), 3);

    assert_eq!(post(&vault, &token, "auth/token/revoke-self", json!({})).status, 204);
    assert!(!vault.database_credentials_valid(user, password));
    assert!(vault.database_users().is_empty(), "the user was dropped");
    assert!(!vault.aws_credentials_valid(key, secret));
    assert!(vault.aws_access_keys().is_empty());
    assert!(vault.lease_ids().is_empty());
}

#[test]
fn a_lease_revoke_invalidates_only_that_credential() {
    let vault = vault();
    let token = app_token(&vault);
    let a = get(&vault, &token, "database/creds/readonly").body.unwrap();
    let b = get(&vault, &token, "database/creds/readonly").body.unwrap();
    let revoke = vault.handle(
        VaultRequest::new(qsec_vault::testkit::memory::Method::Put, "sys/leases/revoke")
            .with_body(json!({"lease_id": a["lease_id"]}))
            .with_token("root"),
    );
    assert_eq!(revoke.status, 204);
    assert!(
        !vault.database_credentials_valid(
            a["data"]["username"].as_str().unwrap(),
            a["data"]["password"].as_str().unwrap()
        )
    );
    assert!(
        vault.database_credentials_valid(
            b["data"]["username"].as_str().unwrap(),
            b["data"]["password"].as_str().unwrap()
        )
    );
}

#[test]
fn leases_expire_renew_within_the_max_and_can_be_looked_up() {
    let vault = vault();
    let token = app_token(&vault);
    let lease = get(&vault, &token, "database/creds/readonly").body.unwrap()["lease_id"].as_str().unwrap().to_owned();
    let lookup = post(&vault, &token, "sys/leases/lookup", json!({"lease_id": lease}));
    let data = lookup.data().unwrap();
    assert_eq!(data["id"], lease);
    assert_eq!(data["ttl"], 3600);
    assert_eq!(data["renewable"], true);
    assert_eq!(data["path"], "database/creds/readonly");
    assert_eq!(data["last_renewal"], Value::Null);

    vault.clock().advance(Duration::from_secs(3000));
    let renew = post(&vault, &token, "sys/leases/renew", json!({"lease_id": lease, "increment": 7200}));
    assert_eq!(renew.status, 200, "{renew:?}");
    let body = renew.body.unwrap();
    assert_eq!(body["lease_id"], lease);
    assert_eq!(body["lease_duration"], 7200);
    assert_eq!(body["renewable"], true);

    // 24h max from issue: 3000s in, at most 83400s left.
    vault.clock().advance(Duration::from_secs(7000));
    let capped = post(&vault, &token, "sys/leases/renew", json!({"lease_id": lease, "increment": 100_000}));
    assert_eq!(capped.body.unwrap()["lease_duration"], 86_400 - 10_000);

    let lease2 = get(&vault, &token, "database/creds/readonly").body.unwrap()["lease_id"].as_str().unwrap().to_owned();
    vault.clock().advance(Duration::from_secs(3601));
    assert_eq!(post(&vault, &token, "sys/leases/lookup", json!({"lease_id": lease2})).errors(), ["invalid lease"]);
    assert_eq!(vault.database_users().len(), 1, "the expired lease's user is gone");
}

#[test]
fn sts_leases_are_not_renewable() {
    let vault = vault();
    let token = app_token(&vault);
    let sts = post(&vault, &token, "aws/sts/assume", json!({})).body.unwrap();
    assert_eq!(sts["renewable"], false);
    let renew = post(&vault, "root", "sys/leases/renew", json!({"lease_id": sts["lease_id"]}));
    assert_eq!(renew.errors(), ["lease is not renewable"]);
    let wrong = post(&vault, "root", "aws/sts/deploy", json!({}));
    assert_eq!(wrong.status, 400);
}

#[test]
fn prefix_revocation_and_listing_need_sudo() {
    let vault = vault();
    let token = app_token(&vault);
    for _ in 0..2 {
        get(&vault, &token, "database/creds/readonly");
    }
    get(&vault, &token, "aws/creds/deploy");
    let list = vault.handle(VaultRequest::list("sys/leases/lookup/database/creds/readonly/").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"].as_array().unwrap().len(), 2);
    let top = vault.handle(VaultRequest::list("sys/leases/lookup/database/").with_token("root"));
    assert_eq!(top.data().unwrap()["keys"], json!(["creds/"]));
    assert_eq!(post(&vault, &token, "sys/leases/revoke-prefix/database/", json!({})).status, 403);
    assert_eq!(post(&vault, "root", "sys/leases/revoke-prefix/database/", json!({})).status, 204);
    assert!(vault.database_users().is_empty());
    assert_eq!(vault.aws_access_keys().len(), 1);
    assert_eq!(post(&vault, "root", "sys/leases/revoke-force/aws", json!({})).status, 204);
    assert!(vault.aws_access_keys().is_empty());
}

#[test]
fn child_token_leases_die_with_the_parent() {
    let vault = vault();
    let parent = post(&vault, "root", "auth/token/create", json!({"policies": ["root"]}));
    let parent = parent.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned();
    let child = post(&vault, &parent, "auth/token/create", json!({"policies": ["app"]}));
    let child = child.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned();
    get(&vault, &child, "database/creds/readonly");
    post(&vault, "root", "auth/token/revoke", json!({"token": parent}));
    assert!(vault.database_users().is_empty());
}

#[test]
fn roles_must_be_allowed_by_the_connection() {
    let vault = vault();
    post(
        &vault,
        "root",
        "database/roles/admin",
        json!({"db_name": "postgres", "creation_statements": "CREATE ROLE x"}),
    );
    let reply = get(&vault, "root", "database/creds/admin");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.errors(), ["\"admin\" is not an allowed role"]);
    let missing = post(&vault, "root", "database/roles/bad", json!({"db_name": "postgres"}));
    assert_eq!(missing.status, 400);
    let list = vault.handle(VaultRequest::list("database/roles").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["admin", "readonly"]));
}

#[tokio::test]
async fn the_backend_renews_and_revokes_leases() {
    let vault = vault();
    let backend = vault.backend().with_token(app_token(&vault));
    let creds = backend.read("database/creds/readonly").await.unwrap().unwrap();
    let lease = creds.lease("database/creds/readonly", 0).unwrap();
    let renewal = backend.renew_lease(&lease.lease_id, Some(Duration::from_secs(600))).await.unwrap();
    assert_eq!(renewal.lease_duration, 600);
    // The default policy does not include sys/leases/revoke; root can.
    let denied = backend.revoke_lease(&lease.lease_id).await.unwrap_err();
    assert_eq!(denied.vault_status(), Some(403));
    vault.backend().with_token("root").revoke_lease(&lease.lease_id).await.unwrap();
    assert!(vault.database_users().is_empty());
}
