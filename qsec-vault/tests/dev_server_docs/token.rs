//! `api_auth_token.mdx`: creating, looking up, renewing and revoking
//! tokens, accessors, token roles, tidy.

use serde_json::{Value, json};

use crate::{Docs, assert_shape};

/// The documented lookup answer, less `identity_policies`: Vault sends
/// that only for tokens with an identity entity, and this Vault has none.
/// Its `meta` is the sample token's; the tokens here carry `user`.
fn lookup_sample() -> Value {
    json!({
      "data": {
        "accessor": "8609694a-cdbc-db9b-d345-e782dbb562ed",
        "creation_time": 1523979354,
        "creation_ttl": 2764800,
        "display_name": "ldap2-tesla",
        "entity_id": "7d2e3179-f69b-450c-7179-ac8ee8bd8ca9",
        "expire_time": "2018-05-19T11:35:54.466476215-04:00",
        "explicit_max_ttl": 0,
        "id": "cf64a70f-3a12-3f6c-791d-6cef6d390eed",
        "issue_time": "2018-04-17T11:35:54.466476078-04:00",
        "meta": {
          "user": "armon"
        },
        "num_uses": 0,
        "orphan": true,
        "path": "auth/ldap2/login/tesla",
        "policies": ["default", "testgroup2-policy"],
        "renewable": true,
        "ttl": 2764790
      }
    })
}

/// The documented renew answer.
fn renew_sample() -> Value {
    json!({
      "auth": {
        "client_token": "ABCD",
        "policies": ["web", "stage"],
        "metadata": {
          "user": "armon"
        },
        "lease_duration": 3600,
        "renewable": true
      }
    })
}

#[tokio::test]
async fn tokens_are_created_looked_up_and_renewed_as_documented() {
    let docs = Docs::start();
    let payload = json!({
      "policies": ["web", "stage"],
      "meta": {
        "user": "armon"
      },
      "ttl": "1h",
      "renewable": true
    });
    let created = docs.root("POST", "auth/token/create", Some(payload)).await;
    assert_eq!(created.status, 200);
    assert_shape(
        &created.body,
        &json!({
          "request_id": "f00341c1-fad5-f6e6-13fd-235617f858a1",
          "lease_id": "",
          "renewable": false,
          "lease_duration": 0,
          "data": null,
          "wrap_info": null,
          "warnings": [
            "Policy \"stage\" does not exist",
            "Policy \"web\" does not exist"
          ],
          "auth": {
            "client_token": "s.wOrq9dO9kzOcuvB06CMviJhZ",
            "accessor": "B6oixijqmeR4bsLOJH88Ska9",
            "policies": ["default", "stage", "web"],
            "token_policies": ["default", "stage", "web"],
            "metadata": {
              "user": "armon"
            },
            "lease_duration": 3600,
            "renewable": true,
            "entity_id": "",
            "token_type": "service",
            "orphan": false,
            "num_uses": 0
          }
        }),
    );
    assert_eq!(created.body["warnings"], json!(["Policy \"stage\" does not exist", "Policy \"web\" does not exist"]));
    let auth = &created.body["auth"];
    assert_eq!(auth["policies"], json!(["default", "stage", "web"]));
    assert_eq!((&auth["lease_duration"], &auth["metadata"]), (&json!(3600), &json!({"user": "armon"})));
    let token = auth["client_token"].as_str().unwrap().to_owned();
    let accessor = auth["accessor"].as_str().unwrap().to_owned();

    let lookup = docs.root("POST", "auth/token/lookup", Some(json!({"token": token}))).await;
    assert_eq!(lookup.status, 200);
    assert_shape(&lookup.body, &lookup_sample());
    assert_eq!((&lookup.data()["id"], &lookup.data()["orphan"]), (&json!(token), &json!(false)));
    let own = docs.call("GET", "auth/token/lookup-self", Some(&token), None).await;
    assert_shape(&own.body, &lookup_sample());
    let by_accessor = docs.root("POST", "auth/token/lookup-accessor", Some(json!({"accessor": accessor}))).await;
    assert_shape(&by_accessor.body, &lookup_sample());
    assert_eq!(by_accessor.data()["id"], "");

    let renewed = docs.root("POST", "auth/token/renew", Some(json!({"token": token}))).await;
    assert_eq!(renewed.status, 200);
    assert_shape(&renewed.body, &renew_sample());
    let own = docs.call("POST", "auth/token/renew-self", Some(&token), Some(json!({"increment": "1h"}))).await;
    assert_shape(&own.body, &renew_sample());
    assert_eq!(own.body["auth"]["lease_duration"], 3600);
    let by_accessor = docs.root("POST", "auth/token/renew-accessor", Some(json!({"accessor": accessor}))).await;
    assert_shape(&by_accessor.body, &renew_sample());
    assert_eq!(by_accessor.body["auth"]["client_token"], "");

    let orphan = docs.root("POST", "auth/token/create-orphan", Some(json!({"policies": "web"}))).await;
    assert_eq!(orphan.body["auth"]["orphan"], true);
    let missing = docs.root("POST", "auth/token/lookup", Some(json!({"token": "s.nothing"}))).await;
    assert_eq!(missing.status, 403);
    docs.stop().await;
}

/// A child of `token`.
async fn create(docs: &Docs, token: &str) -> crate::Reply {
    docs.call("POST", "auth/token/create", Some(token), Some(json!({}))).await
}

