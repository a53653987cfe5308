//! The PKI secrets engine on [`crate::testkit::pki`]: one root CA per
//! mount, roles, `issue/:role`, and the CA and certificate read endpoints.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::leases::{LeasedSecret, NewLease};
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, format_go_duration, rfc3339, unix, uuid};
use super::pki_role::PkiRole;
use super::request::{Method, RawBody};
use super::router::Call;
use super::state::{Engine, MountConfig, State};
use crate::testkit::pki::{CertificateAuthority, IssueRequest, KeyType};

#[derive(Debug)]
struct Issuer {
    ca: CertificateAuthority,
    issuer_id: String,
    key_id: String,
    issuer_name: String,
}

#[derive(Debug, Clone)]
struct Stored {
    certificate: String,
    revoked: Option<SystemTime>,
}

/// The state of one PKI mount.
#[derive(Debug, Default)]
pub(crate) struct Pki {
    issuer: Option<Issuer>,
    roles: BTreeMap<String, PkiRole>,
    certs: BTreeMap<String, Stored>,
}

impl Pki {
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        Some(self.roles.contains_key(rel.strip_prefix("roles/")?))
    }

    pub(crate) fn revoke_serial(&mut self, serial: &str, at: SystemTime) {
        if let Some(stored) = self.certs.get_mut(serial) {
            stored.revoked.get_or_insert(at);
        }
    }

    /// Generates the root CA (replacing any); answers `root/generate`'s data.
    pub(crate) fn generate_root(
        &mut self,
        common_name: &str,
        issuer_name: &str,
        ttl: u64,
        now: SystemTime,
    ) -> ApiResult<Value> {
        if issuer_name == "default" {
            return Err(ApiError::bad_request("reserved issuer name: default"));
        }
        let ca = CertificateAuthority::generate(common_name, now, Duration::from_secs(ttl))
            .map_err(ApiError::bad_request)?;
        let issuer = Issuer { ca, issuer_id: uuid(), key_id: uuid(), issuer_name: issuer_name.to_owned() };
        let data = json!({
            "certificate": issuer.ca.certificate_pem(),
            "issuing_ca": issuer.ca.certificate_pem(),
            "serial_number": issuer.ca.serial_number(),
            "expiration": issuer.ca.expiration(),
            "issuer_id": issuer.issuer_id,
            "issuer_name": issuer.issuer_name,
            "key_id": issuer.key_id,
            "key_name": "",
        });
        let stored = Stored { certificate: issuer.ca.certificate_pem().to_owned(), revoked: None };
        self.certs.insert(issuer.ca.serial_number().to_owned(), stored);
        self.issuer = Some(issuer);
        Ok(data)
    }

    pub(crate) fn put_role(&mut self, name: &str, role: PkiRole) {
        self.roles.insert(name.into(), role);
    }

    fn ca_pem(&self) -> ApiResult<&str> {
        self.issuer
            .as_ref()
            .map(|i| i.ca.certificate_pem())
            .ok_or_else(|| ApiError::bad_request("no default issuer currently configured"))
    }

    /// The issuer `reference` names: `default`, its id or its name.
    fn issuer(&self, reference: &str) -> ApiResult<&Issuer> {
        self.issuer
            .as_ref()
            .filter(|i| reference == "default" || reference == i.issuer_id || reference == i.issuer_name)
            .ok_or_else(|| ApiError::bad_request(format!("unable to resolve issuer id for reference: {reference}")))
    }
}

impl Issuer {
    /// `issuer/:ref/json`: what anyone may read.
    fn public_json(&self) -> Value {
        let pem = self.ca.certificate_pem();
        json!({
            "ca_chain": [pem],
            "certificate": pem,
            "issuer_id": self.issuer_id,
            "issuer_name": self.issuer_name,
            "revocation_time": 0,
            "revocation_time_rfc3339": "",
        })
    }

    /// `issuer/:ref`: the operator's view.
    fn json(&self) -> Value {
        let pem = self.ca.certificate_pem();
        json!({
            "ca_chain": [pem],
            "certificate": pem,
            "issuer_id": self.issuer_id,
            "issuer_name": self.issuer_name,
            "key_id": self.key_id,
            "leaf_not_after_behavior": "err",
            "manual_chain": null,
            "usage": "read-only,issuing-certificates,crl-signing,ocsp-signing",
            "revocation_signature_algorithm": "",
            "revoked": false,
            "revocation_time": 0,
            "revocation_time_rfc3339": "",
            "issuing_certificates": [],
            "crl_distribution_points": [],
            "ocsp_servers": [],
        })
    }
}

