//! [`TestSigner`]: an identity provider for tests, with an RSA and an EC
//! key generated at run time, its JWKS, and tokens signed by either.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The `kid` of the RSA key (RS256).
pub const RSA_KID: &str = "test-rsa-1";
/// The `kid` of the EC P-256 key (ES256).
pub const EC_KID: &str = "test-ec-1";

/// A signing key and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

impl TestKey {
    /// A fresh RSA-2048 key for RS256.
    pub fn rsa(kid: &str) -> Self {
        use rsa::pkcs8::EncodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("generating an RSA test key");
        let pem = key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).expect("encoding the RSA test key");
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("loading the RSA test key");
        let jwk = json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        });
        Self { kid: kid.to_owned(), alg: Algorithm::RS256, encoding, jwk }
    }

    /// A fresh EC P-256 key for ES256.
    pub fn ec(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("generating an EC test key");
        let encoding = EncodingKey::from_ec_der(pair.serialized_der());
        // The raw public key is the uncompressed point: 0x04, x, y.
        let raw = pair.public_key_raw();
        let jwk = json!({
            "kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
        });
        Self { kid: kid.to_owned(), alg: Algorithm::ES256, encoding, jwk }
    }

    /// Its `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Its public key as a JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// Signs `claims` with the key's algorithm, naming `kid` in the header
    /// (`None` leaves `kid` out).
    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing a test token")
    }
}

/// A test identity provider: an issuer, an audience, an RSA and an EC key.
#[derive(Clone)]
pub struct TestSigner {
    issuer: String,
    audience: String,
    rsa: TestKey,
    ec: TestKey,
}

impl TestSigner {
    /// Generates the keys (RSA takes a moment).
    pub fn generate(issuer: &str, audience: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            rsa: TestKey::rsa(RSA_KID),
            ec: TestKey::ec(EC_KID),
        }
    }

    /// The issuer its tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience its tokens carry.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The RSA key.
    pub fn rsa(&self) -> &TestKey {
        &self.rsa
    }

    /// The EC key.
    pub fn ec(&self) -> &TestKey {
        &self.ec
    }

    /// The JWKS document with both public keys.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.rsa.jwk, self.ec.jwk] })
    }

    /// Valid claims for `subject` in `groups`: this issuer and audience,
    /// issued now, expiring in five minutes.
    pub fn claims(&self, subject: &str, groups: &[&str]) -> Value {
        let now = now();
        json!({
            "iss": self.issuer, "aud": self.audience, "sub": subject, "groups": groups,
            "iat": now, "nbf": now, "exp": now + 300,
        })
    }

    /// A valid RS256 token for `subject` in `groups`.
    pub fn token(&self, subject: &str, groups: &[&str]) -> String {
        self.rsa.sign(Some(RSA_KID), &self.claims(subject, groups))
    }

    /// A valid ES256 token for `subject` in `groups`.
    pub fn es256_token(&self, subject: &str, groups: &[&str]) -> String {
        self.ec.sign(Some(EC_KID), &self.claims(subject, groups))
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// An unsigned token (`alg: none`) with `claims`.
pub fn unsigned_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string());
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// `token` with its payload replaced by `claims`, signature kept: a
/// tampered token.
pub fn tampered_token(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next().unwrap_or_default(), parts.next(), parts.next().unwrap_or_default());
    format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims.to_string()))
}
