//! Everything qsec says to Vault: the HTTP client, app provisioning,
//! renewal, the file lease store, and an in-memory Vault for tests.
//!
//! Built on [`qsec_core`]'s traits.
//!
//! ```
//! // Every qsec binary does this first: one TLS crypto provider, ring,
//! // for the whole process.
//! qsec_vault::install_crypto_provider();
//! ```

pub mod client;
mod error;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use client::{VaultClient, VaultConfig};
pub use error::{Error, Result};

/// Installs ring as the process-wide rustls crypto provider.
///
/// qsec uses one provider everywhere (reqwest, kube, axum's TLS), chosen
/// here once so no dependency picks another behind our back. Call it at the
/// top of `main`; calling it again is harmless.
pub fn install_crypto_provider() {
    // An error only means a provider is already installed, which is the
    // state we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