/// Endpoints Vault serves without a token: the CA and certificate reads,
/// and the list of issuers.
pub(crate) fn is_unauthenticated(rel: &str, method: Method) -> bool {
    let rel = rel.trim_end_matches('/');
    match method {
        Method::Get => {
            matches!(rel, "ca" | "ca/pem" | "ca_chain" | "crl" | "crl/pem" | "cert/ca_chain")
                || rel.starts_with("cert/")
                || (rel.starts_with("issuer/")
                    && (rel.ends_with("/pem") || rel.ends_with("/der") || rel.ends_with("/json")))
        }
        Method::List => rel == "issuers",
        _ => false,
    }
}

fn pem_reply(text: &str) -> Outcome {
    Outcome::Raw(RawBody { content_type: "application/pem-certificate-chain".into(), text: text.to_owned() })
}

/// `pki/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    let config = mount.config;
    let Engine::Pki(pki) = &mut mount.engine else { return Err(ApiError::no_route(&call.path)) };
    let rel = call.rel.trim_end_matches('/');
    let params = &call.params;
    match (rel, call.method) {
        ("ca/pem" | "ca_chain", Method::Get) => Ok(pem_reply(pki.ca_pem()?)),
        ("cert/ca" | "cert/ca_chain", Method::Get) => {
            let pem = pki.ca_pem()?;
            Ok(Outcome::data(json!({ "certificate": pem, "ca_chain": [pem], "revocation_time": 0 })))
        }
        ("certs", Method::List) => Outcome::keys(pki.certs.keys().cloned().collect()),
        ("roles", Method::List) => Outcome::keys(pki.roles.keys().cloned().collect()),
        ("issuers", Method::List) => {
            let issuer = pki.issuer.as_ref().ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "keys": [issuer.issuer_id],
                "key_info": { issuer.issuer_id.clone(): { "issuer_name": issuer.issuer_name } },
            })))
        }
        ("root", Method::Delete) => {
            pki.issuer = None;
            pki.certs.clear();
            Ok(Outcome::NoContent)
        }
        ("revoke", Method::Post | Method::Put) => {
            let serial = serial_to_revoke(pki, params)?;
            let stored = pki
                .certs
                .get_mut(&serial)
                .ok_or_else(|| ApiError::bad_request(format!("certificate with serial {serial} not found")))?;
            let at = *stored.revoked.get_or_insert(call.now);
            Ok(Outcome::data(json!({
                "revocation_time": unix(at),
                "revocation_time_rfc3339": rfc3339(at),
                "state": "revoked",
            })))
        }
        _ => {
            if let Some(kind) =
                rel.strip_prefix("root/generate/").or_else(|| rel.strip_prefix("issuers/generate/root/"))
            {
                call.expect(&[Method::Post])?;
                return generate_root(pki, call, kind, config);
            }
            if let Some(serial) = rel.strip_prefix("cert/") {
                call.expect(&[Method::Get])?;
                if let Some(serial) = serial.strip_suffix("/raw/pem") {
                    let stored = pki.certs.get(&serial.replace('-', ":")).ok_or_else(ApiError::not_found)?;
                    return Ok(pem_reply(&stored.certificate));
                }
                let serial = serial.replace('-', ":");
                let stored = pki.certs.get(&serial).ok_or_else(ApiError::not_found)?;
                return Ok(Outcome::data(json!({
                    "certificate": stored.certificate,
                    "revocation_time": stored.revoked.map(unix).unwrap_or(0),
                    "revocation_time_rfc3339": stored.revoked.map(rfc3339).unwrap_or_default(),
                    "issuer_id": pki.issuer.as_ref().map(|i| i.issuer_id.clone()).unwrap_or_default(),
                })));
            }
            if let Some(name) = rel.strip_prefix("roles/") {
                return role_crud(pki, call, name);
            }
            if let Some(reference) = rel.strip_prefix("issuer/").filter(|r| !r.contains('/')) {
                call.expect(&[Method::Get])?;
                return Ok(Outcome::data(pki.issuer(reference)?.json()));
            }
            if let Some((reference, format)) = rel.strip_prefix("issuer/").and_then(|r| r.split_once('/'))
                && matches!(format, "json" | "pem")
            {
                call.expect(&[Method::Get])?;
                let issuer = pki.issuer(reference)?;
                return Ok(if format == "pem" {
                    pem_reply(issuer.ca.certificate_pem())
                } else {
                    Outcome::data(issuer.public_json())
                });
            }
            let role = rel
                .strip_prefix("issue/")
                .map(|role| ("default", role))
                .or_else(|| rel.strip_prefix("issuer/")?.split_once("/issue/"));
            if let Some((reference, role)) = role {
                call.expect(&[Method::Post])?;
                pki.issuer(reference)?;
                let role = role.to_owned();
                return issue(state, call, &role, config);
            }
            Err(ApiError::no_route(&call.path))
        }
    }
}

