//! A certificate authority that issues real X.509 certificates, shaped like
//! the answers of Vault's PKI secrets engine (`pki/issue/:role`).
//!
//! Keys come from rcgen on ring, which generates ECDSA (P-256, P-384) and
//! Ed25519 keys but not RSA ones, so [`KeyType`] has no RSA variant. The CA
//! itself always has a P-256 key.
//!
//! As in Vault: validity starts [`NOT_BEFORE_BACKDATE`] before `now`, the
//! common name is also put in the SANs (as a DNS name, or an email address
//! when it has an `@`), serials are 20 bytes written as colon-separated
//! lowercase hex (12 random ones, then a per-CA counter, so they never
//! repeat), and an EC private key is PEM-encoded SEC 1
//! (`EC PRIVATE KEY`, Vault's default `private_key_format`), with PKCS #8
//! alongside. Unlike Vault's default `leaf_not_after_behavior` (`err`), a
//! TTL reaching past the CA's expiry is cut to it (`truncate`). Role rules
//! (allowed domains, `max_ttl`, ...) are the caller's to apply.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use qsec_core::PrivateKey;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber, SignatureAlgorithm,
};
use time::OffsetDateTime;

/// How far before `now` a certificate's validity starts, Vault's default
/// `not_before_duration`: it absorbs clock skew between machines.
pub const NOT_BEFORE_BACKDATE: Duration = Duration::from_secs(30);

/// The kind of key generated for an issued certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyType {
    /// ECDSA on P-256 with SHA-256: Vault's `key_type=ec`, `key_bits=256`.
    #[default]
    Ec256,
    /// ECDSA on P-384 with SHA-384: Vault's `key_type=ec`, `key_bits=384`.
    Ec384,
    /// Ed25519: Vault's `key_type=ed25519`.
    Ed25519,
}

impl KeyType {
    /// The key type for Vault's `key_type` and `key_bits` parameters
    /// (`key_bits` 0 means the default). RSA, and EC sizes other than 256
    /// and 384, are refused: ring cannot generate those keys.
    pub fn from_vault(key_type: &str, key_bits: u32) -> Result<KeyType, String> {
        match (key_type, key_bits) {
            ("ec", 0 | 256) => Ok(KeyType::Ec256),
            ("ec", 384) => Ok(KeyType::Ec384),
            ("ec", bits) => Err(format!("unsupported bit length for EC key: {bits} (only 256 and 384 here)")),
            ("ed25519", _) => Ok(KeyType::Ed25519),
            ("rsa", _) => Err("RSA keys are not supported by the in-memory PKI (ring cannot generate them); use \
                     key_type \"ec\" or \"ed25519\""
                .to_owned()),
            (other, _) => Err(format!("unknown key type {other:?}")),
        }
    }

    /// Vault's name for the key type, as in `private_key_type`: `ec` or
    /// `ed25519`.
    pub fn vault_name(self) -> &'static str {
        match self {
            KeyType::Ec256 | KeyType::Ec384 => "ec",
            KeyType::Ed25519 => "ed25519",
        }
    }

    /// Vault's `key_bits` for the key type (0 for Ed25519, which has none).
    pub fn key_bits(self) -> u32 {
        match self {
            KeyType::Ec256 => 256,
            KeyType::Ec384 => 384,
            KeyType::Ed25519 => 0,
        }
    }

    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyType::Ec256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::Ec384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }
}

/// What to put in an issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// The subject's common name; also added to the SANs. May be empty when
    /// there are SANs (a role with `require_cn=false`).
    pub common_name: String,
    /// DNS names, or email addresses when they contain `@`.
    pub alt_names: Vec<String>,
    /// IP addresses, v4 or v6.
    pub ip_sans: Vec<String>,
    /// How long the certificate is valid from now (at least a second).
    pub ttl: std::time::Duration,
    /// The key to generate.
    pub key_type: KeyType,
}

impl IssueRequest {
    /// A request for a P-256 certificate for `common_name` with no further
    /// SANs.
    pub fn new(common_name: impl Into<String>, ttl: Duration) -> Self {
        IssueRequest {
            common_name: common_name.into(),
            alt_names: Vec::new(),
            ip_sans: Vec::new(),
            ttl,
            key_type: KeyType::Ec256,
        }
    }
}

