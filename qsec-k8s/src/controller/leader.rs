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

/// How long the Lease may stay unusable before this replica works without
/// it. Safe because every delivery is claimed on the pod with a
/// `resourceVersion` precondition: replicas that all act still deliver
/// exactly once per `qsec-init` run, they only duplicate work. Without this,
/// an API server that lacks Leases (or server-side apply, which the Lease
/// manager uses) would leave every replica standing by forever.
pub const UNUSABLE_LEASE_FALLBACK: Duration = Duration::from_secs(5);

/// Tracks how long the Lease has been failing, and takes leadership without
/// it once that passes [`UNUSABLE_LEASE_FALLBACK`].
struct Unusable<'a> {
    after: Duration,
    since: Option<std::time::Instant>,
    leader: &'a watch::Sender<bool>,
    lease: &'a str,
    acting: bool,
}

impl<'a> Unusable<'a> {
    fn new(leader: &'a watch::Sender<bool>, lease: &'a str, after: Duration) -> Self {
        Self { after, since: None, leader, lease, acting: false }
    }

    /// One more failure; returns whether this replica now acts without a Lease.
    fn failed(&mut self) -> bool {
        let since = *self.since.get_or_insert_with(std::time::Instant::now);
        if !self.acting && since.elapsed() >= self.after {
            warn!(
                lease = %self.lease,
                "the Lease stayed unusable; delivering without leader election (the claim on each pod keeps \
                 deliveries exactly-once) and retrying the Lease"
            );
            self.acting = true;
            self.leader.send_replace(true);
        }
        self.acting
    }

    /// The Lease works again: leadership follows it.
    fn recovered(&mut self) {
        self.since = None;
        self.acting = false;
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
    let mut unusable = Unusable::new(&leader, &lease, UNUSABLE_LEASE_FALLBACK);
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
            Ok(manager) => {
                // From here leadership follows the Lease again.
                if unusable.acting {
                    leader.send_replace(false);
                }
                unusable.recovered();
                break manager;
            }
            Err(error) => {
                let error = Error::LeaderElection { lease: lease.clone(), reason: error.to_string() };
                warn!(%error, "cannot use the Lease yet; retrying (check the namespace exists and the RBAC for leases)");
                unusable.failed();
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
                    unusable.recovered();
                    leader.send_replace(leads);
                }
                Err(error) => {
                    warn!(%lease, %error, "leader election failed; retrying");
                    if !unusable.failed() {
                        leader.send_replace(false);
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_that_stays_unusable_hands_leadership_over_until_it_works_again() {
        let (leader, leads) = watch::channel(false);
        let mut patient = Unusable::new(&leader, "ns/lease", Duration::from_secs(3600));
        assert!(!patient.failed(), "one failure is not persistent");
        assert!(!*leads.borrow());

        let mut unusable = Unusable::new(&leader, "ns/lease", Duration::ZERO);
        assert!(unusable.failed(), "failing past the threshold acts without the Lease");
        assert!(*leads.borrow());
        unusable.recovered();
        assert!(!unusable.acting);
        assert!(unusable.since.is_none());
    }
}
