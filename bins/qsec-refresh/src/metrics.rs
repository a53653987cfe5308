//! `/metrics`: three figures in Prometheus' text exposition format, written
//! by hand (a metrics crate would cost more memory than the sidecar's state).

use std::fmt::Write;
use std::time::SystemTime;

use qsec_vault::RenewerStatus;

use crate::health::seconds_until;

/// The `Content-Type` of the text exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Successful renewals of the token and leases since start (counter).
pub const RENEWALS: &str = "qsec_refresh_renewals_total";
/// Failed renewals since start (counter).
pub const FAILURES: &str = "qsec_refresh_renewal_failures_total";
/// Seconds until the token expires unless renewed; negative once expired (gauge).
pub const TOKEN_EXPIRES_IN: &str = "qsec_refresh_token_expires_in_seconds";

/// The exposition of `status` at `now`.
pub fn render(status: &RenewerStatus, now: SystemTime) -> String {
    let mut text = String::with_capacity(640);
    let metrics: [(&str, &str, &str, String); 3] = [
        (RENEWALS, "counter", "Successful renewals of the token and leases since start.", status.renewals.to_string()),
        (FAILURES, "counter", "Failed renewals of the token and leases since start.", status.failures.to_string()),
        (
            TOKEN_EXPIRES_IN,
            "gauge",
            "Seconds until the Vault token expires unless renewed; negative once expired.",
            format!("{:.3}", seconds_until(status.token_expires_at, now)),
        ),
    ];
    for (name, kind, help, value) in metrics {
        // Writing to a String cannot fail.
        let _ = write!(text, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn renders_the_three_metrics_with_help_and_type() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let status = RenewerStatus {
            token_expires_at: now + Duration::from_millis(12_345),
            token_limit: None,
            token_expiring: None,
            expiring_leases: vec![],
            renewals: 3,
            failures: 1,
        };
        assert_eq!(
            render(&status, now),
            "# HELP qsec_refresh_renewals_total Successful renewals of the token and leases since start.\n\
             # TYPE qsec_refresh_renewals_total counter\n\
             qsec_refresh_renewals_total 3\n\
             # HELP qsec_refresh_renewal_failures_total Failed renewals of the token and leases since start.\n\
             # TYPE qsec_refresh_renewal_failures_total counter\n\
             qsec_refresh_renewal_failures_total 1\n\
             # HELP qsec_refresh_token_expires_in_seconds Seconds until the Vault token expires unless renewed; \
             negative once expired.\n\
             # TYPE qsec_refresh_token_expires_in_seconds gauge\n\
             qsec_refresh_token_expires_in_seconds 12.345\n"
        );
        let expired = render(&status, now + Duration::from_secs(20));
        assert!(expired.ends_with("qsec_refresh_token_expires_in_seconds -7.655\n"), "{expired}");
    }
}
