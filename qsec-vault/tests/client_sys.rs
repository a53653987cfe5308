//! `sys/` through `VaultClient`: health, ACL policies, auth methods, mounts,
//! leases and wrapping, against wiremock with the documented requests and
//! sample responses (api_system_*.mdx).

use std::time::Duration;

use qsec_core::{KvVersion, VaultBackend, WrappingToken};
use qsec_vault::client::RetryPolicy;
use qsec_vault::client::requests::MountRequest;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

mod common;

use common::{NoBody, NoToken, expect, mock_vault, mock_vault_with, ok};

const TOKEN: &str = "s.admin-token";

fn health_sample() -> Value {
    json!({
      "initialized": true, "sealed": false, "standby": false,
      "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
      "server_time_utc": 1516639589, "version": "0.9.2",
      "cluster_name": "openbao-cluster-3bd69ca2", "cluster_id": "00af5aa8-c87d-b5fc-e82e-97cd8dfaf731"
    })
}

#[tokio::test]
async fn health_asks_with_standbyok_and_no_token() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("GET"))
        .and(path("/v1/sys/health"))
        .and(query_param("standbyok", "true"))
        .and(NoToken)
        .respond_with(ok(health_sample()))
        .expect(1)
        .mount(&server)
        .await;

    let health = client.health().await.unwrap();
    assert_eq!(health.status, 200);
    assert!(health.is_serving());
    assert_eq!(health.version, "0.9.2");
    assert_eq!(health.cluster_name, "openbao-cluster-3bd69ca2");
}

#[tokio::test]
async fn health_states_are_answers_and_are_not_retried() {
    for status in [429, 472, 473, 501, 503] {
        let retrying = RetryPolicy {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        };
        let (server, client) = mock_vault_with(None, retrying).await;
        let mut body = health_sample();
        body["sealed"] = json!(status == 503);
        body["initialized"] = json!(status != 501);
        Mock::given(method("GET"))
            .and(path("/v1/sys/health"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let health = client.health().await.unwrap();
        assert_eq!(health.status, status);
        assert_eq!(health.is_serving(), status != 501 && status != 503, "status {status}");
    }
}

#[tokio::test]
async fn health_reports_other_failures_as_errors() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(path("/v1/sys/health"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({ "errors": ["internal error"] })))
        .mount(&server)
        .await;
    let error = client.health().await.unwrap_err();
    assert_eq!(error.status(), Some(500));
}

#[tokio::test]
async fn acl_policies_are_listed_read_written_and_deleted() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    expect(&server, TOKEN, "LIST", "/v1/sys/policies/acl", None, ok(json!({ "keys": ["root", "my-policy"] }))).await;
    let read = json!({ "name": "deploy", "policy": "path \"secret/foo\" {...", "modified": "2025-03-25T16:50:49.348095648-05:00", "version": 3, "cas_required": true });
    expect(&server, TOKEN, "GET", "/v1/sys/policies/acl/my-policy", None, ok(read)).await;
    let write = json!({ "policy": "path \"secret/foo\" {..." });
    expect(&server, TOKEN, "POST", "/v1/sys/policies/acl/my-policy", Some(write), ResponseTemplate::new(204)).await;
    expect(&server, TOKEN, "DELETE", "/v1/sys/policies/acl/my-policy", None, ResponseTemplate::new(204)).await;
    expect(
        &server,
        TOKEN,
        "GET",
        "/v1/sys/policies/acl/none",
        None,
        ResponseTemplate::new(404).set_body_json(json!({ "errors": [] })),
    )
    .await;

    assert_eq!(*client.list_policies().await.unwrap(), ["root", "my-policy"]);
    let policy = client.read_policy("my-policy").await.unwrap().unwrap();
    assert_eq!((policy.name.as_str(), policy.policy.as_str()), ("deploy", "path \"secret/foo\" {..."));
    assert!(client.write_policy("my-policy", "path \"secret/foo\" {...").await.unwrap().is_none());
    assert!(client.delete_policy("my-policy").await.unwrap().is_none());
    assert!(client.read_policy("none").await.unwrap().is_none());
}

fn mount_entry(kind: &str, accessor: &str, options: Value) -> Value {
    json!({
      "accessor": accessor,
      "config": { "default_lease_ttl": 0, "force_no_cache": false, "max_lease_ttl": 0, "token_type": "default-service" },
      "deprecation_status": "supported", "description": "", "external_entropy_access": false, "local": false,
      "options": options, "plugin_version": "", "running_plugin_version": "v1.12.0+builtin.openbao",
      "running_sha256": "", "seal_wrap": false, "type": kind, "uuid": "4b42d1a4-0a0d-3c88-ae90-997e0c8b41be"
    })
}