#[tokio::test]
async fn tokens_are_revoked_by_id_self_accessor_and_orphaning() {
    let docs = Docs::start();
    let token_of = |reply: crate::Reply| reply.body["auth"]["client_token"].as_str().unwrap().to_owned();
    let parent = token_of(create(&docs, "root").await);
    let child = token_of(create(&docs, &parent).await);

    let accessors = docs.root("LIST", "auth/token/accessors", None).await;
    assert_shape(
        &accessors.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "keys": [
              "476ea048-ded5-4d07-eeea-938c6b4e43ec",
              "bb00c093-b7d3-b0e9-69cc-c4d85081165b"
            ]
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    assert_eq!(accessors.data()["keys"].as_array().unwrap().len(), 3);

    // Revoking and orphaning: the child lives on, without a parent.
    assert_eq!(docs.root("POST", "auth/token/revoke-orphan", Some(json!({"token": parent}))).await.status, 204);
    assert!(!docs.vault.token_is_valid(&parent));
    let child_info = docs.root("POST", "auth/token/lookup", Some(json!({"token": child}))).await;
    assert_eq!(child_info.data()["orphan"], true);
    assert_eq!(docs.root("POST", "auth/token/revoke", Some(json!({"token": child}))).await.status, 204);
    assert!(!docs.vault.token_is_valid(&child));

    let own = token_of(create(&docs, "root").await);
    assert_eq!(docs.call("POST", "auth/token/revoke-self", Some(&own), None).await.status, 204);
    assert!(!docs.vault.token_is_valid(&own));
    let by_accessor = create(&docs, "root").await;
    let accessor = by_accessor.body["auth"]["accessor"].clone();
    assert_eq!(docs.root("POST", "auth/token/revoke-accessor", Some(json!({"accessor": accessor}))).await.status, 204);
    assert!(!docs.vault.token_is_valid(&token_of(by_accessor)));
    docs.stop().await;
}

#[tokio::test]
async fn token_roles_and_tidy_are_served_as_documented() {
    let docs = Docs::start();
    // The sample payload, which the docs print without its braces.
    let payload = json!({
      "allowed_policies": [
        "dev"
      ],
      "name": "nomad",
      "orphan": false,
      "bound_cidrs": ["127.0.0.1/32", "128.252.0.0/16"],
      "renewable": true,
      "allowed_entity_aliases": ["web-entity-alias", "app-entity-*"]
    });
    assert_eq!(docs.root("POST", "auth/token/roles/nomad", Some(payload)).await.status, 204);
    let read = docs.root("GET", "auth/token/roles/nomad", None).await;
    assert_eq!(read.status, 200);
    assert_shape(
        &read.body,
        &json!({
          "request_id": "075a19cd-4e56-a3ca-d956-7609819831ec",
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": {
            "allowed_entity_aliases": [
              "my-entity-alias"
            ],
            "allowed_policies": [],
            "disallowed_policies": [],
            "allowed_policies_glob": [],
            "disallowed_policies_glob": [],
            "explicit_max_ttl": 0,
            "name": "nomad",
            "orphan": false,
            "path_suffix": "",
            "period": 0,
            "renewable": true,
            "token_explicit_max_ttl": 0,
            "token_no_default_policy": false,
            "token_period": 0,
            "token_type": "default-service"
          },
          "warnings": null
        }),
    );
    assert_eq!(read.data()["allowed_policies"], json!(["dev"]));
    assert_eq!(read.data()["token_bound_cidrs"], json!(["127.0.0.1/32", "128.252.0.0/16"]));

    let list = docs.root("LIST", "auth/token/roles", None).await;
    assert_shape(&list.body, &json!({"data": {"keys": ["role1", "role2"]}}));
    assert_eq!(list.data()["keys"], json!(["nomad"]));

    // By path, and by `role_name` in the body.
    for (path, payload) in
        [("auth/token/create/nomad", json!({})), ("auth/token/create", json!({"role_name": "nomad"}))]
    {
        let created = docs.root("POST", path, Some(payload)).await;
        assert_eq!(created.status, 200, "{path}: {}", created.text);
        assert_eq!(created.body["auth"]["policies"], json!(["default", "dev"]), "{path}");
        let token = created.body["auth"]["client_token"].as_str().unwrap().to_owned();
        let info = docs.root("POST", "auth/token/lookup", Some(json!({"token": token}))).await;
        assert_eq!(info.data()["path"], "auth/token/create/nomad", "{path}");
    }

    assert_eq!(docs.root("DELETE", "auth/token/roles/admins", None).await.status, 204);
    assert_eq!(docs.root("DELETE", "auth/token/roles/nomad", None).await.status, 204);
    assert_eq!(docs.root("GET", "auth/token/roles/nomad", None).await.status, 404);

    let tidy = docs.root("POST", "auth/token/tidy", None).await;
    assert_eq!(tidy.status, 200);
    assert_shape(
        &tidy.body,
        &json!({
          "request_id": "84437c7f-36a1-6c1d-381d-14ec99217e94",
          "lease_id": "",
          "renewable": false,
          "lease_duration": 0,
          "data": null,
          "wrap_info": null,
          "warnings": [
            "Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."
          ],
          "auth": null
        }),
    );
    docs.stop().await;
}
