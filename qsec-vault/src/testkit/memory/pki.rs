//! The PKI secrets engine on [`crate::testkit::pki`]: one root CA per
//! mount, roles, `issue/:role`, and the CA and certificate read endpoints.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::leases::{LeasedSecret, NewLease};
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, format_go_duration, rfc3339, unix, uuid};
use super::request::{Method, RawBody};
use super::router::Call;
use super::state::{Engine, MountConfig, State};
use super::token_roles::glob_match;
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

/// A PKI role: which names it may issue for, and for how long.
#[derive(Debug, Clone)]
pub(crate) struct PkiRole {
    ttl: u64,
    max_ttl: u64,
    allowed_domains: Vec<String>,
    allow_subdomains: bool,
    allow_any_name: bool,
    allow_bare_domains: bool,
    allow_glob_domains: bool,
    allow_localhost: bool,
    allow_ip_sans: bool,
    require_cn: bool,
    key_type: String,
    key_bits: u64,
    generate_lease: bool,
    no_store: bool,
    server_flag: bool,
    client_flag: bool,
}

impl Default for PkiRole {
    fn default() -> Self {
        Self {
            ttl: 0,
            max_ttl: 0,
            allowed_domains: Vec::new(),
            allow_subdomains: false,
            allow_any_name: false,
            allow_bare_domains: false,
            allow_glob_domains: false,
            allow_localhost: true,
            allow_ip_sans: true,
            require_cn: true,
            key_type: "rsa".into(),
            key_bits: 0,
            generate_lease: false,
            no_store: false,
            server_flag: true,
            client_flag: true,
        }
    }
}

impl PkiRole {
    /// The role `dev_mounts()` creates: any name, EC keys, 72h at most.
    pub(crate) fn dev() -> Self {
        Self {
            allow_any_name: true,
            allow_subdomains: true,
            key_type: "ec".into(),
            max_ttl: 72 * 3600,
            ..Self::default()
        }
    }

    fn apply(&mut self, params: &Params) -> ApiResult<()> {
        macro_rules! set {
            ($field:ident, bool) => {
                if let Some(v) = params.bool(stringify!($field))? {
                    self.$field = v;
                }
            };
        }
        if let Some(v) = params.duration("ttl")? {
            self.ttl = v;
        }
        if let Some(v) = params.duration("max_ttl")? {
            self.max_ttl = v;
        }
        if let Some(v) = params.list("allowed_domains")? {
            self.allowed_domains = v;
        }
        set!(allow_subdomains, bool);
        set!(allow_any_name, bool);
        set!(allow_bare_domains, bool);
        set!(allow_glob_domains, bool);
        set!(allow_localhost, bool);
        set!(allow_ip_sans, bool);
        set!(require_cn, bool);
        set!(generate_lease, bool);
        set!(no_store, bool);
        set!(server_flag, bool);
        set!(client_flag, bool);
        if let Some(v) = params.str("key_type") {
            self.key_type = v;
        }
        if let Some(v) = params.u64("key_bits")? {
            self.key_bits = v;
        }
        if !matches!(self.key_type.as_str(), "rsa" | "ec" | "ed25519" | "any") {
            return Err(ApiError::bad_request(format!("unknown key type {}", self.key_type)));
        }
        if self.max_ttl > 0 && self.ttl > self.max_ttl {
            return Err(ApiError::bad_request("\"ttl\" value must be less than \"max_ttl\" value"));
        }
        Ok(())
    }

    fn to_json(&self) -> Value {
        json!({
            "ttl": self.ttl,
            "max_ttl": self.max_ttl,
            "allowed_domains": self.allowed_domains,
            "allow_subdomains": self.allow_subdomains,
            "allow_any_name": self.allow_any_name,
            "allow_bare_domains": self.allow_bare_domains,
            "allow_glob_domains": self.allow_glob_domains,
            "allow_localhost": self.allow_localhost,
            "allow_ip_sans": self.allow_ip_sans,
            "require_cn": self.require_cn,
            "key_type": self.key_type,
            "key_bits": self.key_bits,
            "generate_lease": self.generate_lease,
            "no_store": self.no_store,
            "server_flag": self.server_flag,
            "client_flag": self.client_flag,
            "issuer_ref": "default",
        })
    }

