//! Leader election on a Kubernetes Lease (kube-lease-manager): one replica
//! delivers, the others keep their watch warm and take over within the
//! lease duration when it stops renewing.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::error::{Error, Result};

/// Where and how to hold the Lease.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// The Lease's namespace.
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// Seconds a leader holds it without renewing.
    pub duration: u64,
    /// Seconds before expiry the leader renews.
    pub grace: u64,
}

impl LeaseSettings {
    /// Checks what kube-lease-manager requires (and would panic on).
    pub fn validate(&self) -> Result<()> {
        if self.duration == 0 || self.grace == 0 || self.grace >= self.duration {
            return Err(Error::ControllerSettings {
                field: "lease_duration",
                reason: format!("need 0 < grace ({}) < duration ({}), in seconds", self.grace, self.duration),
            });
        }
        Ok(())
    }
}

/// Leadership that is always held: for a single replica without a Lease.
pub fn always() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(true)
}

/// Campaigns for the Lease as `identity` until `stop`, publishing whether
/// this replica leads; on stop it releases the Lease so a standby takes
/// over at once instead of after the lease duration.
pub async fn campaign(
    client: Client,
    settings: LeaseSettings,
    identity: String,
    leader: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    settings.validate()?;
    let lease = format!("{}/{}", settings.namespace, settings.name);
    // Getting (or creating) the Lease can fail while the API server is
    // unreachable: keep trying, standing by, until it works or we stop.
    let mut delay = Duration::from_millis(500);
    let manager = loop {
        let built = LeaseManagerBuilder::new(client.clone(), &settings.name)
            .with_namespace(&settings.namespace)
            .with_parameters(LeaseParams::new(identity.clone(), settings.duration, settings.grace))
            .build()
            .await;
        match built {
            Ok(manager) => break manager,
            Err(error) => {
                let error = Error::LeaderElection { lease: lease.clone(), reason: error.to_string() };
                warn!(%error, "cannot use the Lease yet; standing by and retrying (check the namespace exists and the RBAC for leases)");
            }
        }
        tokio::select! {
            () = super::stopped(&mut stop) => return Ok(()),
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    };
    loop {
        tokio::select! {
            () = super::stopped(&mut stop) => break,
            changed = manager.changed() => match changed {
                Ok(leads) => {
                    info!(%lease, %identity, leader = leads, "leadership changed");
                    leader.send_replace(leads);
                }
                Err(error) => {
                    warn!(%lease, %error, "leader election failed; standing by and retrying");
                    leader.send_replace(false);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
    leader.send_replace(false);
    if let Err(error) = manager.release().await {
        warn!(%lease, %error, "could not release the Lease; a standby takes over when it expires");
    }
    Ok(())
}
