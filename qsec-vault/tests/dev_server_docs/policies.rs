//! `api_system_policies.mdx` and `api_system_policy.mdx`: ACL policies
//! through both APIs, and `sys/capabilities*` (whose names come from the
//! ACL module, `scan` included).

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use crate::{Docs, assert_shape};

const POLICY: &str = "path \"secret/foo\" {\n  capabilities = [\"read\", \"list\", \"scan\"]\n}\n";

#[tokio::test]
async fn acl_policies_are_listed_written_read_patched_and_deleted_as_documented() {
    let docs = Docs::start();
    let list = docs.root("LIST", "sys/policies/acl", None).await;
    assert_shape(&list.body, &json!({"keys": ["root", "my-policy"]}));
    assert_eq!(list.body["keys"], json!(["default", "root"]));

    // The sample's policy is cut short ("{..."): Vault cannot parse it.
    let sample =
        docs.root("POST", "sys/policies/acl/my-policy", Some(json!({"policy": "path \"secret/foo\" {..."}))).await;
    assert_eq!(sample.status, 400);
    assert_eq!(docs.root("POST", "sys/policies/acl/my-policy", Some(json!({"policy": POLICY}))).await.status, 204);
    let read = docs.root("GET", "sys/policies/acl/my-policy", None).await;
    assert_eq!(read.status, 200);
    let read_sample = json!({
      "name": "deploy",
      "policy": "path \"secret/foo\" {...",
      "modified": "2025-03-25T16:50:49.348095648-05:00",
      "version": 3,
      "cas_required": true
    });
    assert_shape(&read.body, &read_sample);
    assert_eq!((&read.body["policy"], &read.body["version"]), (&json!(POLICY), &json!(1)));
    let listed = docs.root("LIST", "sys/policies/acl/my", None).await;
    assert_eq!(listed.body["keys"], json!(["my-policy"]));

    // Check-and-set: -1 creates only; a wrong version is refused.
    let cas = json!({"policy": POLICY, "cas": -1});
    assert_eq!(docs.root("POST", "sys/policies/acl/my-policy", Some(cas.clone())).await.status, 400);
    assert_eq!(docs.root("POST", "sys/policies/acl/fresh", Some(cas)).await.status, 204);
    let required = json!({"policy": POLICY, "cas": 1, "cas_required": true});
    assert_eq!(docs.root("POST", "sys/policies/acl/my-policy", Some(required)).await.status, 204);
    assert_eq!(docs.root("POST", "sys/policies/acl/my-policy", Some(json!({"policy": POLICY}))).await.status, 400);
    // PATCH keeps what it does not set; base64 spares the escaping.
    let encoded =
        base64::engine::general_purpose::STANDARD.encode("path \"secret/bar\" {\n  capabilities = [\"read\"]\n}");
    assert_eq!(docs.patch("sys/policies/acl/my-policy", json!({"policy": encoded, "cas": 2})).await.status, 204);
    let patched = docs.root("GET", "sys/policies/acl/my-policy", None).await;
    assert_eq!((&patched.body["cas_required"], &patched.body["version"]), (&json!(true), &json!(3)));
    assert!(patched.body["policy"].as_str().unwrap().contains("secret/bar"));
    assert_eq!(docs.patch("sys/policies/acl/nothing", json!({"policy": POLICY})).await.status, 404);

    let detailed = docs.root("LIST", "sys/policies/detailed/acl", None).await;
    assert_eq!(detailed.data()["keys"], json!(["default", "fresh", "my-policy", "root"]));
    assert_shape(&detailed.data()["key_info"]["my-policy"], &read_sample);

    // A policy with a TTL is gone once it passes (on the vault's clock).
    assert_eq!(
        docs.root("POST", "sys/policies/acl/brief", Some(json!({"policy": POLICY, "ttl": "1h"}))).await.status,
        204
    );
    assert!(docs.root("GET", "sys/policies/acl/brief", None).await.body["expiration"].is_string());
    docs.vault.clock().advance(Duration::from_secs(3601));
    assert_eq!(docs.root("GET", "sys/policies/acl/brief", None).await.status, 404);

    let root = docs.root("POST", "sys/policies/acl/root", Some(json!({"policy": POLICY}))).await;
    assert_eq!((root.status, root.errors().as_str()), (400, "cannot update \"root\" policy"));
    for name in ["root", "default"] {
        let delete = docs.root("DELETE", &format!("sys/policies/acl/{name}"), None).await;
        assert_eq!((delete.status, delete.errors()), (400, format!("cannot delete \"{name}\" policy")));
    }
    assert_eq!(docs.root("DELETE", "sys/policies/acl/my-policy", None).await.status, 204);
    assert_eq!(docs.root("GET", "sys/policies/acl/my-policy", None).await.status, 404);
    docs.stop().await;
}

#[tokio::test]
async fn the_older_policy_api_answers_its_own_shapes() {
    let docs = Docs::start();
    assert_eq!(docs.root("POST", "sys/policy/my-policy", Some(json!({"policy": POLICY}))).await.status, 204);
    let list = docs.root("GET", "sys/policy", None).await;
    assert_shape(&list.body, &json!({"policies": ["root", "deploy"]}));
    assert_eq!(list.body["policies"], json!(["default", "my-policy", "root"]));
    let prefixed = docs.root("LIST", "sys/policy/my", None).await;
    assert_eq!(prefixed.body["policies"], json!(["my-policy"]));

    let read = docs.root("GET", "sys/policy/my-policy", None).await;
    assert_shape(
        &read.body,
        &json!({
          "name": "my-policy",
          "rules": "path \"secret/*\"...",
          "modified": "2025-03-25T16:50:49.348095648-05:00",
          "version": "1",
          "cas_required": false,
          "allow_slashes_in_identity_templates": false,
          "allow_wildcards_in_identity_templates": false
        }),
    );
    assert_eq!((&read.body["rules"], &read.body["version"]), (&json!(POLICY), &json!("1")));
    assert_eq!(docs.root("DELETE", "sys/policy/my-policy", None).await.status, 204);
    assert_eq!(docs.root("GET", "sys/policy/my-policy", None).await.status, 404);
    docs.stop().await;
}

#[tokio::test]
async fn capabilities_are_named_as_vault_names_them() {
    let docs = Docs::start();
    docs.root("POST", "sys/policies/acl/reader", Some(json!({"policy": POLICY}))).await;
    let token = docs.root("POST", "auth/token/create", Some(json!({"policies": ["reader"]}))).await;
    let token = token.body["auth"]["client_token"].as_str().unwrap().to_owned();
    let own = docs.call("POST", "sys/capabilities-self", Some(&token), Some(json!({"paths": ["secret/foo"]}))).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.data()["secret/foo"], json!(["list", "read", "scan"]));
    assert_eq!(own.body["capabilities"], json!(["list", "read", "scan"]));
    let other = docs.root("POST", "sys/capabilities", Some(json!({"token": token, "path": "secret/other"}))).await;
    assert_eq!(other.data()["secret/other"], json!(["deny"]));
    let root = docs.root("POST", "sys/capabilities-self", Some(json!({"paths": "secret/foo"}))).await;
    assert_eq!(root.data()["secret/foo"], json!(["root"]));
    docs.stop().await;
}