    /// Whether the role may issue for `name` (a DNS name or an email).
    fn allows_name(&self, name: &str) -> bool {
        if self.allow_any_name {
            return true;
        }
        let host = name.rsplit_once('@').map(|(_, domain)| domain).unwrap_or(name);
        if self.allow_localhost && matches!(host, "localhost" | "localdomain") {
            return true;
        }
        self.allowed_domains.iter().any(|domain| {
            (self.allow_bare_domains && host == domain)
                || (self.allow_subdomains && host.ends_with(&format!(".{domain}")))
                || (self.allow_glob_domains && glob_match(domain, host))
        })
    }
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
    pub(crate) fn generate_root(&mut self, common_name: &str, ttl: u64, now: SystemTime) -> ApiResult<Value> {
        let ca = CertificateAuthority::generate(common_name, now, Duration::from_secs(ttl))
            .map_err(ApiError::bad_request)?;
        let issuer = Issuer { ca, issuer_id: uuid(), key_id: uuid(), issuer_name: String::new() };
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
}

/// Read endpoints Vault serves without a token.
pub(crate) fn is_unauthenticated(rel: &str) -> bool {
    matches!(rel, "ca" | "ca/pem" | "ca_chain" | "crl" | "crl/pem" | "cert/ca_chain")
        || rel.starts_with("cert/")
        || (rel.starts_with("issuer/") && (rel.ends_with("/pem") || rel.ends_with("/der") || rel.ends_with("/json")))
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
        ("root", Method::Delete) => {
            pki.issuer = None;
            pki.certs.clear();
            Ok(Outcome::NoContent)
        }
        ("revoke", Method::Post | Method::Put) => {
            let serial = params.required_str("serial_number", "The serial number must be provided")?.replace('-', ":");
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
            if let Some(kind) = rel.strip_prefix("root/generate/") {
                call.expect(&[Method::Post])?;
                return generate_root(pki, call, kind, config);
            }
            if let Some(serial) = rel.strip_prefix("cert/") {
                call.expect(&[Method::Get])?;
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
            let role = rel.strip_prefix("issue/").or_else(|| {
                let rest = rel.strip_prefix("issuer/")?;
                let (_, role) = rest.split_once("/issue/")?;
                Some(role)
            });
            if let Some(role) = role {
                call.expect(&[Method::Post])?;
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
    let mut data = pki.generate_root(&common_name, ttl.min(config.max_ttl()), call.now)?;
    if kind == "exported"
        && let Some(issuer) = &pki.issuer
    {
        let key = issuer.ca.private_key().map_err(ApiError::internal)?;
        data["private_key"] = json!(key.expose_secret());
        data["private_key_type"] = json!("ec");
    }
    Ok(Outcome::Envelope(Envelope::data(data).with_warnings(warnings)))
}

fn role_crud(pki: &mut Pki, call: &Call, name: &str) -> ApiResult {
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
        Method::List => Err(ApiError::unsupported_operation()),
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
    let key_type = match KeyType::from_vault(&role.key_type, role.key_bits as u32) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_names_as_configured() {
        let role =
            PkiRole { allowed_domains: vec!["example.com".into()], allow_subdomains: true, ..PkiRole::default() };
        assert!(role.allows_name("www.example.com"));
        assert!(!role.allows_name("example.com"));
        assert!(role.allows_name("localhost"));
        assert!(!role.allows_name("www.example.org"));
        let bare = PkiRole { allow_bare_domains: true, ..role.clone() };
        assert!(bare.allows_name("example.com"));
        let globs = PkiRole {
            allowed_domains: vec!["ftp*.example.com".into()],
            allow_glob_domains: true,
            ..PkiRole::default()
        };
        assert!(globs.allows_name("ftp01.example.com"));
        assert!(PkiRole::dev().allows_name("anything.internal"));
    }
}