/// An issued certificate, its key and chain: the `data` of Vault's
/// `pki/issue/:role` answer.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// The certificate, PEM.
    pub certificate: String,
    /// The private key, PEM, in Vault's default format: SEC 1
    /// (`EC PRIVATE KEY`) for EC keys, PKCS #8 for Ed25519.
    pub private_key: qsec_core::PrivateKey,
    /// The same private key as PKCS #8 (`PRIVATE KEY`), Vault's
    /// `private_key_format=pkcs8`.
    pub private_key_pkcs8: qsec_core::PrivateKey,
    /// `ec` or `ed25519`, as Vault names them.
    pub private_key_type: String,
    /// The issuing CA's certificate, PEM.
    pub issuing_ca: String,
    /// The chain above the certificate, PEM: here just the issuing CA.
    pub ca_chain: Vec<String>,
    /// The serial number, colon-separated lowercase hex.
    pub serial_number: String,
    /// When the certificate expires, Unix seconds.
    pub expiration: i64,
}

/// A self-signed root CA with an EC P-256 key.
pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    certificate_pem: String,
    common_name: String,
    serial_number: String,
    not_after: i64,
    /// Written into serials so that no two from this CA can be equal.
    issued: AtomicU64,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("CertificateAuthority")
            .field("common_name", &self.common_name)
            .field("serial_number", &self.serial_number)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// Generates a root CA valid from `now` (backdated like every
    /// certificate here) for `ttl`.
    pub fn generate(common_name: &str, now: std::time::SystemTime, ttl: std::time::Duration) -> Result<Self, String> {
        if common_name.is_empty() {
            return Err("the common_name field is required".to_owned());
        }
        let now = unix_seconds(now)?;
        let ttl = whole_seconds(ttl)?;
        let not_after = now.checked_add(ttl).ok_or("ttl is too long")?;
        let key =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| format!("generating the CA key: {e}"))?;

        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = datetime(now - backdate())?;
        params.not_after = datetime(not_after)?;
        let serial = random_serial(0);
        params.serial_number = Some(SerialNumber::from_slice(&serial));

        let certificate = params.self_signed(&key).map_err(|e| format!("signing the CA certificate: {e}"))?;
        Ok(CertificateAuthority {
            issuer: Issuer::new(params, key),
            certificate_pem: certificate.pem(),
            common_name: common_name.to_owned(),
            serial_number: vault_serial(&serial),
            not_after,
            issued: AtomicU64::new(0),
        })
    }

    /// The CA certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The CA's common name.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// The CA certificate's serial number, colon-separated lowercase hex.
    pub fn serial_number(&self) -> &str {
        &self.serial_number
    }

    /// When the CA certificate expires, Unix seconds.
    pub fn expiration(&self) -> i64 {
        self.not_after
    }

    /// The CA's private key as SEC 1 PEM (`EC PRIVATE KEY`), as Vault's
    /// `pki/root/generate/exported` returns it.
    pub fn private_key(&self) -> Result<PrivateKey, String> {
        private_key_pems(self.issuer.key()).map(|(sec1, _)| sec1)
    }

    /// Issues a certificate signed by this CA, valid from `now` (backdated
    /// by [`NOT_BEFORE_BACKDATE`]) for the request's TTL, cut at the CA's
    /// own expiry.
    pub fn issue(&self, request: &IssueRequest, now: std::time::SystemTime) -> Result<IssuedCertificate, String> {
        let now = unix_seconds(now)?;
        let ttl = whole_seconds(request.ttl)?;
        if ttl == 0 {
            return Err("the ttl must be at least one second".to_owned());
        }
        if now >= self.not_after {
            return Err(format!(
                "the CA certificate {:?} expired at {}; it cannot issue certificates",
                self.common_name,
                format_time(self.not_after)
            ));
        }
        let not_after = now.saturating_add(ttl).min(self.not_after);
        let subject_alt_names = subject_alt_names(request)?;
        if request.common_name.is_empty() && subject_alt_names.is_empty() {
            return Err("the common_name field is required, or alt_names or ip_sans must be given".to_owned());
        }

        let key =
            KeyPair::generate_for(request.key_type.algorithm()).map_err(|e| format!("generating the key: {e}"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(&request.common_name);
        params.subject_alt_names = subject_alt_names;
        params.key_usages =
            vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment, KeyUsagePurpose::KeyAgreement];
        // Vault roles default to both server_flag and client_flag.
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = datetime(now - backdate())?;
        params.not_after = datetime(not_after)?;
        let serial = random_serial(self.issued.fetch_add(1, Ordering::Relaxed) + 1);
        params.serial_number = Some(SerialNumber::from_slice(&serial));

        let certificate = params.signed_by(&key, &self.issuer).map_err(|e| format!("signing the certificate: {e}"))?;
        let (private_key, private_key_pkcs8) = private_key_pems(&key)?;
        Ok(IssuedCertificate {
            certificate: certificate.pem(),
            private_key,
            private_key_pkcs8,
            private_key_type: request.key_type.vault_name().to_owned(),
            issuing_ca: self.certificate_pem.clone(),
            ca_chain: vec![self.certificate_pem.clone()],
            serial_number: vault_serial(&serial),
            expiration: not_after,
        })
    }
}

