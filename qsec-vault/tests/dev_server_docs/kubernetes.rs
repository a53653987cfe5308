//! `api_auth_kubernetes.mdx`: config, roles, login with a service-account
//! JWT (verified against `pem_keys`).

use std::time::{Duration, UNIX_EPOCH};

use qsec_vault::testkit::k8s_jwt::ServiceAccountTokenSigner;
use serde_json::json;

use crate::{Docs, assert_shape};

#[tokio::test]
async fn config_is_written_and_read_as_documented() {
    let docs = Docs::start();
    // The sample payload, `pem_keys` as one string.
    let payload = json!({
      "kubernetes_host": "https://192.168.99.100:8443",
      "kubernetes_ca_cert": "-----BEGIN CERTIFICATE-----\n.....\n-----END CERTIFICATE-----",
      "pem_keys": "-----BEGIN CERTIFICATE-----\n.....\n-----END CERTIFICATE-----"
    });
    assert_eq!(docs.root("POST", "auth/kubernetes/config", Some(payload)).await.status, 204);
    let read = docs.root("GET", "auth/kubernetes/config", None).await;
    assert_eq!(read.status, 200);
    assert_shape(
        &read.body,
        &json!({
          "data":{
            "kubernetes_host": "https://192.168.99.100:8443",
            "kubernetes_ca_cert": "-----BEGIN CERTIFICATE-----.....-----END CERTIFICATE-----",
            "pem_keys": ["-----BEGIN CERTIFICATE-----....."],
            "disable_local_ca_jwt": false
          }
        }),
    );
    assert_eq!(read.data()["pem_keys"].as_array().unwrap().len(), 1);
    assert_eq!(read.data()["kubernetes_host"], "https://192.168.99.100:8443");
    let no_host = docs.root("POST", "auth/kubernetes/config", Some(json!({"pem_keys": []}))).await;
    assert_eq!(no_host.status, 400);
    docs.stop().await;
}

#[tokio::test]
async fn roles_are_written_read_listed_and_deleted_as_documented() {
    let docs = Docs::start();
    let payload = json!({
      "bound_service_account_names": "openbao-auth",
      "bound_service_account_namespaces": "default",
      "policies": ["dev", "prod"],
      "max_ttl": 1800000
    });
    assert_eq!(docs.root("POST", "auth/kubernetes/role/dev-role", Some(payload)).await.status, 204);
    let read = docs.root("GET", "auth/kubernetes/role/dev-role", None).await;
    assert_eq!(read.status, 200);
    // The sample shows the bound names as strings; they are `(array)`
    // parameters, and Vault reads them back as lists.
    assert_shape(
        &read.body,
        &json!({
          "data": {
            "bound_service_account_names": ["openbao-auth"],
            "bound_service_account_namespaces": ["default"],
            "max_ttl": 1800000,
            "ttl": 0,
            "period": 0,
            "policies": ["dev", "prod"]
          }
        }),
    );
    let data = read.data();
    assert_eq!((&data["max_ttl"], &data["policies"]), (&json!(1800000), &json!(["dev", "prod"])));
    assert_eq!(data["bound_service_account_names"], json!(["openbao-auth"]));

    let sample = json!({"data": {"keys": ["dev-role", "prod-role"]}});
    for (method, path) in [("LIST", "auth/kubernetes/role"), ("GET", "auth/kubernetes/role?list=true")] {
        let list = docs.root(method, path, None).await;
        assert_shape(&list.body, &sample);
        assert_eq!(list.data()["keys"], json!(["dev-role"]));
    }
    assert_eq!(docs.root("DELETE", "auth/kubernetes/role/dev-role", None).await.status, 204);
    assert_eq!(docs.root("GET", "auth/kubernetes/role/dev-role", None).await.status, 404);
    docs.stop().await;
}

