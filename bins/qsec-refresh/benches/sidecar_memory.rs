//! The refresh sidecar's resident memory, steady state: the release binary
//! keeps a 6 s periodic token and a 3 s database lease alive against the
//! dev Vault for `SETTLE` seconds (default 20: several renewals of both),
//! then VmRSS and VmHWM are read from /proc and the renewals counted.
//! Anchor: the Vault Agent sidecar it replaces, 13–20 MiB observed and
//! 64 MiB requested by default. Goal: under 10 MiB.
//!
//! `cargo bench -p qsec-refresh --bench sidecar_memory`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{DevVault, Sidecar, http, parse_exposition, write_bundle};
use serde_json::json;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it briefly.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let settle = std::env::var("SETTLE").ok().and_then(|s| s.parse().ok()).unwrap_or(if quick { 1 } else { 20 });
    let vault = DevVault::start().await;
    let (token, obtained_at) = vault.app_token(json!({"period": "6s"})).await;
    let lease = vault.db_lease(&token).await;
    let dir = tempfile::tempdir().expect("a lease directory");
    write_bundle(dir.path(), &token, obtained_at, vec![lease]).await;

    let mut sidecar = Sidecar::start(vec![
        ("VAULT_ADDR".into(), vault.url()),
        ("QSEC_LEASE_DIR".into(), dir.path().display().to_string()),
    ]);
    let address = sidecar.address().await;
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(settle) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push(memory(&sidecar.pid()));
    }
    let (_, metrics) = http(address, "GET", "/metrics").await;
    let renewals = parse_exposition(&metrics)
        .into_iter()
        .find(|(name, _)| name == qsec_refresh::RENEWALS)
        .map_or(0.0, |(_, value)| value);
    sidecar.signal("TERM");
    let exit = sidecar.exit().await;
    assert!(exit.success(), "qsec-refresh exited {exit}: {:?}", sidecar.stderr());
    assert!(quick || renewals >= 2.0, "only {renewals} renewals in {settle} s");

    let (rss, hwm) = samples.last().copied().unwrap_or_default();
    let first = samples.first().map_or(0, |(rss, _)| *rss);
    println!(
        "sidecar_memory: VmRSS {:.1} MiB ({rss} kB; {first} kB after 1 s), VmHWM {:.1} MiB, \
         {renewals} renewals in {settle} s, then revoked everything and exited 0",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
    );
}

/// VmRSS and VmHWM of `pid`, in kB.
fn memory(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
