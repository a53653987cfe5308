//! The design's flow: a SecretID is POSTed, `qsec-init` logs in, renders
//! the config volume, writes the lease volume and exits 0.

use std::os::unix::fs::PermissionsExt;

use qsec_core::LeaseStore;
use qsec_vault::FileLeaseStore;

use crate::support::{self, Harness, Init, PLAIN_FILE};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Checks the config and lease volumes after a successful run and returns
/// the secret values they hold, to look for in logs.
async fn assert_handed_over(h: &Harness) -> Vec<String> {
    assert_eq!(h.published(), ["app.yml", "local.yml"]);
    let local = h.config_dir().join("local.yml");
    assert_eq!(mode(&local), 0o400);
    assert_eq!(mode(&h.config_dir().join("app.yml")), 0o400);
    assert_eq!(std::fs::read_to_string(h.config_dir().join("app.yml")).unwrap(), PLAIN_FILE);
    let text = std::fs::read_to_string(&local).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_owned()
    };
    assert_eq!(field("app"), "aws.stg.myapp (aws/stg/myapp)");
    assert_eq!(field("pod"), "myapp-0");
    assert_eq!(field("api_key"), "api-key-value-1");
    assert_eq!(field("db_host"), "db.internal");
    let (user, password) = (field("db_user"), field("db_password"));
    assert!(h.vault.database_credentials_valid(&user, &password), "{text}");

    let store = FileLeaseStore::in_dir(h.lease_dir());
    assert_eq!(mode(store.path()), 0o600);
    let bundle = store.load().await.unwrap().expect("a lease bundle");
    assert_eq!(bundle.app, Some(support::app()));
    let token = bundle.token.token.expose_secret().to_owned();
    assert!(h.vault.token_is_valid(&token), "the handed-over token is live");
    assert!(bundle.token.renewable && bundle.token.lease_duration > 0);
    assert_eq!(bundle.leases.len(), 1, "{:?}", bundle.leases);
    let lease = &bundle.leases[0];
    assert_eq!(lease.path, format!("database/creds/{}", support::DATABASE_ROLE));
    assert!(h.vault.lease_ids().contains(&lease.lease_id));
    vec![token, password, "api-key-value-1".into()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_secret_id_renders_the_config_and_hands_over_the_leases() {
    let h = Harness::start().await;
    let mut init = Init::spawn(h.command(&h.server.url()));
    let addr = init.listening().await;
    let client = support::http();
    assert_eq!(support::health(&client, addr).await, (200, serde_json::json!({ "status": "waiting" })));

    let (body, secret_id) = h.secret_id(false).await;
    let answer = support::post(&client, addr, "application/json", body).await;
    assert_eq!(answer, (200, serde_json::json!({ "status": "accepted" })));

    let (status, stderr) = init.finish().await;
    assert!(status.success(), "{status}; stderr:\n{stderr}");
    let mut secrets = assert_handed_over(&h).await;
    secrets.push(secret_id);
    for secret in secrets {
        assert!(!stderr.contains(&secret), "a secret reached the logs:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrapped_secret_id_is_checked_unwrapped_and_used() {
    let h = Harness::start().await;
    let mut init = Init::spawn(h.command(&h.server.url()));
    let addr = init.listening().await;
    let (body, wrapping_token) = h.secret_id(true).await;
    h.vault.clear_request_log();
    let answer = support::post(&support::http(), addr, "application/json; charset=utf-8", body).await;
    assert_eq!(answer.0, 200, "{answer:?}");

    let (status, stderr) = init.finish().await;
    assert!(status.success(), "{status}; stderr:\n{stderr}");
    let paths: Vec<String> = h.vault.request_log().into_iter().map(|r| r.path).collect();
    let position =
        |path: &str| paths.iter().position(|p| p == path).unwrap_or_else(|| panic!("no {path} in {paths:?}"));
    assert!(position("sys/wrapping/lookup") < position("sys/wrapping/unwrap"), "looked up before unwrapping");
    assert!(position("sys/wrapping/unwrap") < position("auth/approle/login"));
    assert!(!paths.iter().any(|p| p.starts_with("sys/mounts")), "never asks for sys/mounts: {paths:?}");
    assert_eq!(h.vault.wrapping_token_count(), 0);
    let mut secrets = assert_handed_over(&h).await;
    secrets.push(wrapping_token);
    for secret in secrets {
        assert!(!stderr.contains(&secret), "a secret reached the logs:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_publishes_nothing_revokes_the_token_and_exits_with_one_line() {
    let h = Harness::start().await;
    let mut command = h.command(&h.server.url());
    command.env("QSEC_CHECK", "false");
    let mut init = Init::spawn(command);
    let addr = init.listening().await;
    let (body, _) = h.secret_id(false).await;
    assert_eq!(support::post(&support::http(), addr, "application/json", body).await.0, 200);

    let (status, stderr) = init.finish().await;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    let line = support::last_line(&stderr);
    assert!(line.starts_with("qsec-init: rendering ") && line.contains("nothing was published"), "{line}");
    assert!(line.contains(r#"check command "false" rejected"#), "{line}");
    assert!(h.published().is_empty(), "{:?}", h.published());
    assert!(!FileLeaseStore::in_dir(h.lease_dir()).path().exists());
    assert!(h.vault.database_users().is_empty(), "the database user died with the revoked token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_error_after_a_lookup_does_not_log_the_secret() {
    let h = Harness::start().await;
    // Go's error quotes the value it could not parse: `parsing time "api-key-value-1" ...`.
    let template = r#"api_key: {{ lookup "api" "key" | mustToDate "2006-01-02" }}"#;
    std::fs::write(h.dirs.path().join("source/local.yml.tmpl"), template).unwrap();
    let mut init = Init::spawn(h.command(&h.server.url()));
    let addr = init.listening().await;
    let (body, _) = h.secret_id(false).await;
    assert_eq!(support::post(&support::http(), addr, "application/json", body).await.0, 200);

    let (status, stderr) = init.finish().await;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    let line = support::last_line(&stderr);
    assert!(line.starts_with("qsec-init: rendering ") && line.contains(r#"parsing time "***""#), "{line}");
    assert!(!stderr.contains("api-key-value-1"), "a secret reached the logs:\n{stderr}");
    assert!(h.published().is_empty(), "{:?}", h.published());
}
