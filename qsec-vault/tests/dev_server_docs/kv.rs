//! `api_secret_kv_kv-v1.mdx` and `api_secret_kv_kv-v2.mdx`, with the
//! engine at `secret/` as the docs assume.

use qsec_vault::testkit::MemoryVault;
use serde_json::{Value, json};

use crate::{Docs, ROOT, assert_shape};

#[tokio::test]
async fn kv_v1_reads_writes_lists_scans_and_deletes_as_documented() {
    let docs = Docs::with(MemoryVault::builder().root_token(ROOT).kv_v1("secret").build());
    let payload = json!({"foo": "bar", "zip": "zap"});
    assert_eq!(docs.root("POST", "secret/my-secret", Some(payload.clone())).await.status, 204);
    let read = docs.root("GET", "secret/my-secret", None).await;
    assert_eq!(read.status, 200);
    let sample = json!({
      "auth": null,
      "data": {
        "foo": "bar",
        "ttl": "1h"
      },
      "lease_duration": 3600,
      "lease_id": "",
      "renewable": false
    });
    let mut without_ttl = sample.clone();
    without_ttl["data"].as_object_mut().unwrap().remove("ttl");
    assert_shape(&read.body, &without_ttl);
    assert_eq!(read.data(), &payload);
    // Without a `ttl` key, the advisory lease is the mount's default.
    assert_eq!(read.body["lease_duration"], 2_764_800);
    // A `ttl` key sets the advisory `lease_duration`, and no lease.
    docs.root("POST", "secret/my-secret", Some(json!({"foo": "bar", "ttl": "1h"}))).await;
    let read = docs.root("GET", "secret/my-secret", None).await;
    assert_shape(&read.body, &sample);
    assert_eq!((&read.body["lease_duration"], &read.body["lease_id"]), (&json!(3600), &json!("")));

    docs.root("POST", "secret/foo", Some(json!({"a": "1"}))).await;
    docs.root("POST", "secret/foo/bar", Some(json!({"a": "2"}))).await;
    docs.root("POST", "secret/foo/bar/baz", Some(json!({"a": "3"}))).await;
    let list = docs.root("LIST", "secret/", None).await;
    assert_eq!(list.status, 200);
    assert_shape(
        &list.body,
        &json!({
          "auth": null,
          "data": {
            "keys": ["foo", "foo/"]
          },
          "lease_duration": 2764800,
          "lease_id": "",
          "renewable": false
        }),
    );
    assert_eq!(list.data()["keys"], json!(["foo", "foo/", "my-secret"]));
    // SCAN (or GET ?scan=true) lists recursively.
    for (method, path) in [("SCAN", "secret/foo"), ("GET", "secret/foo?scan=true")] {
        let scan = docs.root(method, path, None).await;
        assert_eq!(scan.data()["keys"], json!(["bar", "bar/baz"]), "{method} {path}");
    }
    // Listing a file lists nothing.
    assert_eq!(docs.root("LIST", "secret/my-secret", None).await.status, 404);

    assert_eq!(docs.root("DELETE", "secret/my-secret", None).await.status, 204);
    assert_eq!(docs.root("GET", "secret/my-secret", None).await.status, 404);
    docs.stop().await;
}

/// The documented version metadata (write and patch answers).
fn version_sample() -> Value {
    json!({
      "data": {
        "created_time": "2018-03-22T02:36:43.986212308Z",
        "custom_metadata": {
          "owner": "jdoe",
          "mission_critical": "false"
        },
        "deletion_time": "",
        "destroyed": false,
        "version": 1
      }
    })
}

