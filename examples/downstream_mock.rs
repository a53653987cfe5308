//! How a team that links qsec tests its own code with qsec's mocks.
//!
//! Imagine a service of yours that reads its database password through
//! qsec's `VaultBackend` after an AppRole login. Your tests should not need
//! a Vault: enable qsec-core's `mock` feature in your dev-dependencies
//!
//! ```toml
//! [dev-dependencies]
//! qsec-core = { version = "0.1", features = ["mock"] }
//! ```
//!
//! and set expectations on `MockVaultBackend`. Run this file with
//! `cargo test -p qsec-core --features mock --test downstream_mock`.

use qsec_core::mock::MockVaultBackend;
use qsec_core::{AuthInfo, Error, Password, RoleId, SecretId, VaultBackend, VaultResponse};

/// The code under test: your service's start-up, written against the trait.
mod my_service {
    use super::*;

    /// Logs in with AppRole and reads the database password from kv v2.
    pub(super) async fn database_password(
        vault: &dyn VaultBackend,
        role_id: &RoleId,
        secret_id: &SecretId,
    ) -> Result<Password, String> {
        vault.login_approle("approle", role_id, secret_id).await.map_err(|e| format!("login failed: {e}"))?;
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

fn login_answer() -> AuthInfo {
    serde_json::from_value(serde_json::json!({
        "client_token": "hvs.test-token", "accessor": "acc", "lease_duration": 300, "renewable": true
    }))
    .unwrap()
}

fn kv_v2_answer(data: serde_json::Value) -> VaultResponse {
    serde_json::from_value(serde_json::json!({ "data": { "data": data, "metadata": { "version": 1 } } })).unwrap()
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
        .returning(|_| Ok(Some(kv_v2_answer(serde_json::json!({ "password": "hunter2" })))));

    let password =
        my_service::database_password(&vault, &RoleId::new("role-1"), &SecretId::new("secret-1")).await.unwrap();
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

    let error =
        my_service::database_password(&vault, &RoleId::new("r"), &SecretId::new("used-already")).await.unwrap_err();
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

    let error = my_service::database_password(&vault, &RoleId::new("r"), &SecretId::new("s")).await.unwrap_err();
    assert_eq!(error, "no database secret at secret/myapp/db");
}
