//! What the fake API server needs to be reached like a real one: a fresh CA,
//! a server certificate for the loopback address signed by it, and the
//! bearer token clients must show.

use std::net::IpAddr;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};

use crate::error::{Error, Result};

/// The bearer token of [`super::FakeKubeApi::kubeconfig`]; a TLS fake API
/// refuses requests without it.
pub(crate) const TOKEN: &str = "fake-token";

/// A throwaway CA and the server certificate it signed.
pub(crate) struct ServerIdentity {
    pub(crate) ca_pem: String,
    pub(crate) ca_der: Vec<u8>,
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

impl ServerIdentity {
    /// A CA made now and a certificate for `ip` (and `localhost`).
    pub(crate) fn for_address(ip: IpAddr) -> Result<Self> {
        let failed =
            |error: rcgen::Error| Error::Server(std::io::Error::other(format!("making a certificate: {error}")));
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "qsec fake Kubernetes API CA");
        let ca_key = KeyPair::generate().map_err(failed)?;
        let ca = ca_params.self_signed(&ca_key).map_err(failed)?;
        let issuer = Issuer::new(ca_params, ca_key);
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(failed)?;
        params.subject_alt_names.push(SanType::IpAddress(ip));
        let key = KeyPair::generate().map_err(failed)?;
        let cert = params.signed_by(&key, &issuer).map_err(failed)?;
        Ok(Self { ca_pem: ca.pem(), ca_der: ca.der().to_vec(), cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }

    /// The CA as a kubeconfig's `certificate-authority-data`.
    pub(crate) fn ca_data(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.ca_pem)
    }
}

/// `router`, answering 401 (a `Status`, as Kubernetes does) to any request
/// without `Authorization: Bearer` [`TOKEN`].
pub(crate) fn require_token(router: Router) -> Router {
    router.layer(middleware::from_fn(|request: Request, next: Next| async move {
        let expected = format!("Bearer {TOKEN}");
        let shown = request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        if shown == Some(expected.as_str()) { next.run(request).await } else { unauthorized() }
    }))
}

fn unauthorized() -> Response {
    super::routes::status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
}
