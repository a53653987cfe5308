//! The real `qsec-refresh` process against a dev Vault on loopback: it
//! keeps a short-lived token and lease alive, stops on every trigger by
//! revoking them, and leaves before a token it cannot renew expires.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{DevVault, Sidecar, http, parse_exposition, saved_bundle, write_bundle};
use qsec_core::{AuthInfo, Lease};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A dev Vault, an app token made with `token_params`, a database lease of
/// that token, and the lease file holding both.
struct Scenario {
    vault: DevVault,
    token: AuthInfo,
    obtained_at: u64,
    lease: Lease,
    dir: TempDir,
}

impl Scenario {
    async fn new(token_params: Value) -> Self {
        let vault = DevVault::start().await;
        let (token, obtained_at) = vault.app_token(token_params).await;
        let lease = vault.db_lease(&token).await;
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path(), &token, obtained_at, vec![lease.clone()]).await;
        Self { vault, token, obtained_at, lease, dir }
    }

    /// The sidecar's environment, plus `extra`.
    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            ("VAULT_ADDR".to_owned(), self.vault.url()),
            ("QSEC_LEASE_DIR".to_owned(), self.dir.path().display().to_string()),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// The token and the lease are gone from Vault, and so is the lease file.
    async fn assert_all_revoked(&self) {
        assert!(!self.vault.token_valid(&self.token).await, "the token answers 403");
        assert!(!self.vault.lease_exists(&self.lease).await, "sys/leases/lookup no longer finds the lease");
        assert!(self.vault.vault.database_users().is_empty(), "the database user was dropped");
        assert!(saved_bundle(self.dir.path()).await.is_none(), "the lease file was removed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_a_two_second_token_alive_past_six_seconds_and_revokes_all_on_sigterm() {
    let scenario = Scenario::new(json!({"period": "2s"})).await;
    let mut sidecar = Sidecar::start(scenario.env(&[]));
    let address = sidecar.address().await;

    // Three of the token's TTLs and two of the lease's: only renewals keep
    // them alive that long.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(scenario.vault.token_valid(&scenario.token).await, "the token lapsed: {:?}", sidecar.stderr());
    }
    assert!(scenario.vault.lease_exists(&scenario.lease).await, "the 3 s lease lapsed");

    let (status, body) = http(address, "GET", "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok", "{health}");

    let (status, text) = http(address, "GET", "/metrics").await;
    assert_eq!(status, 200);
    let samples = parse_exposition(&text);
    let value = |name: &str| samples.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap();
    assert!(value("qsec_refresh_renewals_total") >= 3.0, "{text}");
    assert_eq!(value("qsec_refresh_renewal_failures_total"), 0.0, "{text}");
    let left = value("qsec_refresh_token_expires_in_seconds");
    assert!(left > 0.0 && left <= 2.0, "{text}");

    let saved = saved_bundle(scenario.dir.path()).await.expect("the lease file");
    assert!(saved.token.obtained_at > scenario.obtained_at, "renewed TTLs are saved");
    assert!(saved.leases[0].obtained_at > scenario.lease.obtained_at, "the lease's too");

    sidecar.signal("TERM");
    let exit = sidecar.exit().await;
    assert!(exit.success(), "{exit}: {:?}", sidecar.stderr());
    scenario.assert_all_revoked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_revokes_all_and_exits_zero() {
    let scenario = Scenario::new(json!({"period": "1h"})).await;
    let mut sidecar = Sidecar::start(scenario.env(&[]));
    sidecar.address().await;
    sidecar.signal("INT");
    let exit = sidecar.exit().await;
    assert!(exit.success(), "{exit}: {:?}", sidecar.stderr());
    scenario.assert_all_revoked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_quit_revokes_all_and_exits_zero() {
    let scenario = Scenario::new(json!({"period": "1h"})).await;
    let mut sidecar = Sidecar::start(scenario.env(&[]));
    let address = sidecar.address().await;
    assert_eq!(http(address, "GET", "/v1/quit").await.0, 405, "only POST quits");
    assert!(!sidecar.exited());
    let (status, body) = http(address, "POST", "/v1/quit").await;
    assert_eq!(status, 202, "{body}");
    let exit = sidecar.exit().await;
    assert!(exit.success(), "{exit}: {:?}", sidecar.stderr());
    scenario.assert_all_revoked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exit_file_appearing_revokes_all_and_exits_zero() {
    let scenario = Scenario::new(json!({"period": "1h"})).await;
    let done: PathBuf = scenario.dir.path().join("job-done");
    let mut sidecar = Sidecar::start(scenario.env(&[("QSEC_EXIT_WHEN_FILE_EXISTS", done.to_str().unwrap())]));
    let address = sidecar.address().await;
    assert_eq!(http(address, "GET", "/healthz").await.0, 200);
    std::fs::write(&done, "").unwrap();
    let exit = sidecar.exit().await;
    assert!(exit.success(), "{exit}: {:?}", sidecar.stderr());
    scenario.assert_all_revoked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_cannot_be_renewed_turns_unhealthy_then_exits_non_zero_before_it_expires() {
    // Non-renewable, 6 s: the margin is a third of that, so the sidecar
    // should leave about 4 s in, with the token still valid.
    let scenario = Scenario::new(json!({"ttl": "6s", "renewable": false})).await;
    let mut sidecar = Sidecar::start(scenario.env(&[("QSEC_EXPIRY_MARGIN", "30s")]));
    let address = sidecar.address().await;

    let (status, body) = http(address, "GET", "/healthz").await;
    assert_eq!(status, 503, "{body}");
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "expiring", "{health}");
    let reason = health["reason"].as_str().unwrap();
    assert!(reason.contains("is not renewable") && reason.contains("exit before then"), "{reason}");

    let exit = sidecar.exit().await;
    assert_eq!(exit.code(), Some(i32::from(qsec_refresh::EXIT_TOKEN_EXPIRING)), "{:?}", sidecar.stderr());
    let last = sidecar.stderr().last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("qsec-refresh: the token is not renewable and would expire in")
            && last.ends_with("revoked it and its leases and stopped so the pod is replaced"),
        "{last}"
    );
    // Vault accepted revoke-self, so the token was still valid when the
    // sidecar left: it exited before expiry, not after.
    assert_eq!(scenario.vault.answers_to("auth/token/revoke-self"), [204]);
    scenario.assert_all_revoked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_corrupt_lease_file_is_one_clear_line_and_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let env = || {
        vec![
            ("VAULT_ADDR".to_owned(), "http://127.0.0.1:1".to_owned()),
            ("QSEC_LEASE_DIR".to_owned(), dir.path().display().to_string()),
        ]
    };
    let file = dir.path().join("leases.json");

    let mut missing = Sidecar::start(env());
    assert_eq!(missing.exit().await.code(), Some(i32::from(qsec_refresh::EXIT_STARTUP)));
    assert_eq!(
        missing.stderr(),
        [format!(
            "qsec-refresh: no lease file at {}: qsec-init writes it; is the lease volume mounted at QSEC_LEASE_DIR?",
            file.display()
        )]
    );

    std::fs::write(&file, "{ not json").unwrap();
    let mut corrupt = Sidecar::start(env());
    assert_eq!(corrupt.exit().await.code(), Some(i32::from(qsec_refresh::EXIT_STARTUP)));
    let lines = corrupt.stderr();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(&format!("qsec-refresh: lease store at {}: not JSON", file.display())), "{lines:?}");
}
