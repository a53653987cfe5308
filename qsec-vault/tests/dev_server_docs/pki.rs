//! `api_secret_pki.mdx`, for what the in-memory PKI serves: roles, issuing,
//! revoking, the issuer and certificate reads, generating and deleting the
//! root.

use serde_json::json;

use crate::{Docs, assert_shape};

#[tokio::test]
async fn roles_are_listed_written_and_read_as_documented() {
    let docs = Docs::start();
    let payload = json!({"allowed_domains": ["example.com"], "allow_subdomains": true});
    let written = docs.root("POST", "pki/roles/my-role", Some(payload)).await;
    // Vault answers the role as stored (the docs show no answer).
    assert!(matches!(written.status, 200 | 204), "{}", written.text);

    let list = docs.root("LIST", "pki/roles", None).await;
    assert_shape(
        &list.body,
        &json!({
          "auth": null,
          "data": {
            "keys": ["dev", "prod"]
          },
          "lease_duration": 0,
          "lease_id": "",
          "renewable": false
        }),
    );
    assert_eq!(list.data()["keys"], json!(["dev", "my-role"]));

    let read = docs.root("GET", "pki/roles/my-role", None).await;
    assert_eq!(read.status, 200);
    // The sample elides fields (it is not JSON as printed) and shows the
    // TTLs as strings; Vault answers them in seconds, as it takes them.
    assert_shape(
        &read.body,
        &json!({
          "data": {
            "allow_any_name": false,
            "allow_ip_sans": true,
            "allow_localhost": true,
            "allow_subdomains": false,
            "allowed_domains": ["example.com", "foobar.com"],
            "allowed_uri_sans": ["example.com", "spiffe://*"],
            "allowed_other_sans": ["1.3.6.1.4.1.311.20.2.3;utf8:devops@example.com"],
            "client_flag": true,
            "code_signing_flag": false,
            "key_bits": 2048,
            "key_type": "rsa",
            "ttl": 21600,
            "max_ttl": 43200,
            "server_flag": true
          }
        }),
    );
    assert_eq!((&read.data()["key_type"], &read.data()["key_bits"]), (&json!("rsa"), &json!(2048)));
    assert_eq!(read.data()["allowed_domains"], json!(["example.com"]));
    let dotted = docs.root("POST", "pki/roles/my-role.", Some(json!({}))).await;
    assert_eq!(dotted.status, 404);
    assert_eq!(docs.root("DELETE", "pki/roles/my-role", None).await.status, 204);
    assert_eq!(docs.root("GET", "pki/roles/my-role", None).await.status, 404);
    docs.stop().await;
}

