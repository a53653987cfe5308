//! `api_secret_databases_index.mdx`: connections, roles, credentials,
//! static roles, on the simulated database engine.

use std::time::Duration;

use serde_json::json;

use crate::{Docs, assert_shape};

/// The documented connection payload.
fn mysql() -> serde_json::Value {
    json!({
      "plugin_name": "mysql-database-plugin",
      "allowed_roles": "readonly",
      "connection_url": "{{username}}:{{password}}@tcp(127.0.0.1:3306)/",
      "username": "openbaouser",
      "password": "secretpassword"
    })
}

#[tokio::test]
async fn connections_are_configured_read_listed_reset_and_deleted_as_documented() {
    let docs = Docs::start();
    assert_eq!(docs.root("POST", "database/config/mysql", Some(mysql())).await.status, 204);
    let read = docs.root("GET", "database/config/mysql", None).await;
    assert_eq!(read.status, 200);
    let sample = json!({
      "data": {
        "allowed_roles": ["readonly"],
        "connection_details": {
          "connection_url": "{{username}}:{{password}}@tcp(127.0.0.1:3306)/",
          "username": "openbaouser"
        },
        "password_policy": "",
        "plugin_name": "mysql-database-plugin",
        "plugin_version": "",
        "root_credentials_rotate_statements": []
      }
    });
    assert_shape(&read.body, &sample);
    assert_eq!(read.data()["connection_details"], sample["data"]["connection_details"], "never the password");
    assert_eq!(read.data()["allowed_roles"], json!(["readonly"]));

    let list = docs.root("LIST", "database/config", None).await;
    assert_shape(&list.body, &json!({"data": {"keys": ["db-one", "db-two"]}}));
    assert_eq!(list.data()["keys"], json!(["mysql"]));
    assert_eq!(docs.root("POST", "database/reset/mysql", None).await.status, 204);
    assert_eq!(docs.root("POST", "database/rotate-root/mysql", None).await.status, 204);
    assert_eq!(docs.root("DELETE", "database/config/mysql", None).await.status, 204);
    assert_eq!(docs.root("GET", "database/config/mysql", None).await.status, 404);
    docs.stop().await;
}

#[tokio::test]
async fn roles_and_credentials_follow_the_docs() {
    let docs = Docs::start();
    docs.root("POST", "database/config/mysql", Some(mysql())).await;
    let payload = json!({
      "db_name": "mysql",
      "creation_statements": [
        "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'",
        "GRANT SELECT ON *.* TO '{{name}}'@'%'"
      ],
      "default_ttl": "1h",
      "max_ttl": "24h"
    });
    assert_eq!(docs.root("POST", "database/roles/my-role", Some(payload.clone())).await.status, 204);
    // The same in seconds, and one statement as a string.
    let readonly = json!({"db_name": "mysql", "creation_statements": "CREATE USER '{{name}}';", "default_ttl": 3600});
    assert_eq!(docs.root("POST", "database/roles/readonly", Some(readonly)).await.status, 204);

    let read = docs.root("GET", "database/roles/my-role", None).await;
    assert_shape(
        &read.body,
        &json!({
          "data": {
            "creation_statements": [
              "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
            ],
            "credential_type": "password",
            "db_name": "mysql",
            "default_ttl": 3600,
            "max_ttl": 86400,
            "renew_statements": [],
            "revocation_statements": [],
            "rollback_statements": []
          }
        }),
    );
    assert_eq!((&read.data()["default_ttl"], &read.data()["max_ttl"]), (&json!(3600), &json!(86400)));
    assert_eq!(read.data()["creation_statements"], payload["creation_statements"]);

    let list = docs.root("LIST", "database/roles", None).await;
    // The sample's `lease_duration` is the mount default; a list has no
    // lease, and Vault (like this one) says 0, which has the same type.
    assert_shape(
        &list.body,
        &json!({
          "auth": null,
          "data": {
            "keys": ["dev", "prod"]
          },
          "lease_duration": 2764800,
          "lease_id": "",
          "renewable": false
        }),
    );
    assert_eq!(list.data()["keys"], json!(["my-role", "readonly"]));

    let creds = docs.root("GET", "database/creds/readonly", None).await;
    assert_eq!(creds.status, 200, "{}", creds.text);
    assert_shape(
        &creds.body,
        &json!({
          "data": {
            "username": "root-1430158508-126",
            "password": "132ae3ef-5a64-7499-351e-bfe59f3a2a21"
          }
        }),
    );
    let (user, password) = (creds.data()["username"].as_str().unwrap(), creds.data()["password"].as_str().unwrap());
    assert!(docs.vault.database_credentials_valid(user, password));
    assert_eq!((creds.body["lease_duration"].as_u64(), creds.body["renewable"].as_bool()), (Some(3600), Some(true)));
    // `allowed_roles` is "readonly": my-role may not use the connection.
    assert_eq!(docs.root("GET", "database/creds/my-role", None).await.status, 400);

    assert_eq!(docs.root("DELETE", "database/roles/my-role", None).await.status, 204);
    assert_eq!(docs.root("GET", "database/roles/my-role", None).await.status, 404);
    docs.stop().await;
}

