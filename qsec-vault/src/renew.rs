//! [`Renewer`]: keeps an app's token and leases alive, and revokes them all
//! when told.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use qsec_core::{LeaseBundle, LeaseStore, VaultBackend};
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::clock::{Clock, from_unix_seconds, unix_seconds};

/// When to renew and when to worry.
#[derive(Debug, Clone)]
pub struct RenewalPolicy {
    /// Renew when this fraction of a TTL has passed. Default 2/3: a failed
    /// renewal still leaves a third of the TTL to retry in.
    pub renew_at: f64,
    /// Spread renewals by up to this fraction of the TTL either way, so
    /// many pods started together do not renew together. Default 0.1.
    pub jitter: f64,
    /// Report an item as expiring when it cannot be extended and has less
    /// than this left (at most a third of its TTL). Default 30 s.
    pub expiry_margin: Duration,
    /// Shortest wait before retrying a failed renewal. Default 1 s.
    pub retry_after: Duration,
}

impl Default for RenewalPolicy {
    fn default() -> Self {
        Self {
            renew_at: 2.0 / 3.0,
            jitter: 0.1,
            expiry_margin: Duration::from_secs(30),
            retry_after: Duration::from_secs(1),
        }
    }
}

/// Something the renewer keeps alive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Item {
    /// The app's token.
    Token,
    /// A lease, by id.
    Lease(String),
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token => f.write_str("token"),
            Self::Lease(id) => write!(f, "lease {id}"),
        }
    }
}

/// Why an item can no longer be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Vault said it is not renewable.
    NotRenewable,
    /// The last renewal did not push its expiry out: it hit its max TTL.
    MaxTtl,
    /// Vault refused to renew it (revoked, or the token lost the right).
    Refused,
}

#[derive(Debug, Clone)]
struct Tracked {
    item: Item,
    lease_duration: Duration,
    /// The longest TTL seen: the expiry margin scales with it, not with a
    /// last capped renewal's few seconds.
    longest_ttl: Duration,
    expires_at: SystemTime,
    renew_at: SystemTime,
    limit: Option<Limit>,
}

/// What one pass of [`Renewer::renew_due`] did.
#[derive(Debug, Default)]
pub struct RenewalReport {
    /// Items renewed, with their new TTL.
    pub renewed: Vec<(Item, Duration)>,
    /// Items whose renewal failed, with the reason (free of secrets).
    pub failed: Vec<(Item, String)>,
}

/// The renewer's view of its items at one moment.
#[derive(Debug, Clone)]
pub struct RenewerStatus {
    /// When the token expires unless renewed.
    pub token_expires_at: SystemTime,
    /// Why the token can no longer be extended, as soon as that is known
    /// (before it enters the expiry margin), so a health check can warn
    /// early; `None` while renewals extend it.
    pub token_limit: Option<Limit>,
    /// Set when the token cannot be extended and is within the expiry
    /// margin: the pod should be replaced before it expires.
    pub token_expiring: Option<Limit>,
    /// Leases that cannot be extended and are within the margin (or expired).
    pub expiring_leases: Vec<String>,
    /// Successful renewals since start.
    pub renewals: u64,
    /// Failed renewals since start.
    pub failures: u64,
}

/// What [`Renewer::revoke_all`] did.
#[derive(Debug, Default)]
pub struct RevokeReport {
    /// Items revoked.
    pub revoked: Vec<Item>,
    /// Items whose revocation failed, with the reason.
    pub failed: Vec<(Item, String)>,
}

/// Keeps a token and its leases alive: renews each at about two thirds of
/// its TTL (with jitter), stops renewing what cannot be extended, reports
/// what is about to expire, and revokes everything on request.
///
/// The renewer does not read the clock: callers pass `now`, so tests drive
/// hours of renewals without sleeping ([`crate::ManualClock`] and
/// [`Renewer::run_until`] do this for a loop).
pub struct Renewer {
    vault: Arc<dyn VaultBackend>,
    bundle: LeaseBundle,
    items: Vec<Tracked>,
    policy: RenewalPolicy,
    renewals: u64,
    failures: u64,
    jitter_seed: RandomState,
    draws: u64,
}

