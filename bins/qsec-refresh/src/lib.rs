//! qsec-refresh, the refresh sidecar of every qsec pod (steps 10 and 11 of
//! docs/ARCHITECTURE.md): it reads the token and leases qsec-init left on
//! the lease volume, renews them at about two thirds of their TTL (with
//! [`qsec_vault::Renewer`]), saves the renewed TTLs back, and when the pod
//! stops revokes every lease and then the token.
//!
//! It also answers the seed's open problem, a sidecar that can no longer
//! keep the token alive: `/healthz` turns 503 as soon as the token cannot
//! be extended, and before it expires the sidecar revokes what it can and
//! exits non-zero, so the controller replaces the pod.
//!
//! The logic lives here, unit-tested beside the code; `main.rs` only sets
//! up the process. [`run`] is the binary's whole life; [`Sidecar`] is the
//! same with every dependency injectable.
//!
//! ```no_run
//! use clap::Parser;
//!
//! # async fn demo() {
//! let settings = qsec_refresh::Settings::parse();
//! if let Err(error) = qsec_refresh::run(settings).await {
//!     eprintln!("qsec-refresh: {error}");
//!     std::process::exit(error.exit_code().into());
//! }
//! # }
//! ```

mod error;
mod health;
mod http;
mod metrics;
pub mod process;
mod settings;
mod sidecar;
mod triggers;

use std::sync::Arc;

use qsec_vault::{FileLeaseStore, SystemClock, VaultClient};

pub use error::{EXIT_REVOCATION_INCOMPLETE, EXIT_STARTUP, EXIT_TOKEN_EXPIRING, Error, Result};
pub use health::{Health, health, seconds_until};
pub use metrics::{
    CONTENT_TYPE as METRICS_CONTENT_TYPE, FAILURES, RENEWALS, TOKEN_EXPIRES_IN, render as render_metrics,
};
pub use settings::{Settings, parse_duration};
pub use sidecar::{Sidecar, load_bundle};
pub use triggers::{Signals, StopReason};

/// The sidecar's life: catches SIGTERM and SIGINT, loads the lease file,
/// binds the listener, then renews until told to stop and revokes
/// everything. `Ok` means exit 0; an error's [`Error::exit_code`] is the
/// exit status and its `Display` the one line to print.
pub async fn run(settings: Settings) -> Result<()> {
    // First, so a SIGTERM during start-up is handled, not fatal.
    let signals = Signals::install()?;
    settings.validate()?;
    let store = FileLeaseStore::in_dir(&settings.lease_dir);
    let bundle = load_bundle(&store).await?;
    let vault = VaultClient::new(settings.vault_config()?)?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| Error::Listen { address: settings.listen.to_string(), reason: e.to_string() })?;
    let sidecar = Sidecar {
        vault: Arc::new(vault),
        store: Arc::new(store),
        clock: Arc::new(SystemClock),
        policy: settings.renewal_policy(),
        grace_period: settings.grace_period,
        exit_file: settings.exit_when_file_exists.clone(),
    };
    sidecar.run(bundle, listener, signals.recv()).await
}