#[tokio::test]
async fn static_roles_rotate_and_hand_out_credentials_as_documented() {
    let docs = Docs::start();
    // Stopped, so that TTLs are exact.
    docs.vault.clock().freeze();
    docs.root("POST", "database/config/mysql", Some(mysql())).await;
    let payload = json!({
      "db_name": "mysql",
      "username": "static-database-user",
      "rotation_statements": [
        "ALTER USER \"{{name}}\" IDENTIFIED BY '{{password}}';"
      ],
      "rotation_period": "1h"
    });
    let path = "database/static-roles/my-static-role";
    assert_eq!(docs.root("POST", path, Some(payload.clone())).await.status, 204);
    let read = docs.root("GET", path, None).await;
    // The sample shows `rotation_period` as "1h"; the same page's
    // static-creds sample (and Vault) answer seconds.
    assert_shape(
        &read.body,
        &json!({
          "data": {
            "credential_type": "password",
            "db_name": "mysql",
            "username": "static-user",
            "rotation_statements": [
              "ALTER USER \"{{name}}\" IDENTIFIED BY '{{password}}';"
            ],
            "rotation_period": 3600
          }
        }),
    );
    assert_eq!(
        (&read.data()["username"], &read.data()["rotation_period"]),
        (&json!("static-database-user"), &json!(3600))
    );
    let too_short = json!({"db_name": "mysql", "username": "u", "rotation_period": 2});
    assert_eq!(docs.root("POST", "database/static-roles/fast", Some(too_short)).await.status, 400);

    let list = docs.root("LIST", "database/static-roles", None).await;
    assert_shape(&list.body, &json!({"auth": null, "data": {"keys": ["dev-static", "prod-static"]}}));
    assert_eq!(list.data()["keys"], json!(["my-static-role"]));

    let creds_path = "database/static-creds/my-static-role";
    let creds = docs.root("GET", creds_path, None).await;
    assert_shape(
        &creds.body,
        &json!({
          "data": {
            "username": "static-user",
            "password": "132ae3ef-5a64-7499-351e-bfe59f3a2a21",
            "last_openbao_rotation": "2019-05-06T15:26:42.525302-05:00",
            "rotation_period": 30,
            "ttl": 28
          }
        }),
    );
    let first = creds.data()["password"].as_str().unwrap().to_owned();
    assert!(docs.vault.database_credentials_valid("static-database-user", &first));
    assert_eq!(creds.data()["ttl"], 3600);

    // The schedule rotates it (on the vault's clock)...
    docs.vault.clock().advance(Duration::from_secs(3600));
    let second = docs.root("GET", creds_path, None).await.data()["password"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(!docs.vault.database_credentials_valid("static-database-user", &first));
    // ...and so does rotate-role, on demand.
    assert_eq!(docs.root("POST", "database/rotate-role/my-static-role", None).await.status, 204);
    let third = docs.root("GET", creds_path, None).await;
    assert_ne!(third.data()["password"], json!(second));
    assert_eq!(third.data()["ttl"], 3600);

    assert_eq!(docs.root("DELETE", path, None).await.status, 204);
    assert_eq!(docs.root("GET", creds_path, None).await.status, 400);
    docs.stop().await;
}
