//! `api_auth_approle.mdx`: roles, RoleIDs, SecretIDs, login, the per-field
//! endpoints and tidy.

use serde_json::{Value, json};

use crate::{Docs, assert_shape};

const ROLE: &str = "auth/approle/role/application1";

/// The documented "Create/Update AppRole" payload.
fn sample_role() -> Value {
    json!({
        "token_ttl": "10m",
        "token_max_ttl": "15m",
        "token_policies": ["default"],
        "period": 0,
        "bind_secret_id": true
    })
}

#[tokio::test]
async fn roles_are_created_listed_read_and_deleted_as_documented() {
    let docs = Docs::start();
    // An empty list is a 404 without errors.
    let empty = docs.root("LIST", "auth/approle/role", None).await;
    assert_eq!((empty.status, &empty.body), (404, &json!({"errors": []})));

    assert_eq!(docs.root("POST", ROLE, Some(sample_role())).await.status, 204);
    // The same settings in seconds, policies as a comma-separated string.
    let seconds = json!({"token_ttl": 600, "token_max_ttl": 900, "token_policies": "default,dev", "period": "0"});
    assert_eq!(docs.root("POST", "auth/approle/role/dev", Some(seconds)).await.status, 204);

    let list = docs.root("LIST", "auth/approle/role", None).await;
    assert_eq!(list.status, 200);
    assert_shape(
        &list.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "keys": ["dev", "prod", "test"]
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    assert_eq!(list.data()["keys"], json!(["application1", "dev"]));
    assert_eq!(docs.root("GET", "auth/approle/role?list=true", None).await.data(), list.data());
    // `after` and `limit` page the list.
    let page = docs.root("LIST", "auth/approle/role?after=application1&limit=1", None).await;
    assert_eq!(page.data()["keys"], json!(["dev"]));

    let read = docs.root("GET", ROLE, None).await;
    assert_eq!(read.status, 200);
    assert_shape(
        &read.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "token_ttl": 1200,
            "token_max_ttl": 1800,
            "secret_id_ttl": 600,
            "secret_id_num_uses": 40,
            "token_policies": ["default"],
            "period": 0,
            "bind_secret_id": true,
            "secret_id_bound_cidrs": []
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    let data = read.data();
    assert_eq!((&data["token_ttl"], &data["token_max_ttl"]), (&json!(600), &json!(900)));
    assert_eq!(
        docs.root("GET", "auth/approle/role/dev", None).await.data()["token_policies"],
        json!(["default", "dev"])
    );

    let role_id = docs.root("GET", &format!("{ROLE}/role-id"), None).await;
    assert_shape(
        &role_id.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "role_id": "e5a7b66e-5d08-da9c-7075-71984634b882"
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    let set = docs.root("POST", &format!("{ROLE}/role-id"), Some(json!({"role_id": "custom-role-id"}))).await;
    // As the documented sample (Vault itself answers 204).
    assert_eq!(set.status, 200);
    assert_shape(&set.body, &role_id.body);
    assert_eq!(set.data()["role_id"], "custom-role-id");
    assert_eq!(docs.root("GET", &format!("{ROLE}/role-id"), None).await.data()["role_id"], "custom-role-id");

    assert_eq!(docs.root("DELETE", ROLE, None).await.status, 204);
    assert_eq!(docs.root("GET", ROLE, None).await.status, 404);
    // A path parameter may not end in a period (the API overview).
    let dotted = docs.root("POST", "auth/approle/role/app.", Some(sample_role())).await;
    assert_eq!((dotted.status, dotted.errors().as_str()), (404, "unsupported path"));
    docs.stop().await;
}

/// The documented "Read AppRole secret ID" answer.
fn secret_id_lookup_sample() -> Value {
    json!({
      "request_id": "74752925-f309-6859-3d2d-0fcded95150e",
      "lease_id": "",
      "renewable": false,
      "lease_duration": 0,
      "data": {
        "cidr_list": [],
        "creation_time": "2023-02-10T18:17:27.089757383Z",
        "expiration_time": "0001-01-01T00:00:00Z",
        "last_updated_time": "2023-02-10T18:17:27.089757383Z",
        "metadata": {
          "tag1": "production"
        },
        "secret_id_accessor": "2be760a4-86bb-2fa9-1637-1b7fa9ba2896",
        "secret_id_num_uses": 0,
        "secret_id_ttl": 0,
        "token_bound_cidrs": []
      },
      "wrap_info": null,
      "warnings": null,
      "auth": null
    })
}

#[tokio::test]
async fn secret_ids_are_generated_looked_up_and_destroyed_as_documented() {
    let docs = Docs::start();
    docs.root("POST", ROLE, Some(sample_role())).await;
    let payload = json!({"metadata": "{ \"tag1\": \"production\" }", "ttl": 600, "num_uses": 50});
    let generated = docs.root("POST", &format!("{ROLE}/secret-id"), Some(payload)).await;
    assert_eq!(generated.status, 200);
    assert_shape(
        &generated.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "secret_id_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780",
            "secret_id": "841771dc-11c9-bbc7-bcac-6a3945a69cd9",
            "secret_id_ttl": 600,
            "secret_id_num_uses": 50
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    let data = generated.data();
    assert_eq!((&data["secret_id_ttl"], &data["secret_id_num_uses"]), (&json!(600), &json!(50)));
    let secret_id = data["secret_id"].as_str().unwrap().to_owned();
    let accessor = data["secret_id_accessor"].as_str().unwrap().to_owned();
    // The TTL as a duration string, the CIDRs as a comma-separated string.
    let other = json!({"ttl": "10m", "cidr_list": "127.0.0.1/32,10.0.0.0/8"});
    let other = docs.root("POST", &format!("{ROLE}/secret-id"), Some(other)).await;
    assert_eq!(other.data()["secret_id_ttl"], 600);

    let list = docs.root("LIST", &format!("{ROLE}/secret-id"), None).await;
    assert_shape(
        &list.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "keys": ["ce102d2a-8253-c437-bf9a-aceed4241491"]
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    assert!(list.data()["keys"].as_array().unwrap().contains(&json!(accessor)));

    let lookup = docs.root("POST", &format!("{ROLE}/secret-id/lookup"), Some(json!({"secret_id": secret_id}))).await;
    assert_eq!(lookup.status, 200);
    assert_shape(&lookup.body, &secret_id_lookup_sample());
    assert_eq!(lookup.data()["metadata"], json!({"tag1": "production"}));
    let other_accessor = other.data()["secret_id_accessor"].clone();
    let by_accessor = docs
        .root("POST", &format!("{ROLE}/secret-id-accessor/lookup"), Some(json!({"secret_id_accessor": other_accessor})))
        .await;
    // That SecretID has no metadata: an empty map.
    let mut sample = secret_id_lookup_sample();
    sample["data"]["metadata"] = json!({});
    assert_shape(&by_accessor.body, &sample);
    assert_eq!(by_accessor.data()["cidr_list"], json!(["127.0.0.1/32", "10.0.0.0/8"]));

    let custom = json!({"secret_id": "testsecretid", "ttl": 600, "num_uses": 50});
    let custom = docs.root("POST", &format!("{ROLE}/custom-secret-id"), Some(custom)).await;
    assert_shape(
        &custom.body,
        &json!({
          "auth": null,
          "warnings": null,
          "wrap_info": null,
          "data": {
            "secret_id": "testsecretid",
            "secret_id_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780",
            "secret_id_ttl": 600,
            "secret_id_num_uses": 50
          },
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    assert_eq!(custom.data()["secret_id"], "testsecretid");

    let destroy = docs.root("POST", &format!("{ROLE}/secret-id/destroy"), Some(json!({"secret_id": secret_id}))).await;
    assert_eq!(destroy.status, 204);
    // Looking up a SecretID Vault does not know answers nothing.
    let gone = docs.root("POST", &format!("{ROLE}/secret-id/lookup"), Some(json!({"secret_id": secret_id}))).await;
    assert_eq!(gone.status, 204);
    let path = format!("{ROLE}/secret-id-accessor/destroy");
    assert_eq!(docs.root("POST", &path, Some(json!({"secret_id_accessor": other_accessor}))).await.status, 204);
    assert_eq!(docs.vault.secret_id_count("approle", "application1"), 1);

    let tidy = docs.root("POST", "auth/approle/tidy/secret-id", None).await;
    assert_eq!(tidy.status, 200);
    assert_shape(
        &tidy.body,
        &json!({
          "request_id": "b20b56e3-4699-5b19-cc6b-e74f7b787bbf",
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

#[tokio::test]
async fn login_answers_the_documented_auth_block() {
    let docs = Docs::start();
    let role = json!({"token_ttl": 1200, "token_policies": ["default"], "bind_secret_id": true});
    docs.root("POST", ROLE, Some(role)).await;
    let role_id = docs.root("GET", &format!("{ROLE}/role-id"), None).await.data()["role_id"].clone();
    let secret_id = docs.root("POST", &format!("{ROLE}/secret-id"), Some(json!({}))).await.data()["secret_id"].clone();

    let login =
        docs.call("POST", "auth/approle/login", None, Some(json!({"role_id": role_id, "secret_id": secret_id})));
    let login = login.await;
    assert_eq!(login.status, 200);
    // The sample's `metadata` is null; Vault puts the role's name there
    // (`role_name`), and so does this Vault.
    assert_shape(
        &login.body,
        &json!({
          "auth": {
            "renewable": true,
            "lease_duration": 1200,
            "metadata": {"role_name": "application1"},
            "token_policies": ["default"],
            "accessor": "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374",
            "client_token": "5b1a0318-679c-9c45-e5c6-d1b9a9035d49"
          },
          "warnings": null,
          "wrap_info": null,
          "data": null,
          "lease_duration": 0,
          "renewable": false,
          "lease_id": ""
        }),
    );
    let auth = &login.body["auth"];
    assert_eq!((&auth["lease_duration"], &auth["token_policies"]), (&json!(1200), &json!(["default"])));
    assert_eq!(auth["metadata"]["role_name"], "application1");
    let bad =
        docs.call("POST", "auth/approle/login", None, Some(json!({"role_id": role_id, "secret_id": "nope"}))).await;
    assert_eq!(bad.status, 400);
    docs.stop().await;
}

#[tokio::test]
async fn each_role_field_has_its_own_endpoint() {
    let docs = Docs::start();
    docs.root("POST", ROLE, Some(sample_role())).await;
    // (endpoint, payload, field read back, value read back)
    let fields = [
        ("policies", json!({"token_policies": ["a", "b"]}), "token_policies", json!(["a", "b"])),
        ("secret-id-num-uses", json!({"secret_id_num_uses": 5}), "secret_id_num_uses", json!(5)),
        ("secret-id-ttl", json!({"secret_id_ttl": "10m"}), "secret_id_ttl", json!(600)),
        ("token-ttl", json!({"token_ttl": 600}), "token_ttl", json!(600)),
        ("token-max-ttl", json!({"token_max_ttl": "1h"}), "token_max_ttl", json!(3600)),
        ("bind-secret-id", json!({"bind_secret_id": true}), "bind_secret_id", json!(true)),
        (
            "secret-id-bound-cidrs",
            json!({"secret_id_bound_cidrs": "10.0.0.0/8,127.0.0.1/32"}),
            "secret_id_bound_cidrs",
            json!(["10.0.0.0/8", "127.0.0.1/32"]),
        ),
        (
            "token-bound-cidrs",
            json!({"token_bound_cidrs": ["127.0.0.1/32"]}),
            "token_bound_cidrs",
            json!(["127.0.0.1/32"]),
        ),
        ("period", json!({"period": 300}), "period", json!(300)),
    ];
    for (endpoint, payload, field, value) in fields {
        let path = format!("{ROLE}/{endpoint}");
        assert_eq!(docs.root("POST", &path, Some(payload)).await.status, 204, "POST {path}");
        let read = docs.root("GET", &path, None).await;
        assert_eq!(read.status, 200, "GET {path}");
        assert_eq!(read.data()[field], value, "GET {path}");
        assert_eq!(docs.root("DELETE", &path, None).await.status, 204, "DELETE {path}");
    }
    // Deleting a field resets it.
    let policies = docs.root("GET", &format!("{ROLE}/policies"), None).await;
    assert_eq!(policies.data()["token_policies"], json!([]));
    docs.stop().await;
}
