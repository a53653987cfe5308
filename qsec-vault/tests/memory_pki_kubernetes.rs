//! MemoryVault: the PKI engine and Kubernetes auth.

use qsec_core::{Jwt, VaultBackend};
use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::k8s_jwt::ServiceAccountTokenSigner;
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::json;

mod common;

use common::memory::{dev_vault, get, post};

#[test]
fn the_dev_pki_issues_real_certificates() {
    let vault = dev_vault();
    let reply = post(
        &vault,
        "root",
        "pki/issue/dev",
        json!({"common_name": "myapp.svc", "alt_names": "a.svc,b.svc", "ttl": "1h"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.body.unwrap();
    assert_eq!(body["lease_id"], "", "no lease unless the role says generate_lease");
    let data = &body["data"];
    assert!(data["certificate"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(data["private_key"].as_str().unwrap().contains("PRIVATE KEY"));
    assert_eq!(data["private_key_type"], "ec");
    let ca = vault.handle(VaultRequest::get("pki/ca/pem"));
    assert_eq!(ca.status, 200, "the CA is public");
    let pem = ca.raw.unwrap();
    assert_eq!(pem.content_type, "application/pem-certificate-chain");
    assert_eq!(data["issuing_ca"], pem.text);
    assert_eq!(data["ca_chain"][0], pem.text);
    assert!(data["expiration"].as_i64().unwrap() > 0);
    let serial = data["serial_number"].as_str().unwrap();
    let cert = vault.handle(VaultRequest::get(format!("pki/cert/{serial}")));
    assert_eq!(cert.data().unwrap()["certificate"], data["certificate"]);
    assert_eq!(vault.handle(VaultRequest::get("pki/cert/ca")).data().unwrap()["certificate"], pem.text);
}

#[test]
fn pki_roles_limit_names_and_ttls() {
    let vault = dev_vault();
    let role = json!({"allowed_domains": ["example.com"], "allow_subdomains": true, "max_ttl": "2h", "key_type": "ec"});
    assert_eq!(post(&vault, "root", "pki/roles/web", role).status, 200);
    assert_eq!(get(&vault, "root", "pki/roles/web").data().unwrap()["max_ttl"], 7200);
    let ok = post(&vault, "root", "pki/issue/web", json!({"common_name": "www.example.com", "ttl": "24h"}));
    assert_eq!(ok.status, 200);
    assert!(ok.body.unwrap()["warnings"][0].as_str().unwrap().contains("maxTTL"));
    let bad = post(&vault, "root", "pki/issue/web", json!({"common_name": "www.example.org"}));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.errors(), ["common name www.example.org not allowed by this role"]);
    let bad_san =
        post(&vault, "root", "pki/issue/web", json!({"common_name": "a.example.com", "alt_names": "evil.org"}));
    assert_eq!(bad_san.status, 400);
    let no_cn = post(&vault, "root", "pki/issue/web", json!({}));
    assert_eq!(no_cn.status, 400);
    assert_eq!(post(&vault, "root", "pki/issue/none", json!({"common_name": "x"})).errors(), ["unknown role: none"]);
    let list = vault.handle(VaultRequest::list("pki/roles").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["dev", "web"]));
}

#[test]
fn pki_leases_are_revoked_with_the_token() {
    let vault = dev_vault();
    post(&vault, "root", "pki/roles/leased", json!({"allow_any_name": true, "generate_lease": true, "key_type": "ec"}));
    let token =
        post(&vault, "root", "auth/token/create", json!({"policies": ["root"]})).body.unwrap()["auth"]["client_token"]
            .as_str()
            .unwrap()
            .to_owned();
    let issued =
        post(&vault, &token, "pki/issue/leased", json!({"common_name": "x.internal", "ttl": "1h"})).body.unwrap();
    assert!(issued["lease_id"].as_str().unwrap().starts_with("pki/issue/leased/"));
    assert_eq!(issued["renewable"], false);
    let serial = issued["data"]["serial_number"].as_str().unwrap();
    post(&vault, "root", "auth/token/revoke", json!({"token": token}));
    let cert = vault.handle(VaultRequest::get(format!("pki/cert/{serial}")));
    assert!(cert.data().unwrap()["revocation_time"].as_u64().unwrap() > 0);
}

#[test]
fn a_new_pki_mount_generates_its_root() {
    let vault = dev_vault();
    post(&vault, "root", "sys/mounts/pki2", json!({"type": "pki", "config": {"max_lease_ttl": "87600h"}}));
    assert_eq!(vault.handle(VaultRequest::get("pki2/ca/pem")).status, 400, "no issuer yet");
    let root =
        post(&vault, "root", "pki2/root/generate/internal", json!({"common_name": "example.com", "ttl": "8760h"}));
    assert_eq!(root.status, 200, "{root:?}");
    let data = root.data().unwrap();
    assert!(data["certificate"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(data.get("private_key").is_none(), "internal keeps the key");
    assert!(data["issuer_id"].is_string());
    let exported = post(&vault, "root", "pki2/root/generate/exported", json!({"common_name": "example.com"}));
    assert!(exported.data().unwrap()["private_key"].as_str().unwrap().contains("PRIVATE KEY"));
}

/// A vault whose Kubernetes auth trusts `signer`, with a role `app` for the
/// service account `myapp` in namespace `prod`.
fn kubernetes(signer: &ServiceAccountTokenSigner) -> MemoryVault {
    let vault = dev_vault();
    let config = json!({"kubernetes_host": "https://k8s.example:6443", "pem_keys": [signer.public_key_pem()],
                        "issuer": signer.issuer(), "disable_iss_validation": false});
    assert_eq!(post(&vault, "root", "auth/kubernetes/config", config).status, 204);
    let role = json!({"bound_service_account_names": "myapp", "bound_service_account_namespaces": ["prod"],
                      "audience": "vault", "token_policies": ["app"], "token_ttl": "20m"});
    assert_eq!(post(&vault, "root", "auth/kubernetes/role/app", role).status, 204);
    vault
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn kubernetes_login_verifies_the_service_account_jwt() {
    let signer = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc").unwrap();
    let vault = kubernetes(&signer);
    let config = get(&vault, "root", "auth/kubernetes/config");
    assert_eq!(config.data().unwrap()["kubernetes_host"], "https://k8s.example:6443");
    let role = get(&vault, "root", "auth/kubernetes/role/app");
    assert_eq!(role.data().unwrap()["bound_service_account_names"], json!(["myapp"]));
    assert_eq!(role.data().unwrap()["token_ttl"], 1200);

    let jwt = signer.sign("prod", "myapp", "uid-1", Some("vault"), now(), 600).unwrap();
    let login =
        vault.handle(VaultRequest::post("auth/kubernetes/login", json!({"role": "app", "jwt": jwt.expose_secret()})));
    assert_eq!(login.status, 200, "{login:?}");
    let auth = login.body.unwrap()["auth"].clone();
    assert_eq!(auth["policies"], json!(["app", "default"]));
    assert_eq!(auth["lease_duration"], 1200);
    assert_eq!(auth["metadata"]["service_account_name"], "myapp");
    assert_eq!(auth["metadata"]["service_account_namespace"], "prod");
    assert_eq!(auth["metadata"]["role"], "app");

    let wrong_ns = signer.sign("dev", "myapp", "uid-2", Some("vault"), now(), 600).unwrap();
    let refused = vault
        .handle(VaultRequest::post("auth/kubernetes/login", json!({"role": "app", "jwt": wrong_ns.expose_secret()})));
    assert_eq!(refused.status, 403);
    let other = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc").unwrap();
    let forged = other.sign("prod", "myapp", "uid-3", Some("vault"), now(), 600).unwrap();
    let refused = vault
        .handle(VaultRequest::post("auth/kubernetes/login", json!({"role": "app", "jwt": forged.expose_secret()})));
    assert_eq!(refused.status, 403);
    assert_eq!(refused.errors(), ["permission denied"]);
    let no_role =
        vault.handle(VaultRequest::post("auth/kubernetes/login", json!({"role": "nope", "jwt": jwt.expose_secret()})));
    assert_eq!(no_role.status, 400);
}

#[tokio::test]
async fn the_backend_logs_in_with_kubernetes() {
    let signer = ServiceAccountTokenSigner::generate("https://kubernetes.default.svc").unwrap();
    let vault = kubernetes(&signer);
    let backend = vault.backend();
    let jwt: Jwt = signer.sign("prod", "myapp", "uid-1", Some("vault"), now(), 600).unwrap();
    let auth = backend.login_kubernetes("kubernetes", "app", &jwt).await.unwrap();
    assert_eq!(backend.lookup_self().await.unwrap().accessor, auth.accessor);
}
