//! `sys/` (`sys.rs`): health, policies, auth methods, mounts, leases.

use std::time::Duration;

use qsec_core::KvVersion;
use qsec_vault::client::requests::MountRequest;
use serde_json::json;

use crate::{Harness, status_of};

#[tokio::test]
async fn health_reports_serving_and_sealed_nodes() {
    let harness = Harness::start();
    let client = harness.client();
    let health = client.health().await.unwrap();
    assert_eq!((health.status, health.is_serving(), health.standby), (200, true, false));
    assert!(!health.cluster_name.is_empty() && !health.version.is_empty() && health.server_time_utc > 0);
    harness.vault.faults().seal();
    let sealed = client.health().await.unwrap();
    assert_eq!((sealed.status, sealed.sealed, sealed.is_serving()), (503, true, false));
    harness.vault.faults().unseal();
    harness.stop().await;
}

#[tokio::test]
async fn policies_are_listed_written_read_and_deleted() {
    let harness = Harness::start();
    let root = harness.root();
    let text =
        "# qsec: managed policy of aws.stg.myapp\npath \"secret/data/myapp/*\" {\n  capabilities = [\"read\"]\n}\n";
    assert!(root.write_policy("secret-api/read-aws-stg-myapp", text).await.unwrap().is_none());
    let policy = root.read_policy("secret-api/read-aws-stg-myapp").await.unwrap().expect("the policy");
    assert_eq!((policy.name.as_str(), policy.policy.as_str()), ("secret-api/read-aws-stg-myapp", text));
    assert_eq!(root.list_policies().await.unwrap().value, ["default", "root", "secret-api/read-aws-stg-myapp"]);
    assert_eq!(status_of(root.write_policy("broken", "path {").await), 400);
    assert_eq!(status_of(root.write_policy("root", text).await), 400);
    assert!(root.delete_policy("secret-api/read-aws-stg-myapp").await.unwrap().is_none());
    assert!(root.read_policy("secret-api/read-aws-stg-myapp").await.unwrap().is_none());
    harness.stop().await;
}

#[tokio::test]
async fn auth_methods_and_mounts_are_enabled_listed_and_disabled() {
    let harness = Harness::start();
    let root = harness.root();
    let methods = root.list_auth_methods().await.unwrap();
    assert_eq!(methods.keys().map(String::as_str).collect::<Vec<_>>(), ["approle/", "kubernetes/", "token/"]);
    assert_eq!(methods["token/"].mount_type, "token");
    let request = MountRequest { description: Some("pods".into()), ..MountRequest::of_type("approle") };
    assert!(root.enable_auth_method("approle-pods", &request).await.unwrap().is_none());
    let methods = root.list_auth_methods().await.unwrap();
    assert_eq!(
        (methods["approle-pods/"].mount_type.as_str(), methods["approle-pods/"].description.as_str()),
        ("approle", "pods")
    );
    assert_eq!(status_of(root.enable_auth_method("approle-pods", &request).await), 400);
    assert!(root.disable_auth_method("approle-pods/").await.unwrap().is_none());
    assert!(!root.list_auth_methods().await.unwrap().contains_key("approle-pods/"));

    let mounts = root.list_mounts().await.unwrap();
    assert_eq!(mounts["secret/"].kv_version(), Some(KvVersion::V2));
    assert_eq!(mounts["pki/"].kv_version(), None);
    let mut request = MountRequest::kv(KvVersion::V1);
    request.config.insert("default_lease_ttl".into(), json!("30m"));
    assert!(root.enable_mount("kv-apps", &request).await.unwrap().is_none());
    let mounts = root.list_mounts().await.unwrap();
    assert_eq!(mounts["kv-apps/"].kv_version(), Some(KvVersion::V1));
    assert_eq!(mounts["kv-apps/"].config["default_lease_ttl"], 1800);
    assert_eq!(root.kv_mount("kv-apps").await.unwrap().version, KvVersion::V1);
    assert!(root.disable_mount("kv-apps").await.unwrap().is_none());
    // The client forgot what it knew about the mount.
    assert!(root.kv_mount("kv-apps").await.is_err());
    assert!(root.enable_mount("kv-apps", &MountRequest::kv(KvVersion::V2)).await.unwrap().is_none());
    assert_eq!(root.kv_mount("kv-apps").await.unwrap().version, KvVersion::V2);
    harness.stop().await;
}

#[tokio::test]
async fn leases_are_looked_up_renewed_and_revoked() {
    let harness = Harness::start();
    harness.vault.clock().freeze();
    let root = harness.root();
    let config = json!({"plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "connection_url": "x"});
    root.write("database/config/pg", &config).await.unwrap();
    let role = json!({"db_name": "pg", "creation_statements": ["CREATE ROLE"], "default_ttl": "1h", "max_ttl": "2h"});
    root.write("database/roles/app", &role).await.unwrap();
    let creds = root.database_creds("database", "app").await.unwrap();
    let lease_id = creds.envelope.lease_id.clone();

    let info = root.lookup_lease(&lease_id).await.unwrap();
    assert_eq!((info.id.as_str(), info.ttl, info.renewable), (lease_id.as_str(), 3600, true));
    assert_eq!(info.path.as_deref(), Some("database/creds/app"));
    assert!(info.last_renewal.is_none());

    harness.vault.clock().advance(Duration::from_secs(600));
    let renewal = root.renew_lease(&lease_id, Some(Duration::from_secs(1800))).await.unwrap();
    assert_eq!((renewal.lease_id.as_str(), renewal.lease_duration, renewal.renewable), (lease_id.as_str(), 1800, true));
    // Beyond the max TTL, the renewal is capped (two hours from issue).
    let capped = root.renew_lease(&lease_id, Some(Duration::from_secs(86_400))).await.unwrap();
    assert_eq!(capped.lease_duration, 7200 - 600);
    assert!(capped.lease_duration < 86_400);
    let default = root.renew_lease(&lease_id, None).await.unwrap();
    assert_eq!(default.lease_duration, 3600);
    assert!(root.lookup_lease(&lease_id).await.unwrap().last_renewal.is_some());

    root.revoke_lease(&lease_id).await.unwrap();
    assert!(!harness.vault.database_credentials_valid(&creds.username, creds.password.expose_secret()));
    assert_eq!(status_of(root.lookup_lease(&lease_id).await), 400);
    assert_eq!(status_of(root.renew_lease(&lease_id, None).await), 400);
    harness.stop().await;
}
