//! Dynamic secrets engines: PKI certificates, database and AWS credentials.
//! Each answer keeps its envelope: the lease to renew and revoke is there.

use super::auth::mount_path;
use super::requests::{AwsCredsRequest, PkiIssueRequest};
use super::transport::Call;
use super::types::{AwsCredentials, DatabaseCredentials, PkiCertificate};
use super::{Enveloped, VaultClient};
use crate::error::Result;

impl VaultClient {
    /// Issues a certificate and private key (`POST {mount}/issue/:role`).
    pub async fn pki_issue(
        &self,
        mount: &str,
        role: &str,
        request: &PkiIssueRequest,
    ) -> Result<Enveloped<PkiCertificate>> {
        let call = Call::post("PKI issue", format!("{}/issue/{role}", mount_path(mount))).json_of(request);
        self.send(call).await?.enveloped()
    }

    /// Generates database credentials (`GET {mount}/creds/:role`).
    pub async fn database_creds(&self, mount: &str, role: &str) -> Result<Enveloped<DatabaseCredentials>> {
        self.send(Call::get("database credentials", format!("{}/creds/{role}", mount_path(mount)))).await?.enveloped()
    }

    /// Generates AWS credentials (`GET {mount}/creds/:role`, the request's
    /// parameters in the query string).
    pub async fn aws_creds(
        &self,
        mount: &str,
        role: &str,
        request: &AwsCredsRequest,
    ) -> Result<Enveloped<AwsCredentials>> {
        let mut call = Call::get("AWS credentials", format!("{}/creds/{role}", mount_path(mount)));
        for (name, value) in request.query_pairs() {
            call = call.query(name, value);
        }
        self.send(call).await?.enveloped()
    }

    /// Generates AWS STS credentials (`POST {mount}/sts/:role`, the
    /// request's parameters in the body).
    pub async fn aws_sts(
        &self,
        mount: &str,
        role: &str,
        request: &AwsCredsRequest,
    ) -> Result<Enveloped<AwsCredentials>> {
        let call = Call::post("AWS STS credentials", format!("{}/sts/{role}", mount_path(mount))).json_of(request);
        self.send(call).await?.enveloped()
    }
}
