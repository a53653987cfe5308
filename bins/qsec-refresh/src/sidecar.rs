//! [`Sidecar`]: one run, from the loaded bundle to the last revocation.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use qsec_core::{LeaseBundle, LeaseStore, VaultBackend};
use qsec_vault::{Clock, FileLeaseStore, Item, Limit, RenewalPolicy, Renewer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tracing::{error, info, warn};

use crate::error::{Error, Result};
use crate::http::{self, Shared};
use crate::triggers::{StopReason, first_trigger};

/// Everything a run needs, injectable: the binary passes a `VaultClient`,
/// the `FileLeaseStore` and the `SystemClock`; tests pass an in-memory
/// Vault and a manual clock.
pub struct Sidecar {
    /// Vault; its current token becomes the bundle's.
    pub vault: Arc<dyn VaultBackend>,
    /// Where renewed TTLs are saved, and which is removed once everything
    /// is revoked.
    pub store: Arc<dyn LeaseStore>,
    /// The renewer's clock.
    pub clock: Arc<dyn Clock>,
    /// When to renew, and the expiry margin.
    pub policy: RenewalPolicy,
    /// How long stopping may take.
    pub grace_period: Duration,
    /// Stop once this file exists.
    pub exit_file: Option<PathBuf>,
}

/// Loads the bundle qsec-init left in `store`; its absence is an error.
pub async fn load_bundle(store: &FileLeaseStore) -> Result<LeaseBundle> {
    store
        .load()
        .await
        .map_err(Error::LeaseFile)?
        .ok_or_else(|| Error::NoLeaseFile { path: store.path().display().to_string() })
}

impl Sidecar {
    /// Serves the endpoints on `listener` and renews `bundle` until
    /// `external` (the signals), `POST /v1/quit`, the exit file or the
    /// token's expiry margin says stop; then revokes every lease and the
    /// token within the grace period and removes the saved bundle.
    ///
    /// `Ok` for a requested stop with the token revoked;
    /// [`Error::TokenExpiring`] when the token could not be kept alive;
    /// [`Error::RevocationIncomplete`] when the token could not be revoked
    /// (the saved bundle is kept then, for a retry).
    pub async fn run(
        self,
        bundle: LeaseBundle,
        listener: TcpListener,
        external: impl Future<Output = StopReason>,
    ) -> Result<()> {
        let address =
            listener.local_addr().map_err(|e| Error::Listen { address: "?".into(), reason: e.to_string() })?;
        info!(accessor = %bundle.token.accessor, leases = bundle.leases.len(), %address, "renewing; listening");
        let mut renewer = Renewer::new(self.vault.clone(), bundle, self.policy.clone());
        let (status_tx, status) = watch::channel(renewer.status(self.clock.now()));
        let (stop_tx, stopping) = watch::channel(None);
        let quit = Arc::new(Notify::new());
        let server = http::spawn(
            listener,
            Shared {
                status: status.clone(),
                stopping: stopping.clone(),
                clock: self.clock.clone(),
                quit: quit.clone(),
            },
        );

        let stopper = async {
            let reason = first_trigger(external, &quit, self.exit_file.as_deref(), status.clone()).await;
            info!(%reason, "stopping");
            stop_tx.send_replace(Some(reason));
            // What the token had left when the stop came, for the message.
            let left = status.borrow().token_expires_at.duration_since(self.clock.now()).unwrap_or_default();
            (reason, Instant::now() + self.grace_period, left)
        };
        let renewing = async {
            let run = renewer.run_until(&*self.clock, Some(&*self.store), &status_tx, stopped(stopping.clone()));
            // A renewal in flight when the stop comes gets half the grace
            // period; revoking gets the rest.
            let abandon = async {
                stopped(stopping.clone()).await;
                tokio::time::sleep(self.grace_period / 2).await;
            };
            tokio::select! {
                _ = run => {}
                () = abandon => warn!("a renewal was still running at the stop; abandoned it to revoke in time"),
            }
        };
        let ((reason, deadline, expires_in), ()) = tokio::join!(stopper, renewing);

        let token_gone = match tokio::time::timeout_at(deadline, self.revoke(&mut renewer)).await {
            Ok(gone) => gone,
            Err(_) => {
                error!(grace = ?self.grace_period, "revoking did not finish within the grace period");
                false
            }
        };
        if token_gone && let Err(error) = self.store.remove().await {
            warn!(%error, "could not remove the lease file");
        }
        server.abort();

        let last = status.borrow().clone();
        if !reason.requested() {
            let limit = last.token_expiring.or(last.token_limit).unwrap_or(Limit::Refused);
            return Err(Error::TokenExpiring { limit, expires_in, revoked: token_gone });
        }
        if !token_gone {
            return Err(Error::RevocationIncomplete { reason, grace: self.grace_period });
        }
        info!(%reason, renewals = last.renewals, "stopped; everything revoked");
        Ok(())
    }

    /// Revokes every lease, then the token; true when the token is gone.
    ///
    /// A lease Vault would not revoke (a policy without `sys/leases/revoke`,
    /// as in the seed's) still dies with the token, so only the token's
    /// fate decides. A token Vault no longer knows (403 on lookup: expired,
    /// or revoked by someone else) took its leases with it: that counts as
    /// gone.
    async fn revoke(&self, renewer: &mut Renewer) -> bool {
        let report = renewer.revoke_all().await;
        for item in &report.revoked {
            info!(%item, "revoked");
        }
        for (item, reason) in &report.failed {
            warn!(%item, %reason, "could not revoke");
        }
        if report.revoked.contains(&Item::Token) {
            return true;
        }
        match self.vault.lookup_self().await {
            Err(error) if error.is_permission_denied() => {
                info!("the token was already gone, and its leases with it");
                true
            }
            _ => false,
        }
    }
}

/// Completes once a stop reason is set (or no one can set one any more).
async fn stopped(mut stopping: watch::Receiver<Option<StopReason>>) {
    let _ = stopping.wait_for(Option::is_some).await;
}
