//! Sprig's crypto: hashes, bcrypt, `derivePassword`, AES, keys and
//! certificates.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::Mac;
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType};
use sha2::Digest;

use super::conversion::{i, s};
use crate::registry::{FuncError, FuncResult, FunctionRegistry, Param, Signature};
use crate::value::{StructData, Value};

const CERT: &str = "sprig.certificate";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn bcrypt_hash(input: &str) -> String {
    match bcrypt::hash_with_result(input, bcrypt::DEFAULT_COST) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const TEMPLATES: [(&str, &[&str]); 6] = [
    ("maximum", &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"]),
    (
        "long",
        &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
    ),
    ("medium", &["CvcnoCvc", "CvcCvcno"]),
    ("short", &["Cvcn"]),
    ("basic", &["aaanaaan", "aannaaan", "aaannaaa"]),
    ("pin", &["nnnn"]),
];

fn template_chars(c: u8) -> &'static str {
    match c {
        b'V' => "AEIOU",
        b'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => "aeiou",
        b'c' => "bcdfghjklmnpqrstvwxyz",
        b'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => "0123456789",
        b'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        _ => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// The Master Password algorithm, as Sprig's `derivePassword`.
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some((_, templates)) = TEMPLATES.iter().find(|(n, _)| *n == kind) else {
        return format!("cannot find password template {kind}");
    };
    const SEED: &[u8] = b"com.lyndir.masterpassword";
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2, 64).map_err(|e| e.to_string());
    if let Err(e) =
        params.and_then(|p| scrypt::scrypt(password.as_bytes(), &salt, &p, &mut key).map_err(|e| e.to_string()))
    {
        return format!("failed to derive password: {e}");
    }
    let mut msg = SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let template = templates[seed[0] as usize % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(k, c)| {
            let chars = template_chars(c).as_bytes();
            chars[seed[k + 1] as usize % chars.len()] as char
        })
        .collect()
}

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    key
}

fn encrypt_aes(password: &str, plain: &str) -> FuncResult {
    use cbc::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    if plain.is_empty() {
        return Ok(Value::str(""));
    }
    let iv: [u8; 16] = rand::random();
    let enc = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let mut out = iv.to_vec();
    out.extend(enc.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()));
    Ok(Value::from(B64.encode(out)))
}

fn decrypt_aes(password: &str, crypt64: &str) -> FuncResult {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::NoPadding};
    if crypt64.is_empty() {
        return Ok(Value::str(""));
    }
    let data = B64.decode(crypt64).map_err(|e| FuncError::new(e.to_string()))?;
    if data.len() < 16 || data.len() % 16 != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    let dec = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), data[..16].into());
    let plain = dec.decrypt_padded_vec_mut::<NoPadding>(&data[16..]).map_err(|e| FuncError::new(e.to_string()))?;
    let pad = plain.last().copied().unwrap_or(0) as usize;
    let body = plain.get(..plain.len().saturating_sub(pad)).unwrap_or_default();
    Ok(Value::from(String::from_utf8_lossy(body).into_owned()))
}

/// A generated private key: its PEM as Go writes it, and a signing key.
struct Key {
    pem: String,
    pair: KeyPair,
}

fn rsa_key(bits: usize) -> Result<Key, String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits).map_err(|e| e.to_string())?;
    let pem = key.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).map_err(|e| e.to_string())?.to_string();
    let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    let pair = KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| e.to_string())?;
    Ok(Key { pem, pair })
}

fn ec_key() -> Result<Key, String> {
    let pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    Ok(Key { pem: sec1_pem(&pair)?, pair })
}

fn sec1_pem(pair: &KeyPair) -> Result<String, String> {
    use p256::pkcs8::DecodePrivateKey;
    let sk = p256::SecretKey::from_pkcs8_der(&pair.serialize_der()).map_err(|e| e.to_string())?;
    Ok(sk.to_sec1_pem(p256::pkcs8::LineEnding::LF).map_err(|e| e.to_string())?.to_string())
}

/// PEM with Go's 64-column lines.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// An Ed25519 key as Go's `x509.MarshalPKCS8PrivateKey` writes it (PKCS#8
/// v1, seed only; ring's own encoding also carries the public key).
fn ed25519_key() -> Result<Key, String> {
    let generated = KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(|e| e.to_string())?;
    let v2 = generated.serialize_der();
    let seed = v2.get(16..48).ok_or("unexpected Ed25519 key encoding")?;
    let mut v1 = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    v1.extend_from_slice(seed);
    let pair = KeyPair::from_pkcs8_der_and_sign_algo(&v1.as_slice().into(), &rcgen::PKCS_ED25519)
        .map_err(|e| e.to_string())?;
    Ok(Key { pem: pem("PRIVATE KEY", &v1), pair })
}

