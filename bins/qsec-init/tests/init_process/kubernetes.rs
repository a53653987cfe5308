//! `--auth kubernetes`: the tutorial's way in, with the pod's
//! service-account token instead of a SecretID.

use std::time::{SystemTime, UNIX_EPOCH};

use qsec_core::{LeaseStore, VaultBackend};
use qsec_vault::FileLeaseStore;
use qsec_vault::testkit::k8s_jwt::ServiceAccountTokenSigner;
use serde_json::json;

use crate::support::{Harness, Init};

/// Configures Kubernetes auth to trust `signer` and binds the role `myapp`
/// to the service account `myapp` in `default`, with the app's read policy.
async fn configure(h: &Harness, signer: &ServiceAccountTokenSigner) {
    let root = h.vault.backend().with_token("root");
    root.write(
        "auth/kubernetes/config",
        &json!({ "kubernetes_host": "https://kubernetes.default.svc", "pem_keys": [signer.public_key_pem()] }),
    )
    .await
    .unwrap();
    root.write(
        "auth/kubernetes/role/myapp",
        &json!({
            "bound_service_account_names": ["myapp"],
            "bound_service_account_namespaces": ["default"],
            "token_policies": [h.plan.names.read_policy],
            "token_ttl": 300,
        }),
    )
    .await
    .unwrap();
}

fn write_token(h: &Harness, signer: &ServiceAccountTokenSigner, service_account: &str) -> std::path::PathBuf {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let jwt = signer.sign("default", service_account, "uid-1", None, now, 600).unwrap();
    let path = h.dirs.path().join(format!("token-{service_account}"));
    std::fs::write(&path, jwt.expose_secret()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_account_token_logs_in_and_renders_without_a_secret_id() {
    let h = Harness::start().await;
    let signer = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc.cluster.local").unwrap();
    configure(&h, &signer).await;
    let jwt = write_token(&h, &signer, "myapp");
    let mut command = h.command(&h.server.url());
    command.args(["--auth", "kubernetes", "--role", "myapp"]).env("QSEC_JWT_PATH", &jwt);
    let (status, stderr) = Init::spawn(command).finish().await;
    assert!(status.success(), "{status}; stderr:\n{stderr}");
    assert!(!stderr.contains("listening"), "no SecretID is awaited:\n{stderr}");
    assert_eq!(h.published(), ["app.yml", "local.yml"]);
    let local = std::fs::read_to_string(h.config_dir().join("local.yml")).unwrap();
    assert!(local.contains("api_key: api-key-value-1"), "{local}");
    let bundle = FileLeaseStore::in_dir(h.lease_dir()).load().await.unwrap().expect("a lease bundle");
    assert!(h.vault.token_is_valid(bundle.token.token.expose_secret()));
    assert_eq!(bundle.leases.len(), 1);
    assert!(!stderr.contains(std::fs::read_to_string(&jwt).unwrap().as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_service_account_is_refused_with_one_line() {
    let h = Harness::start().await;
    let signer = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc.cluster.local").unwrap();
    configure(&h, &signer).await;
    let jwt = write_token(&h, &signer, "intruder");
    let mut command = h.command(&h.server.url());
    command.env("QSEC_AUTH", "kubernetes").env("QSEC_KUBERNETES_ROLE", "myapp").env("QSEC_JWT_PATH", &jwt);
    let (status, stderr) = Init::spawn(command).finish().await;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    let line = crate::support::last_line(&stderr);
    assert!(line.starts_with("qsec-init: Kubernetes login was refused: "), "{line}");
    assert!(line.contains("bound_service_account_names"), "{line}");
    assert!(h.published().is_empty());
}
