//! Dynamic secrets engines (`engines.rs`): PKI certificates, database and
//! AWS credentials, each with its lease.

use std::time::Duration;

use qsec_vault::client::requests::{AwsCredsRequest, PkiIssueRequest};
use serde_json::json;

use crate::{Harness, status_of};

#[tokio::test]
async fn pki_issues_certificates() {
    let harness = Harness::start();
    let root = harness.root();
    let request = PkiIssueRequest {
        common_name: "myapp.apps.svc".into(),
        alt_names: vec!["myapp".into(), "myapp.apps".into()],
        ip_sans: vec!["127.0.0.1".into()],
        ttl: Some(Duration::from_secs(3600)),
        ..PkiIssueRequest::default()
    };
    let cert = root.pki_issue("pki", "dev", &request).await.unwrap();
    assert!(cert.certificate.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(cert.issuing_ca, cert.ca_chain[0]);
    assert_eq!(cert.private_key_type, "ec");
    assert!(cert.private_key.expose_secret().contains("PRIVATE KEY"));
    assert_eq!(cert.serial_number.split(':').count(), 20);
    let now = harness.vault.clock().now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(cert.expiration.is_some_and(|at| at.abs_diff(now + 3600) <= 5));
    assert_eq!(status_of(root.pki_issue("pki", "nobody", &request).await), 400);
    harness.stop().await;
}

#[tokio::test]
async fn database_credentials_live_as_long_as_their_lease() {
    let harness = Harness::start();
    let root = harness.root();
    let config =
        json!({"plugin_name": "postgresql-database-plugin", "allowed_roles": "readonly", "connection_url": "x"});
    root.write("database/config/pg", &config).await.unwrap();
    let role = json!({"db_name": "pg", "creation_statements": ["CREATE ROLE"], "default_ttl": 600});
    root.write("database/roles/readonly", &role).await.unwrap();
    let creds = root.database_creds("database/", "readonly").await.unwrap();
    assert!(harness.vault.database_credentials_valid(&creds.username, creds.password.expose_secret()));
    assert_eq!((creds.envelope.lease_duration, creds.envelope.renewable), (600, true));
    assert!(creds.envelope.lease_id.starts_with("database/creds/readonly/"));
    root.revoke_lease(&creds.envelope.lease_id).await.unwrap();
    assert!(!harness.vault.database_credentials_valid(&creds.username, creds.password.expose_secret()));
    assert_eq!(status_of(root.database_creds("database", "nobody").await), 400);
    harness.stop().await;
}

#[tokio::test]
async fn aws_credentials_come_as_iam_users_and_sts_tokens() {
    let harness = Harness::start();
    let root = harness.root();
    root.write("aws/config/root", &json!({"access_key": "AKIAROOT", "secret_key": "s", "region": "eu-west-1"}))
        .await
        .unwrap();
    root.write(
        "aws/roles/deploy",
        &json!({"credential_type": "iam_user", "policy_arns": "arn:aws:iam::aws:policy/ReadOnly"}),
    )
    .await
    .unwrap();
    let role_arn = "arn:aws:iam::123456789012:role/deploy";
    root.write("aws/roles/assume", &json!({"credential_type": "assumed_role", "role_arns": [role_arn]})).await.unwrap();

    let user = root.aws_creds("aws", "deploy", &AwsCredsRequest::default()).await.unwrap();
    assert!(user.access_key.starts_with("AKIA") && user.security_token.is_none());
    assert!(harness.vault.aws_credentials_valid(&user.access_key, user.secret_key.expose_secret()));
    assert!(user.envelope.renewable);

    let request = AwsCredsRequest {
        role_arn: Some(role_arn.into()),
        role_session_name: Some("qsec".into()),
        ttl: Some(Duration::from_secs(900)),
    };
    let by_get = root.aws_creds("aws", "assume", &request).await.unwrap();
    assert!(by_get.access_key.starts_with("ASIA") && by_get.security_token.is_some());
    assert_eq!((by_get.envelope.lease_duration, by_get.envelope.renewable), (900, false));
    let by_post = root.aws_sts("aws", "assume", &request).await.unwrap();
    assert_eq!(by_post.envelope.lease_duration, 900);
    assert!(by_post.arn.is_some());
    // STS is for roles that assume roles.
    assert_eq!(status_of(root.aws_sts("aws", "deploy", &request).await), 400);
    harness.stop().await;
}
