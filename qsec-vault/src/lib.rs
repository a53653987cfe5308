//! Everything qsec says to Vault: the HTTP client, app provisioning,
//! renewal, the file lease store, and an in-memory Vault for tests.
//!
//! Built on [`qsec_core`]'s traits. The repository's `examples/` show it in
//! use: `approle_kv.rs` (AppRole login and a kv read) and
//! `service_under_test.rs` (testing your service with the mocks and
//! `MemoryVault`).
//!
//! ```
//! // Every qsec binary does this first: one TLS crypto provider, ring,
//! // for the whole process.
//! qsec_vault::install_crypto_provider();
//! ```

pub mod client;
mod clock;
mod error;
mod lease_file;
mod provision;
mod renew;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use client::{VaultClient, VaultConfig};
pub use clock::{Clock, ManualClock, SystemClock, from_unix_seconds, unix_seconds};
pub use error::{Error, Result};
pub use lease_file::{FileLeaseStore, LEASE_FILE_NAME};
pub use provision::{Change, ProvisionedApp, Provisioner};
pub use renew::{Item, Limit, RenewalPolicy, RenewalReport, Renewer, RenewerStatus, RevokeReport};

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

/// Completes on Ctrl-C (SIGINT) or SIGTERM: how Kubernetes and a terminal
/// ask qsec's long-running binaries to stop gracefully.
pub async fn shutdown_signal() {
    // Without a SIGTERM handler (it cannot fail on Linux in practice), Ctrl-C still works.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let sigterm = async {
        match terminate.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = sigterm => {}
    }
}
