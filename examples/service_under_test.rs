//! Unit-testing your own service that reads Vault through qsec's traits,
//! two ways: with qsec-core's mockall mocks, and with qsec-vault's in-memory
//! Vault.
//!
//! Write the service against `qsec_core::VaultBackend`, not a concrete
//! client; production passes a `VaultClient`, tests pass either
//!
//! - `qsec_core::mock::MockVaultBackend` (feature `mock`): exact calls and
//!   answers, for the error paths and "called once, with these arguments";
//! - `qsec_vault::testkit::MemoryVault` (feature `testkit`): a Vault with real
//!   policies, AppRole and kv semantics, for the happy path end to end.
//!
//! ```toml
//! [dev-dependencies]
//! qsec-core = { version = "0.1", features = ["mock"] }
//! qsec-vault = { version = "0.1", features = ["testkit"] }
//! ```
//!
//! Run the tests with `cargo test -p qsec-vault --features testkit --example
//! service_under_test`, the service itself with `cargo run -p qsec-vault
//! --features testkit --example service_under_test`.

use std::sync::Arc;

use qsec_core::{
    AppRef, IssuedSecretId, KvMount, KvVersion, Password, QsecLayout, RoleId, SecretId, SecretIdIssuer,
    SecretIdRequest, VaultBackend,
};
use qsec_vault::Provisioner;
use qsec_vault::testkit::MemoryVault;
use serde_json::json;

/// The code under test: your service's start-up, written against the trait.
struct DatabaseSettings {
    vault: Arc<dyn VaultBackend>,
    role_id: RoleId,
}

impl DatabaseSettings {
    /// Logs in with AppRole and reads the database password from kv v2.
    async fn password(&self, secret_id: &SecretId) -> Result<Password, String> {
        let vault = &self.vault;
        vault.login_approle("approle", &self.role_id, secret_id).await.map_err(|e| format!("login failed: {e}"))?;
        let response = vault
            .read("secret/data/myapp/db")
            .await
            .map_err(|e| format!("read failed: {e}"))?
            .ok_or("no database secret at secret/myapp/db")?;
        response
            .data
            .as_ref()
            .and_then(|data| data.get("data"))
            .and_then(|kv| kv.get("password"))
            .and_then(|p| p.as_str())
            .map(Password::new)
            .ok_or_else(|| "secret/myapp/db has no password key".into())
    }
}

/// A MemoryVault with `aws.stg.myapp` provisioned and its password written
/// (when given), and the app's RoleID. Also what `main` runs against.
async fn provisioned_vault(password: Option<&str>) -> (MemoryVault, RoleId) {
    let vault = MemoryVault::builder().root_token("root").dev_mounts().build();
    let root = vault.backend().with_token("root");
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    let app: AppRef = "aws.stg.myapp".parse().expect("a valid app reference");
    let provisioned = Provisioner::new(&root, layout).unwrap().ensure_app(&app).await.unwrap();
    if let Some(password) = password {
        root.write("secret/data/myapp/db", &json!({ "data": { "password": password } })).await.unwrap();
    }
    (vault, provisioned.role_id)
}