fn parse_key(pem_text: &str) -> Result<Key, String> {
    use p256::pkcs8::EncodePrivateKey as _;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    let block = pem_text.trim_start();
    if block.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        let key =
            rsa::RsaPrivateKey::from_pkcs1_pem(block).map_err(|e| format!("parsing RSA private key from PEM: {e}"))?;
        let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).map_err(|e| e.to_string())?;
        let pair = KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| e.to_string())?;
        return Ok(Key { pem: pem_text.to_string(), pair });
    }
    if block.starts_with("-----BEGIN EC PRIVATE KEY-----") {
        let sk = p256::SecretKey::from_sec1_pem(block).map_err(|e| format!("parsing EC private key from PEM: {e}"))?;
        let der = sk.to_pkcs8_der().map_err(|e| e.to_string())?;
        let pair = KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| e.to_string())?;
        return Ok(Key { pem: pem_text.to_string(), pair });
    }
    if block.starts_with("-----BEGIN PRIVATE KEY-----") {
        let pair = KeyPair::from_pem(block).map_err(|e| format!("decoding PEM as PKCS#8: {e}"))?;
        return Ok(Key { pem: pem_text.to_string(), pair });
    }
    Err("no PEM data in input".into())
}

fn cert_value(cert: String, key: String) -> Value {
    Value::Struct(Arc::new(StructData {
        type_name: CERT,
        fields: vec![("Cert", Value::from(cert)), ("Key", Value::from(key))],
    }))
}

fn cert_fields(v: &Value) -> (String, String) {
    match v {
        Value::Struct(s) => {
            let get = |n: &str| {
                s.fields.iter().find(|(k, _)| *k == n).map(|(_, v)| super::conversion::strval(v)).unwrap_or_default()
            };
            (get("Cert"), get("Key"))
        }
        _ => Default::default(),
    }
}

