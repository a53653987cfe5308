//! The Secret API: the service in front of Vault that provisions apps,
//! hands RoleIDs to deployers and get-secret-id tokens to the controller,
//! and keeps secrets with their history (the design's "SecretAPI").
//!
//! It holds no state of its own — Vault is the store — so any number of
//! replicas can run behind one Kubernetes Service.
//!
//! Every request carries `Authorization: Bearer <JWT>`, verified against
//! the configured issuers' keys ([`jwt`]); rules from the configuration
//! grant groups or subjects verbs on app patterns ([`authz`]); every
//! decision is one JSON line in the audit log ([`audit`]).
//!
//! ```no_run
//! # async fn demo() -> qsec_secret_api::Result<()> {
//! use qsec_secret_api::{Config, SecretApi};
//!
//! qsec_vault::install_crypto_provider();
//! let config = Config::load("/etc/qsec/secret-api.yaml".as_ref())?;
//! let listen = config.listen;
//! SecretApi::new(config).await?.serve_until(listen, std::future::pending()).await
//! # }
//! ```
//!
//! The endpoints, the configuration and the Vault policy the service needs
//! are in the crate's README.

pub mod apps;
pub mod audit;
pub mod authz;
pub mod config;
mod error;
mod http;
pub mod jwt;
pub mod metrics;
pub mod secrets;
mod server;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod vault;

pub use config::Config;
pub use error::{Error, Result};
pub use server::{RunningServer, SecretApi};

/// The Vault policy the Secret API's own token needs under the default
/// layout, as HCL (also in the README).
pub const VAULT_POLICY: &str = include_str!("../vault-policy.hcl");