#[tokio::test]
async fn auth_methods_are_listed_enabled_and_disabled() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let list = json!({
      "request_id": "9bc0fab8-d65c-3961-afe6-d05f50c5fd22", "lease_id": "", "lease_duration": 0, "renewable": false,
      "data": { "github/": mount_entry("github", "auth_github_badd7fd0", Value::Null), "token/": mount_entry("token", "auth_token_bd90f507", Value::Null) },
      "warnings": null
    });
    expect(&server, TOKEN, "GET", "/v1/sys/auth", None, ok(list)).await;
    let enable = json!({ "type": "github", "description": "Login with GitHub" });
    expect(&server, TOKEN, "POST", "/v1/sys/auth/my-auth", Some(enable), ResponseTemplate::new(204)).await;
    expect(&server, TOKEN, "DELETE", "/v1/sys/auth/my-auth", None, ResponseTemplate::new(204)).await;

    let methods = client.list_auth_methods().await.unwrap();
    assert_eq!(methods.keys().collect::<Vec<_>>(), ["github/", "token/"]);
    assert_eq!(methods["github/"].accessor, "auth_github_badd7fd0");
    let request = MountRequest { description: Some("Login with GitHub".into()), ..MountRequest::of_type("github") };
    assert!(client.enable_auth_method("my-auth", &request).await.unwrap().is_none());
    assert!(client.disable_auth_method("my-auth/").await.unwrap().is_none());
}

#[tokio::test]
async fn secrets_engines_are_listed_enabled_and_disabled() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let list = json!({
      "request_id": "48d2c601-97a0-3904-f549-4fcbc740d718", "lease_id": "", "lease_duration": 0, "renewable": false,
      "data": { "secret/": mount_entry("kv", "kv_aedd93c1", json!({ "version": "2" })), "sys/": mount_entry("system", "system_f8df2902", Value::Null) },
      "warnings": null
    });
    expect(&server, TOKEN, "GET", "/v1/sys/mounts", None, ok(list)).await;
    let enable = json!({ "type": "kv", "config": { "force_no_cache": true } });
    expect(&server, TOKEN, "POST", "/v1/sys/mounts/my-mount", Some(enable), ResponseTemplate::new(204)).await;
    let enable_v2 = json!({ "type": "kv", "options": { "version": "2" } });
    expect(&server, TOKEN, "POST", "/v1/sys/mounts/kv2", Some(enable_v2), ResponseTemplate::new(204)).await;
    expect(&server, TOKEN, "DELETE", "/v1/sys/mounts/my-mount", None, ResponseTemplate::new(204)).await;

    let mounts = client.list_mounts().await.unwrap();
    assert_eq!(mounts["secret/"].kv_version(), Some(KvVersion::V2));
    assert_eq!(mounts["sys/"].kv_version(), None);
    let mut request = MountRequest::of_type("kv");
    request.config.insert("force_no_cache".into(), json!(true));
    assert!(client.enable_mount("my-mount", &request).await.unwrap().is_none());
    assert!(client.enable_mount("kv2", &MountRequest::kv(KvVersion::V2)).await.unwrap().is_none());
    assert!(client.disable_mount("my-mount").await.unwrap().is_none());
}

#[tokio::test]
async fn leases_are_renewed_revoked_and_looked_up_by_id() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let renew = json!({ "lease_id": "auth/userpass/login/user/h5a2...", "increment": 1800 });
    let renewed =
        json!({ "lease_id": "auth/userpass/login/user/h5a2...", "renewable": true, "lease_duration": 2764790 });
    expect(&server, TOKEN, "POST", "/v1/sys/leases/renew", Some(renew), ok(renewed.clone())).await;
    expect(&server, TOKEN, "POST", "/v1/sys/leases/renew", Some(json!({ "lease_id": "db/creds/x/1" })), ok(renewed))
        .await;
    let revoke = json!({ "lease_id": "postgresql/creds/readonly/abcd-1234..." });
    expect(&server, TOKEN, "POST", "/v1/sys/leases/revoke", Some(revoke), ResponseTemplate::new(204)).await;
    let lookup = json!({ "data": {
        "expire_time": "2024-03-07T20:34:02.005655614+01:00",
        "id": "auth/userpass/login/user/h5a2d7506918f459d022267a3351666b35bd8b5d6d39b0bcfe14927c0e4464225",
        "issue_time": "2024-02-04T20:34:02.005663311+01:00", "last_renewal": null,
        "path": "auth/userpass/login/user", "renewable": true, "ttl": 2764397
    } });
    let lookup_body = json!({ "lease_id": "auth/userpass/login/user/h5a2..." });
    expect(&server, TOKEN, "POST", "/v1/sys/leases/lookup", Some(lookup_body), ok(lookup)).await;

    let backend: &dyn VaultBackend = &client;
    let renewal =
        backend.renew_lease("auth/userpass/login/user/h5a2...", Some(Duration::from_secs(1800))).await.unwrap();
    assert_eq!((renewal.lease_duration, renewal.renewable), (2764790, true));
    assert_eq!(renewal.lease_id, "auth/userpass/login/user/h5a2...");
    client.renew_lease("db/creds/x/1", None).await.unwrap();
    backend.revoke_lease("postgresql/creds/readonly/abcd-1234...").await.unwrap();
    let lease = client.lookup_lease("auth/userpass/login/user/h5a2...").await.unwrap();
    assert_eq!((lease.ttl, lease.renewable, lease.last_renewal.as_deref()), (2764397, true, None));
    assert_eq!(lease.path.as_deref(), Some("auth/userpass/login/user"));
}

