//! `api_index.mdx`: what holds for every endpoint: tokens as
//! `X-Vault-Token` or a bearer token, `LIST` or `GET ?list=true`, the error
//! shape, 404 for empty lists and for path parameters ending in a period,
//! 405 for unsupported methods, form bodies, and `?help=1`.

use serde_json::json;

use crate::{Docs, ROOT, assert_shape};

#[tokio::test]
async fn the_overviews_rules_hold() {
    let docs = Docs::start();
    // Either header carries the token.
    let bearer = docs.request("GET", "auth/token/lookup-self").bearer_auth(ROOT);
    assert_eq!(Docs::send(bearer).await.status, 200);
    let denied = docs.call("GET", "auth/token/lookup-self", Some("s.nothing"), None).await;
    assert_eq!((denied.status, &denied.body), (403, &json!({"errors": ["permission denied"]})));

    // The overview's kv v1 example, on a kv v1 mount.
    docs.root("POST", "sys/mounts/kv1", Some(json!({"type": "kv"}))).await;
    let written = docs.request("POST", "kv1/baz").header("X-Vault-Token", ROOT).json(&json!({"value": "bar"}));
    assert_eq!(Docs::send(written).await.status, 204);
    let list = docs.root("LIST", "kv1/", None).await;
    assert_eq!(docs.root("GET", "kv1/?list=true", None).await.body["data"], list.body["data"]);
    assert_eq!(list.data()["keys"], json!(["baz"]));
    // The kv v2 example: `data/` before the secret's name.
    let v2 =
        docs.request("POST", "secret/data/baz").header("X-Vault-Token", ROOT).json(&json!({"data": {"value": "bar"}}));
    assert_eq!(Docs::send(v2).await.status, 200);

    // Errors are `{"errors": [...]}`; LIST with no results is a 404.
    let empty = docs.root("LIST", "kv1/nothing/", None).await;
    assert_eq!((empty.status, &empty.body), (404, &json!({"errors": []})));
    assert_shape(&docs.root("GET", "nowhere/at/all", None).await.body, &json!({"errors": ["message"]}));
    let dotted = docs.root("GET", "auth/token/roles/name.", None).await;
    assert_eq!((dotted.status, dotted.errors().as_str()), (404, "unsupported path"));
    assert_eq!(docs.root("DELETE", "auth/token/lookup-self", None).await.status, 405);

    // A form body (what `curl -d k=v` sends) is read as Vault reads it.
    let form = docs
        .request("POST", "kv1/form")
        .header("X-Vault-Token", ROOT)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("a=1&b=two");
    assert_eq!(Docs::send(form).await.status, 204);
    assert_eq!(docs.root("GET", "kv1/form", None).await.data(), &json!({"a": "1", "b": "two"}));

    // `?help=1`: the endpoint's help, to whoever may use the path.
    let help = docs.root("GET", "secret?help=1", None).await;
    assert_eq!(help.status, 200);
    assert_shape(
        &help.body,
        &json!({"help": "## DESCRIPTION", "openapi": {"openapi": "3.0.2", "info": {}, "paths": {}}}),
    );
    assert!(help.body["help"].as_str().unwrap().contains("versioned key-value store"));
    assert_eq!(docs.call("GET", "secret?help=1", None, None).await.status, 403);
    docs.stop().await;
}
