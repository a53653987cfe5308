//! MemoryVault: `sys/health`, seal, mounts and auth methods, faults, the
//! request log.

use std::time::{Duration, Instant};

use qsec_core::VaultBackend;
use qsec_vault::testkit::memory::{Method, VaultRequest};
use serde_json::json;

mod common;

use common::memory::{dev_vault, get, post};

#[test]
fn health_answers_without_a_token_and_honours_codes() {
    let vault = dev_vault();
    let health = vault.handle(VaultRequest::get("sys/health"));
    assert_eq!(health.status, 200);
    let body = health.body.unwrap();
    assert_eq!(body["initialized"], true);
    assert_eq!(body["sealed"], false);
    assert_eq!(body["standby"], false);
    assert!(body["server_time_utc"].as_u64().unwrap() > 1_600_000_000);
    assert!(body.get("request_id").is_none(), "not an envelope");

    vault.faults().seal();
    assert_eq!(vault.handle(VaultRequest::get("sys/health")).status, 503);
    let custom = vault.handle(VaultRequest::get("sys/health").with_query("sealedcode", "200"));
    assert_eq!(custom.status, 200);
    assert_eq!(custom.body.unwrap()["sealed"], true);
    vault.faults().unseal();
    assert_eq!(vault.handle(VaultRequest::get("sys/health").with_query("activecode", "204")).status, 204);
    assert_eq!(vault.handle(VaultRequest::get("sys/health").with_query("activecode", "x")).status, 400);
}

#[test]
fn a_sealed_vault_answers_503_everywhere_but_status_endpoints() {
    let vault = dev_vault();
    assert_eq!(post(&vault, "root", "sys/seal", json!({})).status, 204);
    let read = get(&vault, "root", "secret/data/x");
    assert_eq!(read.status, 503);
    assert_eq!(read.body.unwrap(), json!({"errors": ["Vault is sealed"]}));
    let status = vault.handle(VaultRequest::get("sys/seal-status"));
    assert_eq!(status.status, 200);
    assert_eq!(status.body.unwrap()["sealed"], true);
    let missing_key = vault.handle(VaultRequest::post("sys/unseal", json!({})));
    assert_eq!(missing_key.status, 400);
    let unseal = vault.handle(VaultRequest::post("sys/unseal", json!({"key": "anything"})));
    assert_eq!(unseal.status, 200);
    assert_eq!(unseal.body.unwrap()["sealed"], false);
    assert_eq!(get(&vault, "root", "auth/token/lookup-self").status, 200, "tokens survive the seal");
}

#[test]
fn secrets_engines_are_listed_enabled_tuned_and_disabled() {
    let vault = dev_vault();
    let mounts = get(&vault, "root", "sys/mounts");
    let data = mounts.data().unwrap();
    for path in ["secret/", "pki/", "database/", "aws/", "cubbyhole/", "sys/"] {
        assert!(data.get(path).is_some(), "{path} missing");
    }
    assert_eq!(data["secret/"]["type"], "kv");
    assert_eq!(data["secret/"]["options"]["version"], "2");
    assert_eq!(mounts.body.unwrap()["secret/"]["type"], "kv", "sys answers repeat data at the top level");

    let enable = post(
        &vault,
        "root",
        "sys/mounts/kv-apps",
        json!({"type": "kv", "options": {"version": "2"}, "config": {"max_lease_ttl": "1h"}}),
    );
    assert_eq!(enable.status, 204);
    assert_eq!(
        post(&vault, "root", "sys/mounts/kv-apps", json!({"type": "kv"})).errors(),
        ["path is already in use at kv-apps/"]
    );
    assert_eq!(post(&vault, "root", "sys/mounts/nope", json!({"type": "nosuch"})).status, 400);
    let tune = get(&vault, "root", "sys/mounts/kv-apps/tune");
    assert_eq!(tune.data().unwrap()["max_lease_ttl"], 3600);
    assert_eq!(post(&vault, "root", "sys/mounts/kv-apps/tune", json!({"default_lease_ttl": 60})).status, 204);
    assert_eq!(get(&vault, "root", "sys/mounts/kv-apps/tune").data().unwrap()["default_lease_ttl"], 60);
    post(&vault, "root", "kv-apps/data/x", json!({"data": {"a": 1}}));
    assert_eq!(get(&vault, "root", "kv-apps/data/x").status, 200);
    assert_eq!(vault.handle(VaultRequest::delete("sys/mounts/kv-apps").with_token("root")).status, 204);
    let gone = get(&vault, "root", "kv-apps/data/x");
    assert_eq!(gone.status, 404);
    assert!(gone.errors()[0].starts_with("no handler for route"));
}

#[test]
fn auth_methods_are_listed_enabled_and_disabled() {
    let vault = dev_vault();
    let auth = get(&vault, "root", "sys/auth");
    let data = auth.data().unwrap();
    assert_eq!(data["token/"]["type"], "token");
    assert_eq!(data["approle/"]["type"], "approle");
    assert_eq!(post(&vault, "root", "sys/auth/more", json!({"type": "approle", "description": "x"})).status, 204);
    post(&vault, "root", "auth/more/role/r", json!({}));
    let role_id = get(&vault, "root", "auth/more/role/r/role-id").data().unwrap()["role_id"].clone();
    let secret_id = post(&vault, "root", "auth/more/role/r/secret-id", json!({})).data().unwrap()["secret_id"].clone();
    let login =
        vault.handle(VaultRequest::post("auth/more/login", json!({"role_id": role_id, "secret_id": secret_id})));
    let token = login.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned();
    assert_eq!(vault.handle(VaultRequest::delete("sys/auth/more").with_token("root")).status, 204);
    assert!(!vault.token_is_valid(&token), "its tokens go with it");
    assert_eq!(vault.handle(VaultRequest::delete("sys/auth/token").with_token("root")).status, 400);
}

