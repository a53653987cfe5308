//! Builds the HTTP client from [`VaultConfig`]: trusted CAs, the client
//! identity, the TLS server name, timeouts.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::config::{Pem, VaultConfig, config_error};
use crate::error::Result;

/// The HTTP client and the base URL requests are made against.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    /// The address requests go to; its host is the TLS server name when one
    /// is configured (see [`build`]).
    pub(crate) base: Url,
}

/// Builds the client.
///
/// reqwest has no "expect this server name" setting, so a TLS server name
/// override is done the way Go's `tls.Config.ServerName` behaves: requests go
/// to `https://<server name>:<port>/...`, which makes rustls send it as SNI
/// and verify the certificate against it, while a resolver sends that name to
/// the configured address's real host.
pub(crate) fn build(config: &VaultConfig) -> Result<Transport> {
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        // Vault never redirects API calls we make except to forward to the
        // active node; following a redirect could send the token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .local_address(config.local_address);
    if let Some(ca) = &config.ca_cert {
        let pem = read_pem("ca_cert", ca)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|_| config_error("ca_cert", "expected PEM certificates (-----BEGIN CERTIFICATE-----)"))?;
        if certs.is_empty() {
            return Err(config_error("ca_cert", "holds no PEM certificate"));
        }
        // Like VAULT_CACERT in the CLI: these CAs replace the system's.
        builder = builder.tls_certs_only(certs);
    }
    match (&config.client_cert, &config.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read_pem("client_cert", cert)?;
            pem.push(b'\n');
            pem.extend_from_slice(&read_pem("client_key", key)?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                config_error("client_cert", "expected a PEM certificate and a PEM private key (PKCS#8, RSA or EC)")
            })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        (Some(_), None) => return Err(config_error("client_key", "must be set with client_cert")),
        (None, Some(_)) => return Err(config_error("client_cert", "must be set with client_key")),
    }
    let mut base = config.address.clone();
    if let Some(name) = config.tls_server_name.as_deref().filter(|_| base.scheme() == "https") {
        let target = match base.host() {
            Some(Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(config_error("address", "has no host")),
        };
        base.set_host(Some(name))
            .map_err(|_| config_error("tls_server_name", format!("expected a DNS name, got {name:?}")))?;
        let pinned = base.host_str().unwrap_or(name).to_owned();
        builder = builder.dns_resolver(Arc::new(PinnedResolver { name: pinned, target }));
    }
    let http = builder.build().map_err(|error| {
        config_error("tls", format!("could not set up the HTTP client: {}", super::transport::chain(&error)))
    })?;
    Ok(Transport { http, base })
}

fn read_pem(setting: &str, pem: &Pem) -> Result<Vec<u8>> {
    match pem {
        Pem::Bytes(bytes) => Ok(bytes.clone()),
        Pem::File(path) => std::fs::read(path)
            .map_err(|error| config_error(setting, format!("could not read {}: {error}", path.display()))),
    }
}

/// Resolves the TLS server name to the configured address's host, and every
/// other name normally.
struct PinnedResolver {
    name: String,
    target: String,
}

impl Resolve for PinnedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host =
            if name.as_str().eq_ignore_ascii_case(&self.name) { self.target.clone() } else { name.as_str().to_owned() };
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