fn backdate() -> i64 {
    NOT_BEFORE_BACKDATE.as_secs() as i64
}

fn unix_seconds(time: SystemTime) -> Result<i64, String> {
    let since_epoch = time.duration_since(UNIX_EPOCH).map_err(|_| "the clock is before 1970".to_owned())?;
    i64::try_from(since_epoch.as_secs()).map_err(|_| "the clock is too far in the future".to_owned())
}

/// Certificates count time in whole seconds.
fn whole_seconds(ttl: Duration) -> Result<i64, String> {
    i64::try_from(ttl.as_secs()).map_err(|_| "ttl is too long".to_owned())
}

fn datetime(unix: i64) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|e| format!("time {unix} is out of range: {e}"))
}

fn format_time(unix: i64) -> String {
    datetime(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    if !common_name.is_empty() {
        name.push(DnType::CommonName, common_name);
    }
    name
}

/// The SANs Vault would put in: the CN (unless it is not a host name or
/// email address), then `alt_names`, then `ip_sans`, without repeats.
fn subject_alt_names(request: &IssueRequest) -> Result<Vec<SanType>, String> {
    let mut sans: Vec<SanType> = Vec::new();
    let mut push = |san: SanType| {
        if !sans.contains(&san) {
            sans.push(san);
        }
    };
    let cn = request.common_name.as_str();
    if cn.contains('@') {
        push(SanType::Rfc822Name(ia5(cn)?));
    } else if is_host_name(cn) {
        push(SanType::DnsName(ia5(cn)?));
    }
    for name in &request.alt_names {
        if name.contains('@') {
            push(SanType::Rfc822Name(ia5(name)?));
        } else {
            push(SanType::DnsName(ia5(name)?));
        }
    }
    for ip in &request.ip_sans {
        let address: IpAddr = ip.trim().parse().map_err(|_| format!("the value {ip:?} is not a valid IP address"))?;
        push(SanType::IpAddress(address));
    }
    Ok(sans)
}

fn ia5(name: &str) -> Result<rcgen::string::Ia5String, String> {
    rcgen::string::Ia5String::try_from(name).map_err(|_| format!("{name:?} is not a valid DNS name or email address"))
}

/// Vault's host name check for adding the CN to the DNS SANs: dot-separated
/// labels of letters, digits and inner hyphens, optionally `*.` first.
fn is_host_name(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// 20 bytes: 12 random ones, positive and without a leading zero byte so
/// the DER integer is exactly these bytes, then `counter`, so serials from
/// one CA never repeat and serials of different CAs practically never meet.
fn random_serial(counter: u64) -> [u8; 20] {
    let mut serial: [u8; 20] = rand::random();
    serial[0] = (serial[0] & 0x7f).max(1);
    serial[12..].copy_from_slice(&counter.to_be_bytes());
    serial
}

/// Serial bytes as Vault writes them: `3d:2e:18:...`.
fn vault_serial(serial: &[u8]) -> String {
    serial.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// The key as (Vault's default PEM, PKCS #8 PEM).
fn private_key_pems(key: &KeyPair) -> Result<(PrivateKey, PrivateKey), String> {
    let pkcs8 = key.serialize_der();
    let default = if key.algorithm() == &rcgen::PKCS_ED25519 {
        pem("PRIVATE KEY", &pkcs8)
    } else {
        let sec1 = pkcs8_ec_to_sec1(&pkcs8).ok_or("converting the EC key to SEC 1 failed")?;
        pem("EC PRIVATE KEY", &sec1)
    };
    Ok((PrivateKey::new(default), PrivateKey::new(pem("PRIVATE KEY", &pkcs8))))
}

fn pem(label: &str, der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        // Base64 is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// One DER element of `input`: `(tag, contents, rest)`.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

fn der_encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = contents.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let significant: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | significant.len() as u8);
        out.extend(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// A PKCS #8 EC key (RFC 5958) as a standalone SEC 1 `ECPrivateKey`
/// (RFC 5915), which must name its curve: ring's PKCS #8 leaves the
/// curve to the outer algorithm identifier, so it is copied in as `[0]`.
fn pkcs8_ec_to_sec1(pkcs8: &[u8]) -> Option<Vec<u8>> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;
    const OID: u8 = 0x06;
    const PARAMETERS: u8 = 0xa0;
    const PUBLIC_KEY: u8 = 0xa1;

    let Some((SEQUENCE, info, _)) = der_element(pkcs8) else { return None };
    let Some((INTEGER, _, rest)) = der_element(info) else { return None };
    let Some((SEQUENCE, algorithm, rest)) = der_element(rest) else { return None };
    let Some((OID, _, after_algorithm)) = der_element(algorithm) else { return None };
    let Some((OID, _, after_curve)) = der_element(after_algorithm) else { return None };
    let curve = &after_algorithm[..after_algorithm.len() - after_curve.len()];
    let Some((OCTET_STRING, ec_private_key, _)) = der_element(rest) else { return None };

    let Some((SEQUENCE, inner, _)) = der_element(ec_private_key) else { return None };
    let Some((INTEGER, _, rest)) = der_element(inner) else { return None };
    let Some((OCTET_STRING, _, mut rest)) = der_element(rest) else { return None };
    let mut body = inner[..inner.len() - rest.len()].to_vec();
    let (mut parameters, mut public_key) = (None, None);
    while !rest.is_empty() {
        let (tag, _, next) = der_element(rest)?;
        let element = &rest[..rest.len() - next.len()];
        match tag {
            PARAMETERS => parameters = Some(element.to_vec()),
            PUBLIC_KEY => public_key = Some(element.to_vec()),
            _ => return None,
        }
        rest = next;
    }
    body.extend(parameters.unwrap_or_else(|| der_encode(PARAMETERS, curve)));
    body.extend(public_key.unwrap_or_default());
    Some(der_encode(SEQUENCE, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::certificate::X509Certificate;
    use x509_parser::extensions::GeneralName;
    use x509_parser::pem::Pem;

    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);

    /// 2025-01-01T00:00:00Z: a fixed clock, as MemoryVault's.
    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_735_689_600)
    }

    fn secs(time: SystemTime) -> i64 {
        time.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }

    fn pem_der(text: &str) -> Pem {
        let (rest, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes()).expect("valid PEM");
        assert!(String::from_utf8_lossy(rest).trim().is_empty(), "one PEM block expected");
        pem
    }

    fn with_cert<T>(pem: &str, check: impl FnOnce(&X509Certificate<'_>) -> T) -> T {
        let pem = pem_der(pem);
        let cert = pem.parse_x509().expect("the certificate parses");
        check(&cert)
    }

    fn der_of(pem_text: &str, label: &str) -> Vec<u8> {
        let body: String = pem_text
            .lines()
            .skip_while(|l| *l != format!("-----BEGIN {label}-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        STANDARD.decode(body).expect("base64 body")
    }

    fn ca() -> CertificateAuthority {
        CertificateAuthority::generate("qsec test root", t0(), 365 * DAY).expect("CA generates")
    }

    fn sans(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<IpAddr>, Vec<String>) {
        let (mut dns, mut ips, mut emails) = (Vec::new(), Vec::new(), Vec::new());
        let extension = cert.subject_alternative_name().unwrap().expect("SAN extension present");
        for name in &extension.value.general_names {
            match name {
                GeneralName::DNSName(n) => dns.push((*n).to_owned()),
                GeneralName::RFC822Name(n) => emails.push((*n).to_owned()),
                GeneralName::IPAddress(bytes) => ips.push(match bytes.len() {
                    4 => IpAddr::from(<[u8; 4]>::try_from(*bytes).unwrap()),
                    _ => IpAddr::from(<[u8; 16]>::try_from(*bytes).unwrap()),
                }),
                other => panic!("unexpected SAN {other:?}"),
            }
        }
        (dns, ips, emails)
    }

    #[test]
    fn ca_certificate_is_a_self_signed_ca() {
        let ca = ca();
        with_cert(ca.certificate_pem(), |cert| {
            assert!(cert.is_ca());
            assert_eq!(cert.subject().iter_common_name().next().unwrap().as_str().unwrap(), "qsec test root");
            assert_eq!(cert.subject(), cert.issuer());
            cert.verify_signature(None).expect("self-signed");
            assert_eq!(cert.validity().not_before.timestamp(), secs(t0()) - 30);
            assert_eq!(cert.validity().not_after.timestamp(), secs(t0()) + 365 * 86_400);
            assert_eq!(cert.raw_serial_as_string(), ca.serial_number());
        });
        assert_eq!(ca.expiration(), secs(t0()) + 365 * 86_400);
        assert_eq!(ca.common_name(), "qsec test root");
        assert!(format!("{ca:?}").contains("qsec test root"));
        assert!(ca.private_key().unwrap().expose_secret().starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    }

    #[test]
    fn issued_leaf_is_signed_by_the_ca_and_carries_the_request() {
        let ca = ca();
        let now = t0() + HOUR;
        let request = IssueRequest {
            common_name: "web.example.com".to_owned(),
            alt_names: vec!["api.example.com".to_owned(), "web.example.com".to_owned(), "ops@example.com".to_owned()],
            ip_sans: vec!["10.0.0.7".to_owned(), "::1".to_owned()],
            ttl: 24 * HOUR,
            key_type: KeyType::Ec256,
        };
        let issued = ca.issue(&request, now).expect("issues");

        assert_eq!(issued.issuing_ca, ca.certificate_pem());
        assert_eq!(issued.ca_chain, vec![ca.certificate_pem().to_owned()]);
        assert_eq!(issued.private_key_type, "ec");
        assert_eq!(issued.expiration, secs(now) + 24 * 3600);

        let ca_pem = pem_der(ca.certificate_pem());
        let ca_cert = ca_pem.parse_x509().unwrap();
        with_cert(&issued.certificate, |leaf| {
            leaf.verify_signature(Some(ca_cert.public_key())).expect("signed by the CA");
            assert!(leaf.verify_signature(None).is_err(), "not self-signed");
            assert_eq!(leaf.issuer(), ca_cert.subject());
            assert!(!leaf.is_ca());
            assert_eq!(leaf.subject().iter_common_name().next().unwrap().as_str().unwrap(), "web.example.com");

            let (dns, ips, emails) = sans(leaf);
            assert_eq!(dns, ["web.example.com", "api.example.com"]);
            assert_eq!(ips, ["10.0.0.7".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
            assert_eq!(emails, ["ops@example.com"]);

            assert_eq!(leaf.validity().not_before.timestamp(), secs(now) - 30);
            assert_eq!(leaf.validity().not_after.timestamp(), issued.expiration);
            assert_eq!(leaf.raw_serial_as_string(), issued.serial_number);
            assert_eq!(issued.serial_number.len(), 20 * 3 - 1);
            assert_eq!(issued.serial_number, issued.serial_number.to_lowercase());

            let eku = leaf.extended_key_usage().unwrap().expect("EKU present").value;
            assert!(eku.server_auth && eku.client_auth);
            assert!(leaf.key_usage().unwrap().expect("key usage present").value.digital_signature());
        });
    }

    /// The key in `issued` belongs to the certificate: the SEC 1 and PKCS #8
    /// forms hold the same key, whose public half is the certificate's, and
    /// a signature made with it verifies under the certificate's key.
    fn assert_key_matches(issued: &IssuedCertificate) {
        let pem = pem_der(&issued.certificate);
        let leaf = pem.parse_x509().unwrap();
        let leaf_key = leaf.public_key().subject_public_key.data.to_vec();

        let pkcs8_pem = issued.private_key_pkcs8.expose_secret();
        assert!(pkcs8_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // ring rejects a PKCS #8 key whose public half does not fit.
        let key = KeyPair::from_pem(pkcs8_pem).expect("PKCS #8 key loads");
        assert_eq!(key.public_key_raw(), leaf_key.as_slice());

        let probe = CertificateParams::new(vec!["probe.test".to_owned()]).unwrap().self_signed(&key).unwrap();
        let (_, probe) = x509_parser::parse_x509_certificate(probe.der()).unwrap();
        probe.verify_signature(Some(leaf.public_key())).expect("a signature by the key verifies with the cert's key");

        if issued.private_key_type == "ec" {
            let sec1_pem = issued.private_key.expose_secret();
            assert!(sec1_pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"), "{sec1_pem}");
            let sec1 = der_of(sec1_pem, "EC PRIVATE KEY");
            let (_, inner, rest) = der_element(&sec1).unwrap();
            assert!(rest.is_empty());
            let (_, version, rest) = der_element(inner).unwrap();
            assert_eq!(version, [1]);
            let (_, scalar, rest) = der_element(rest).unwrap();
            let (parameters_tag, parameters, rest) = der_element(rest).unwrap();
            assert_eq!(parameters_tag, 0xa0, "SEC 1 key names its curve");
            let (_, curve_oid, _) = der_element(parameters).unwrap();
            let expected_curve: &[u8] = if leaf_key.len() == 65 {
                &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] // prime256v1
            } else {
                &[0x2b, 0x81, 0x04, 0x00, 0x22] // secp384r1
            };
            assert_eq!(curve_oid, expected_curve);
            let (public_tag, public, rest) = der_element(rest).unwrap();
            assert_eq!(public_tag, 0xa1);
            assert!(rest.is_empty());
            let (_, bits, _) = der_element(public).unwrap();
            assert_eq!(&bits[1..], leaf_key.as_slice(), "SEC 1 public key is the certificate's");
            assert!(
                der_of(pkcs8_pem, "PRIVATE KEY").windows(scalar.len()).any(|w| w == scalar),
                "SEC 1 and PKCS #8 hold the same private scalar"
            );
        } else {
            assert_eq!(issued.private_key.expose_secret(), pkcs8_pem);
        }
    }

    #[test]
    fn private_keys_match_the_certificates() {
        let ca = ca();
        for key_type in [KeyType::Ec256, KeyType::Ec384, KeyType::Ed25519] {
            let request = IssueRequest { key_type, ..IssueRequest::new("svc.internal", HOUR) };
            let issued = ca.issue(&request, t0()).expect("issues");
            assert_eq!(issued.private_key_type, key_type.vault_name());
            assert_key_matches(&issued);
        }
    }

    #[test]
    fn validity_is_capped_at_the_ca_expiry() {
        let ca = CertificateAuthority::generate("short root", t0(), DAY).unwrap();
        let now = t0() + 20 * HOUR;
        let issued = ca.issue(&IssueRequest::new("a.test", 30 * DAY), now).unwrap();
        assert_eq!(issued.expiration, ca.expiration());
        with_cert(&issued.certificate, |leaf| {
            assert_eq!(leaf.validity().not_after.timestamp(), ca.expiration());
            assert_eq!(leaf.validity().not_before.timestamp(), secs(now) - 30);
        });

        let err = ca.issue(&IssueRequest::new("a.test", HOUR), t0() + 2 * DAY).unwrap_err();
        assert!(err.contains("expired"), "{err}");
    }

    #[test]
    fn serials_are_unique() {
        let ca = ca();
        let mut serials: Vec<String> =
            (0..64).map(|_| ca.issue(&IssueRequest::new("x.test", HOUR), t0()).unwrap().serial_number).collect();
        serials.push(ca.serial_number().to_owned());
        let count = serials.len();
        serials.sort();
        serials.dedup();
        assert_eq!(serials.len(), count);
    }

    #[test]
    fn common_name_goes_to_the_sans_only_when_it_is_a_name() {
        let ca = ca();
        let human =
            ca.issue(&IssueRequest { alt_names: vec!["a.test".into()], ..IssueRequest::new("My Service", HOUR) }, t0());
        with_cert(&human.unwrap().certificate, |leaf| assert_eq!(sans(leaf).0, ["a.test"]));

        let email = ca.issue(&IssueRequest::new("me@example.com", HOUR), t0()).unwrap();
        with_cert(&email.certificate, |leaf| assert_eq!(sans(leaf).2, ["me@example.com"]));

        let wildcard = ca.issue(&IssueRequest::new("*.apps.example.com", HOUR), t0()).unwrap();
        with_cert(&wildcard.certificate, |leaf| assert_eq!(sans(leaf).0, ["*.apps.example.com"]));

        // No CN but SANs: a role with require_cn=false.
        let no_cn = IssueRequest { ip_sans: vec!["192.0.2.1".into()], ..IssueRequest::new("", HOUR) };
        with_cert(&ca.issue(&no_cn, t0()).unwrap().certificate, |leaf| {
            assert!(leaf.subject().iter_common_name().next().is_none());
            assert_eq!(sans(leaf).1, ["192.0.2.1".parse::<IpAddr>().unwrap()]);
        });
    }

    #[test]
    fn bad_requests_are_refused() {
        let ca = ca();
        let bad_ip = IssueRequest { ip_sans: vec!["10.0.0.300".into()], ..IssueRequest::new("a.test", HOUR) };
        assert_eq!(ca.issue(&bad_ip, t0()).unwrap_err(), r#"the value "10.0.0.300" is not a valid IP address"#);
        assert!(ca.issue(&IssueRequest::new("", HOUR), t0()).unwrap_err().contains("common_name"));
        assert!(ca.issue(&IssueRequest::new("a.test", Duration::ZERO), t0()).unwrap_err().contains("ttl"));
        let non_ascii = IssueRequest { alt_names: vec!["bücher.example".into()], ..IssueRequest::new("a.test", HOUR) };
        assert!(ca.issue(&non_ascii, t0()).is_err());
        assert!(ca.issue(&IssueRequest::new("a.test", HOUR), UNIX_EPOCH - HOUR).is_err());
        assert!(CertificateAuthority::generate("", t0(), DAY).is_err());
    }

    #[test]
    fn key_types_map_to_vault_parameters() {
        assert_eq!(KeyType::from_vault("ec", 0), Ok(KeyType::Ec256));
        assert_eq!(KeyType::from_vault("ec", 256), Ok(KeyType::Ec256));
        assert_eq!(KeyType::from_vault("ec", 384), Ok(KeyType::Ec384));
        assert_eq!(KeyType::from_vault("ed25519", 0), Ok(KeyType::Ed25519));
        assert!(KeyType::from_vault("ec", 521).is_err());
        assert!(KeyType::from_vault("rsa", 2048).unwrap_err().contains("RSA"));
        assert!(KeyType::from_vault("dsa", 0).is_err());
        assert_eq!((KeyType::Ec384.vault_name(), KeyType::Ec384.key_bits()), ("ec", 384));
        assert_eq!(KeyType::default(), KeyType::Ec256);
    }

    #[test]
    fn the_ca_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CertificateAuthority>();
    }

    #[test]
    fn der_lengths_round_trip() {
        for length in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let contents = vec![7u8; length];
            let encoded = der_encode(0x04, &contents);
            let (tag, decoded, rest) = der_element(&encoded).unwrap();
            assert_eq!((tag, decoded, rest), (0x04, contents.as_slice(), &[][..]));
        }
        assert!(der_element(&[0x04, 0x05, 1, 2]).is_none(), "truncated input");
        assert!(pkcs8_ec_to_sec1(b"not der").is_none());
    }
}