#[tokio::test]
async fn certificates_are_issued_read_and_revoked_as_documented() {
    let docs = Docs::start();
    let role = json!({"allowed_domains": ["example.com"], "allow_subdomains": true, "key_type": "ec"});
    docs.root("POST", "pki/roles/my-role", Some(role)).await;
    let issued = docs.root("POST", "pki/issue/my-role", Some(json!({"common_name": "www.example.com"}))).await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    // The sample's lease belongs to a role with `generate_lease`; its
    // `warnings` is printed as a string, which Vault never sends.
    assert_shape(
        &issued.body,
        &json!({
          "lease_id": "",
          "renewable": false,
          "lease_duration": 0,
          "data": {
            "certificate": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
            "issuing_ca": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
            "ca_chain": ["-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"],
            "private_key": "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
            "private_key_type": "rsa",
            "serial_number": "39:dd:2e:90:b7:23:1f:8d:d3:7d:31:c5:1b:da:84:d0:5b:65:31:58"
          },
          "auth": null
        }),
    );
    assert_eq!(issued.data()["private_key_type"], "ec");
    let serial = issued.data()["serial_number"].as_str().unwrap().to_owned();
    let by_issuer =
        docs.root("POST", "pki/issuer/default/issue/my-role", Some(json!({"common_name": "a.example.com"})));
    assert_eq!(by_issuer.await.status, 200);
    let refused = docs.root("POST", "pki/issue/my-role", Some(json!({"common_name": "www.example.org"}))).await;
    assert_eq!(refused.status, 400);

    let certs = docs.root("LIST", "pki/certs", None).await;
    assert_shape(
        &certs.body,
        &json!({"data": {"keys": ["17:67:16:b0:b9:45:58:c0:3a:29:e3:cb:d6:98:33:7a:a6:3b:66:c1"]}}),
    );
    assert!(certs.data()["keys"].as_array().unwrap().contains(&json!(serial)));

    // Certificates are public: no token.
    let cert = docs.call("GET", &format!("pki/cert/{serial}"), None, None).await;
    assert_eq!(cert.status, 200);
    let cert_sample = json!({
      "data": {
        "certificate": "-----BEGIN CERTIFICATE-----\nMIIGmDCCBYCgAwIBAgIHBzEB3fTzhTANBgkqhkiG9w0BAQsFADCBjDELMAkGA1UE\n...",
        "revocation_time": 1667400107,
        "revocation_time_rfc3339": "2022-11-02T14:41:47.327515Z",
        "issuer_id": "e27bf456-51e1-d937-0001-4a609184fd9b"
      }
    });
    assert_shape(&cert.body, &cert_sample);
    assert_eq!(cert.data()["certificate"], issued.data()["certificate"]);
    let pem = docs.call("GET", &format!("pki/cert/{serial}/raw/pem"), None, None).await;
    assert_eq!(pem.text, issued.data()["certificate"].as_str().unwrap());

    let revoked = docs.root("POST", "pki/revoke", Some(json!({"serial_number": serial.replace(':', "-")}))).await;
    assert_eq!(revoked.status, 200);
    assert_shape(&revoked.body, &json!({"data": {"revocation_time": 1433269787}}));
    let cert = docs.call("GET", &format!("pki/cert/{serial}"), None, None).await;
    assert_ne!(cert.data()["revocation_time"], 0);
    // By certificate, as the docs allow.
    let other = docs.root("POST", "pki/issue/my-role", Some(json!({"common_name": "b.example.com"}))).await;
    let by_pem = docs.root("POST", "pki/revoke", Some(json!({"certificate": other.data()["certificate"]}))).await;
    assert_eq!(by_pem.status, 200, "{}", by_pem.text);
    docs.stop().await;
}