impl Renewer {
    /// A renewer for `bundle`, whose token it makes `vault`'s current token.
    pub fn new(vault: Arc<dyn VaultBackend>, bundle: LeaseBundle, policy: RenewalPolicy) -> Self {
        vault.set_token(bundle.token.token.clone());
        let mut renewer = Self {
            vault,
            items: Vec::new(),
            policy,
            renewals: 0,
            failures: 0,
            jitter_seed: RandomState::new(),
            draws: 0,
            bundle,
        };
        let token = &renewer.bundle.token;
        let mut items = vec![renewer.track(
            Item::Token,
            from_unix_seconds(token.obtained_at),
            token.lease_duration,
            token.renewable,
        )];
        for lease in renewer.bundle.leases.clone() {
            items.push(renewer.track(
                Item::Lease(lease.lease_id.clone()),
                from_unix_seconds(lease.obtained_at),
                lease.lease_duration,
                lease.renewable,
            ));
        }
        renewer.items = items;
        renewer
    }

    /// The bundle with every TTL as last renewed, for the lease store.
    pub fn bundle(&self) -> &LeaseBundle {
        &self.bundle
    }

    /// When the next renewal is due, if anything is still renewable.
    pub fn next_renewal(&self) -> Option<SystemTime> {
        self.items.iter().filter(|t| t.limit.is_none()).map(|t| t.renew_at).min()
    }

    /// When the next thing happens: a renewal, or an item entering its
    /// expiry margin (so status changes are noticed on time).
    pub fn next_wake(&self, now: SystemTime) -> Option<SystemTime> {
        let warnings = self
            .items
            .iter()
            .filter(|t| t.limit.is_some())
            .map(|t| t.expires_at.checked_sub(self.margin(t)).unwrap_or(t.expires_at))
            .filter(|&at| at > now);
        self.next_renewal().into_iter().chain(warnings).min()
    }

    /// Renews every item whose time has come.
    pub async fn renew_due(&mut self, now: SystemTime) -> RenewalReport {
        let mut report = RenewalReport::default();
        for index in 0..self.items.len() {
            let tracked = &self.items[index];
            if tracked.limit.is_some() || tracked.renew_at > now {
                continue;
            }
            let item = tracked.item.clone();
            let outcome = match &item {
                Item::Token => self.vault.renew_self(None).await.map(|auth| (auth.lease_duration, auth.renewable)),
                Item::Lease(id) => self
                    .vault
                    .renew_lease(id, Some(tracked.lease_duration))
                    .await
                    .map(|renewal| (renewal.lease_duration, renewal.renewable)),
            };
            match outcome {
                Ok((seconds, renewable)) => {
                    self.renewals += 1;
                    self.renewed(index, now, seconds, renewable);
                    debug!(%item, ttl = seconds, "renewed");
                    report.renewed.push((item, Duration::from_secs(seconds)));
                }
                Err(error) => {
                    self.failures += 1;
                    // A 4xx means Vault will not renew it again; anything
                    // else may pass, so retry while time is left.
                    let refused = error.vault_status().is_some_and(|s| (400..500).contains(&s) && s != 429);
                    let tracked = &mut self.items[index];
                    if refused {
                        tracked.limit = Some(Limit::Refused);
                    } else {
                        let left = tracked.expires_at.duration_since(now).unwrap_or_default();
                        tracked.renew_at = now + (left / 3).max(self.policy.retry_after);
                    }
                    warn!(%item, %error, "renewal failed");
                    report.failed.push((item, error.to_string()));
                }
            }
        }
        report
    }

    /// The state of every item at `now`.
    pub fn status(&self, now: SystemTime) -> RenewerStatus {
        let expiring =
            |t: &Tracked| t.limit.is_some() && t.expires_at.checked_sub(self.margin(t)).is_none_or(|at| at <= now);
        let token = &self.items[0];
        RenewerStatus {
            token_expires_at: token.expires_at,
            token_limit: token.limit,
            token_expiring: if expiring(token) { token.limit } else { None },
            expiring_leases: self
                .items
                .iter()
                .filter(|t| expiring(t))
                .filter_map(|t| match &t.item {
                    Item::Lease(id) => Some(id.clone()),
                    Item::Token => None,
                })
                .collect(),
            renewals: self.renewals,
            failures: self.failures,
        }
    }

    /// Revokes every lease, then the token (which would take the leases with
    /// it, but revoking them first ends each credential even if the token
    /// revocation fails).
    pub async fn revoke_all(&mut self) -> RevokeReport {
        let mut report = RevokeReport::default();
        for lease in &self.bundle.leases {
            let item = Item::Lease(lease.lease_id.clone());
            match self.vault.revoke_lease(&lease.lease_id).await {
                Ok(()) => report.revoked.push(item),
                Err(error) => report.failed.push((item, error.to_string())),
            }
        }
        match self.vault.revoke_self().await {
            Ok(()) => report.revoked.push(Item::Token),
            Err(error) => report.failed.push((Item::Token, error.to_string())),
        }
        report
    }

