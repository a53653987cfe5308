//! kv v1 and v2 through `VaultClient`, and the generic `VaultBackend`
//! calls, against wiremock with the documented requests and sample
//! responses (api_secret_kv_kv-v1.mdx, api_secret_kv_kv-v2.mdx, api_system_mounts.mdx).

use std::time::Duration;

use qsec_core::{KvMount, KvVersion, VaultBackend};
use qsec_vault::client::requests::KvMetadataUpdate;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

use common::{mock_vault, ok};

const TOKEN: &str = "s.kv-token";

fn v1() -> KvMount {
    KvMount { path: "secret".into(), version: KvVersion::V1 }
}

fn v2() -> KvMount {
    KvMount { path: "secret".into(), version: KvVersion::V2 }
}

async fn expect(server: &MockServer, verb: &str, at: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .and(header("x-vault-token", TOKEN))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

async fn expect_body(server: &MockServer, verb: &str, at: &str, body: Value, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(body))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn v1_reads_lists_writes_and_deletes_at_the_mount_path() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let read = json!({ "auth": null, "data": { "foo": "bar", "ttl": "1h" }, "lease_duration": 3600, "lease_id": "", "renewable": false });
    expect(&server, "GET", "/v1/secret/my-secret", ok(read)).await;
    let list = json!({ "auth": null, "data": { "keys": ["foo", "foo/"] }, "lease_duration": 2764800, "lease_id": "", "renewable": false });
    expect(&server, "LIST", "/v1/secret/", ok(list)).await;
    expect_body(
        &server,
        "POST",
        "/v1/secret/my-secret",
        json!({ "foo": "bar", "zip": "zap" }),
        ResponseTemplate::new(204),
    )
    .await;
    expect(&server, "DELETE", "/v1/secret/my-secret", ResponseTemplate::new(204)).await;

    let secret = client.kv_read(&v1(), "my-secret").await.unwrap().unwrap();
    assert_eq!(secret.data.get_str("foo"), Some("bar"));
    assert!(secret.metadata.is_none());
    assert_eq!(secret.envelope.lease_duration, 3600, "the advisory TTL stays in the envelope");
    assert_eq!(*client.kv_list(&v1(), "").await.unwrap(), ["foo", "foo/"]);
    let written = client.kv_write(&v1(), "my-secret", &json!({ "foo": "bar", "zip": "zap" }), None).await.unwrap();
    assert!(written.is_none());
    assert!(client.kv_delete(&v1(), "my-secret").await.unwrap().is_none());
}

fn v2_read_sample() -> Value {
    json!({ "data": {
        "data": { "foo": "bar" },
        "metadata": {
          "created_time": "2018-03-22T02:24:06.945319214Z",
          "custom_metadata": { "owner": "jdoe", "mission_critical": "false" },
          "deletion_time": "", "destroyed": false, "version": 2
        }
    } })
}

#[tokio::test]
async fn v2_reads_the_latest_or_a_pinned_version_under_data() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/my-secret"))
        .and(query_param_is_missing("version"))
        .respond_with(ok(v2_read_sample()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret/data/my-secret"))
        .and(query_param("version", "2"))
        .respond_with(ok(v2_read_sample()))
        .expect(1)
        .mount(&server)
        .await;

    let latest = client.kv_read(&v2(), "my-secret").await.unwrap().unwrap();
    assert_eq!(latest.data.expose_secret(), &json!({ "foo": "bar" }));
    let metadata = latest.metadata.as_ref().unwrap();
    assert_eq!(metadata.version, 2);
    assert_eq!(metadata.custom_metadata.as_ref().unwrap()["owner"], "jdoe");
    let pinned = client.kv_read_version(&v2(), "my-secret", 2).await.unwrap().unwrap();
    assert_eq!(pinned.data.get_str("foo"), Some("bar"));
}

#[tokio::test]
async fn v2_writes_wrap_data_and_pass_cas_as_an_option() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let created = json!({ "data": {
        "created_time": "2018-03-22T02:36:43.986212308Z",
        "custom_metadata": { "owner": "jdoe", "mission_critical": "false" },
        "deletion_time": "", "destroyed": false, "version": 1
    } });
    let body = json!({ "options": { "cas": 0 }, "data": { "foo": "bar", "zip": "zap" } });
    expect_body(&server, "POST", "/v1/secret/data/my-secret", body, ok(created.clone())).await;
    expect_body(&server, "POST", "/v1/secret/data/other", json!({ "data": { "a": "b" } }), ok(created)).await;

    let data = json!({ "foo": "bar", "zip": "zap" });
    let written = client.kv_write(&v2(), "my-secret", &data, Some(0)).await.unwrap().unwrap();
    assert_eq!(written.version, 1);
    assert_eq!(written.created_time, "2018-03-22T02:36:43.986212308Z");
    client.kv_write(&v2(), "other", &json!({ "a": "b" }), None).await.unwrap().unwrap();
}

