//! Prometheus metrics, rendered as text for `GET /metrics`: requests by
//! route and status, decisions by verb and outcome, Vault call latency by
//! operation. Labels hold route templates and operation names, never app
//! or secret names, so their number stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::audit::Outcome;

/// Upper bounds of the Vault latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct State {
    requests: BTreeMap<(String, String, u16), u64>,
    decisions: BTreeMap<(&'static str, &'static str), u64>,
    vault: BTreeMap<&'static str, Histogram>,
    vault_errors: BTreeMap<&'static str, u64>,
    audit_errors: u64,
}

/// The service's counters. Cheap to update from every request.
#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

impl Metrics {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts an answered request.
    pub fn request(&self, route: &str, method: &str, status: u16) {
        *self.state().requests.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
    }

    /// Counts an audited decision.
    pub fn decision(&self, verb: &'static str, outcome: Outcome) {
        let outcome = match outcome {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Error => "error",
        };
        *self.state().decisions.entry((verb, outcome)).or_default() += 1;
    }

    /// Records how long one Vault call took, and whether it failed.
    pub fn vault_call(&self, operation: &'static str, took: Duration, failed: bool) {
        let seconds = took.as_secs_f64();
        let mut state = self.state();
        let histogram = state.vault.entry(operation).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        if failed {
            *state.vault_errors.entry(operation).or_default() += 1;
        }
    }

    /// Counts an audit record that could not be written.
    pub fn audit_error(&self) {
        self.state().audit_errors += 1;
    }

    /// Every metric in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let state = self.state();
        let mut out = String::new();
        header(&mut out, "requests_total", "counter", "Requests answered, by route template, method and status.");
        for ((route, method, status), count) in &state.requests {
            let _ = writeln!(
                out,
                "qsec_secret_api_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                escape(route),
                escape(method)
            );
        }
        header(&mut out, "decisions_total", "counter", "Audited decisions, by verb and outcome.");
        for ((verb, outcome), count) in &state.decisions {
            let _ = writeln!(out, "qsec_secret_api_decisions_total{{verb=\"{verb}\",outcome=\"{outcome}\"}} {count}");
        }
        header(&mut out, "vault_request_duration_seconds", "histogram", "Latency of Vault calls, by operation.");
        for (operation, histogram) in &state.vault {
            let name = "qsec_secret_api_vault_request_duration_seconds";
            for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                let _ = writeln!(out, "{name}_bucket{{operation=\"{operation}\",le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "{name}_bucket{{operation=\"{operation}\",le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "{name}_sum{{operation=\"{operation}\"}} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{{operation=\"{operation}\"}} {}", histogram.count);
        }
        header(&mut out, "vault_errors_total", "counter", "Vault calls that failed, by operation.");
        for (operation, count) in &state.vault_errors {
            let _ = writeln!(out, "qsec_secret_api_vault_errors_total{{operation=\"{operation}\"}} {count}");
        }
        header(&mut out, "audit_write_errors_total", "counter", "Audit records that could not be written.");
        let _ = writeln!(out, "qsec_secret_api_audit_write_errors_total {}", state.audit_errors);
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP qsec_secret_api_{name} {help}");
    let _ = writeln!(out, "# TYPE qsec_secret_api_{name} {kind}");
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::default();
        metrics.request("/v1/apps/{provider}/{cluster}/{app}/role-id", "POST", 200);
        metrics.request("/v1/apps/{provider}/{cluster}/{app}/role-id", "POST", 200);
        metrics.decision("role-id", Outcome::Allowed);
        metrics.vault_call("read", Duration::from_millis(3), false);
        metrics.vault_call("read", Duration::from_secs(20), true);
        let text = metrics.render();
        assert!(text.contains(
            "qsec_secret_api_requests_total{route=\"/v1/apps/{provider}/{cluster}/{app}/role-id\",method=\"POST\",status=\"200\"} 2"
        ));
        assert!(text.contains("qsec_secret_api_decisions_total{verb=\"role-id\",outcome=\"allowed\"} 1"));
        assert!(text.contains("_bucket{operation=\"read\",le=\"0.005\"} 1"));
        assert!(text.contains("_bucket{operation=\"read\",le=\"+Inf\"} 2"));
        assert!(text.contains("qsec_secret_api_vault_errors_total{operation=\"read\"} 1"));
        assert_eq!(escape("a\"b\\"), "a\\\"b\\\\");
    }
}