/// A single-use SecretID for the app, as the controller issues per pod.
async fn secret_id(vault: &MemoryVault) -> SecretId {
    let request = SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: "aws.stg.myapp".into(),
        num_uses: Some(1),
        ..SecretIdRequest::default()
    };
    match vault.backend().with_token("root").issue_secret_id(&request).await.unwrap() {
        IssuedSecretId::Plain { secret_id, .. } => secret_id,
        other => panic!("expected a plain SecretID, got {other:?}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let (vault, role_id) = provisioned_vault(Some("hunter2-in-memory")).await;
    let settings = DatabaseSettings { vault: Arc::new(vault.backend()), role_id };
    let password = settings.password(&secret_id(&vault).await).await?;
    // Password's Debug prints `Password([redacted])`.
    println!("got the database password: {password:?}");
    Ok(())
}

/// Against the mocks: exact calls, scripted answers, every error path.
#[cfg(test)]
mod with_mocks {
    use qsec_core::mock::MockVaultBackend;
    use qsec_core::{AuthInfo, Error, VaultResponse};

    use super::*;

    fn settings(vault: MockVaultBackend) -> DatabaseSettings {
        DatabaseSettings { vault: Arc::new(vault), role_id: RoleId::new("role-1") }
    }

    fn login_answer() -> AuthInfo {
        serde_json::from_value(json!({
            "client_token": "hvs.test-token", "accessor": "acc", "lease_duration": 300, "renewable": true
        }))
        .unwrap()
    }

    fn kv_v2_answer(data: serde_json::Value) -> VaultResponse {
        serde_json::from_value(json!({ "data": { "data": data, "metadata": { "version": 1 } } })).unwrap()
    }

    #[tokio::test]
    async fn reads_the_password_after_logging_in() {
        let mut vault = MockVaultBackend::new();
        vault
            .expect_login_approle()
            .withf(|mount, role_id, secret_id| {
                mount == "approle" && role_id.expose_secret() == "role-1" && secret_id.expose_secret() == "secret-1"
            })
            .times(1)
            .returning(|_, _, _| Ok(login_answer()));
        vault
            .expect_read()
            .withf(|path| path == "secret/data/myapp/db")
            .times(1)
            .returning(|_| Ok(Some(kv_v2_answer(json!({ "password": "hunter2" })))));

        let password = settings(vault).password(&SecretId::new("secret-1")).await.unwrap();
        assert_eq!(password.expose_secret(), "hunter2");
    }

    #[tokio::test]
    async fn reports_a_refused_login_and_reads_nothing() {
        let mut vault = MockVaultBackend::new();
        vault.expect_login_approle().times(1).returning(|_, _, _| {
            Err(Error::Vault {
                operation: "AppRole login".into(),
                path: "auth/approle/login".into(),
                status: 400,
                errors: vec!["invalid secret id".into()],
            })
        });
        vault.expect_read().never();

        let error = settings(vault).password(&SecretId::new("used-already")).await.unwrap_err();
        assert_eq!(
            error,
            r#"login failed: Vault refused AppRole login on "auth/approle/login" with HTTP 400: invalid secret id"#
        );
    }

    #[tokio::test]
    async fn reports_a_missing_secret() {
        let mut vault = MockVaultBackend::new();
        vault.expect_login_approle().returning(|_, _, _| Ok(login_answer()));
        vault.expect_read().returning(|_| Ok(None));

        let error = settings(vault).password(&SecretId::new("s")).await.unwrap_err();
        assert_eq!(error, "no database secret at secret/myapp/db");
    }
}

/// Against an in-memory Vault: real policies, a real single-use SecretID.
#[cfg(test)]
mod with_memory_vault {
    use super::*;

    #[tokio::test]
    async fn reads_the_password_with_the_apps_own_policy() {
        let (vault, role_id) = provisioned_vault(Some("hunter2")).await;
        let settings = DatabaseSettings { vault: Arc::new(vault.backend()), role_id };
        let password = settings.password(&secret_id(&vault).await).await.unwrap();
        assert_eq!(password.expose_secret(), "hunter2");
    }

    #[tokio::test]
    async fn a_secret_id_logs_in_once() {
        let (vault, role_id) = provisioned_vault(Some("hunter2")).await;
        let settings = DatabaseSettings { vault: Arc::new(vault.backend()), role_id };
        let secret_id = secret_id(&vault).await;
        settings.password(&secret_id).await.unwrap();
        let error = settings.password(&secret_id).await.unwrap_err();
        assert!(error.starts_with("login failed: ") && error.contains("HTTP 400"), "{error}");
    }

    #[tokio::test]
    async fn reports_a_missing_secret() {
        let (vault, role_id) = provisioned_vault(None).await;
        let settings = DatabaseSettings { vault: Arc::new(vault.backend()), role_id };
        let error = settings.password(&secret_id(&vault).await).await.unwrap_err();
        assert_eq!(error, "no database secret at secret/myapp/db");
    }
}