#[tokio::test]
async fn kv_v2_config_and_versions_follow_the_docs() {
    let docs = Docs::start();
    let config = json!({"max_versions": 5, "cas_required": false, "delete_version_after": "3h25m19s"});
    assert_eq!(docs.root("POST", "secret/config", Some(config)).await.status, 204);
    let read = docs.root("GET", "secret/config", None).await;
    assert_shape(
        &read.body,
        &json!({
          "data": {
            "cas_required": false,
            "delete_version_after": "3h25m19s",
            "max_versions": 0
          }
        }),
    );
    assert_eq!((&read.data()["max_versions"], &read.data()["delete_version_after"]), (&json!(5), &json!("3h25m19s")));
    docs.root("POST", "secret/config", Some(json!({"delete_version_after": 0}))).await;

    // The custom metadata the samples show, set before the first version.
    let custom = json!({"custom_metadata": {"owner": "jdoe", "mission_critical": "false"}});
    assert_eq!(docs.root("POST", "secret/metadata/my-secret", Some(custom)).await.status, 204);
    let payload = json!({"options": {"cas": 0}, "data": {"foo": "bar", "zip": "zap"}});
    let written = docs.root("POST", "secret/data/my-secret", Some(payload)).await;
    assert_eq!(written.status, 200);
    assert_shape(&written.body, &version_sample());
    assert_eq!(written.data()["version"], 1);

    // PATCH is a JSON merge patch, and says so in its media type.
    let patch = json!({"options": {"cas": 1}, "data": {"foo": "a", "bar": {"baz": "b"}}});
    let patched = docs.patch("secret/data/my-secret", patch.clone()).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_shape(&patched.body, &version_sample());
    assert_eq!(patched.data()["version"], 2);
    let as_json = docs.request("PATCH", "secret/data/my-secret").header("X-Vault-Token", ROOT).json(&patch);
    assert_eq!(Docs::send(as_json).await.status, 415);

    let version = docs.root("GET", "secret/data/my-secret?version=2", None).await;
    assert_eq!(version.status, 200);
    assert_shape(
        &version.body,
        &json!({
          "data": {
            "data": {
              "foo": "bar"
            },
            "metadata": {
              "created_time": "2018-03-22T02:24:06.945319214Z",
              "custom_metadata": {
                "owner": "jdoe",
                "mission_critical": "false"
              },
              "deletion_time": "",
              "destroyed": false,
              "version": 2
            }
          }
        }),
    );
    assert_eq!(version.data()["data"], json!({"foo": "a", "bar": {"baz": "b"}, "zip": "zap"}));
    assert_eq!(docs.root("GET", "secret/data/my-secret?version=1", None).await.data()["data"]["foo"], "bar");

    // Soft delete of the latest version: reads answer 404 with metadata.
    assert_eq!(docs.root("DELETE", "secret/data/my-secret", None).await.status, 204);
    let deleted = docs.root("GET", "secret/data/my-secret", None).await;
    assert_eq!(deleted.status, 404);
    assert_ne!(deleted.data()["metadata"]["deletion_time"], "");
    let versions = || Some(json!({"versions": [1, 2]}));
    assert_eq!(docs.root("POST", "secret/undelete/my-secret", versions()).await.status, 204);
    assert_eq!(docs.root("GET", "secret/data/my-secret", None).await.status, 200);
    assert_eq!(docs.root("POST", "secret/delete/my-secret", versions()).await.status, 204);
    assert_eq!(docs.root("GET", "secret/data/my-secret?version=1", None).await.status, 404);
    assert_eq!(docs.root("POST", "secret/undelete/my-secret", versions()).await.status, 204);
    assert_eq!(docs.root("PUT", "secret/destroy/my-secret", versions()).await.status, 204);
    let destroyed = docs.root("GET", "secret/data/my-secret?version=1", None).await;
    assert_eq!((destroyed.status, &destroyed.data()["metadata"]["destroyed"]), (404, &json!(true)));
    docs.stop().await;
}

#[tokio::test]
async fn kv_v2_subkeys_strip_values_as_documented() {
    let docs = Docs::start();
    let data = json!({"foo": "abc", "bar": {"baz": "def"}, "quux": {}});
    docs.root("POST", "secret/data/my-secret", Some(json!({"data": data}))).await;
    let subkeys = docs.root("GET", "secret/subkeys/my-secret?version=1", None).await;
    assert_eq!(subkeys.status, 200);
    let sample = json!({
      "subkeys": {
        "foo": null,
        "bar": {
          "baz": null
        },
        "quux": null
      },
      "metadata": {
        "created_time": "2021-12-14T20:28:00.773477Z",
        "custom_metadata": null,
        "deletion_time": "",
        "destroyed": false,
        "version": 1
      }
    });
    // The sample shows them at the top level; Vault puts them in `data`.
    // Both are there.
    assert_shape(&subkeys.body, &sample);
    assert_shape(subkeys.data(), &sample);
    assert_eq!(subkeys.body["subkeys"], sample["subkeys"]);
    let shallow = docs.root("GET", "secret/subkeys/my-secret?depth=1", None).await;
    assert_eq!(shallow.data()["subkeys"], json!({"foo": null, "bar": null, "quux": null}));
    docs.stop().await;
}