fn generate_root(pki: &mut Pki, call: &Call, kind: &str, config: MountConfig) -> ApiResult {
    if !matches!(kind, "internal" | "exported") {
        return Err(ApiError::bad_request(format!("unsupported root type {kind:?} (internal or exported)")));
    }
    let common_name = call.params.required_str("common_name", "the common_name field is required")?;
    let ttl = call.params.duration("ttl")?.filter(|t| *t > 0).unwrap_or(config.max_ttl());
    let mut warnings = Vec::new();
    if ttl > config.max_ttl() {
        warnings.push(format!(
            "TTL \"{}\" is longer than the mount's max TTL \"{}\"; capped",
            format_go_duration(ttl),
            format_go_duration(config.max_ttl())
        ));
    }
    let issuer_name = call.params.str("issuer_name").unwrap_or_default();
    let mut data = pki.generate_root(&common_name, &issuer_name, ttl.min(config.max_ttl()), call.now)?;
    if kind == "exported"
        && let Some(issuer) = &pki.issuer
    {
        let key = issuer.ca.private_key().map_err(ApiError::internal)?;
        data["private_key"] = json!(key.expose_secret());
        data["private_key_type"] = json!("ec");
    }
    Ok(Outcome::Envelope(Envelope::data(data).with_warnings(warnings)))
}

/// The serial `revoke` names: by `serial_number` (colons or hyphens) or
/// by `certificate` (a PEM this mount issued), not both; never an issuer's.
fn serial_to_revoke(pki: &Pki, params: &Params) -> ApiResult<String> {
    let serial = match (params.str("serial_number").filter(|s| !s.is_empty()), params.str("certificate")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("must provide either the certificate or the serial to revoke; not both"));
        }
        (Some(serial), None) => serial.replace('-', ":").to_lowercase(),
        (None, Some(pem)) => pki
            .certs
            .iter()
            .find(|(_, stored)| stored.certificate.trim() == pem.trim())
            .map(|(serial, _)| serial.clone())
            .ok_or_else(|| ApiError::bad_request("certificate to revoke was not issued by this mount"))?,
        (None, None) => return Err(ApiError::bad_request("The serial number must be provided")),
    };
    if pki.issuer.as_ref().is_some_and(|i| i.ca.serial_number() == serial) {
        return Err(ApiError::bad_request(
            "adding an issuer to its own CRL is not allowed; issuers cannot be revoked here",
        ));
    }
    Ok(serial)
}

fn role_crud(pki: &mut Pki, call: &Call, name: &str) -> ApiResult {
    if name.ends_with('.') {
        // Vault's name pattern cannot end in a period: no route matches.
        return Err(ApiError::unsupported_path());
    }
    match call.method {
        Method::Get => Ok(Outcome::data(pki.roles.get(name).ok_or_else(ApiError::not_found)?.to_json())),
        Method::Post | Method::Put | Method::Patch => {
            let existing = pki.roles.get(name).cloned();
            if call.method == Method::Patch && existing.is_none() {
                return Err(ApiError::not_found());
            }
            // POST replaces the role; PATCH keeps the fields it does not set.
            let mut role = if call.method == Method::Patch { existing.unwrap_or_default() } else { PkiRole::default() };
            role.apply(&call.params)?;
            let data = role.to_json();
            pki.roles.insert(name.to_owned(), role);
            Ok(Outcome::data(data))
        }
        Method::Delete => {
            pki.roles.remove(name);
            Ok(Outcome::NoContent)
        }
        Method::List | Method::Scan => Err(ApiError::unsupported_operation()),
    }
}

