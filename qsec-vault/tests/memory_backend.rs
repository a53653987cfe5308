//! MemoryBackend: the `VaultBackend` contract of qsec-core, in process.

use std::time::Duration;

use qsec_core::{VaultBackend, VaultToken};
use qsec_vault::testkit::MemoryVault;
use serde_json::json;

fn vault() -> MemoryVault {
    MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .seed_secret("secret/myapp/db", json!({"password": "s3cret"}))
        .build()
}

#[tokio::test]
async fn a_backend_starts_without_a_token() {
    let vault = vault();
    let backend = vault.backend();
    assert!(backend.current_token().is_none());
    let error = backend.read("secret/data/myapp/db").await.unwrap_err();
    assert!(error.is_permission_denied());
    backend.set_token(VaultToken::new("root"));
    assert!(backend.read("secret/data/myapp/db").await.unwrap().is_some());
}

#[tokio::test]
async fn reads_lists_writes_and_deletes_map_not_found_and_no_content_to_none() {
    let vault = vault();
    let backend = vault.backend().with_token("root");
    let read = backend.read("secret/data/myapp/db").await.unwrap().unwrap();
    assert_eq!(read.data.unwrap().get("data").unwrap()["password"], "s3cret");
    assert!(backend.read("secret/data/nothing").await.unwrap().is_none());
    let list = backend.list("secret/metadata/").await.unwrap().unwrap();
    assert_eq!(list.keys(), ["myapp/"]);
    assert!(backend.list("secret/metadata/none/").await.unwrap().is_none());
    let written = backend.write("secret/data/other", &json!({"data": {"a": 1}})).await.unwrap().unwrap();
    assert_eq!(written.data.unwrap().get("version").unwrap(), 1);
    let policy = json!({"policy": "path \"a\" { capabilities = [\"read\"] }"});
    assert!(backend.write("sys/policies/acl/a", &policy).await.unwrap().is_none(), "204 is None");
    assert!(backend.delete("secret/metadata/other").await.unwrap().is_none());
}

#[tokio::test]
async fn errors_keep_vaults_status_errors_and_path_but_no_secret() {
    let vault = vault();
    let backend = vault.backend().with_token("root");
    let error = backend.write("auth/token/create", &json!({"num_uses": -1})).await.unwrap_err();
    let qsec_core::Error::Vault { operation, path, status, errors } = &error else { panic!("{error:?}") };
    assert_eq!((operation.as_str(), path.as_str(), *status), ("write", "auth/token/create", 400));
    assert_eq!(errors, &["number of uses cannot be negative"]);
    let message = error.to_string();
    assert!(!message.contains("root"), "{message}");
    let sealed = vault.backend().with_token("root").with_retries(0);
    vault.faults().seal();
    assert_eq!(sealed.read("secret/data/myapp/db").await.unwrap_err().vault_status(), Some(503));
}

#[tokio::test]
async fn token_self_service() {
    let vault = vault();
    let root = vault.backend().with_token("root");
    let created =
        root.write("auth/token/create", &json!({"policies": ["default"], "ttl": "1h"})).await.unwrap().unwrap();
    let token = created.auth.unwrap().client_token;
    let backend = vault.backend();
    backend.set_token(token.clone());
    let info = backend.lookup_self().await.unwrap();
    assert_eq!(info.id.expose_secret(), token.expose_secret());
    assert_eq!(info.policies, ["default"]);
    assert!(info.renewable);
    let renewed = backend.renew_self(Some(Duration::from_secs(7200))).await.unwrap();
    assert_eq!(renewed.lease_duration, 7200);
    backend.revoke_self().await.unwrap();
    assert!(!vault.token_is_valid(token.expose_secret()));
    assert!(backend.lookup_self().await.unwrap_err().is_permission_denied());
}
