//! `qsec-init`, the init container of every qsec pod: it waits for the
//! controller to POST a single-use SecretID, joins it with the RoleID baked
//! into its image, logs in to Vault's AppRole, renders the app's config
//! templates into the config volume, and hands the token and its leases to
//! the refresh sidecar through the lease volume. `main.rs` only parses
//! [`Settings`] and calls [`run`]; `README.md` beside this crate documents
//! every setting and HTTP status.
//!
//! The flow after a SecretID arrives, here against an in-memory Vault:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use qsec_core::{IssuedSecretId, QsecLayout, SecretIdIssuer, SecretIdRequest, VaultBackend};
//! use qsec_init::{AppRoleLogin, Handover, delivery};
//! use qsec_template::config_dir::ConfigDirOptions;
//! use qsec_vault::Provisioner;
//! use qsec_vault::testkit::MemoryVault;
//!
//! // Vault with the app provisioned (kv v1 at secret/, as in the design) and one secret.
//! let vault = MemoryVault::builder().root_token("root").dev_mounts().kv_v1("secret")
//!     .seed_secret("secret/myapp/db", serde_json::json!({ "password": "pw-1" })).build();
//! let root = vault.backend().with_token("root");
//! let plan = QsecLayout::default().plan(&"aws.stg.myapp".parse()?)?;
//! let role_id = Provisioner::new(&root, QsecLayout::default())?.ensure_app(&plan.app).await?.role_id;
//!
//! // The image: one template.
//! let dirs = tempfile::tempdir()?;
//! let source = dirs.path().join("source");
//! std::fs::create_dir(&source)?;
//! std::fs::write(source.join("local.yml.tmpl"), r#"password: {{ lookup "db" "password" }}"#)?;
//!
//! let login = AppRoleLogin { mount: "approle".into(), role_id, secret_id_path: plan.names.secret_id_path() };
//! let handover = Handover {
//!     plan: plan.clone(),
//!     functions: Default::default(),
//!     deny_functions: vec![],
//!     config_source: source,
//!     config_dir: dirs.path().join("config"),
//!     lease_dir: dirs.path().join("leases"),
//!     options: ConfigDirOptions::default(),
//!     render_timeout: std::time::Duration::from_secs(30),
//! };
//!
//! // The controller's part: a wrapped SecretID, delivered as JSON.
//! let request = SecretIdRequest { approle_mount: "approle".into(), role_name: plan.names.approle.clone(),
//!     wrap_ttl: Some(std::time::Duration::from_secs(60)), ..Default::default() };
//! let IssuedSecretId::Wrapped(wrap) = root.issue_secret_id(&request).await? else { unreachable!() };
//! let body = serde_json::json!({ "wrapped_secret_id": wrap.token.expose_secret() }).to_string();
//!
//! let delivery = delivery::parse(body.as_bytes()).expect("a valid delivery");
//! let report = qsec_init::deliver(Arc::new(vault.backend()), &login, &handover, &delivery).await?;
//! assert_eq!(std::fs::read_to_string(dirs.path().join("config/local.yml"))?, "password: pw-1");
//! assert!(report.lease_file.ends_with("leases/leases.json"));
//! # Ok(()) }
//! ```
//!
//! One file per job: [`settings`] (flags and variables), `setup` (settings
//! into the parts below), [`delivery`] (reading a POST body), [`login`]
//! (AppRole and Kubernetes logins), [`server`] (the delivery endpoint),
//! [`handover`] (render and lease file), [`error`] (the one-line errors).

pub mod delivery;
pub mod error;
pub mod handover;
pub mod login;
pub mod process;
pub mod server;
pub mod settings;
mod setup;

use std::sync::Arc;

use qsec_core::VaultBackend;
use qsec_core::delivery::SecretIdDelivery;
use qsec_vault::VaultClient;

pub use error::Error;
pub use handover::{Handover, Report};
pub use login::{AppRoleLogin, KubernetesLogin};
pub use settings::{AuthMethod, Settings};

/// Does everything `qsec-init` does: reads the RoleID, waits for a SecretID
/// (or logs in with Kubernetes auth), renders the config volume and writes
/// the lease file. Settings are checked before anything is awaited, so a
/// misconfigured pod fails before a SecretID is spent.
pub async fn run(settings: &Settings) -> Result<Report, Error> {
    let plan = settings.plan()?;
    let handover = settings.handover(&plan)?;
    let client = VaultClient::new(settings.vault_config()?).map_err(Error::vault_setting)?;
    let vault: Arc<dyn VaultBackend> = Arc::new(client);
    let auth = match settings.auth {
        AuthMethod::AppRole => {
            let login = settings.approle_login(&plan)?;
            let listener = server::bind(settings.listen).await?;
            server::wait_for_secret_id(listener, vault.clone(), login, settings.wait_timeout).await?
        }
        AuthMethod::Kubernetes => settings.kubernetes_login()?.login(&*vault).await?,
    };
    handover.run(vault, &auth).await
}

/// The pipeline from a received SecretID to files in place: unwraps it if
/// wrapped (after checking its creation path), logs in, renders the config
/// directory and writes the lease file, as the server and [`run`] do.
pub async fn deliver(
    vault: Arc<dyn VaultBackend>,
    login: &AppRoleLogin,
    handover: &Handover,
    delivery: &SecretIdDelivery,
) -> Result<Report, Error> {
    let auth = login.redeem(&*vault, delivery).await?;
    handover.run(vault, &auth).await
}