#[tokio::test]
async fn v2_lists_and_reads_metadata_with_the_version_history() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    expect(&server, "LIST", "/v1/secret/metadata/my-secret", ok(json!({ "data": { "keys": ["foo", "foo/"] } }))).await;
    let metadata = json!({ "data": {
        "cas_required": false, "created_time": "2018-03-22T02:24:06.945319214Z", "current_version": 3,
        "delete_version_after": "3h25m19s", "max_versions": 0, "oldest_version": 0,
        "updated_time": "2018-03-22T02:36:43.986212308Z",
        "custom_metadata": { "foo": "abc", "bar": "123", "baz": "5c07d823-3810-48f6-a147-4c06b5219e84" },
        "versions": {
          "1": { "created_time": "2018-03-22T02:24:06.945319214Z", "deletion_time": "", "destroyed": false },
          "2": { "created_time": "2018-03-22T02:36:33.954880664Z", "deletion_time": "", "destroyed": false },
          "3": { "created_time": "2018-03-22T02:36:43.986212308Z", "deletion_time": "", "destroyed": false }
        }
    } });
    expect(&server, "GET", "/v1/secret/metadata/my-secret", ok(metadata)).await;

    assert_eq!(*client.kv_list(&v2(), "my-secret").await.unwrap(), ["foo", "foo/"]);
    let metadata = client.kv_metadata(&v2(), "my-secret").await.unwrap().unwrap();
    assert_eq!(metadata.current_version, 3);
    assert_eq!(metadata.versions.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(metadata.versions[&2].created_time, "2018-03-22T02:36:33.954880664Z");
    assert_eq!(metadata.delete_version_after, "3h25m19s");
}

#[tokio::test]
async fn v2_writes_and_deletes_metadata() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let body = json!({
        "max_versions": 5, "cas_required": false, "delete_version_after": "12319s",
        "custom_metadata": { "foo": "abc", "bar": "123", "baz": "5c07d823-3810-48f6-a147-4c06b5219e84" }
    });
    expect_body(&server, "POST", "/v1/secret/metadata/my-secret", body, ResponseTemplate::new(204)).await;
    expect(&server, "DELETE", "/v1/secret/metadata/my-secret", ResponseTemplate::new(204)).await;

    let update = KvMetadataUpdate {
        max_versions: Some(5),
        cas_required: Some(false),
        delete_version_after: Some(Duration::from_secs(3 * 3600 + 25 * 60 + 19)),
        custom_metadata: Some(
            [("foo", "abc"), ("bar", "123"), ("baz", "5c07d823-3810-48f6-a147-4c06b5219e84")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ),
    };
    assert!(client.kv_write_metadata(&v2(), "my-secret", &update).await.unwrap().is_none());
    assert!(client.kv_delete_metadata(&v2(), "my-secret").await.unwrap().is_none());
}

#[tokio::test]
async fn v2_deletes_undeletes_and_destroys_versions_with_the_documented_methods() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    expect(&server, "DELETE", "/v1/secret/data/my-secret", ResponseTemplate::new(204)).await;
    let versions = json!({ "versions": [1, 2] });
    expect_body(&server, "POST", "/v1/secret/delete/my-secret", versions.clone(), ResponseTemplate::new(204)).await;
    expect_body(&server, "POST", "/v1/secret/undelete/my-secret", versions.clone(), ResponseTemplate::new(204)).await;
    expect_body(&server, "PUT", "/v1/secret/destroy/my-secret", versions, ResponseTemplate::new(204)).await;

    assert!(client.kv_delete(&v2(), "my-secret").await.unwrap().is_none());
    assert!(client.kv_delete_versions(&v2(), "my-secret", &[1, 2]).await.unwrap().is_none());
    assert!(client.kv_undelete(&v2(), "my-secret", &[1, 2]).await.unwrap().is_none());
    assert!(client.kv_destroy(&v2(), "my-secret", &[1, 2]).await.unwrap().is_none());
}