    /// Renews on schedule until `shutdown` completes: sleeps on `clock`
    /// until the next renewal or expiry warning, renews what is due, saves
    /// the updated bundle to `store` (if any) and publishes the status on
    /// `status`. Returns the last status; revoking is left to the caller,
    /// who decides whether stopping means revoking.
    pub async fn run_until(
        &mut self,
        clock: &dyn Clock,
        store: Option<&dyn LeaseStore>,
        status: &watch::Sender<RenewerStatus>,
        shutdown: impl Future<Output = ()>,
    ) -> RenewerStatus {
        tokio::pin!(shutdown);
        loop {
            let now = clock.now();
            let report = self.renew_due(now).await;
            if !report.renewed.is_empty()
                && let Some(store) = store
                && let Err(error) = store.save(&self.bundle).await
            {
                // The sidecar keeps renewing from memory; only a restart
                // would need the file, so this is worth a warning, not a stop.
                warn!(%error, "could not save renewed leases");
            }
            status.send_replace(self.status(now));
            let wake = self.next_wake(now);
            tokio::select! {
                () = &mut shutdown => break,
                () = sleep_until_or_forever(clock, wake) => {}
            }
        }
        self.status(clock.now())
    }

    fn track(&mut self, item: Item, obtained_at: SystemTime, seconds: u64, renewable: bool) -> Tracked {
        let lease_duration = Duration::from_secs(seconds);
        Tracked {
            item,
            lease_duration,
            longest_ttl: lease_duration,
            expires_at: obtained_at + lease_duration,
            renew_at: obtained_at + self.renewal_delay(lease_duration),
            limit: (!renewable).then_some(Limit::NotRenewable),
        }
    }

    fn renewed(&mut self, index: usize, now: SystemTime, seconds: u64, renewable: bool) {
        let delay = self.renewal_delay(Duration::from_secs(seconds));
        let tracked = &mut self.items[index];
        let expires_at = now + Duration::from_secs(seconds);
        // Vault caps renewals at the max TTL by returning less time than
        // before; once the expiry stops moving out, renewing is pointless.
        let capped = expires_at <= tracked.expires_at + Duration::from_secs(1);
        tracked.limit = if !renewable {
            Some(Limit::NotRenewable)
        } else if capped {
            Some(Limit::MaxTtl)
        } else {
            None
        };
        tracked.lease_duration = Duration::from_secs(seconds);
        tracked.longest_ttl = tracked.longest_ttl.max(tracked.lease_duration);
        tracked.expires_at = expires_at;
        tracked.renew_at = now + delay;
        let obtained_at = unix_seconds(now);
        match &tracked.item {
            Item::Token => {
                self.bundle.token.lease_duration = seconds;
                self.bundle.token.renewable = renewable;
                self.bundle.token.obtained_at = obtained_at;
            }
            Item::Lease(id) => {
                if let Some(lease) = self.bundle.leases.iter_mut().find(|l| &l.lease_id == id) {
                    lease.lease_duration = seconds;
                    lease.renewable = renewable;
                    lease.obtained_at = obtained_at;
                }
            }
        }
    }

    /// `renew_at` of the TTL, moved by up to `jitter` of it either way.
    fn renewal_delay(&mut self, ttl: Duration) -> Duration {
        self.draws += 1;
        let mut hasher = self.jitter_seed.build_hasher();
        hasher.write_u64(self.draws);
        let unit = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64; // uniform in [0, 1)
        let fraction = (self.policy.renew_at + self.policy.jitter * (2.0 * unit - 1.0)).clamp(0.05, 0.95);
        ttl.mul_f64(fraction)
    }

    fn margin(&self, tracked: &Tracked) -> Duration {
        self.policy.expiry_margin.min(tracked.longest_ttl / 3)
    }
}