fn params(cn: &str, ips: &Value, dns: &Value, days: i64, ca: bool) -> Result<CertificateParams, String> {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now;
    p.not_after = now + time::Duration::days(days);
    p.key_usages = vec![KeyUsagePurpose::KeyEncipherment, KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    if ca {
        p.key_usages.push(KeyUsagePurpose::KeyCertSign);
        p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    } else {
        p.is_ca = IsCa::ExplicitNoCa;
    }
    for ip in ips.as_list().unwrap_or_default() {
        let text = ip
            .as_str()
            .ok_or_else(|| format!("error parsing ip: {} is not a string", crate::gofmt::sprint_value(ip)))?;
        p.subject_alt_names.push(SanType::IpAddress(text.parse().map_err(|_| format!("error parsing ip: {text}"))?));
    }
    for name in dns.as_list().unwrap_or_default() {
        let text = name.as_str().ok_or_else(|| {
            format!("error processing alternate dns name: {} is not a string", crate::gofmt::sprint_value(name))
        })?;
        p.subject_alt_names.push(SanType::DnsName(text.try_into().map_err(|e: rcgen::Error| e.to_string())?));
    }
    Ok(p)
}

fn self_signed(p: CertificateParams, key: Key) -> FuncResult {
    let cert = p.self_signed(&key.pair).map_err(|e| FuncError::new(format!("error creating certificate: {e}")))?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn signed(p: CertificateParams, key: Key, ca: &Value) -> FuncResult {
    let (ca_cert, ca_key) = cert_fields(ca);
    let signer = parse_key(&ca_key).map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_cert, signer.pair)
        .map_err(|_| FuncError::new("unable to decode certificate"))?;
    let cert =
        p.signed_by(&key.pair, &issuer).map_err(|e| FuncError::new(format!("error creating certificate: {e}")))?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn err(e: String) -> FuncError {
    FuncError::new(e)
}

fn with_key(a: &Value) -> Result<Key, FuncError> {
    parse_key(s(a)).map_err(|e| FuncError::new(format!("parsing private key: {e}")))
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Int, List, Str, Struct, Uint32};
    let f = Signature::fixed;
    r.add("sha1sum", f(&[Str]), |a| Ok(Value::from(hex(&sha1::Sha1::digest(s(&a[0]).as_bytes())))));
    r.add("sha256sum", f(&[Str]), |a| Ok(Value::from(hex(&sha2::Sha256::digest(s(&a[0]).as_bytes())))));
    r.add("adler32sum", f(&[Str]), |a| Ok(Value::from(adler32(s(&a[0]).as_bytes()).to_string())));
    r.add("bcrypt", f(&[Str]), |a| Ok(Value::from(bcrypt_hash(s(&a[0])))));
    r.add("htpasswd", f(&[Str, Str]), |a| {
        let user = s(&a[0]);
        Ok(Value::from(if user.contains(':') {
            format!("invalid username: {user}")
        } else {
            format!("{user}:{}", bcrypt_hash(s(&a[1])))
        }))
    });
    r.add("derivePassword", f(&[Uint32, Str, Str, Str, Str]), |a| {
        Ok(Value::from(derive_password(i(&a[0]) as u32, s(&a[1]), s(&a[2]), s(&a[3]), s(&a[4]))))
    });
    r.add("encryptAES", f(&[Str, Str]), |a| encrypt_aes(s(&a[0]), s(&a[1])));
    r.add("decryptAES", f(&[Str, Str]), |a| decrypt_aes(s(&a[0]), s(&a[1])));
    r.add("randBytes", f(&[Int]), |a| {
        let n = usize::try_from(i(&a[0])).map_err(|_| FuncError::new("runtime error: makeslice: len out of range"))?;
        let bytes: Vec<u8> = (0..n).map(|_| rand::random::<u8>()).collect();
        Ok(Value::from(B64.encode(bytes)))
    });
    r.add("genPrivateKey", f(&[Str]), |a| {
        let key = match s(&a[0]) {
            "" | "rsa" => rsa_key(4096),
            "ecdsa" => ec_key(),
            "ed25519" => ed25519_key(),
            "dsa" => Err("DSA keys are not supported by qsec".into()),
            other => return Ok(Value::from(format!("Unknown type {other}"))),
        };
        Ok(Value::from(key.map_or_else(|e| format!("failed to generate private key: {e}"), |k| k.pem)))
    });
    r.add("buildCustomCert", f(&[Str, Str]), |a| {
        let cert = B64.decode(s(&a[0])).map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
        let key = B64.decode(s(&a[1])).map_err(|_| FuncError::new("unable to decode base64 private key"))?;
        let (cert, key) = (String::from_utf8_lossy(&cert).into_owned(), String::from_utf8_lossy(&key).into_owned());
        if !cert.contains("-----BEGIN") {
            return Err(FuncError::new("unable to decode certificate"));
        }
        let parsed = parse_key(&key).map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
        rcgen::Issuer::from_ca_cert_pem(&cert, parsed.pair)
            .map_err(|e| FuncError::new(format!("error parsing certificate: decodedCert.Bytes: {e}")))?;
        Ok(cert_value(cert, key))
    });
    let nil = Value::Nil;
    let (n1, n2) = (nil.clone(), nil.clone());
    r.add("genCA", f(&[Str, Int]), move |a| {
        self_signed(params(s(&a[0]), &n1, &n1, i(&a[1]), true).map_err(err)?, rsa_key(2048).map_err(err)?)
    });
    r.add("genCAWithKey", f(&[Str, Int, Str]), move |a| {
        self_signed(params(s(&a[0]), &n2, &n2, i(&a[1]), true).map_err(err)?, with_key(&a[2])?)
    });
    r.add("genSelfSignedCert", f(&[Str, List, List, Int]), |a| {
        self_signed(params(s(&a[0]), &a[1], &a[2], i(&a[3]), false).map_err(err)?, rsa_key(2048).map_err(err)?)
    });
    r.add("genSelfSignedCertWithKey", f(&[Str, List, List, Int, Str]), |a| {
        self_signed(params(s(&a[0]), &a[1], &a[2], i(&a[3]), false).map_err(err)?, with_key(&a[4])?)
    });
    r.add("genSignedCert", f(&[Str, List, List, Int, Struct(CERT)]), |a| {
        signed(params(s(&a[0]), &a[1], &a[2], i(&a[3]), false).map_err(err)?, rsa_key(2048).map_err(err)?, &a[4])
    });
    r.add("genSignedCertWithKey", f(&[Str, List, List, Int, Struct(CERT), Str]), |a| {
        signed(params(s(&a[0]), &a[1], &a[2], i(&a[3]), false).map_err(err)?, with_key(&a[5])?, &a[4])
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_checksums() {
        assert_eq!(
            hex(&sha2::Sha256::digest(b"hello")),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(adler32(b"Wikipedia"), 300286872);
    }

    #[test]
    fn derive_password_matches_master_password() {
        assert_eq!(derive_password(1, "pin", "p", "u", "s"), "2461");
        assert_eq!(derive_password(1, "nosuchtemplate", "p", "u", "s"), "cannot find password template nosuchtemplate");
    }

    #[test]
    fn aes_round_trips() {
        let c = encrypt_aes("secret", "hello").expect("encrypts");
        let p = decrypt_aes("secret", c.as_str().expect("a string")).expect("decrypts");
        assert_eq!(p.as_str(), Some("hello"));
    }
}