#[tokio::test]
async fn kv_v2_metadata_is_listed_read_written_patched_and_deleted_as_documented() {
    let docs = Docs::start();
    for path in ["foo", "foo/bar", "foo/bar/baz"] {
        docs.root("POST", &format!("secret/data/{path}"), Some(json!({"data": {"k": "v"}}))).await;
    }
    let list = docs.root("LIST", "secret/metadata/", None).await;
    assert_shape(&list.body, &json!({"data": {"keys": ["foo", "foo/"]}}));
    assert_eq!(list.data()["keys"], json!(["foo", "foo/"]));
    assert_eq!(docs.root("GET", "secret/metadata/?list=true", None).await.data(), list.data());
    let scan = docs.root("SCAN", "secret/metadata/foo", None).await;
    assert_eq!(scan.data()["keys"], json!(["bar", "bar/baz"]));
    let detailed = docs.root("LIST", "secret/detailed-metadata/", None).await;
    assert_eq!(detailed.data()["keys"], json!(["foo", "foo/"]));
    assert_eq!(detailed.data()["key_info"]["foo"]["current_version"], 1);
    let page = docs.root("LIST", "secret/metadata/?limit=1", None).await;
    assert_eq!(page.data()["keys"], json!(["foo"]));

    let payload = json!({
      "max_versions": 5,
      "cas_required": false,
      "delete_version_after": "3h25m19s",
      "custom_metadata": {
        "foo": "abc",
        "bar": "123",
        "baz": "5c07d823-3810-48f6-a147-4c06b5219e84"
      }
    });
    assert_eq!(docs.root("POST", "secret/metadata/my-secret", Some(payload)).await.status, 204);
    for n in 1..=3 {
        docs.root("POST", "secret/data/my-secret", Some(json!({"data": {"n": n}}))).await;
    }
    let read = docs.root("GET", "secret/metadata/my-secret", None).await;
    assert_eq!(read.status, 200);
    let mut sample = json!({
      "data": {
        "cas_required": false,
        "created_time": "2018-03-22T02:24:06.945319214Z",
        "current_version": 3,
        "delete_version_after": "3h25m19s",
        "max_versions": 0,
        "oldest_version": 0,
        "updated_time": "2018-03-22T02:36:43.986212308Z",
        "custom_metadata": {
          "foo": "abc",
          "bar": "123",
          "baz": "5c07d823-3810-48f6-a147-4c06b5219e84"
        },
        "versions": {}
      }
    });
    // The sample's versions, each with the deletion time its key's
    // `delete_version_after` gives it.
    let pending = json!({
      "created_time": "2018-03-22T02:24:06.945319214Z",
      "deletion_time": "2018-03-22T05:49:25.945319214Z",
      "destroyed": false
    });
    sample["data"]["versions"] = json!({"1": pending, "2": pending, "3": pending});
    assert_shape(&read.body, &sample);
    assert_eq!((&read.data()["current_version"], &read.data()["max_versions"]), (&json!(3), &json!(5)));

    let patch = json!({"max_versions": 5, "custom_metadata": {"bar": "123"}});
    assert_eq!(docs.patch("secret/metadata/my-secret", patch).await.status, 204);
    let patched = docs.root("GET", "secret/metadata/my-secret", None).await;
    assert_eq!(patched.data()["custom_metadata"]["foo"], "abc", "a patch keeps what it does not set");

    assert_eq!(docs.root("DELETE", "secret/metadata/my-secret", None).await.status, 204);
    assert_eq!(docs.root("GET", "secret/metadata/my-secret", None).await.status, 404);
    assert_eq!(docs.root("GET", "secret/data/my-secret", None).await.status, 404);
    docs.stop().await;
}
