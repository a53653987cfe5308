//! `api_system_leases.mdx`: looking up, listing, renewing and revoking
//! leases, of dynamic secrets and of tokens; tidy and the lease counts.

use serde_json::{Value, json};

use crate::{Docs, Reply, assert_shape};

/// A database lease: a connection, a role, a credential.
async fn database_lease(docs: &Docs) -> String {
    let config = json!({"plugin_name": "mysql-database-plugin", "allowed_roles": "readonly", "connection_url": "x"});
    docs.root("POST", "database/config/mysql", Some(config)).await;
    let role =
        json!({"db_name": "mysql", "creation_statements": ["CREATE USER"], "default_ttl": "1h", "max_ttl": "24h"});
    docs.root("POST", "database/roles/readonly", Some(role)).await;
    let creds = docs.root("GET", "database/creds/readonly", None).await;
    creds.body["lease_id"].as_str().unwrap().to_owned()
}

/// The documented lookup answer.
fn lookup_sample() -> Value {
    json!({
      "data": {
        "expire_time": "2024-03-07T20:34:02.005655614+01:00",
        "id": "auth/userpass/login/user/h5a2d7506918f459d022267a3351666b35bd8b5d6d39b0bcfe14927c0e4464225",
        "issue_time": "2024-02-04T20:34:02.005663311+01:00",
        "last_renewal": null,
        "path": "auth/userpass/login/user",
        "renewable": true,
        "ttl": 2764397
      }
    })
}

/// The documented renew answer.
fn renew_sample() -> Value {
    json!({"lease_id": "auth/userpass/login/user/h5a2...", "renewable": true, "lease_duration": 2764790})
}

#[tokio::test]
async fn leases_are_looked_up_listed_renewed_and_revoked_as_documented() {
    let docs = Docs::start();
    let lease = database_lease(&docs).await;
    let lookup = docs.root("POST", "sys/leases/lookup", Some(json!({"lease_id": lease}))).await;
    assert_eq!(lookup.status, 200);
    assert_shape(&lookup.body, &lookup_sample());
    assert_eq!((&lookup.data()["id"], &lookup.data()["path"]), (&json!(lease), &json!("database/creds/readonly")));

    let list = docs.root("LIST", "sys/leases/lookup/database/creds/readonly/", None).await;
    assert_shape(
        &list.body,
        &json!({"data": {"keys": ["h5a2d7506918f459d022267a3351666b35bd8b5d6d39b0bcfe14927c0e4464225"]}}),
    );
    assert_eq!(list.data()["keys"], json!([lease.rsplit('/').next().unwrap()]));

    let renewed = docs.root("POST", "sys/leases/renew", Some(json!({"lease_id": lease, "increment": 1800}))).await;
    assert_eq!(renewed.status, 200);
    assert_shape(&renewed.body, &renew_sample());
    assert_eq!((&renewed.body["lease_id"], &renewed.body["lease_duration"]), (&json!(lease), &json!(1800)));
    let after_renewal = docs.root("POST", "sys/leases/lookup", Some(json!({"lease_id": lease}))).await;
    assert!(after_renewal.data()["last_renewal"].is_string());
    // The lease id as a path parameter, the increment as a duration string.
    let by_path = docs.root("POST", &format!("sys/leases/renew/{lease}"), Some(json!({"increment": "30m"}))).await;
    assert_eq!(by_path.body["lease_duration"], 1800);

    let revoke = docs.root("POST", "sys/leases/revoke", Some(json!({"lease_id": lease, "sync": true}))).await;
    assert_eq!(revoke.status, 204);
    assert!(docs.vault.database_users().is_empty());
    let gone = docs.root("POST", "sys/leases/lookup", Some(json!({"lease_id": lease}))).await;
    assert_eq!(gone.status, 400);
    let other = database_lease(&docs).await;
    assert_eq!(docs.root("POST", &format!("sys/leases/revoke/{other}"), None).await.status, 204);
    assert!(docs.vault.lease_ids().is_empty());

    database_lease(&docs).await;
    assert_eq!(docs.root("POST", "sys/leases/revoke-prefix/database/creds/readonly", None).await.status, 204);
    database_lease(&docs).await;
    assert_eq!(docs.root("POST", "sys/leases/revoke-force/database/creds", None).await.status, 204);
    assert!(docs.vault.lease_ids().is_empty());
    docs.stop().await;
}

/// Logs in to a fresh AppRole; answers the login.
async fn approle_login(docs: &Docs) -> Reply {
    docs.root("POST", "auth/approle/role/app", Some(json!({"token_ttl": "1h"}))).await;
    let role_id = docs.root("GET", "auth/approle/role/app/role-id", None).await.data()["role_id"].clone();
    let secret_id = docs.root("POST", "auth/approle/role/app/secret-id", None).await.data()["secret_id"].clone();
    docs.call("POST", "auth/approle/login", None, Some(json!({"role_id": role_id, "secret_id": secret_id}))).await
}

#[tokio::test]
async fn tokens_have_leases_as_the_samples_show() {
    let docs = Docs::start();
    // Stopped, so that TTLs are exact.
    docs.vault.clock().freeze();
    let login = approle_login(&docs).await;
    let token = login.body["auth"]["client_token"].as_str().unwrap().to_owned();
    let list = docs.root("LIST", "sys/leases/lookup/auth/approle/login/", None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let key = list.data()["keys"][0].as_str().unwrap().to_owned();
    assert!(key.starts_with('h') && key.len() == 65, "{key}");
    let lease = format!("auth/approle/login/{key}");

    let lookup = docs.root("POST", "sys/leases/lookup", Some(json!({"lease_id": lease}))).await;
    assert_shape(&lookup.body, &lookup_sample());
    assert_eq!((&lookup.data()["path"], &lookup.data()["ttl"]), (&json!("auth/approle/login"), &json!(3600)));
    // "Token leases cannot be renewed using this endpoint."
    let renew = docs.root("POST", "sys/leases/renew", Some(json!({"lease_id": lease}))).await;
    assert_eq!(renew.status, 400);
    assert_eq!(docs.root("POST", "sys/leases/revoke", Some(json!({"lease_id": lease}))).await.status, 204);
    assert!(!docs.vault.token_is_valid(&token));

    let other = approle_login(&docs).await.body["auth"]["client_token"].as_str().unwrap().to_owned();
    assert_eq!(docs.root("POST", "sys/leases/revoke-prefix/auth/approle", None).await.status, 204);
    assert!(!docs.vault.token_is_valid(&other));
    docs.stop().await;
}

#[tokio::test]
async fn tidy_and_the_irrevocable_lease_counts_answer() {
    let docs = Docs::start();
    let tidy = docs.root("POST", "sys/leases/tidy", None).await;
    assert!(matches!(tidy.status, 200 | 204), "{}", tidy.text);
    let count = docs.root("GET", "sys/leases/count?type=irrevocable", None).await;
    assert_eq!((count.status, &count.data()["lease_count"]), (200, &json!(0)));
    let list = docs.root("GET", "sys/leases?type=irrevocable", None).await;
    assert_eq!((list.status, &list.data()["lease_count"]), (200, &json!(0)));
    // The sample request sends `type` as a form body with GET, which Vault
    // does not read: without the type, Vault answers nothing.
    let form = docs.request("GET", "sys/leases/count").header("X-Vault-Token", crate::ROOT).body("type=irrevocable");
    assert_eq!(Docs::send(form).await.status, 204);
    docs.stop().await;
}
