//! The pure domain of qsec: app references, the names and policies of what
//! qsec creates in Vault, the types that carry credentials, and the four
//! traits the rest of qsec is built on.
//!
//! Nothing here does I/O or needs an async runtime; the other crates
//! (`qsec-vault`, `qsec-template`, `qsec-k8s`) implement the traits.
//!
//! ```
//! use qsec_core::{AppRef, QsecLayout};
//!
//! // What the Secret API creates in Vault for one app, as in the design.
//! let app: AppRef = "aws.stg.myapp".parse()?;
//! let plan = QsecLayout::default().plan(&app)?;
//!
//! assert_eq!(plan.names.approle, "aws.stg.myapp");
//! assert_eq!(plan.names.token_role, "getsecretid-aws.stg.myapp");
//! assert!(plan.read_policy.to_hcl().contains(
//!     r#"path "secret/myapp/*" { capabilities = ["read", "list"] }"#
//! ));
//! assert_eq!(plan.names.secret_id_path(), "auth/approle/role/aws.stg.myapp/secret-id");
//! # Ok::<(), qsec_core::Error>(())
//! ```
//!
//! # The traits
//!
//! | trait | used by | implemented in |
//! |---|---|---|
//! | [`VaultBackend`] | init container, refresh sidecar, template functions | `qsec-vault` (`VaultClient`, `MemoryVault`) |
//! | [`SecretIdIssuer`] | controller | `qsec-vault` |
//! | [`TemplateRenderer`] | init container | `qsec-template` |
//! | [`LeaseStore`] | init container, refresh sidecar | `qsec-vault` (file store) |
//!
//! With the `mock` feature, the `mock` module has a mockall mock of each, for your
//! own test suites.
//!
//! # Secrets
//!
//! Tokens, SecretIDs, passwords, keys and secret data are wrapped in the
//! types of [`secret`]: their `Debug` and `Display` print `[redacted]`, so a
//! stray `{:?}` or a log line cannot leak them.

mod app_ref;
mod backend;
pub mod delivery;
mod error;
mod issuer;
mod layout;
mod lease_store;
mod naming;
mod policy;
mod renderer;
mod response;
pub mod secret;

pub use app_ref::{AppRef, AppRefPart, AppRefProblem, MAX_PART_LEN};
pub use backend::VaultBackend;
pub use error::{Error, Result, error_chain};
pub use issuer::{IssuedSecretId, SecretIdIssuer, SecretIdRequest};
pub use layout::{
    AppPlan, AppRoleSettings, AppRoleSpec, QsecLayout, SecretAreaTemplates, SecretAreas, TokenRoleSettings,
    TokenRoleSpec,
};
pub use lease_store::{LEASE_BUNDLE_FORMAT, LeaseBundle, LeaseStore, StoredToken};
pub use naming::{AppNames, NamingScheme};
pub use policy::{Capability, KvMount, KvVersion, Policy, PolicyLayout, PolicyRule};
pub use renderer::{RenderedTemplate, TemplateRenderer};
pub use response::{AuthInfo, Lease, LeaseRenewal, TokenInfo, VaultResponse, WrapInfo, WrapLookup};
pub use secret::{Jwt, Password, PrivateKey, RoleId, SecretData, SecretId, SecretText, VaultToken, WrappingToken};

/// mockall mocks of the four traits, for downstream test suites.
///
/// ```
/// use qsec_core::mock::MockVaultBackend;
/// use qsec_core::VaultBackend;
///
/// let mut vault = MockVaultBackend::new();
/// vault.expect_set_token().times(1).return_const(());
/// vault.set_token("hvs.example".into());
/// ```
#[cfg(feature = "mock")]
pub mod mock {
    pub use crate::backend::MockVaultBackend;
    pub use crate::issuer::MockSecretIdIssuer;
    pub use crate::lease_store::MockLeaseStore;
    pub use crate::renderer::MockTemplateRenderer;
}
