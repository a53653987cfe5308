//! `/healthz`: the renewer's status turned into healthy or not, with a JSON
//! reason. Pure, so every case is tested without a server.

use std::time::SystemTime;

use qsec_vault::RenewerStatus;
use serde_json::{Value, json};

use crate::error::describe;
use crate::triggers::StopReason;

/// What `/healthz` answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// 200 when true, 503 when false.
    pub healthy: bool,
    /// The JSON body: `status` (`ok`, `expiring`, `expired`, `stopping`),
    /// `reason` when not ok, and the token's and renewals' figures.
    pub body: Value,
}

/// Seconds from `now` until `at`; negative once `at` has passed.
pub fn seconds_until(at: SystemTime, now: SystemTime) -> f64 {
    match at.duration_since(now) {
        Ok(left) => left.as_secs_f64(),
        Err(past) => -past.duration().as_secs_f64(),
    }
}

/// The health of a sidecar whose renewer reports `status`, at `now`.
///
/// Unhealthy, in this order: while stopping; once the token has expired;
/// as soon as the token is known not to be extendable any more (well before
/// the sidecar exits for it at the expiry margin, so the controller and
/// readiness probes get the warning early). Leases that cannot be extended
/// are listed in `expiring_leases` but do not make it unhealthy: the token
/// is what the pod's access depends on.
pub fn health(status: &RenewerStatus, stopping: Option<StopReason>, now: SystemTime) -> Health {
    let left = seconds_until(status.token_expires_at, now);
    let whole_seconds = left.floor() as i64;
    let (state, reason) = if let Some(stop) = stopping {
        ("stopping", Some(format!("stopping on {stop}: revoking the leases and the token")))
    } else if left <= 0.0 {
        ("expired", Some(format!("the token expired {}s ago; the pod needs a new one", (-left) as u64)))
    } else if let Some(limit) = status.token_limit {
        (
            "expiring",
            Some(format!(
                "the token {} and expires in {whole_seconds}s; the sidecar will revoke everything and exit before then, \
                 and the pod should be replaced",
                describe(limit)
            )),
        )
    } else {
        ("ok", None)
    };
    let mut body = json!({
        "status": state,
        "token_expires_in_seconds": whole_seconds,
        "renewals": status.renewals,
        "failures": status.failures,
        "expiring_leases": status.expiring_leases,
    });
    if let Some(reason) = reason {
        body["reason"] = Value::String(reason);
    }
    Health { healthy: state == "ok", body }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use qsec_vault::Limit;

    use super::*;

    fn status(expires_in: u64, limit: Option<Limit>) -> (RenewerStatus, SystemTime) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let status = RenewerStatus {
            token_expires_at: now + Duration::from_secs(expires_in),
            token_limit: limit,
            token_expiring: None,
            expiring_leases: vec!["aws/creds/app/x".into()],
            renewals: 7,
            failures: 1,
        };
        (status, now)
    }

    #[test]
    fn renewing_is_healthy() {
        let (status, now) = status(200, None);
        let health = health(&status, None, now);
        assert!(health.healthy);
        assert_eq!(
            health.body,
            json!({"status": "ok", "token_expires_in_seconds": 200, "renewals": 7, "failures": 1,
                   "expiring_leases": ["aws/creds/app/x"]})
        );
    }

    #[test]
    fn a_token_that_cannot_be_extended_is_unhealthy_at_once() {
        for (limit, words) in [
            (Limit::MaxTtl, "reached its max TTL"),
            (Limit::NotRenewable, "is not renewable"),
            (Limit::Refused, "refused renewal"),
        ] {
            let (status, now) = status(120, Some(limit));
            let health = health(&status, None, now);
            assert!(!health.healthy);
            assert_eq!(health.body["status"], "expiring");
            let reason = health.body["reason"].as_str().unwrap();
            assert!(reason.contains(words) && reason.contains("expires in 120s"), "{reason}");
        }
    }

    #[test]
    fn an_expired_token_is_unhealthy_even_while_renewals_are_retried() {
        let (status, now) = status(0, None);
        let health = health(&status, None, now + Duration::from_secs(5));
        assert!(!health.healthy);
        assert_eq!(health.body["status"], "expired");
        assert_eq!(health.body["token_expires_in_seconds"], -5);
        assert!(health.body["reason"].as_str().unwrap().contains("expired 5s ago"));
    }

    #[test]
    fn stopping_is_unhealthy_and_says_why() {
        let (status, now) = status(200, None);
        let health = health(&status, Some(StopReason::Sigterm), now);
        assert!(!health.healthy);
        assert_eq!(health.body["status"], "stopping");
        assert!(health.body["reason"].as_str().unwrap().contains("SIGTERM"));
    }

    #[test]
    fn seconds_until_is_signed() {
        let now = SystemTime::now();
        assert_eq!(seconds_until(now + Duration::from_millis(1500), now), 1.5);
        assert_eq!(seconds_until(now - Duration::from_millis(250), now), -0.25);
    }
}