#[test]
fn injected_failures_hit_the_next_requests_and_change_nothing() {
    let vault = dev_vault();
    vault.faults().fail_next(2, 503);
    let first = post(&vault, "root", "secret/data/x", json!({"data": {"a": 1}}));
    assert_eq!(first.status, 503);
    assert!(!first.errors().is_empty());
    assert_eq!(get(&vault, "root", "sys/mounts").status, 503);
    assert_eq!(get(&vault, "root", "secret/data/x").status, 404, "the failed write changed nothing");

    vault.faults().fail_next_matching(1, "auth/token/lookup", 429);
    assert_eq!(get(&vault, "root", "sys/mounts").status, 200);
    assert_eq!(get(&vault, "root", "auth/token/lookup-self").status, 429);
    assert_eq!(get(&vault, "root", "auth/token/lookup-self").status, 200);
}

#[tokio::test]
async fn latency_delays_async_requests() {
    let vault = dev_vault();
    vault.faults().set_latency(Duration::from_millis(150));
    let started = Instant::now();
    let reply = vault.handle_async(VaultRequest::get("sys/health")).await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    vault.faults().clear();
    assert_eq!(vault.faults().latency(), Duration::ZERO);
}

#[tokio::test]
async fn the_backend_retries_transient_failures_a_bounded_number_of_times() {
    let vault = dev_vault();
    let backend = vault.backend().with_token("root");
    vault.faults().fail_next(2, 500);
    assert!(backend.read("sys/mounts").await.unwrap().is_some(), "two retries absorb two failures");
    vault.faults().fail_next(3, 503);
    let error = backend.read("sys/mounts").await.unwrap_err();
    assert_eq!(error.vault_status(), Some(503));
    vault.faults().fail_next(1, 503);
    let strict = vault.backend().with_token("root").with_retries(0);
    assert_eq!(strict.read("sys/mounts").await.unwrap_err().vault_status(), Some(503));
}

#[test]
fn the_request_log_keeps_method_path_and_status_only() {
    let vault = dev_vault();
    post(&vault, "root", "secret/data/app", json!({"data": {"password": "hunter2"}}));
    get(&vault, "root", "secret/data/app");
    vault.handle(VaultRequest::list("secret/metadata/").with_token("root"));
    let log = vault.request_log();
    assert_eq!(log.len(), 3);
    assert_eq!((log[0].method, log[0].path.as_str(), log[0].status), (Method::Post, "secret/data/app", 200));
    assert!(log[0].is_successful_write());
    assert_eq!(log[1].method, Method::Get);
    assert_eq!(log[2].method, Method::List);
    let printed = format!("{log:?}");
    assert!(!printed.contains("hunter2") && !printed.contains("root\""), "{printed}");
    vault.clear_request_log();
    assert!(vault.request_log().is_empty());
    get(&vault, "root", "secret/data/app");
    assert!(!vault.request_log().iter().any(|r| r.is_successful_write()), "a read writes nothing");
}

#[test]
fn non_root_namespaces_are_refused_clearly() {
    let vault = dev_vault();
    let reply = vault.handle(VaultRequest::get("auth/token/lookup-self").with_token("root").with_namespace("ns1/"));
    assert_eq!(reply.status, 400);
    assert!(reply.errors()[0].contains("namespaces are not supported"));
    let root = vault.handle(VaultRequest::get("auth/token/lookup-self").with_token("root").with_namespace("root"));
    assert_eq!(root.status, 200);
}

#[test]
fn unknown_paths_are_404_and_bodies_must_be_objects() {
    let vault = dev_vault();
    let reply = get(&vault, "root", "nowhere/at/all");
    assert_eq!(reply.status, 404);
    let array = vault.handle(VaultRequest::post("secret/data/x", json!([1, 2])).with_token("root"));
    assert_eq!(array.status, 400);
}

#[test]
fn other_builtin_types_mount_but_serve_nothing() {
    let vault = dev_vault();
    assert_eq!(
        post(&vault, "root", "sys/auth/my-auth", json!({"type": "github", "description": "Login with GitHub"})).status,
        204
    );
    let tune = get(&vault, "root", "sys/auth/my-auth/tune");
    assert_eq!(tune.data().unwrap()["token_type"], "default-service");
    assert_eq!(get(&vault, "root", "sys/auth").data().unwrap()["my-auth/"]["type"], "github");
    assert_eq!(post(&vault, "root", "auth/my-auth/login", json!({})).status, 404);
    assert_eq!(vault.handle(VaultRequest::delete("sys/auth/my-auth").with_token("root")).status, 204);
    assert_eq!(post(&vault, "root", "sys/mounts/transit", json!({"type": "transit"})).status, 204);
    assert_eq!(get(&vault, "root", "sys/mounts/transit").data().unwrap()["type"], "transit");
}
