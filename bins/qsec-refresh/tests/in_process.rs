//! [`Sidecar::run`] in process against a [`MemoryVault`]: the paths that
//! would otherwise need minutes of real time (a max TTL reached) or a
//! misbehaving Vault (sealed, hanging).

use std::sync::Arc;
use std::time::Duration;

use qsec_core::{AuthInfo, Lease, LeaseBundle, LeaseStore, StoredToken, VaultBackend};
use qsec_refresh::{Error, Sidecar, StopReason};
use qsec_vault::testkit::MemoryVault;
use qsec_vault::{Clock, FileLeaseStore, Limit, ManualClock, RenewalPolicy, SystemClock, unix_seconds};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;

/// An in-memory Vault with a database role, an app token made with
/// `token_params`, its database lease, and the lease file of both (or of
/// the token alone, without `with_lease`).
struct Setup {
    vault: MemoryVault,
    token: AuthInfo,
    bundle: LeaseBundle,
    store: FileLeaseStore,
    _dir: TempDir,
}

async fn setup(token_params: Value, with_lease: bool) -> Setup {
    let vault = MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .policy("app", r#"path "database/creds/app" { capabilities = ["read"] }"#)
        .build();
    vault.clock().freeze();
    let root = vault.backend().with_token("root");
    root.write(
        "database/config/main",
        &json!({"plugin_name": "postgresql-database-plugin", "allowed_roles": "app",
                "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/app"}),
    )
    .await
    .unwrap();
    root.write(
        "database/roles/app",
        &json!({"db_name": "main", "creation_statements": ["CREATE ROLE \"{{name}}\""],
                "default_ttl": "2m", "max_ttl": "24h"}),
    )
    .await
    .unwrap();
    let mut params = json!({"policies": ["app"]});
    params.as_object_mut().unwrap().extend(token_params.as_object().unwrap().clone());
    let token = root.write("auth/token/create", &params).await.unwrap().unwrap().auth.unwrap();
    let app = vault.backend().with_token(token.client_token.clone());
    let creds = app.read("database/creds/app").await.unwrap().unwrap();
    let now = unix_seconds(vault.clock().now());
    let lease = Lease {
        lease_id: creds.lease_id,
        lease_duration: creds.lease_duration,
        renewable: creds.renewable,
        path: "database/creds/app".into(),
        obtained_at: now,
    };
    let leases = if with_lease { vec![lease] } else { vec![] };
    let bundle = LeaseBundle::new(None, StoredToken::from_auth(&token, now), leases);
    let dir = tempfile::tempdir().unwrap();
    let store = FileLeaseStore::in_dir(dir.path());
    store.save(&bundle).await.unwrap();
    Setup { vault, token, bundle, store, _dir: dir }
}

fn sidecar(setup: &Setup, clock: Arc<dyn Clock>, grace_period: Duration) -> Sidecar {
    Sidecar {
        vault: Arc::new(setup.vault.backend().with_retries(0)),
        store: Arc::new(setup.store.clone()),
        clock,
        policy: RenewalPolicy::default(),
        grace_period,
        exit_file: None,
    }
}

async fn loopback() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

#[tokio::test]
async fn a_token_capped_by_its_max_ttl_is_revoked_before_it_expires_without_waiting() {
    // 5 min TTL, 20 min max: renewals work until the cap, then the sidecar
    // must leave in the last 30 s. The manual clock moves the Vault's too.
    // The token alone: a manual clock jumps to the next wake-up as soon as
    // the renewer sleeps, so a lease still renewing would carry both clocks
    // past the token's expiry in the instant between the warning and the
    // stop (the database lease is tested by the process tests).
    let setup = setup(json!({"ttl": "5m", "explicit_max_ttl": "20m"}), false).await;
    let vault_clock = setup.vault.clock().clone();
    let clock = ManualClock::with_hook(vault_clock.now(), move |now| vault_clock.set(now));
    let token_dies_at = setup.vault.clock().now() + Duration::from_secs(20 * 60);

    let error = sidecar(&setup, Arc::new(clock), Duration::from_secs(5))
        .run(setup.bundle.clone(), loopback().await, std::future::pending())
        .await
        .unwrap_err();
    let Error::TokenExpiring { limit, expires_in, revoked } = error else { panic!("{error}") };
    assert_eq!(limit, Limit::MaxTtl);
    assert!(revoked);
    assert!(expires_in > Duration::ZERO && expires_in <= Duration::from_secs(30), "{expires_in:?}");
    assert!(setup.vault.clock().now() < token_dies_at, "left before the max TTL");

    let renewals = setup.vault.request_log().iter().filter(|r| r.path == "auth/token/renew-self").count();
    assert!(renewals >= 3, "renewed until the cap: {renewals}");
    let revoked_self: Vec<u16> =
        setup.vault.request_log().iter().filter(|r| r.path == "auth/token/revoke-self").map(|r| r.status).collect();
    assert_eq!(revoked_self, [204]);
    assert!(!setup.vault.token_is_valid(setup.token.client_token.expose_secret()));
    assert!(setup.vault.lease_ids().is_empty(), "the unlisted lease died with its token");
    assert!(setup.vault.database_users().is_empty());
    assert!(setup.store.load().await.unwrap().is_none(), "the lease file is removed");
}

#[tokio::test]
async fn a_stop_while_vault_is_sealed_keeps_the_lease_file_and_exits_four() {
    let setup = setup(json!({"period": "1h"}), true).await;
    let vault = setup.vault.clone();
    let stop = async move {
        vault.faults().seal();
        StopReason::Sigterm
    };
    let error = sidecar(&setup, Arc::new(SystemClock), Duration::from_secs(5))
        .run(setup.bundle.clone(), loopback().await, stop)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RevocationIncomplete { reason: StopReason::Sigterm, .. }), "{error}");
    assert_eq!(error.exit_code(), qsec_refresh::EXIT_REVOCATION_INCOMPLETE);
    assert!(setup.store.load().await.unwrap().is_some(), "kept for a retry");
    setup.vault.faults().unseal();
    assert!(setup.vault.token_is_valid(setup.token.client_token.expose_secret()));
}

#[tokio::test]
async fn revoking_is_bounded_by_the_grace_period() {
    let setup = setup(json!({"period": "1h"}), true).await;
    let vault = setup.vault.clone();
    let stop = async move {
        // Every request now hangs for an hour.
        vault.faults().set_latency(Duration::from_secs(3600));
        StopReason::QuitRequested
    };
    let error = sidecar(&setup, Arc::new(SystemClock), Duration::from_millis(300))
        .run(setup.bundle.clone(), loopback().await, stop)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RevocationIncomplete { reason: StopReason::QuitRequested, .. }), "{error}");
    assert!(error.to_string().contains("grace period"), "{error}");
}

#[tokio::test]
async fn a_token_vault_no_longer_knows_counts_as_revoked() {
    // Someone revoked the token behind the sidecar's back: its leases went
    // with it, so stopping is clean.
    let setup = setup(json!({"period": "1h"}), true).await;
    let vault = setup.vault.clone();
    let accessor = setup.token.accessor.clone();
    let stop = async move {
        let root = vault.backend().with_token("root");
        root.write("auth/token/revoke-accessor", &json!({"accessor": accessor})).await.unwrap();
        StopReason::ExitFile
    };
    sidecar(&setup, Arc::new(SystemClock), Duration::from_secs(5))
        .run(setup.bundle.clone(), loopback().await, stop)
        .await
        .unwrap();
    assert!(setup.store.load().await.unwrap().is_none());
    assert!(setup.vault.database_users().is_empty());
}
