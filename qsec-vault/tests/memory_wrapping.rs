//! MemoryVault: response wrapping (`X-Vault-Wrap-TTL`, `sys/wrapping/*`).

use std::time::Duration;

use qsec_vault::testkit::memory::{VaultReply, VaultRequest};
use serde_json::{Value, json};

mod common;

use common::memory::{frozen_dev_vault, post};

fn wrap_info(reply: VaultReply) -> Value {
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.body.unwrap();
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["auth"], Value::Null);
    body["wrap_info"].clone()
}

#[test]
fn wrap_lookup_unwrap_once() {
    let vault = frozen_dev_vault();
    let info = wrap_info(
        vault.handle(
            VaultRequest::post("sys/wrapping/wrap", json!({"foo": "bar", "zip": "zap"}))
                .with_token("root")
                .with_wrap_ttl("5m"),
        ),
    );
    assert_eq!(info["ttl"], 300);
    assert_eq!(info["creation_path"], "sys/wrapping/wrap");
    assert!(info["creation_time"].as_str().unwrap().ends_with('Z'));
    assert!(info["accessor"].is_string());
    let token = info["token"].as_str().unwrap();

    // Lookup needs no token, and does not use the wrapping token up.
    let lookup = vault.handle(VaultRequest::post("sys/wrapping/lookup", json!({"token": token})));
    assert_eq!(lookup.status, 200);
    assert_eq!(lookup.data().unwrap()["creation_ttl"], 300);
    assert_eq!(lookup.data().unwrap()["creation_path"], "sys/wrapping/wrap");

    // Another token may unwrap, passing the wrapping token in the body.
    let unwrap = post(&vault, "root", "sys/wrapping/unwrap", json!({"token": token}));
    assert_eq!(unwrap.status, 200);
    assert_eq!(unwrap.data().unwrap(), &json!({"foo": "bar", "zip": "zap"}));
    let again = post(&vault, "root", "sys/wrapping/unwrap", json!({"token": token}));
    assert_eq!(again.status, 400);
    assert_eq!(again.body.unwrap(), json!({"errors": ["wrapping token is not valid or does not exist"]}));
    let lookup = vault.handle(VaultRequest::post("sys/wrapping/lookup", json!({"token": token})));
    assert_eq!(lookup.status, 400);
}

#[test]
fn wrap_ttl_defaults_to_five_minutes_on_wrap() {
    let vault = frozen_dev_vault();
    let info = wrap_info(post(&vault, "root", "sys/wrapping/wrap", json!({"a": 1})));
    assert_eq!(info["ttl"], 300);
}

#[test]
fn wrapping_tokens_expire() {
    let vault = frozen_dev_vault();
    let info = wrap_info(
        vault.handle(VaultRequest::post("sys/wrapping/wrap", json!({"a": 1})).with_token("root").with_wrap_ttl("60")),
    );
    assert_eq!(vault.wrapping_token_count(), 1);
    vault.clock().advance(Duration::from_secs(60));
    let token = info["token"].as_str().unwrap();
    let unwrap = vault.handle(VaultRequest::post("sys/wrapping/unwrap", json!({})).with_token(token));
    assert_eq!(unwrap.status, 400);
    assert_eq!(vault.wrapping_token_count(), 0);
}

#[test]
fn wrapped_token_creation_reports_the_wrapped_accessor() {
    let vault = frozen_dev_vault();
    let info = wrap_info(
        vault.handle(
            VaultRequest::post("auth/token/create", json!({"policies": ["default"]}))
                .with_token("root")
                .with_wrap_ttl("2m"),
        ),
    );
    assert_eq!(info["creation_path"], "auth/token/create");
    let accessor = info["wrapped_accessor"].as_str().unwrap();
    let unwrap =
        vault.handle(VaultRequest::post("sys/wrapping/unwrap", json!({})).with_token(info["token"].as_str().unwrap()));
    let auth = unwrap.body.unwrap()["auth"].clone();
    assert_eq!(auth["accessor"], accessor);
    assert!(vault.token_is_valid(auth["client_token"].as_str().unwrap()));
}

#[test]
fn wrapping_tokens_open_nothing_else() {
    let vault = frozen_dev_vault();
    let info = wrap_info(post(&vault, "root", "sys/wrapping/wrap", json!({"a": 1})));
    let token = info["token"].as_str().unwrap();
    assert_eq!(vault.handle(VaultRequest::get("auth/token/lookup-self").with_token(token)).status, 403);
    assert_eq!(vault.handle(VaultRequest::get("secret/data/x").with_token(token)).status, 403);
}

#[test]
fn rewrap_moves_the_content_to_a_new_token() {
    let vault = frozen_dev_vault();
    let info = wrap_info(vault.handle(
        VaultRequest::post("secret/data/app", json!({"data": {"k": "v"}})).with_token("root").with_wrap_ttl("10m"),
    ));
    let old = info["token"].as_str().unwrap();
    let rewrapped = post(&vault, "root", "sys/wrapping/rewrap", json!({"token": old}));
    let new_info = rewrapped.body.unwrap()["wrap_info"].clone();
    assert_eq!(new_info["creation_path"], "secret/data/app");
    assert_eq!(new_info["ttl"], 600);
    assert_eq!(post(&vault, "root", "sys/wrapping/unwrap", json!({"token": old})).status, 400);
    let unwrap = post(&vault, "root", "sys/wrapping/unwrap", json!({"token": new_info["token"]}));
    assert_eq!(unwrap.data().unwrap()["version"], 1);
}

#[test]
fn errors_and_no_content_are_not_wrapped() {
    let vault = frozen_dev_vault();
    let denied = vault.handle(VaultRequest::get("secret/data/missing").with_token("root").with_wrap_ttl("1m"));
    assert_eq!(denied.status, 404);
    let no_content = vault.handle(
        VaultRequest::post("sys/policies/acl/p", json!({"policy": "path \"a\" { capabilities = [\"read\"] }"}))
            .with_token("root")
            .with_wrap_ttl("1m"),
    );
    assert_eq!(no_content.status, 204);
    let bad =
        vault.handle(VaultRequest::post("sys/wrapping/wrap", json!({"a": 1})).with_token("root").with_wrap_ttl("soon"));
    assert_eq!(bad.status, 400);
    assert_eq!(vault.wrapping_token_count(), 0);
}