fn issue(state: &mut State, call: &Call, role_name: &str, config: MountConfig) -> ApiResult {
    let Some(Engine::Pki(pki)) = state.mounts.get_mut(&call.mount).map(|m| &mut m.engine) else {
        return Err(ApiError::no_route(&call.path));
    };
    let params = &call.params;
    let role =
        pki.roles.get(role_name).cloned().ok_or_else(|| ApiError::bad_request(format!("unknown role: {role_name}")))?;
    if params.str("format").is_some_and(|f| f != "pem") {
        return Err(ApiError::bad_request("only format \"pem\" is supported by the qsec in-memory PKI"));
    }
    let common_name = params.str("common_name").unwrap_or_default();
    if common_name.is_empty() && role.require_cn {
        return Err(ApiError::bad_request(
            "the common_name field is required, or must be provided in a CSR with \"use_csr_common_name\" set to \
             true, unless \"require_cn\" is set to false",
        ));
    }
    let alt_names = params.list("alt_names")?.unwrap_or_default();
    for name in std::iter::once(&common_name).filter(|n| !n.is_empty()).chain(&alt_names) {
        if !role.allows_name(name) {
            let what = if *name == common_name { "common name" } else { "subject alternate name" };
            return Err(ApiError::bad_request(format!("{what} {name} not allowed by this role")));
        }
    }
    let ip_sans = params.list("ip_sans")?.unwrap_or_default();
    if !ip_sans.is_empty() && !role.allow_ip_sans {
        return Err(ApiError::bad_request(format!(
            "IP Subject Alternative Names are not allowed in this role, but was provided {}",
            ip_sans.join(",")
        )));
    }
    let mut warnings = Vec::new();
    let (default_ttl, max_ttl) = config.ttls_for(role.ttl, role.max_ttl);
    let requested = params.duration("ttl")?.filter(|t| *t > 0).unwrap_or(default_ttl);
    if requested > max_ttl {
        warnings.push(format!(
            "TTL \"{}\" is longer than permitted maxTTL \"{}\", so maxTTL is being used",
            format_go_duration(requested),
            format_go_duration(max_ttl)
        ));
    }
    let ttl = requested.min(max_ttl);
    // A role of `key_type=any` takes the request's key type and size.
    let (wanted_type, wanted_bits) = if role.key_type == "any" {
        (
            params.str("key_type").filter(|t| !t.is_empty()).unwrap_or_else(|| "rsa".into()),
            params.u64("key_bits")?.unwrap_or(0),
        )
    } else {
        (role.key_type.clone(), role.key_bits)
    };
    let key_type = match KeyType::from_vault(&wanted_type, wanted_bits as u32) {
        Ok(key_type) => key_type,
        Err(why) => {
            // ring cannot make RSA keys: issue EC and say so, rather than fail
            // every role left at Vault's default key_type.
            warnings.push(format!("{why}; issued an EC P-256 key instead"));
            KeyType::Ec256
        }
    };
    let issuer = pki.issuer.as_ref().ok_or_else(|| ApiError::bad_request("no default issuer currently configured"))?;
    let request = IssueRequest { common_name, alt_names, ip_sans, ttl: Duration::from_secs(ttl), key_type };
    let issued = issuer.ca.issue(&request, call.now).map_err(ApiError::bad_request)?;
    if !role.no_store {
        pki.certs
            .insert(issued.serial_number.clone(), Stored { certificate: issued.certificate.clone(), revoked: None });
    }
    let data = json!({
        "certificate": issued.certificate,
        "issuing_ca": issued.issuing_ca,
        "ca_chain": issued.ca_chain,
        "private_key": issued.private_key.expose_secret(),
        "private_key_type": issued.private_key_type,
        "serial_number": issued.serial_number,
        "expiration": issued.expiration,
    });
    let mut envelope = Envelope::data(data).with_warnings(warnings);
    if role.generate_lease && !role.no_store {
        let cert_ttl = (issued.expiration - unix(call.now) as i64).max(1) as u64;
        envelope.lease_id = state.leases.create(
            NewLease {
                path: call.path.trim_end_matches('/').to_owned(),
                mount: call.mount.clone(),
                owner: call.token_id().map(str::to_owned),
                ttl: cert_ttl,
                max_ttl: cert_ttl,
                renewable: false,
                secret: LeasedSecret::Certificate { serial: issued.serial_number.clone() },
            },
            call.now,
        );
        envelope.lease_duration = cert_ttl;
    }
    Ok(Outcome::Envelope(envelope))
}
