//! PKI, database and AWS secrets engines through `VaultClient`, against
//! wiremock with the documented requests and sample responses
//! (api_secret_pki.mdx, api_secret_databases_index.mdx, and OpenBao's
//! secret/aws.mdx, which is not in the shared reference set).

use std::time::Duration;

use qsec_vault::client::requests::{AwsCredsRequest, PkiIssueRequest};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path, query_param};

mod common;

use common::{NoBody, mock_vault, ok};

const TOKEN: &str = "s.app-token";

#[tokio::test]
async fn pki_issue_posts_the_request_and_returns_the_key_redacted_with_its_lease() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let sample = json!({
      "lease_id": "pki/issue/test/7ad6cfa5-f04f-c62a-d477-f33210475d05",
      "renewable": false,
      "lease_duration": 21600,
      "data": {
        "certificate": "-----BEGIN CERTIFICATE-----\nMIIDzDCCAragAwIBAgIUOd0ukLcjH43TfTHFG9qE0FtlMVgwCwYJKoZIhvcNAQEL\n...\numkqeYeO30g1uYvDuWLXVA==\n-----END CERTIFICATE-----\n",
        "issuing_ca": "-----BEGIN CERTIFICATE-----\nMIIDUTCCAjmgAwIBAgIJAKM+z4MSfw2mMA0GCSqGSIb3DQEBCwUAMBsxGTAXBgNV\n...\nG/7g4koczXLoUM3OQXd5Aq2cs4SS1vODrYmgbioFsQ3eDHd1fg==\n-----END CERTIFICATE-----\n",
        "ca_chain": [
          "-----BEGIN CERTIFICATE-----\nMIIDUTCCAjmgAwIBAgIJAKM+z4MSfw2mMA0GCSqGSIb3DQEBCwUAMBsxGTAXBgNV\n...\nG/7g4koczXLoUM3OQXd5Aq2cs4SS1vODrYmgbioFsQ3eDHd1fg==\n-----END CERTIFICATE-----\n"
        ],
        "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAnVHfwoKsUG1GDVyWB1AFroaKl2ImMBO8EnvGLRrmobIkQvh+\n...\nQN351pgTphi6nlCkGPzkDuwvtxSxiCWXQcaxrHAL7MiJpPzkIBq1\n-----END RSA PRIVATE KEY-----\n",
        "private_key_type": "rsa",
        "serial_number": "39:dd:2e:90:b7:23:1f:8d:d3:7d:31:c5:1b:da:84:d0:5b:65:31:58"
      },
      "warnings": "",
      "auth": null
    });
    let body = json!({ "common_name": "www.example.com", "alt_names": "a.example.com,b.example.com", "ttl": "21600s" });
    Mock::given(method("POST"))
        .and(path("/v1/pki/cluster/stg/issue/my-role"))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(body))
        .respond_with(ok(sample))
        .expect(1)
        .mount(&server)
        .await;

    let request = PkiIssueRequest {
        common_name: "www.example.com".into(),
        alt_names: vec!["a.example.com".into(), "b.example.com".into()],
        ttl: Some(Duration::from_secs(21600)),
        ..PkiIssueRequest::default()
    };
    let cert = client.pki_issue("pki/cluster/stg", "my-role", &request).await.unwrap();
    assert!(cert.certificate.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(cert.ca_chain.len(), 1);
    assert!(cert.private_key.expose_secret().contains("RSA PRIVATE KEY"));
    assert!(!format!("{cert:?}").contains("MIIEowIBAAKCAQEAnVHfwoKsUG1GDVyWB1AFroaKl2ImMBO8EnvGLRrmobIkQvh"));
    assert_eq!(cert.serial_number, "39:dd:2e:90:b7:23:1f:8d:d3:7d:31:c5:1b:da:84:d0:5b:65:31:58");
    let lease = cert.envelope.lease("pki/cluster/stg/issue/my-role", 0).unwrap();
    assert_eq!(
        (lease.lease_id.as_str(), lease.lease_duration),
        ("pki/issue/test/7ad6cfa5-f04f-c62a-d477-f33210475d05", 21600)
    );
    assert!(cert.envelope.warnings.is_empty(), "the sample's \"warnings\": \"\" reads as none");
}

#[tokio::test]
async fn database_creds_get_the_role_and_keep_the_lease() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let sample = json!({
        "lease_id": "database/creds/my-role/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6", "lease_duration": 3600, "renewable": true,
        "data": { "username": "root-1430158508-126", "password": "132ae3ef-5a64-7499-351e-bfe59f3a2a21" }
    });
    Mock::given(method("GET"))
        .and(path("/v1/database/creds/my-role"))
        .and(header("x-vault-token", TOKEN))
        .and(NoBody)
        .respond_with(ok(sample))
        .expect(1)
        .mount(&server)
        .await;

    let creds = client.database_creds("database", "my-role").await.unwrap();
    assert_eq!(creds.username, "root-1430158508-126");
    assert_eq!(creds.password.expose_secret(), "132ae3ef-5a64-7499-351e-bfe59f3a2a21");
    assert!(!format!("{creds:?}").contains("132ae3ef-5a64-7499-351e-bfe59f3a2a21"));
    assert!(creds.envelope.renewable);
}

fn aws_sample() -> Value {
    json!({ "data": {
        "access_key": "AKIA...", "secret_key": "xlCs...", "security_token": null,
        "arn": "arn:aws:sts::123456789012:assumed-role/DeveloperRole/some-user-supplied-role-session-name"
    } })
}

#[tokio::test]
async fn aws_creds_get_with_parameters_in_the_query() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("GET"))
        .and(path("/v1/aws/creds/example-role"))
        .and(header("x-vault-token", TOKEN))
        .and(query_param("role_arn", "arn:aws:iam::123456789012:role/DeveloperRole"))
        .and(query_param("ttl", "900s"))
        .and(NoBody)
        .respond_with(ok(aws_sample()))
        .expect(1)
        .mount(&server)
        .await;

    let request = AwsCredsRequest {
        role_arn: Some("arn:aws:iam::123456789012:role/DeveloperRole".into()),
        ttl: Some(Duration::from_secs(900)),
        ..AwsCredsRequest::default()
    };
    let creds = client.aws_creds("aws", "example-role", &request).await.unwrap();
    assert_eq!(creds.access_key, "AKIA...");
    assert_eq!(creds.secret_key.expose_secret(), "xlCs...");
    assert!(creds.security_token.is_none());
    assert!(creds.arn.as_deref().unwrap().contains("assumed-role/DeveloperRole"));
}

#[tokio::test]
async fn aws_sts_posts_its_parameters() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let mut sample = aws_sample();
    sample["data"]["security_token"] = json!("FwoGZXIvYXdzE...");
    Mock::given(method("POST"))
        .and(path("/v1/aws/sts/example-role"))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(json!({ "role_session_name": "myapp-0", "ttl": "3600s" })))
        .respond_with(ok(sample))
        .expect(1)
        .mount(&server)
        .await;

    let request = AwsCredsRequest {
        role_session_name: Some("myapp-0".into()),
        ttl: Some(Duration::from_secs(3600)),
        ..AwsCredsRequest::default()
    };
    let creds = client.aws_sts("aws", "example-role", &request).await.unwrap();
    assert_eq!(creds.security_token.as_ref().unwrap().expose_secret(), "FwoGZXIvYXdzE...");
    assert!(!format!("{creds:?}").contains("FwoGZXIvYXdzE"));
}
