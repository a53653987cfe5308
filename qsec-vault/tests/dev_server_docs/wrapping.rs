//! `api_system_wrapping-wrap.mdx`, `-lookup.mdx` and `-unwrap.mdx` (and
//! rewrap, which `concepts_response-wrapping.mdx` describes).

use serde_json::json;

use crate::{Docs, ROOT, assert_shape};

/// `sys/wrapping/wrap` with the documented payload and `X-Vault-Wrap-TTL`.
async fn wrap(docs: &Docs, ttl: &str) -> crate::Reply {
    let request = docs
        .request("POST", "sys/wrapping/wrap")
        .header("X-Vault-Token", ROOT)
        .header("X-Vault-Wrap-TTL", ttl)
        .body(json!({"foo": "bar", "zip": "zap"}).to_string());
    Docs::send(request).await
}

#[tokio::test]
async fn values_are_wrapped_looked_up_and_unwrapped_as_documented() {
    let docs = Docs::start();
    let wrapped = wrap(&docs, "60").await;
    assert_eq!(wrapped.status, 200);
    assert_shape(
        &wrapped.body,
        &json!({
          "request_id": "",
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": null,
          "warnings": null,
          "wrap_info": {
            "token": "fb79b9d3-d94e-9eb6-4919-c559311133d6",
            "ttl": 300,
            "creation_time": "2016-09-28T14:41:00.56961496-04:00",
            "creation_path": "sys/wrapping/wrap"
          }
        }),
    );
    let info = &wrapped.body["wrap_info"];
    assert_eq!((&info["ttl"], &info["creation_path"]), (&json!(60), &json!("sys/wrapping/wrap")));
    let token = info["token"].as_str().unwrap().to_owned();
    // The TTL as a duration string.
    assert_eq!(wrap(&docs, "5m").await.body["wrap_info"]["ttl"], 300);

    // Looking up needs no token of one's own.
    let lookup = docs.call("POST", "sys/wrapping/lookup", None, Some(json!({"token": token}))).await;
    assert_eq!(lookup.status, 200);
    assert_shape(
        &lookup.body,
        &json!({
          "request_id": "481320f5-fdf8-885d-8050-65fa767fd19b",
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": {
            "creation_path": "sys/wrapping/wrap",
            "creation_time": "2016-09-28T14:16:13.07103516-04:00",
            "creation_ttl": 300
          },
          "wrap_info": null,
          "warnings": null,
          "auth": null
        }),
    );
    assert_eq!(lookup.data()["creation_ttl"], 60);

    let sample = json!({
      "request_id": "8e33c808-f86c-cff8-f30a-fbb3ac22c4a8",
      "lease_id": "",
      "lease_duration": 2592000,
      "renewable": false,
      "data": {
        "zip": "zap"
      },
      "warnings": null
    });
    // The wrapping token as the client token, no body.
    let unwrapped = docs.call("POST", "sys/wrapping/unwrap", Some(&token), None).await;
    assert_eq!(unwrapped.status, 200, "{}", unwrapped.text);
    assert_shape(&unwrapped.body, &sample);
    assert_eq!(unwrapped.data(), &json!({"foo": "bar", "zip": "zap"}));
    // Single use.
    let again = docs.call("POST", "sys/wrapping/unwrap", Some(&token), None).await;
    assert_eq!(again.status, 400);

    // Another token authenticates; the wrapping token goes in the body.
    let other = wrap(&docs, "60").await.body["wrap_info"]["token"].as_str().unwrap().to_owned();
    let unwrapped = docs.root("POST", "sys/wrapping/unwrap", Some(json!({"token": other}))).await;
    assert_shape(&unwrapped.body, &sample);

    // The wrapping token in both places is a double use: it is burnt and
    // unwraps nothing, as the docs warn.
    let both = wrap(&docs, "60").await.body["wrap_info"]["token"].as_str().unwrap().to_owned();
    let burnt = docs.call("POST", "sys/wrapping/unwrap", Some(&both), Some(json!({"token": both}))).await;
    assert_eq!(burnt.status, 400);
    assert_eq!(docs.call("POST", "sys/wrapping/unwrap", Some(&both), None).await.status, 400);

    // Rewrapping hands out a new token for the same answer.
    let first = wrap(&docs, "60").await.body["wrap_info"]["token"].as_str().unwrap().to_owned();
    let rewrapped = docs.root("POST", "sys/wrapping/rewrap", Some(json!({"token": first}))).await;
    let second = rewrapped.body["wrap_info"]["token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(docs.call("POST", "sys/wrapping/unwrap", Some(&first), None).await.status, 400);
    let unwrapped = docs.call("POST", "sys/wrapping/unwrap", Some(&second), None).await;
    assert_eq!(unwrapped.data()["zip"], "zap");
    docs.stop().await;
}
