//! Logins (`auth.rs`) and the client's token handling (`mod.rs`).

use std::time::UNIX_EPOCH;

use qsec_core::{IssuedSecretId, Jwt, SecretIdRequest, VaultToken};
use qsec_vault::client::requests::AppRoleConfig;
use qsec_vault::testkit::k8s_jwt::ServiceAccountTokenSigner;
use serde_json::json;

use crate::{Harness, ROOT, status_of};

#[tokio::test]
async fn approle_login_makes_the_issued_token_current() {
    let harness = Harness::start();
    let root = harness.root();
    let role = AppRoleConfig {
        token_policies: Some(vec!["app".into()]),
        token_ttl: Some(600),
        token_max_ttl: Some(1200),
        ..AppRoleConfig::default()
    };
    root.write_approle("approle", "aws-stg-myapp", &role).await.unwrap();
    let role_id = root.read_role_id("approle", "aws-stg-myapp").await.unwrap().into_value();
    let request = SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: "aws-stg-myapp".into(),
        ..SecretIdRequest::default()
    };
    let IssuedSecretId::Plain { secret_id, .. } = root.generate_secret_id(&request).await.unwrap().into_value() else {
        panic!("a plain SecretID without wrap_ttl");
    };

    let client = harness.client();
    assert!(client.token().is_none());
    let auth = client.login_approle("approle", &role_id, &secret_id).await.unwrap();
    assert_eq!(auth.policies, ["app", "default"]);
    assert_eq!((auth.lease_duration, auth.renewable), (600, true));
    assert_eq!(auth.metadata.unwrap()["role_name"], "aws-stg-myapp");
    assert_eq!(client.token().unwrap().expose_secret(), auth.client_token.expose_secret());
    assert!(harness.vault.token_is_valid(auth.client_token.expose_secret()));
    assert_eq!(client.address().as_str().trim_end_matches('/'), harness.url());

    // A wrong SecretID is Vault's 400, and the token stays as it was.
    let other = harness.client();
    assert_eq!(status_of(other.login_approle("approle", &role_id, &"nope".into()).await), 400);
    assert!(other.token().is_none());
    harness.stop().await;
}

#[tokio::test]
async fn kubernetes_logins_verify_the_service_account_token() {
    let harness = Harness::start();
    let root = harness.root();
    let signer = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc.cluster.local").unwrap();
    let config = json!({"kubernetes_host": "https://kubernetes.default.svc", "pem_keys": [signer.public_key_pem()]});
    root.write("auth/kubernetes/config", &config).await.unwrap();
    let role = json!({"bound_service_account_names": "qsec-*", "bound_service_account_namespaces": "apps"});
    root.write("auth/kubernetes/role/controller", &role).await.unwrap();
    let now = harness.vault.clock().now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let jwt = signer.sign("apps", "qsec-controller", "uid-1", None, now, 600).unwrap();

    let client = harness.client();
    let auth = client.login_kubernetes("kubernetes", "controller", &jwt).await.unwrap();
    let metadata = auth.metadata.unwrap();
    assert_eq!(
        (metadata["service_account_name"].as_str(), metadata["role"].as_str()),
        ("qsec-controller", "controller")
    );
    assert_eq!(client.token().unwrap().expose_secret(), auth.client_token.expose_secret());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{}\n", jwt.expose_secret())).unwrap();
    let from_file = harness.client().login_kubernetes_from_file("kubernetes", "controller", &path).await.unwrap();
    assert_eq!(from_file.metadata.unwrap()["service_account_namespace"], "apps");

    let elsewhere = signer.sign("kube-system", "qsec-controller", "uid-1", None, now, 600).unwrap();
    assert_eq!(status_of(harness.client().login_kubernetes("kubernetes", "controller", &elsewhere).await), 403);
    assert_eq!(status_of(harness.client().login_kubernetes("kubernetes", "controller", &Jwt::new("x.y.z")).await), 403);
    harness.stop().await;
}

#[tokio::test]
async fn token_logins_check_the_token_and_the_client_keeps_it() {
    let harness = Harness::start();
    let client = harness.client();
    let info = client.login_token(VaultToken::new(ROOT)).await.unwrap();
    assert_eq!(info.policies, ["root"]);
    assert_eq!(client.token().unwrap().expose_secret(), ROOT);

    // A token Vault does not know is refused, and the current one stays.
    assert_eq!(status_of(client.login_token(VaultToken::new("s.unknown")).await), 403);
    assert_eq!(client.token().unwrap().expose_secret(), ROOT);

    // The current token is shared by clones, and can be forgotten.
    let clone = client.clone();
    client.clear_token();
    assert!(clone.token().is_none());
    assert_eq!(status_of(clone.lookup_self().await), 403);
    clone.set_token(VaultToken::new(ROOT));
    assert_eq!(client.lookup_self().await.unwrap().id.expose_secret(), ROOT);
    harness.stop().await;
}
