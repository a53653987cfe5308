//! Prometheus metrics of the controller, rendered as text for `GET /metrics`.
//! Labels hold failure reasons only (a fixed set), never pod or app names.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the delivery latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Why a delivery attempt (or a pod) failed; the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// `qsec-init` did not answer `GET /healthz` (connection refused, timeout).
    InitUnreachable,
    /// `qsec-init` answered, but is not waiting for a SecretID.
    InitNotReady,
    /// The Secret API refused or failed the get-secret-id token.
    SecretApi,
    /// Vault refused or failed to issue the SecretID.
    Vault,
    /// A Kubernetes API call failed.
    Kubernetes,
    /// The pod changed (deleted, replaced, new IP, claimed by another
    /// controller) between issuing and delivering; the SecretID was destroyed.
    PodChanged,
    /// `qsec-init` refused the SecretID or the POST failed; it was destroyed.
    DeliveryFailed,
    /// The pod names an app of another cluster or provider.
    WrongCluster,
    /// A qsec annotation on the pod is invalid.
    InvalidAnnotation,
    /// The refresh sidecar exited non-zero or stayed unready.
    RefreshFailed,
}

impl Failure {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InitUnreachable => "init_unreachable",
            Self::InitNotReady => "init_not_ready",
            Self::SecretApi => "secret_api",
            Self::Vault => "vault",
            Self::Kubernetes => "kubernetes",
            Self::PodChanged => "pod_changed",
            Self::DeliveryFailed => "delivery_failed",
            Self::WrongCluster => "wrong_cluster",
            Self::InvalidAnnotation => "invalid_annotation",
            Self::RefreshFailed => "refresh_failed",
        }
    }
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The controller's counters; cheap to update from every task.
#[derive(Default)]
pub struct Metrics {
    deliveries: AtomicU64,
    pods_deleted: AtomicU64,
    failures: Mutex<BTreeMap<Failure, u64>>,
    latency: Mutex<Histogram>,
    leader: AtomicBool,
}

impl Metrics {
    /// Counts a delivery that took `latency` from init-ready to delivered.
    pub fn delivered(&self, latency: Duration) {
        self.deliveries.fetch_add(1, Ordering::Relaxed);
        let seconds = latency.as_secs_f64();
        let mut histogram = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        histogram.count += 1;
        histogram.sum += seconds;
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
    }

    /// Counts a failure.
    pub fn failed(&self, reason: Failure) {
        *self.failures.lock().unwrap_or_else(PoisonError::into_inner).entry(reason).or_default() += 1;
    }

    /// Counts a pod deleted because its refresh sidecar failed.
    pub fn pod_deleted(&self) {
        self.pods_deleted.fetch_add(1, Ordering::Relaxed);
    }

    /// Records whether this replica leads.
    pub fn set_leader(&self, leader: bool) {
        self.leader.store(leader, Ordering::Relaxed);
    }

    /// Deliveries so far.
    pub fn deliveries(&self) -> u64 {
        self.deliveries.load(Ordering::Relaxed)
    }

    /// Failures so far with `reason`.
    pub fn failures(&self, reason: Failure) -> u64 {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).get(&reason).copied().unwrap_or_default()
    }

    /// Every metric in the Prometheus text format (version 0.0.4), with
    /// `pending` pods waiting for a SecretID.
    pub fn render(&self, pending: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP qsec_controller_deliveries_total SecretIDs delivered to pods.");
        let _ = writeln!(out, "# TYPE qsec_controller_deliveries_total counter");
        let _ = writeln!(out, "qsec_controller_deliveries_total {}", self.deliveries());
        let _ = writeln!(
            out,
            "# HELP qsec_controller_failures_total Failed delivery attempts and pod problems, by reason."
        );
        let _ = writeln!(out, "# TYPE qsec_controller_failures_total counter");
        for (reason, count) in self.failures.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let _ = writeln!(out, "qsec_controller_failures_total{{reason=\"{}\"}} {count}", reason.as_str());
        }
        let _ =
            writeln!(out, "# HELP qsec_controller_delivery_seconds From qsec-init seen running to SecretID delivered.");
        let _ = writeln!(out, "# TYPE qsec_controller_delivery_seconds histogram");
        {
            let histogram = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(out, "qsec_controller_delivery_seconds_bucket{{le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "qsec_controller_delivery_seconds_bucket{{le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "qsec_controller_delivery_seconds_sum {}", histogram.sum);
            let _ = writeln!(out, "qsec_controller_delivery_seconds_count {}", histogram.count);
        }
        let _ =
            writeln!(out, "# HELP qsec_controller_pods_pending Pods whose qsec-init runs and waits for a SecretID.");
        let _ = writeln!(out, "# TYPE qsec_controller_pods_pending gauge");
        let _ = writeln!(out, "qsec_controller_pods_pending {pending}");
        let _ = writeln!(
            out,
            "# HELP qsec_controller_pods_deleted_total Pods deleted because their refresh sidecar failed."
        );
        let _ = writeln!(out, "# TYPE qsec_controller_pods_deleted_total counter");
        let _ = writeln!(out, "qsec_controller_pods_deleted_total {}", self.pods_deleted.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP qsec_controller_leader 1 while this replica holds the Lease and delivers.");
        let _ = writeln!(out, "# TYPE qsec_controller_leader gauge");
        let _ = writeln!(out, "qsec_controller_leader {}", u8::from(self.leader.load(Ordering::Relaxed)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_the_histogram() {
        let metrics = Metrics::default();
        metrics.delivered(Duration::from_millis(30));
        metrics.failed(Failure::InitUnreachable);
        metrics.failed(Failure::InitUnreachable);
        metrics.set_leader(true);
        let text = metrics.render(3);
        assert!(text.contains("qsec_controller_deliveries_total 1\n"));
        assert!(text.contains("qsec_controller_failures_total{reason=\"init_unreachable\"} 2\n"));
        assert!(text.contains("qsec_controller_delivery_seconds_bucket{le=\"0.025\"} 0\n"));
        assert!(text.contains("qsec_controller_delivery_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("qsec_controller_pods_pending 3\n"));
        assert!(text.contains("qsec_controller_leader 1\n"));
    }
}