#[tokio::test]
async fn wrapping_lookup_posts_the_token_in_the_body() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let lookup = json!({
      "request_id": "481320f5-fdf8-885d-8050-65fa767fd19b", "lease_id": "", "lease_duration": 0, "renewable": false,
      "data": { "creation_path": "sys/wrapping/wrap", "creation_time": "2016-09-28T14:16:13.07103516-04:00", "creation_ttl": 300 },
      "wrap_info": null, "warnings": null, "auth": null
    });
    expect(&server, TOKEN, "POST", "/v1/sys/wrapping/lookup", Some(json!({ "token": "abcd1234" })), ok(lookup)).await;

    let backend: &dyn VaultBackend = &client;
    let info = backend.lookup_wrapping(&WrappingToken::new("abcd1234")).await.unwrap();
    assert_eq!((info.creation_path.as_str(), info.creation_ttl), ("sys/wrapping/wrap", 300));
}

fn unwrap_sample() -> Value {
    json!({ "request_id": "8e33c808-f86c-cff8-f30a-fbb3ac22c4a8", "lease_id": "", "lease_duration": 2592000, "renewable": false, "data": { "zip": "zap" }, "warnings": null })
}

#[tokio::test]
async fn unwrap_without_a_current_token_sends_the_wrapping_token_as_the_header_only() {
    let (server, client) = mock_vault_with(None, RetryPolicy::none()).await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/unwrap"))
        .and(header("x-vault-token", "abcd1234..."))
        .and(NoBody)
        .respond_with(ok(unwrap_sample()))
        .expect(2)
        .mount(&server)
        .await;

    let backend: &dyn VaultBackend = &client;
    let unwrapped = backend.unwrap(&WrappingToken::new("abcd1234...")).await.unwrap();
    assert_eq!(unwrapped.data.unwrap().get_str("zip"), Some("zap"));
    assert_eq!(unwrapped.lease_duration, 2592000);
    client.unwrap_with_header(&WrappingToken::new("abcd1234...")).await.unwrap();
    assert!(client.token().is_none(), "the wrapping token never becomes current");
}

#[tokio::test]
async fn unwrap_with_a_current_token_sends_the_wrapping_token_in_the_body_only() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("POST"))
        .and(path("/v1/sys/wrapping/unwrap"))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(json!({ "token": "abcd1234..." })))
        .respond_with(ok(unwrap_sample()))
        .expect(2)
        .mount(&server)
        .await;
    let secret_id = json!({ "data": { "secret_id_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780", "secret_id": "841771dc-11c9-bbc7-bcac-6a3945a69cd9", "secret_id_ttl": 600, "secret_id_num_uses": 50 } });
    expect(
        &server,
        TOKEN,
        "POST",
        "/v1/sys/wrapping/unwrap",
        Some(json!({ "token": "s.wrapped-secret-id" })),
        ok(secret_id),
    )
    .await;

    let unwrapped = client.unwrap(&WrappingToken::new("abcd1234...")).await.unwrap();
    assert_eq!(unwrapped.data.unwrap().get_str("zip"), Some("zap"));
    let unwrapped = client.unwrap_with_body(&WrappingToken::new("abcd1234...")).await.unwrap();
    assert_eq!(unwrapped.request_id, "8e33c808-f86c-cff8-f30a-fbb3ac22c4a8");
    let generated = client.unwrap_secret_id(&WrappingToken::new("s.wrapped-secret-id")).await.unwrap();
    assert_eq!(generated.secret_id.expose_secret(), "841771dc-11c9-bbc7-bcac-6a3945a69cd9");
    assert_eq!((generated.secret_id_ttl, generated.secret_id_num_uses), (600, 50));
}
