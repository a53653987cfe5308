//! The kv engines (`kv.rs`), v2 and v1, and the generic `read`, `list`,
//! `write` and `delete` (`mod.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use qsec_core::KvVersion;
use qsec_vault::Error;
use qsec_vault::client::requests::KvMetadataUpdate;
use qsec_vault::testkit::MemoryVault;
use serde_json::json;

use crate::{Harness, ROOT, status_of};

#[tokio::test]
async fn kv_v2_secrets_versions_and_metadata() {
    let harness = Harness::start();
    let root = harness.root();
    let mount = root.kv_mount("secret").await.unwrap();
    assert_eq!((mount.path.as_str(), mount.version), ("secret", KvVersion::V2));

    let first = root.kv_write(&mount, "myapp/db", &json!({"password": "pw-1"}), None).await.unwrap().unwrap();
    assert_eq!((first.version, first.destroyed, first.deletion_time.as_str()), (1, false, ""));
    let second = root.kv_write(&mount, "myapp/db", &json!({"password": "pw-2"}), Some(1)).await.unwrap().unwrap();
    assert_eq!(second.version, 2);
    let stale = root.kv_write(&mount, "myapp/db", &json!({"password": "pw-x"}), Some(1)).await;
    assert_eq!(status_of(stale), 400, "check-and-set against a stale version");

    let latest = root.kv_read(&mount, "myapp/db").await.unwrap().expect("the secret");
    assert_eq!(latest.data.expose_secret()["password"], "pw-2");
    assert_eq!(latest.metadata.as_ref().map(|m| m.version), Some(2));
    let pinned = root.kv_read_version(&mount, "myapp/db", 1).await.unwrap().expect("version 1");
    assert_eq!(pinned.data.expose_secret()["password"], "pw-1");
    assert!(root.kv_read(&mount, "myapp/none").await.unwrap().is_none());

    assert_eq!(root.kv_list(&mount, "").await.unwrap().value, ["myapp/"]);
    assert_eq!(root.kv_list(&mount, "myapp").await.unwrap().value, ["db"]);
    assert!(root.kv_list(&mount, "nothing").await.unwrap().is_empty());

    let update = KvMetadataUpdate {
        max_versions: Some(5),
        cas_required: Some(false),
        delete_version_after: Some(Duration::from_secs(3 * 3600)),
        custom_metadata: Some(BTreeMap::from([("owner".to_owned(), "team-a".to_owned())])),
    };
    assert!(root.kv_write_metadata(&mount, "myapp/db", &update).await.unwrap().is_none());
    let metadata = root.kv_metadata(&mount, "myapp/db").await.unwrap().expect("metadata");
    assert_eq!((metadata.current_version, metadata.oldest_version, metadata.max_versions), (2, 1, 5));
    assert_eq!(metadata.delete_version_after, "3h0m0s");
    assert_eq!(metadata.custom_metadata.as_ref().unwrap()["owner"], "team-a");
    assert_eq!(metadata.versions.keys().copied().collect::<Vec<_>>(), [1, 2]);

    // Soft delete, undelete, delete by version, destroy.
    assert!(root.kv_delete(&mount, "myapp/db").await.unwrap().is_none());
    assert!(root.kv_read(&mount, "myapp/db").await.unwrap().is_none());
    root.kv_undelete(&mount, "myapp/db", &[2]).await.unwrap();
    assert!(root.kv_read(&mount, "myapp/db").await.unwrap().is_some());
    root.kv_delete_versions(&mount, "myapp/db", &[2]).await.unwrap();
    assert!(root.kv_read(&mount, "myapp/db").await.unwrap().is_none());
    root.kv_destroy(&mount, "myapp/db", &[1]).await.unwrap();
    assert!(root.kv_read_version(&mount, "myapp/db", 1).await.unwrap().is_none());
    let metadata = root.kv_metadata(&mount, "myapp/db").await.unwrap().unwrap();
    assert!(metadata.versions[&1].destroyed);
    assert!(!metadata.versions[&2].deletion_time.is_empty());

    assert!(root.kv_delete_metadata(&mount, "myapp/db").await.unwrap().is_none());
    assert!(root.kv_metadata(&mount, "myapp/db").await.unwrap().is_none());
    assert!(root.kv_list(&mount, "myapp").await.unwrap().is_empty());
    harness.stop().await;
}

#[tokio::test]
async fn kv_v1_secrets_and_what_only_v2_has() {
    let harness = Harness::with(MemoryVault::builder().root_token(ROOT).kv_v1("secret").build());
    let root = harness.root();
    let mount = root.kv_mount("secret/").await.unwrap();
    assert_eq!(mount.version, KvVersion::V1);

    assert!(
        root.kv_write(&mount, "myapp/db", &json!({"password": "pw-1", "ttl": "1h"}), None).await.unwrap().is_none()
    );
    let read = root.kv_read(&mount, "myapp/db").await.unwrap().expect("the secret");
    assert_eq!(read.data.expose_secret()["password"], "pw-1");
    assert!(read.metadata.is_none());
    assert_eq!(read.envelope.lease_duration, 3600, "the advisory ttl");
    assert_eq!(root.kv_list(&mount, "myapp").await.unwrap().value, ["db"]);

    // Versions, check-and-set and metadata are kv v2's.
    for result in [
        root.kv_write(&mount, "myapp/db", &json!({}), Some(0)).await.map(|_| ()),
        root.kv_read_version(&mount, "myapp/db", 1).await.map(|_| ()),
        root.kv_metadata(&mount, "myapp/db").await.map(|_| ()),
        root.kv_destroy(&mount, "myapp/db", &[1]).await.map(|_| ()),
    ] {
        assert!(matches!(result, Err(Error::Config { .. })), "{result:?}");
    }

    assert!(root.kv_delete(&mount, "myapp/db").await.unwrap().is_none());
    assert!(root.kv_read(&mount, "myapp/db").await.unwrap().is_none());
    // An unknown mount, and a mount that is no kv engine.
    assert!(matches!(root.kv_mount("nothing").await, Err(Error::Config { .. })));
    assert!(matches!(root.kv_mount("cubbyhole").await, Err(Error::Config { .. })));
    harness.stop().await;
}

#[tokio::test]
async fn generic_reads_lists_writes_and_deletes() {
    let harness = Harness::start();
    let root = harness.root();
    let written = root.write("secret/data/app/config", &json!({"data": {"a": "1"}})).await.unwrap().unwrap();
    assert_eq!(written.data.unwrap().expose_secret()["version"], 1);
    let read = root.read("secret/data/app/config").await.unwrap().unwrap();
    assert_eq!(read.data.unwrap().expose_secret()["data"]["a"], "1");
    assert!(root.read("secret/data/app/none").await.unwrap().is_none());
    let list = root.list("secret/metadata/app").await.unwrap().unwrap();
    assert_eq!(list.keys(), ["config"]);
    assert!(root.list("secret/metadata/none").await.unwrap().is_none());
    assert!(root.delete("secret/metadata/app/config").await.unwrap().is_none());
    assert!(root.read("secret/data/app/config").await.unwrap().is_none());
    // A write without an answer, and Vault's refusals.
    assert!(
        root.write("sys/policies/acl/app", &json!({"policy": "path \"a\" { capabilities = [\"read\"] }"}))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(status_of(harness.client().read("secret/data/app/config").await), 403);
    harness.stop().await;
}