#[tokio::test]
async fn login_answers_the_documented_auth_block_and_vaults_errors() {
    let docs = Docs::start();
    let signer = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc.cluster.local").unwrap();
    // Issuer validation on, no issuer set: Vault checks no issuer then, so
    // a projected token (issued by the API server) logs in.
    let config = json!({
        "kubernetes_host": "https://kubernetes.default.svc",
        "pem_keys": [signer.public_key_pem()],
        "disable_iss_validation": false
    });
    docs.root("POST", "auth/kubernetes/config", Some(config)).await;
    let role = json!({
        "bound_service_account_names": "openbao-auth",
        "bound_service_account_namespaces": "default",
        "policies": ["default"]
    });
    docs.root("POST", "auth/kubernetes/role/dev-role", Some(role)).await;
    let now = || docs.vault.clock().now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let jwt = signer.sign("default", "openbao-auth", "aa9aa8ff-98d0-11e7", None, now(), 600).unwrap();

    let login =
        docs.call("POST", "auth/kubernetes/login", None, Some(json!({"role": "dev-role", "jwt": jwt.expose_secret()})));
    let login = login.await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_shape(
        &login.body,
        &json!({
          "auth": {
            "client_token": "62b858f9-529c-6b26-e0b8-0457b6aacdb4",
            "accessor": "afa306d0-be3d-c8d2-b0d7-2676e1c0d9b4",
            "policies": ["default"],
            "metadata": {
              "role": "test",
              "service_account_name": "openbao-auth",
              "service_account_namespace": "default",
              "service_account_secret_name": "openbao-auth-token-pd21c",
              "service_account_uid": "aa9aa8ff-98d0-11e7-9bb7-0800276d99bf"
            },
            "lease_duration": 2764800,
            "renewable": true
          }
        }),
    );
    let auth = &login.body["auth"];
    assert_eq!((&auth["metadata"]["role"], &auth["lease_duration"]), (&json!("dev-role"), &json!(2764800)));

    let login_with = |role: &'static str, jwt: String| {
        docs.call("POST", "auth/kubernetes/login", None, Some(json!({"role": role, "jwt": jwt})))
    };
    // The sample's JWT is no token at all.
    let sample = login_with("dev-role", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...".into()).await;
    assert_eq!(sample.status, 403);
    // A bad signature is a bare "permission denied".
    let stranger = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc.cluster.local").unwrap();
    let forged = stranger.sign("default", "openbao-auth", "uid", None, now(), 600).unwrap();
    let forged = login_with("dev-role", forged.expose_secret().to_owned()).await;
    assert_eq!((forged.status, forged.errors().as_str()), (403, "permission denied"));
    // A token that verifies but does not qualify is a 403 saying why.
    let elsewhere = signer.sign("kube-system", "openbao-auth", "uid", None, now(), 600).unwrap();
    let elsewhere = login_with("dev-role", elsewhere.expose_secret().to_owned()).await;
    assert_eq!((elsewhere.status, elsewhere.errors().as_str()), (403, "namespace not authorized"));
    let soon_expired = signer.sign("default", "openbao-auth", "uid", None, now(), 60).unwrap();
    docs.vault.clock().advance(Duration::from_secs(600));
    let expired = login_with("dev-role", soon_expired.expose_secret().to_owned()).await;
    assert_eq!(expired.status, 403);
    assert!(expired.errors().contains("expired"), "{}", expired.errors());

    // With an issuer set, it is checked.
    let config = json!({
        "kubernetes_host": "https://kubernetes.default.svc",
        "pem_keys": [signer.public_key_pem()],
        "disable_iss_validation": false,
        "issuer": "https://elsewhere.example"
    });
    docs.root("POST", "auth/kubernetes/config", Some(config)).await;
    let jwt = signer.sign("default", "openbao-auth", "uid", None, now(), 600).unwrap();
    let wrong_issuer = login_with("dev-role", jwt.expose_secret().to_owned()).await;
    assert_eq!(wrong_issuer.status, 403);
    assert!(wrong_issuer.errors().contains("issuer"), "{}", wrong_issuer.errors());
    docs.stop().await;
}