async fn sleep_until_or_forever(clock: &dyn Clock, wake: Option<SystemTime>) {
    match wake {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use qsec_core::mock::MockVaultBackend;
    use qsec_core::{AuthInfo, Lease, LeaseRenewal, StoredToken};

    use super::*;

    const START: u64 = 1_700_000_000;

    fn at(seconds: u64) -> SystemTime {
        from_unix_seconds(START + seconds)
    }

    fn auth(ttl: u64) -> AuthInfo {
        serde_json::from_value(
            serde_json::json!({ "client_token": "t", "accessor": "a", "lease_duration": ttl, "renewable": true }),
        )
        .unwrap()
    }

    fn bundle(token_ttl: u64, leases: &[(&str, u64, bool)]) -> LeaseBundle {
        let token = StoredToken {
            token: "t".into(),
            accessor: "a".into(),
            lease_duration: token_ttl,
            renewable: true,
            obtained_at: START,
        };
        let leases = leases
            .iter()
            .map(|(id, ttl, renewable)| Lease {
                lease_id: id.to_string(),
                lease_duration: *ttl,
                renewable: *renewable,
                path: "database/creds/app".into(),
                obtained_at: START,
            })
            .collect();
        LeaseBundle::new(None, token, leases)
    }

    fn no_jitter() -> RenewalPolicy {
        RenewalPolicy { jitter: 0.0, ..Default::default() }
    }

    #[tokio::test]
    async fn renews_at_two_thirds_and_keeps_a_periodic_token_alive() {
        let mut vault = MockVaultBackend::new();
        vault.expect_set_token().return_const(());
        vault.expect_renew_self().times(10).returning(|_| Ok(auth(300)));
        let mut renewer = Renewer::new(Arc::new(vault), bundle(300, &[]), no_jitter());
        assert_eq!(renewer.next_renewal(), Some(at(200)));
        assert!(renewer.renew_due(at(199)).await.renewed.is_empty());
        let mut now = at(0);
        for _ in 0..10 {
            now = renewer.next_renewal().unwrap();
            let report = renewer.renew_due(now).await;
            assert_eq!(report.renewed, [(Item::Token, Duration::from_secs(300))]);
        }
        // Ten renewals of a 300 s periodic token: 200 s apart, 2000 s in all.
        assert_eq!(now, at(2000));
        let status = renewer.status(now);
        assert_eq!(status.token_expires_at, at(2300));
        assert_eq!(status.token_limit, None);
        assert_eq!(status.token_expiring, None);
        assert_eq!(status.renewals, 10);
        assert_eq!(renewer.bundle().token.obtained_at, START + 2000);
    }

    #[tokio::test]
    async fn jitter_spreads_renewals_within_bounds() {
        let mut vault = MockVaultBackend::new();
        vault.expect_set_token().return_const(());
        let policy = RenewalPolicy { jitter: 0.1, ..Default::default() };
        let times: Vec<u64> = (0..50)
            .map(|_| {
                let mut vault = MockVaultBackend::new();
                vault.expect_set_token().return_const(());
                let renewer = Renewer::new(Arc::new(vault), bundle(300, &[]), policy.clone());
                unix_seconds(renewer.next_renewal().unwrap()) - START
            })
            .collect();
        assert!(times.iter().all(|&t| (170..=230).contains(&t)), "{times:?}");
        let distinct: std::collections::HashSet<_> = times.iter().collect();
        assert!(distinct.len() > 5, "jitter should vary: {times:?}");
    }

    #[tokio::test]
    async fn stops_at_max_ttl_and_reports_the_token_expiring() {
        let mut vault = MockVaultBackend::new();
        vault.expect_set_token().return_const(());
        // A token with 300 s TTL and 400 s max: the renewal at 200 s gets
        // only 200 s more (to 400), the one at 333 s only 67 s (still 400).
        let answers = Mutex::new(vec![67, 200]);
        vault.expect_renew_self().times(2).returning(move |_| Ok(auth(answers.lock().unwrap().pop().unwrap())));
        let mut renewer = Renewer::new(Arc::new(vault), bundle(300, &[]), no_jitter());
        renewer.renew_due(at(200)).await;
        assert_eq!(renewer.status(at(200)).token_expires_at, at(400));
        let next = renewer.next_renewal().unwrap();
        renewer.renew_due(next).await;
        assert_eq!(renewer.next_renewal(), None, "capped: nothing left to renew");
        assert_eq!(renewer.status(next).token_limit, Some(Limit::MaxTtl), "known before the margin");
        assert_eq!(renewer.status(next).token_expiring, None, "not yet within the margin");
        let expires_at = renewer.status(next).token_expires_at;
        let warn_at = expires_at - Duration::from_secs(30);
        assert_eq!(renewer.next_wake(next), Some(warn_at));
        assert_eq!(renewer.status(warn_at).token_expiring, Some(Limit::MaxTtl));
    }

    #[tokio::test]
    async fn leases_renew_with_their_own_ttl_and_refusals_stop_renewal() {
        let mut vault = MockVaultBackend::new();
        vault.expect_set_token().return_const(());
        vault.expect_renew_self().returning(|_| Ok(auth(300)));
        vault
            .expect_renew_lease()
            .withf(|id, increment| id == "db/1" && *increment == Some(Duration::from_secs(60)))
            .times(1)
            .returning(|id, _| Ok(LeaseRenewal { lease_id: id.into(), lease_duration: 60, renewable: true }));
        vault.expect_renew_lease().withf(|id, _| id == "db/2").times(1).returning(|_, _| {
            Err(qsec_core::Error::Vault {
                operation: "renew lease".into(),
                path: "sys/leases/renew".into(),
                status: 400,
                errors: vec!["lease not found".into()],
            })
        });
        let mut renewer = Renewer::new(
            Arc::new(vault),
            bundle(300, &[("db/1", 60, true), ("db/2", 60, true), ("static", 60, false)]),
            no_jitter(),
        );
        let report = renewer.renew_due(at(40)).await;
        assert_eq!(report.renewed, [(Item::Lease("db/1".into()), Duration::from_secs(60))]);
        assert_eq!(report.failed.len(), 1);
        assert!(report.failed[0].1.contains("lease not found"));
        assert_eq!(renewer.bundle().leases[0].obtained_at, START + 40);
        let status = renewer.status(at(45));
        assert_eq!(status.expiring_leases, ["db/2", "static"]);
        assert_eq!((status.renewals, status.failures), (1, 1));
    }

    #[tokio::test]
    async fn transient_failures_are_retried_before_expiry() {
        let mut vault = MockVaultBackend::new();
        vault.expect_set_token().return_const(());
        let calls = Mutex::new(0);
        vault.expect_renew_self().times(2).returning(move |_| {
            let mut calls = calls.lock().unwrap();
            *calls += 1;
            if *calls == 1 {
                Err(qsec_core::Error::Transport {
                    operation: "renew".into(),
                    path: "auth/token/renew-self".into(),
                    reason: "connection refused".into(),
                })
            } else {
                Ok(auth(300))
            }
        });
        let mut renewer = Renewer::new(Arc::new(vault), bundle(300, &[]), no_jitter());
        assert_eq!(renewer.renew_due(at(200)).await.failed.len(), 1);
        // 100 s were left: retry a third of that later, well before expiry.
        let retry = renewer.next_renewal().unwrap();
        assert!(retry > at(200) && retry < at(300), "{retry:?}");
        assert_eq!(renewer.renew_due(retry).await.renewed.len(), 1);
        assert_eq!(renewer.status(retry).token_expiring, None);
    }

    #[tokio::test]
    async fn run_keeps_a_two_second_token_alive_without_sleeping() {
        let mut vault = MockVaultBackend::new();
        vault.expect_set_token().return_const(());
        vault.expect_renew_self().returning(|_| Ok(auth(2)));
        let mut store = qsec_core::mock::MockLeaseStore::new();
        store.expect_save().returning(|_| Ok(()));
        let clock = crate::clock::ManualClock::new(at(0));
        let mut renewer = Renewer::new(Arc::new(vault), bundle(2, &[]), RenewalPolicy::default());
        let (status, mut updates) = watch::channel(renewer.status(at(0)));
        let stop = async {
            // Stop once the token has been renewed past the 6th second.
            updates.wait_for(|s| s.token_expires_at > at(6)).await.unwrap();
        };
        let last = renewer.run_until(&clock, Some(&store), &status, stop).await;
        assert!(last.renewals >= 3, "{last:?}");
        assert!(last.token_expires_at > at(6));
        assert_eq!(last.token_expiring, None);
        assert!(clock.now() < last.token_expires_at, "never lapsed");
    }

    #[tokio::test]
    async fn revoke_all_revokes_leases_then_the_token() {
        let mut vault = MockVaultBackend::new();
        let order = Arc::new(Mutex::new(Vec::new()));
        vault.expect_set_token().return_const(());
        let log = order.clone();
        vault.expect_revoke_lease().times(2).returning(move |id| {
            log.lock().unwrap().push(id.to_string());
            Ok(())
        });
        let log = order.clone();
        vault.expect_revoke_self().times(1).returning(move || {
            log.lock().unwrap().push("token".into());
            Ok(())
        });
        let mut renewer =
            Renewer::new(Arc::new(vault), bundle(300, &[("db/1", 60, true), ("aws/1", 60, true)]), no_jitter());
        let report = renewer.revoke_all().await;
        assert!(report.failed.is_empty());
        assert_eq!(*order.lock().unwrap(), ["db/1", "aws/1", "token"]);
    }
}