#[tokio::test]
async fn issuers_and_the_ca_are_readable_as_documented() {
    let docs = Docs::start();
    // Listing issuers needs no token.
    let issuers = docs.call("LIST", "pki/issuers", None, None).await;
    assert_eq!(issuers.status, 200, "{}", issuers.text);
    assert_shape(
        &issuers.body,
        &json!({
          "data": {
            "key_info": {},
            "keys": ["1ae8ce9d-2f70-0761-a465-8c9840a247a2"]
          }
        }),
    );
    let id = issuers.data()["keys"][0].as_str().unwrap().to_owned();
    assert_shape(&issuers.data()["key_info"][&id], &json!({"issuer_name": "imported-root"}));

    let public_sample = json!({
      "data": {
        "ca_chain": ["-----BEGIN CERTIFICATE-----\nMIIDFDCCAfygAwIBAgIUXgxy54mKooz5soqQoRINazH/3pQwDQYJKoZIhvcNAQEL\n..."],
        "certificate": "-----BEGIN CERTIFICATE-----\nnMIIDFDCCAfygAwIBAgIUXgxy54mKooz5soqQoRINazH/3pQwDQYJKoZIhvcNAQEL...",
        "revocation_time": 0
      }
    });
    for reference in ["default", id.as_str()] {
        let json = docs.call("GET", &format!("pki/issuer/{reference}/json"), None, None).await;
        assert_eq!(json.status, 200, "{reference}");
        assert_shape(&json.body, &public_sample);
    }
    let cert_ca = docs.call("GET", "pki/cert/ca", None, None).await;
    assert_shape(&cert_ca.body, &public_sample);
    let chain = docs.call("GET", "pki/cert/ca_chain", None, None).await;
    assert_shape(&chain.body, &public_sample);
    let ca_pem = cert_ca.data()["certificate"].as_str().unwrap().to_owned();
    for path in ["pki/ca/pem", "pki/ca_chain", "pki/issuer/default/pem"] {
        let pem = docs.call("GET", path, None, None).await;
        assert_eq!((pem.status, pem.text.as_str()), (200, ca_pem.as_str()), "{path}");
        assert!(pem.content_type.starts_with("application/pem-certificate-chain"), "{path}");
    }

    let issuer = docs.root("GET", "pki/issuer/default", None).await;
    assert_shape(
        &issuer.body,
        &json!({
          "data": {
            "ca_chain": ["-----BEGIN CERTIFICATE-----\nMIIDFDCCAfygAwIBAgIUXgxy54mKooz5soqQoRINazH/3pQwDQYJKoZIhvcNAQEL\n..."],
            "certificate": "-----BEGIN CERTIFICATE-----\nMIIDFDCCAfygAwIBAgIUXgxy54mKooz5soqQoRINazH/3pQwDQYJKoZIhvcNAQEL\n...",
            "issuer_id": "7545992c-1910-0898-9e64-d575549fbe9c",
            "issuer_name": "root-x1",
            "key_id": "baadd98d-ec5a-66ac-06b7-dfc91c02c9cf",
            "leaf_not_after_behavior": "truncate",
            "manual_chain": null,
            "usage": "read-only,issuing-certificates,crl-signing,ocsp-signing"
          }
        }),
    );
    assert_eq!(docs.call("GET", "pki/issuer/default", None, None).await.status, 403);
    assert_eq!(docs.root("GET", "pki/issuer/nobody", None).await.status, 400);
    docs.stop().await;
}

#[tokio::test]
async fn roots_are_generated_and_deleted_as_documented() {
    let docs = Docs::start();
    assert_eq!(docs.root("POST", "sys/mounts/pki2", Some(json!({"type": "pki"}))).await.status, 204);
    let generated = docs.root("POST", "pki2/root/generate/internal", Some(json!({"common_name": "example.com"}))).await;
    assert_eq!(generated.status, 200, "{}", generated.text);
    // The sample prints `expiration` as a string; Vault sends Unix seconds,
    // as this page's other samples do.
    assert_shape(
        &generated.body,
        &json!({
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": {
            "expiration": 1654105687,
            "certificate": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
            "issuing_ca": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
            "serial_number": "39:dd:2e:90:b7:23:1f:8d:d3:7d:31:c5:1b:da:84:d0:5b:65:31:58",
            "issuer_id": "7b493f17-6c08-ff73-cf1a-99bfcc448a73",
            "issuer_name": "",
            "key_id": "22b82e37-529d-7251-7d78-3862bfd069ac",
            "key_name": ""
          },
          "auth": null
        }),
    );
    assert!(generated.data().get("private_key").is_none(), "internal keeps the key");
    let named = json!({"common_name": "example.com", "issuer_name": "root-x1"});
    let exported = docs.root("POST", "pki2/issuers/generate/root/exported", Some(named)).await;
    assert_eq!(exported.data()["issuer_name"], "root-x1");
    assert!(exported.data()["private_key"].as_str().is_some_and(|k| k.contains("PRIVATE KEY")));
    assert_eq!(docs.call("GET", "pki2/issuer/root-x1/json", None, None).await.status, 200);

    assert_eq!(docs.root("DELETE", "pki2/root", None).await.status, 204);
    assert_eq!(docs.call("GET", "pki2/ca/pem", None, None).await.status, 400);
    docs.stop().await;
}
