//! AppRole login and a kv v2 read with `qsec_vault::VaultClient`.
//!
//! Against your Vault:
//!
//! ```sh
//! VAULT_ADDR=https://vault.internal:8200 VAULT_ROLE_ID=... VAULT_SECRET_ID=... \
//!   KV_MOUNT=secret KV_PATH=myapp/db \
//!   cargo run -p qsec-vault --features testkit --example approle_kv
//! ```
//!
//! Without `VAULT_ADDR` it starts a dev Vault on 127.0.0.1, provisions an app
//! the way an operator would (policy and AppRole via `Provisioner`, a secret,
//! a single-use SecretID), and runs the same code against it, so
//! `cargo run -p qsec-vault --features testkit --example approle_kv` works on
//! a fresh machine. `cargo test` runs it too (see `tests` below).

use qsec_core::{
    AppRef, IssuedSecretId, KvMount, KvVersion, QsecLayout, RoleId, SecretData, SecretId, SecretIdRequest, VaultToken,
};
use qsec_vault::testkit::{DevServer, MemoryVault};
use qsec_vault::{Provisioner, VaultClient, VaultConfig};
use serde_json::json;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Where the app's secret lives, and the AppRole credentials to read it.
struct Target {
    client: VaultClient,
    role_id: RoleId,
    secret_id: SecretId,
    mount: KvMount,
    path: String,
}

/// What the app does at start-up: log in, then read one kv v2 secret.
async fn read_secret(target: &Target) -> Result<SecretData> {
    // A successful login makes the new token the client's current one.
    let auth = target.client.login_approle("approle", &target.role_id, &target.secret_id).await?;
    println!("logged in; token accessor {} (the token itself is never printed)", auth.accessor);
    let secret = target
        .client
        .kv_read(&target.mount, &target.path)
        .await?
        .ok_or_else(|| format!("nothing at {}/{}", target.mount.path, target.path))?;
    Ok(secret.into_value().data)
}

/// The target described by `VAULT_*`, `KV_MOUNT` and `KV_PATH`.
fn target_from_env() -> Result<Target> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    Ok(Target {
        client: VaultClient::from_env()?,
        role_id: RoleId::new(var("VAULT_ROLE_ID")?),
        secret_id: SecretId::new(var("VAULT_SECRET_ID")?),
        // The mount is named, not discovered: an app's policy rarely grants
        // `sys/mounts`.
        mount: KvMount { path: std::env::var("KV_MOUNT").unwrap_or("secret".into()), version: KvVersion::V2 },
        path: std::env::var("KV_PATH").unwrap_or("myapp/db".into()),
    })
}

/// Provisions `aws.stg.myapp` on the dev Vault at `url` as an operator would,
/// and returns the app's view of it: a client without a token, its RoleID
/// and a fresh SecretID.
async fn provision_dev_vault(url: &str) -> Result<Target> {
    let root = VaultClient::new(VaultConfig::new(url)?.with_token(VaultToken::new("root")))?;
    let mut layout = QsecLayout::default();
    let mount = KvMount { path: "secret".into(), version: KvVersion::V2 };
    layout.policies.kv_mounts = vec![mount.clone()];
    let app: AppRef = "aws.stg.myapp".parse()?;
    // The app's read policy and AppRole, as the Secret API creates them.
    let provisioned = Provisioner::new(&root, layout)?.ensure_app(&app).await?;
    root.kv_write(&mount, "myapp/db", &json!({ "user": "app", "password": "s3cr3t-from-vault" }), None).await?;
    // What the controller does per pod: one single-use SecretID.
    let request = SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: provisioned.role_name.clone(),
        num_uses: Some(1),
        ..SecretIdRequest::default()
    };
    let IssuedSecretId::Plain { secret_id, .. } = root.generate_secret_id(&request).await?.into_value() else {
        return Err("expected a plain SecretID".into());
    };
    Ok(Target {
        client: VaultClient::new(VaultConfig::new(url)?)?,
        role_id: provisioned.role_id,
        secret_id,
        mount,
        path: "myapp/db".into(),
    })
}

/// Runs against a dev Vault on loopback, stopping it before returning.
async fn run_on_dev_vault() -> Result<SecretData> {
    let vault = MemoryVault::builder().root_token("root").dev_mounts().build();
    let server = DevServer::start(vault, "127.0.0.1:0".parse()?)?;
    println!("no VAULT_ADDR: using a dev Vault at {}", server.url());
    let result = match provision_dev_vault(&server.url()).await {
        Ok(target) => read_secret(&target).await,
        Err(error) => Err(error),
    };
    server.shutdown().await;
    result
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    qsec_vault::install_crypto_provider();
    let data = match std::env::var_os("VAULT_ADDR") {
        Some(_) => read_secret(&target_from_env()?).await?,
        None => run_on_dev_vault().await?,
    };
    // SecretData's Display lists the keys only, never the values.
    println!("read {data}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn logs_in_and_reads_what_the_operator_wrote() {
        qsec_vault::install_crypto_provider();
        let data = run_on_dev_vault().await.unwrap();
        assert_eq!(data.get_str("password"), Some("s3cr3t-from-vault"));
        assert_eq!(data.get_str("user"), Some("app"));
    }
}