#[tokio::test]
async fn v2_only_operations_are_refused_on_a_v1_mount_without_asking_vault() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let errors = [
        client.kv_read_version(&v1(), "a", 1).await.unwrap_err(),
        client.kv_metadata(&v1(), "a").await.unwrap_err(),
        client.kv_destroy(&v1(), "a", &[1]).await.unwrap_err(),
        client.kv_write(&v1(), "a", &json!({}), Some(1)).await.unwrap_err(),
    ];
    for error in errors {
        assert!(error.to_string().contains("needs kv v2"), "{error}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

fn mounts_sample() -> Value {
    let mount = |kind: &str, options: Value| {
        json!({ "accessor": format!("{kind}_1"), "config": { "default_lease_ttl": 0, "force_no_cache": false, "max_lease_ttl": 0 },
                "description": "", "external_entropy_access": false, "local": false, "options": options,
                "plugin_version": "", "running_plugin_version": "v1.12.0+builtin.openbao", "running_sha256": "",
                "seal_wrap": false, "type": kind, "uuid": "8074a73f-6921-c0cd-589a-016405dc46ec" })
    };
    json!({
      "request_id": "48d2c601-97a0-3904-f549-4fcbc740d718", "lease_id": "", "lease_duration": 0, "renewable": false,
      "data": {
        "cubbyhole/": mount("cubbyhole", Value::Null),
        "secret/": mount("kv", json!({ "version": "2" })),
        "legacy/": mount("kv", Value::Null),
        "sys/": mount("system", Value::Null)
      },
      "warnings": null
    })
}

#[tokio::test]
async fn tells_kv_versions_apart_by_asking_sys_mounts_once() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    expect(&server, "GET", "/v1/sys/mounts", ok(mounts_sample())).await;

    assert_eq!(client.kv_mount("secret").await.unwrap(), v2());
    assert_eq!(client.kv_mount("/secret/").await.unwrap(), v2(), "remembered: no second request");
    assert_eq!(client.clone().kv_mount("secret").await.unwrap(), v2(), "clones share what was learned");
}

#[tokio::test]
async fn kv_mount_detection_names_what_is_wrong() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("GET")).and(path("/v1/sys/mounts")).respond_with(ok(mounts_sample())).mount(&server).await;

    assert_eq!(client.kv_mount("legacy").await.unwrap().version, KvVersion::V1);
    let not_kv = client.kv_mount("cubbyhole").await.unwrap_err().to_string();
    assert!(not_kv.contains("cubbyhole/ is a cubbyhole engine, not kv"), "{not_kv}");
    let missing = client.kv_mount("nothing").await.unwrap_err().to_string();
    assert!(missing.contains("no secrets engine is mounted at nothing/"), "{missing}");
}

#[tokio::test]
async fn backend_read_list_and_delete_answer_none_for_a_404_without_errors() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let missing = ResponseTemplate::new(404).set_body_json(json!({ "errors": [] }));
    expect(&server, "GET", "/v1/secret/data/missing", missing.clone()).await;
    expect(&server, "LIST", "/v1/secret/metadata/empty/", missing.clone()).await;
    expect(&server, "DELETE", "/v1/secret/gone", missing).await;
    expect(
        &server,
        "GET",
        "/v1/secret/data/forbidden",
        ResponseTemplate::new(404).set_body_json(json!({ "errors": ["no handler for route"] })),
    )
    .await;

    let backend: &dyn VaultBackend = &client;
    assert!(backend.read("secret/data/missing").await.unwrap().is_none());
    assert!(backend.list("secret/metadata/empty/").await.unwrap().is_none());
    assert!(backend.delete("secret/gone").await.unwrap().is_none());
    let error = backend.read("secret/data/forbidden").await.unwrap_err();
    assert!(error.is_not_found(), "a 404 with errors stays an error: {error}");
    assert!(error.to_string().contains("no handler for route"));
}

#[tokio::test]
async fn backend_write_posts_json_and_keeps_the_whole_envelope() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let answer = json!({ "request_id": "r-1", "lease_id": "database/creds/app/abc", "lease_duration": 3600, "renewable": true,
                         "data": { "username": "u" }, "warnings": ["TTL capped"], "wrap_info": null, "auth": null });
    expect_body(&server, "POST", "/v1/database/creds/app", json!({ "ttl": 60 }), ok(answer)).await;
    expect_body(&server, "POST", "/v1/secret/app", json!({ "k": "v" }), ResponseTemplate::new(204)).await;
    let refused =
        ResponseTemplate::new(403).set_body_json(json!({ "errors": ["1 error occurred:\n\t* permission denied\n\n"] }));
    expect(&server, "POST", "/v1/secret/locked", refused).await;

    let backend: &dyn VaultBackend = &client;
    let response = backend.write("database/creds/app", &json!({ "ttl": 60 })).await.unwrap().unwrap();
    assert_eq!(
        (response.lease_id.as_str(), response.lease_duration, response.renewable),
        ("database/creds/app/abc", 3600, true)
    );
    assert_eq!(response.warnings, ["TTL capped"]);
    assert!(backend.write("secret/app", &json!({ "k": "v" })).await.unwrap().is_none());
    let error = backend.write("secret/locked", &json!({})).await.unwrap_err();
    match error {
        qsec_core::Error::Vault { operation, path, status, errors } => {
            assert_eq!((operation.as_str(), path.as_str(), status), ("write", "secret/locked", 403));
            assert_eq!(errors, ["1 error occurred:\n\t* permission denied\n\n"]);
        }
        other => panic!("expected a Vault error, got {other:?}"),
    }
}
