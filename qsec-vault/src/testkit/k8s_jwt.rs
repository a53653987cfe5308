//! Kubernetes service-account tokens: verifying them as Vault's Kubernetes
//! auth method does with `pem_keys`, and minting them for tests and the
//! local demo.
//!
//! Verification follows the auth method (vault-plugin-auth-kubernetes, with
//! hashicorp/cap's JWT validator): the signature must verify with one of the
//! configured keys, under RS256/384/512, PS256/384/512, ES256 or ES384
//! (Kubernetes' algorithms, less ES512, which the crypto here lacks); then
//! the issuer and audience are checked when expected; then `nbf`, `exp` and
//! `iat` against the clock with 60 s of leeway, where a token with none of
//! them (a legacy secret token) passes and a missing `exp` is taken as
//! 150 s after `iat` or `nbf`. Claims come from the projected-token object
//! `kubernetes.io` when present, else from the legacy
//! `kubernetes.io/serviceaccount/*` claims.
//!
//! Without `pem_keys` Vault asks the cluster's TokenReview API instead; there
//! is no cluster here, so an empty key list is an error. Messages of
//! signature failures start with "error verifying token signature", which
//! Vault answers with "permission denied".

use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use qsec_core::Jwt;
use serde_json::{Map, Value, json};

/// Leeway for clock skew on `nbf`, `exp` and `iat`, as go-jose's default.
pub const CLOCK_SKEW_LEEWAY_SECS: u64 = 60;

/// How long after `iat` (or `nbf`) a token without `exp` is valid, as cap's
/// default.
pub const MISSING_EXPIRY_LEEWAY_SECS: u64 = 150;

/// The issuer of legacy (secret-based) service-account tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

/// The algorithms accepted, in the order Kubernetes lists them.
const ALLOWED_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Who a verified service-account token says its bearer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountClaims {
    /// The service account's namespace.
    pub namespace: String,
    /// The service account's name.
    pub service_account_name: String,
    /// The service account's UID.
    pub service_account_uid: String,
    /// The pod the token is bound to (projected tokens only).
    pub pod_name: Option<String>,
    /// `sub`, normally `system:serviceaccount:NAMESPACE:NAME`.
    pub subject: String,
    /// `iss`; empty when the token has none.
    pub issuer: String,
    /// The bound pod's UID (projected tokens only).
    pub pod_uid: Option<String>,
    /// The secret holding the token (legacy tokens only): Vault's
    /// `service_account_secret_name` metadata.
    pub secret_name: Option<String>,
    /// `aud`, as a list.
    pub audiences: Vec<String>,
    /// `exp`, Unix seconds, when the token has one.
    pub expires_at: Option<u64>,
}

/// Verifies a service-account JWT as Vault's Kubernetes auth does with
/// `pem_keys`, and returns who it names.
///
/// Checks, in order: the algorithm (RS*, PS*, ES256, ES384; never `none`
/// or HMAC), the signature against any of `pem_keys`, `iss` and `aud` when
/// expected, then `nbf`/`exp`/`iat` against `now` (Unix seconds) with
/// Vault's leeway. Claims come from projected tokens (the `kubernetes.io`
/// object) or legacy ones (`kubernetes.io/serviceaccount/namespace` etc.).
///
/// A `pem_keys` entry may be a `PUBLIC KEY` (RSA or EC), an
/// `RSA PUBLIC KEY` or a `CERTIFICATE`, as Vault accepts.
pub fn verify_service_account_jwt(
    jwt: &str,
    pem_keys: &[String],
    expected_issuer: Option<&str>,
    expected_audience: Option<&str>,
    now: u64,
) -> Result<ServiceAccountClaims, String> {
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err("malformed JWT: expected three dot-separated parts".to_owned());
    };
    let header = decode_json_part(header_b64, "header")?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let algorithm = Algorithm::from_str(alg)
        .ok()
        .filter(|algorithm| ALLOWED_ALGORITHMS.contains(algorithm))
        .ok_or_else(|| format!("error verifying token signature: unsupported signing algorithm {alg:?}"))?;
    if signature_b64.is_empty() {
        return Err("error verifying token signature: token must be signed".to_owned());
    }

    if pem_keys.is_empty() {
        return Err("error verifying token signature: no pem_keys to verify the token with (the in-memory \
                    Kubernetes auth has no TokenReview API)"
            .to_owned());
    }
    let keys = pem_keys
        .iter()
        .enumerate()
        .map(|(index, pem)| decoding_key(pem).map_err(|e| format!("pem_keys entry {index}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let message = format!("{header_b64}.{payload_b64}");
    let verified = keys.iter().filter(|key| key.family() == algorithm.family()).any(|key| {
        // A key of the right family but the wrong curve or size errors: not a match.
        jsonwebtoken::crypto::verify(signature_b64, message.as_bytes(), key, algorithm).unwrap_or(false)
    });
    if !verified {
        return Err(
            "error verifying token signature: no known key successfully validated the token signature".to_owned()
        );
    }

    let claims = decode_json_part(payload_b64, "payload")?;
    let Value::Object(claims) = claims else {
        return Err("malformed JWT: the payload is not a JSON object".to_owned());
    };
    let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or_default().to_owned();
    if let Some(expected) = expected_issuer
        && expected != issuer
    {
        return Err("invalid issuer (iss) claim".to_owned());
    }
    let audiences = audiences(&claims)?;
    if let Some(expected) = expected_audience
        && !audiences.iter().any(|aud| aud == expected)
    {
        return Err("invalid audience (aud) claim: audience claim does not match any expected audience".to_owned());
    }
    let expires_at = check_times(&claims, now)?;
    service_account(&claims, issuer, audiences, expires_at)
}

fn decode_json_part(part: &str, what: &str) -> Result<Value, String> {
    // Tolerate padding, which some encoders add.
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| format!("malformed JWT: the {what} is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("malformed JWT: the {what} is not JSON: {e}"))
}

fn decoding_key(pem: &str) -> Result<DecodingKey, String> {
    DecodingKey::from_ec_pem(pem.as_bytes())
        .or_else(|_| DecodingKey::from_rsa_pem(pem.as_bytes()))
        .map_err(|_| "not a PEM-encoded RSA or EC public key or certificate".to_owned())
}

fn audiences(claims: &Map<String, Value>) -> Result<Vec<String>, String> {
    match claims.get("aud") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(aud)) => Ok(vec![aud.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| "malformed aud claim".to_owned()))
            .collect(),
        Some(_) => Err("malformed aud claim".to_owned()),
    }
}

fn numeric_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>, String> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            // NumericDate may be fractional; whole seconds are enough.
            let secs = n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64));
            secs.map(Some).ok_or_else(|| format!("malformed {name} claim"))
        }
        Some(_) => Err(format!("malformed {name} claim")),
    }
}

/// cap's time checks; returns the token's `exp` as written.
fn check_times(claims: &Map<String, Value>, now: u64) -> Result<Option<u64>, String> {
    let iat = numeric_claim(claims, "iat")?;
    let nbf = numeric_claim(claims, "nbf")?;
    let exp = numeric_claim(claims, "exp")?;
    if iat.is_none() && nbf.is_none() && exp.is_none() {
        // Legacy secret tokens never expire.
        return Ok(None);
    }
    let effective_exp = exp.unwrap_or_else(|| iat.max(nbf).unwrap_or(0) + MISSING_EXPIRY_LEEWAY_SECS);
    let effective_nbf = nbf.or(iat).unwrap_or_else(|| effective_exp.saturating_sub(MISSING_EXPIRY_LEEWAY_SECS));
    if now + CLOCK_SKEW_LEEWAY_SECS < effective_nbf {
        return Err("invalid not before (nbf) claim: token not yet valid".to_owned());
    }
    if now.saturating_sub(CLOCK_SKEW_LEEWAY_SECS) > effective_exp {
        return Err("invalid expiration time (exp) claim: token is expired".to_owned());
    }
    if iat.is_some_and(|iat| now + CLOCK_SKEW_LEEWAY_SECS < iat) {
        return Err("invalid issued at (iat) claim: token issued in the future".to_owned());
    }
    Ok(exp)
}

fn string_at<'a>(value: Option<&'a Value>, keys: &[&str]) -> Option<&'a str> {
    let mut value = value?;
    for key in keys {
        value = value.get(key)?;
    }
    value.as_str().filter(|s| !s.is_empty())
}

/// The service account, preferring the projected-token claims as Vault does.
fn service_account(
    claims: &Map<String, Value>,
    issuer: String,
    audiences: Vec<String>,
    expires_at: Option<u64>,
) -> Result<ServiceAccountClaims, String> {
    let projected = claims.get("kubernetes.io").filter(|v| v.is_object());
    let legacy = |name: &str| claims.get(&format!("kubernetes.io/serviceaccount/{name}")).and_then(Value::as_str);
    let (namespace, name, uid) = match projected {
        Some(_) => (
            string_at(projected, &["namespace"]),
            string_at(projected, &["serviceaccount", "name"]),
            string_at(projected, &["serviceaccount", "uid"]),
        ),
        None => (legacy("namespace"), legacy("service-account.name"), legacy("service-account.uid")),
    };
    let namespace = namespace.filter(|s| !s.is_empty()).ok_or("the token names no service account namespace")?;
    let name = name.filter(|s| !s.is_empty()).ok_or("the token names no service account")?;
    let uid = uid.filter(|s| !s.is_empty()).ok_or("could not parse UID from claims")?;
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .map_or_else(|| format!("system:serviceaccount:{namespace}:{name}"), str::to_owned);
    Ok(ServiceAccountClaims {
        namespace: namespace.to_owned(),
        service_account_name: name.to_owned(),
        service_account_uid: uid.to_owned(),
        pod_name: string_at(projected, &["pod", "name"]).map(str::to_owned),
        subject,
        issuer,
        pod_uid: string_at(projected, &["pod", "uid"]).map(str::to_owned),
        secret_name: legacy("secret.name").filter(|s| !s.is_empty()).map(str::to_owned),
        audiences,
        expires_at,
    })
}

/// A signer for tests and the local demo: generates an EC P-256 key pair and mints service-account tokens.
#[derive(Clone)]
pub struct ServiceAccountTokenSigner {
    issuer: String,
    encoding_key: EncodingKey,
    public_key_pem: String,
}

impl std::fmt::Debug for ServiceAccountTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("ServiceAccountTokenSigner").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl ServiceAccountTokenSigner {
    /// A signer with a fresh P-256 key whose tokens carry `iss: issuer`
    /// (for a real cluster, e.g. `https://kubernetes.default.svc.cluster.local`).
    pub fn generate(issuer: &str) -> Result<Self, String> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| format!("generating the signing key: {e}"))?;
        let encoding_key = EncodingKey::from_ec_der(key.serialized_der());
        Ok(ServiceAccountTokenSigner { issuer: issuer.to_owned(), encoding_key, public_key_pem: key.public_key_pem() })
    }

    /// The issuer the tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public key as SPKI PEM (`PUBLIC KEY`): what goes in the auth
    /// method's `pem_keys`.
    pub fn public_key_pem(&self) -> String {
        self.public_key_pem.clone()
    }

    /// Mints a token shaped like a projected service-account token, with
    /// `sub` `system:serviceaccount:NAMESPACE:NAME` and the service account
    /// in the `kubernetes.io` claim.
    ///
    /// The token is valid from `issued_at` (`iat` and `nbf`) for `ttl_secs`
    /// (`exp`); `aud` is left out when `audience` is `None`.
    pub fn sign(
        &self,
        namespace: &str,
        service_account: &str,
        uid: &str,
        audience: Option<&str>,
        issued_at: u64,
        ttl_secs: u64,
    ) -> Result<qsec_core::Jwt, String> {
        let mut claims = json!({
            "iss": self.issuer,
            "sub": format!("system:serviceaccount:{namespace}:{service_account}"),
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at.saturating_add(ttl_secs),
            "kubernetes.io": {
                "namespace": namespace,
                "serviceaccount": { "name": service_account, "uid": uid },
            },
        });
        if let Some(audience) = audience {
            claims["aud"] = json!([audience]);
        }
        self.sign_claims(&claims)
    }

    /// Signs any claims with the signer's key (ES256), e.g. a legacy token
    /// or a deliberately odd one for a test. Nothing is added or checked.
    pub fn sign_claims(&self, claims: &Value) -> Result<Jwt, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = None;
        jsonwebtoken::encode(&header, claims, &self.encoding_key)
            .map(Jwt::new)
            .map_err(|e| format!("signing the token: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_735_689_600;
    const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
    const AUDIENCE: &str = "vault";

    /// A throwaway 2048-bit RSA key, made for these tests only: ring cannot
    /// generate RSA keys, and RS256 is what most clusters sign with.
    const RSA_PRIVATE_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAPxNxTeER8nNU\n\
7TdfVEhxHwZoDg2WRDvD5yGxVfNI4dQtu/Z4mqIJwNIRuiQpOfsdmqeqqbQhL2RI\n\
4lm6dCVvU/AH7iMvMg6huEDmSfKQ+qnA2ABLF8OwP+1DMtASuK3YnkbWIwSQ6G3q\n\
AHkkjevicRb9bhktN//T2qgbvMMdC+VGEb+GC2TKPUScj0pVZYAImU5h8LS1X7Fy\n\
B2Asybjg189Kk5AF7XcL9RtS4wDdNc0zo/81HbrGCcMfBtqetB0RWhZfXrMUEQSQ\n\
XcMR+Z84uz7VC4T91EhHrkJ3RTKJLVBXzvlQPqw5c0b7tirDrw8AdeReaz8zjHuI\n\
6UrM5omdAgMBAAECggEAAMIe7wL6IMp+hva6ka8w6/VN3qozhoS1YaPvP5ZRs9dk\n\
MVv88GPXwMcYbQZ5bwoyAd9iyusJcVoRALKX3QLpROOlXjqju+NsKFokM2RWRxke\n\
A0s20RUCahcOdgXkyTYeRWz2ZZDUy0eHa3VeBPVkWUvN5ekBw2ploW3K3PUlJd+s\n\
4YCDxcUCT4uDQ37Zkflxt8Q18FqXmzBXjVNDKDXpEF+gekrjyoHUnJM7q6IcTma2\n\
5crwVAu/d/9pHzgv7nTsAPgUx6XODgbmVl/0PYO7l1PnV7RdnxJCmYSKYmjBs3M5\n\
odmWbYpTHcYlmYR9o0SWj1SrJjVKv1CPDYtBlZIvFwKBgQDyuIUmSb4L33NDiQ3q\n\
bwtVW/8MSDMhwxi8o4fNwsTDaEkp2pVyvJnGmfu3eERGq4LgqSoEAlLA6dZykBtP\n\
wkwDLVL5ybMSUhhcyvoXxd2ZgDPKj8lFdWt2fWlm/J8T8I7VxtjlGWiAmxj7sPyK\n\
ey5o1wf1lrWm5MZwOUDklYf34wKBgQDKw6AiHVK28eVtgk9MRGtOnNP9NXBeLj5M\n\
x7/1+BCSKCbPHHDo5qs3OS8eqdDMgOecUTMNiOBA66uFaXoAEoZYY7IxJ6jznd6L\n\
xRnGj/lBk2WdQxJjvgEpKLTchOhcyDpfwMZEnRXkN5fR0FR1cWCiR+dEkM3m7udZ\n\
8MZ6MagwfwKBgQDwAY2IArstulKboVZlTlCCo2lbl7kX1XcMcRfEWqd+IgzWmhHV\n\
VrEoNPM2xHGe/9F2nU+yjymNIKyws9aN066eJZ866DtuDkeQ2hTalQk+1ApibjOz\n\
vxv4GqKy93HFocVblji6sZkoMjVODABsXsnRWW/BZLlSwj2GktacMVA1yQKBgHW0\n\
MhUbqJSCv4heiOHhJdmwuG7Ywq4pcgjoO8rxgc0WedDo1bKdlO6tx2ipc4gDnG/l\n\
wxksR+Hn7N25aRT5q/tLhHl8aFtjXXkNpfTaRvuGMQqlkNtNxSa7dqI8lRanNRu4\n\
sF/MQJUGoJ8vrJewhUQvMVVgKebQ8IQJfW4ZvWTJAoGAQKQRgehNSIlCwUDjcOJ3\n\
z4QWw9XlEUgAiLKYK9O2+H6v7C/B/vnPBMjlZeuHRlY5f+lKWZzVrep9LgzG58a2\n\
WIQxtbEWMxkv9ADvVw3mX66rMng+ihIcRX4W3BuYYCDOB0xldKtQ40l67rPb30+u\n\
LYWCF5zWOkMRhn/x/4fm0tE=\n\
-----END PRIVATE KEY-----\n\
";
    const RSA_PUBLIC_KEY: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwD8TcU3hEfJzVO03X1RI\n\
cR8GaA4NlkQ7w+chsVXzSOHULbv2eJqiCcDSEbokKTn7HZqnqqm0IS9kSOJZunQl\n\
b1PwB+4jLzIOobhA5knykPqpwNgASxfDsD/tQzLQErit2J5G1iMEkOht6gB5JI3r\n\
4nEW/W4ZLTf/09qoG7zDHQvlRhG/hgtkyj1EnI9KVWWACJlOYfC0tV+xcgdgLMm4\n\
4NfPSpOQBe13C/UbUuMA3TXNM6P/NR26xgnDHwbanrQdEVoWX16zFBEEkF3DEfmf\n\
OLs+1QuE/dRIR65Cd0UyiS1QV875UD6sOXNG+7Yqw68PAHXkXms/M4x7iOlKzOaJ\n\
nQIDAQAB\n\
-----END PUBLIC KEY-----\n\
";
    const RSA_PUBLIC_KEY_PKCS1: &str = "\
-----BEGIN RSA PUBLIC KEY-----\n\
MIIBCgKCAQEAwD8TcU3hEfJzVO03X1RIcR8GaA4NlkQ7w+chsVXzSOHULbv2eJqi\n\
CcDSEbokKTn7HZqnqqm0IS9kSOJZunQlb1PwB+4jLzIOobhA5knykPqpwNgASxfD\n\
sD/tQzLQErit2J5G1iMEkOht6gB5JI3r4nEW/W4ZLTf/09qoG7zDHQvlRhG/hgtk\n\
yj1EnI9KVWWACJlOYfC0tV+xcgdgLMm44NfPSpOQBe13C/UbUuMA3TXNM6P/NR26\n\
xgnDHwbanrQdEVoWX16zFBEEkF3DEfmfOLs+1QuE/dRIR65Cd0UyiS1QV875UD6s\n\
OXNG+7Yqw68PAHXkXms/M4x7iOlKzOaJnQIDAQAB\n\
-----END RSA PUBLIC KEY-----\n\
";

    fn signer() -> ServiceAccountTokenSigner {
        ServiceAccountTokenSigner::generate(ISSUER).expect("signer generates")
    }

    fn token(signer: &ServiceAccountTokenSigner) -> String {
        signer
            .sign("payments", "api", "5f0c8f3e-0d1c-4a8e-9a57-3d8c2c1b0a11", Some(AUDIENCE), NOW - 10, 3600)
            .expect("signs")
            .expose_secret()
            .to_owned()
    }

    fn verify(jwt: &str, keys: &[String]) -> Result<ServiceAccountClaims, String> {
        verify_service_account_jwt(jwt, keys, None, None, NOW)
    }

    /// A token with these claims signed by a key outside the signer type.
    fn sign_with(algorithm: Algorithm, key: &EncodingKey, claims: &Value) -> String {
        let mut header = Header::new(algorithm);
        header.kid = Some("test-key".to_owned());
        jsonwebtoken::encode(&header, claims, key).expect("signs")
    }

    fn encode_part(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn projected_claims(exp: u64) -> Value {
        json!({
            "iss": ISSUER,
            "sub": "system:serviceaccount:payments:api",
            "aud": [AUDIENCE],
            "iat": NOW - 10,
            "exp": exp,
            "kubernetes.io": {
                "namespace": "payments",
                "serviceaccount": {"name": "api", "uid": "uid-1"},
            },
        })
    }

    #[test]
    fn signed_token_verifies_with_the_public_key() {
        let signer = signer();
        let claims =
            verify_service_account_jwt(&token(&signer), &[signer.public_key_pem()], Some(ISSUER), Some(AUDIENCE), NOW)
                .expect("verifies");
        assert_eq!(
            claims,
            ServiceAccountClaims {
                namespace: "payments".to_owned(),
                service_account_name: "api".to_owned(),
                service_account_uid: "5f0c8f3e-0d1c-4a8e-9a57-3d8c2c1b0a11".to_owned(),
                pod_name: None,
                subject: "system:serviceaccount:payments:api".to_owned(),
                issuer: ISSUER.to_owned(),
                pod_uid: None,
                secret_name: None,
                audiences: vec![AUDIENCE.to_owned()],
                expires_at: Some(NOW - 10 + 3600),
            }
        );
        assert!(signer.public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(signer.issuer(), ISSUER);
        assert!(!format!("{signer:?}").contains("PRIVATE"));
    }

    #[test]
    fn token_without_audience_omits_aud() {
        let signer = signer();
        let jwt = signer.sign("ns", "sa", "uid", None, NOW, 60).unwrap();
        let claims = verify(jwt.expose_secret(), &[signer.public_key_pem()]).unwrap();
        assert!(claims.audiences.is_empty());
        let err = verify_service_account_jwt(jwt.expose_secret(), &[signer.public_key_pem()], None, Some("vault"), NOW)
            .unwrap_err();
        assert_eq!(err, "invalid audience (aud) claim: audience claim does not match any expected audience");
    }

    #[test]
    fn issuer_and_audience_must_match_when_expected() {
        let signer = signer();
        let keys = [signer.public_key_pem()];
        let jwt = token(&signer);
        let err = verify_service_account_jwt(&jwt, &keys, Some("https://other"), None, NOW).unwrap_err();
        assert_eq!(err, "invalid issuer (iss) claim");
        let err = verify_service_account_jwt(&jwt, &keys, None, Some("not-vault"), NOW).unwrap_err();
        assert!(err.starts_with("invalid audience (aud) claim"), "{err}");
        // A single-string aud counts as a list of one.
        let key = EncodingKey::from_rsa_pem(RSA_PRIVATE_KEY.as_bytes()).unwrap();
        let mut claims = projected_claims(NOW + 60);
        claims["aud"] = json!(AUDIENCE);
        let jwt = sign_with(Algorithm::RS256, &key, &claims);
        assert!(verify_service_account_jwt(&jwt, &[RSA_PUBLIC_KEY.to_owned()], None, Some(AUDIENCE), NOW).is_ok());
    }

    #[test]
    fn alg_none_is_refused() {
        let claims = encode_part(&projected_claims(NOW + 60));
        for header in [json!({"alg": "none"}), json!({"alg": "None", "typ": "JWT"}), json!({"typ": "JWT"})] {
            let header = encode_part(&header);
            for jwt in [format!("{header}.{claims}."), format!("{header}.{claims}.c2lnbmF0dXJl")] {
                let err = verify(&jwt, &[signer().public_key_pem()]).unwrap_err();
                assert!(err.starts_with("error verifying token signature: unsupported signing algorithm"), "{err}");
            }
        }
    }

    #[test]
    fn hmac_with_the_public_key_as_secret_is_refused() {
        // The classic key-confusion attack: HS256 keyed with the public PEM.
        let signer = signer();
        let secret = EncodingKey::from_secret(signer.public_key_pem().as_bytes());
        let jwt = sign_with(Algorithm::HS256, &secret, &projected_claims(NOW + 60));
        let err = verify(&jwt, &[signer.public_key_pem()]).unwrap_err();
        assert_eq!(err, r#"error verifying token signature: unsupported signing algorithm "HS256""#);
    }

    #[test]
    fn tampered_payload_is_refused() {
        let signer = signer();
        let jwt = token(&signer);
        let parts: Vec<&str> = jwt.split('.').collect();
        let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["kubernetes.io"]["namespace"] = json!("kube-system");
        let forged = format!("{}.{}.{}", parts[0], encode_part(&claims), parts[2]);
        let err = verify(&forged, &[signer.public_key_pem()]).unwrap_err();
        assert_eq!(err, "error verifying token signature: no known key successfully validated the token signature");

        // A flipped signature byte fails the same way.
        let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        signature[10] ^= 1;
        let forged = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(signature));
        assert!(
            verify(&forged, &[signer.public_key_pem()]).unwrap_err().starts_with("error verifying token signature")
        );
    }

    #[test]
    fn wrong_keys_are_refused_and_any_right_key_will_do() {
        let signer = signer();
        let other = self::signer();
        let jwt = token(&signer);
        let err = verify(&jwt, &[other.public_key_pem()]).unwrap_err();
        assert!(err.starts_with("error verifying token signature"), "{err}");
        // An RSA key cannot verify an ES256 token.
        assert!(verify(&jwt, &[RSA_PUBLIC_KEY.to_owned()]).is_err());
        let keys = [RSA_PUBLIC_KEY.to_owned(), other.public_key_pem(), signer.public_key_pem()];
        assert_eq!(verify(&jwt, &keys).unwrap().service_account_name, "api");
    }

    #[test]
    fn expired_tokens_are_refused_within_vaults_leeway() {
        let signer = signer();
        let keys = [signer.public_key_pem()];
        let jwt = signer.sign("ns", "sa", "uid", None, NOW - 7200, 3600).unwrap();
        let err = verify(jwt.expose_secret(), &keys).unwrap_err();
        assert_eq!(err, "invalid expiration time (exp) claim: token is expired");

        // Expired 60 s ago: inside the clock-skew leeway. 61 s: outside.
        let at_leeway = signer.sign("ns", "sa", "uid", None, NOW - 3660, 3600).unwrap();
        assert!(verify(at_leeway.expose_secret(), &keys).is_ok());
        let past_leeway = signer.sign("ns", "sa", "uid", None, NOW - 3661, 3600).unwrap();
        assert!(verify(past_leeway.expose_secret(), &keys).is_err());
    }

    #[test]
    fn tokens_from_the_future_are_refused() {
        let signer = signer();
        let keys = [signer.public_key_pem()];
        let jwt = signer.sign("ns", "sa", "uid", None, NOW + 120, 3600).unwrap();
        assert_eq!(
            verify(jwt.expose_secret(), &keys).unwrap_err(),
            "invalid not before (nbf) claim: token not yet valid"
        );
        let mut claims = projected_claims(NOW + 3600);
        claims["iat"] = json!(NOW + 120);
        let jwt = signer.sign_claims(&claims).unwrap();
        assert_eq!(
            verify(jwt.expose_secret(), &keys).unwrap_err(),
            "invalid not before (nbf) claim: token not yet valid"
        );
        // Within the leeway is fine.
        let jwt = signer.sign("ns", "sa", "uid", None, NOW + 60, 3600).unwrap();
        assert!(verify(jwt.expose_secret(), &keys).is_ok());
    }

    #[test]
    fn missing_exp_lasts_150_seconds_after_iat() {
        let signer = signer();
        let keys = [signer.public_key_pem()];
        let with_iat = |iat: u64| {
            let mut claims = projected_claims(0);
            claims.as_object_mut().unwrap().remove("exp");
            claims["iat"] = json!(iat);
            signer.sign_claims(&claims).unwrap()
        };
        assert!(verify(with_iat(NOW - 100).expose_secret(), &keys).is_ok());
        assert!(verify(with_iat(NOW - 210).expose_secret(), &keys).is_ok());
        let err = verify(with_iat(NOW - 211).expose_secret(), &keys).unwrap_err();
        assert_eq!(err, "invalid expiration time (exp) claim: token is expired");
    }

    #[test]
    fn legacy_secret_tokens_verify_without_times() {
        let signer = signer();
        let claims = json!({
            "iss": LEGACY_ISSUER,
            "sub": "system:serviceaccount:default:builder",
            "kubernetes.io/serviceaccount/namespace": "default",
            "kubernetes.io/serviceaccount/secret.name": "builder-token-x7k2p",
            "kubernetes.io/serviceaccount/service-account.name": "builder",
            "kubernetes.io/serviceaccount/service-account.uid": "c3f2a7b0-1111-2222-3333-444455556666",
        });
        let jwt = signer.sign_claims(&claims).unwrap();
        let verified =
            verify_service_account_jwt(jwt.expose_secret(), &[signer.public_key_pem()], Some(LEGACY_ISSUER), None, NOW)
                .unwrap();
        assert_eq!(verified.namespace, "default");
        assert_eq!(verified.service_account_name, "builder");
        assert_eq!(verified.service_account_uid, "c3f2a7b0-1111-2222-3333-444455556666");
        assert_eq!(verified.secret_name.as_deref(), Some("builder-token-x7k2p"));
        assert_eq!(verified.subject, "system:serviceaccount:default:builder");
        assert_eq!(verified.issuer, LEGACY_ISSUER);
        assert_eq!((verified.pod_name, verified.expires_at), (None, None));
    }

    #[test]
    fn projected_tokens_carry_the_pod_and_win_over_legacy_claims() {
        let signer = signer();
        let mut claims = projected_claims(NOW + 600);
        claims["kubernetes.io"]["pod"] = json!({"name": "api-7d9f-abcde", "uid": "pod-uid-1"});
        claims["kubernetes.io"]["node"] = json!({"name": "node-1", "uid": "node-uid-1"});
        claims["kubernetes.io/serviceaccount/namespace"] = json!("ignored");
        let jwt = signer.sign_claims(&claims).unwrap();
        let verified = verify(jwt.expose_secret(), &[signer.public_key_pem()]).unwrap();
        assert_eq!(verified.namespace, "payments");
        assert_eq!(verified.pod_name.as_deref(), Some("api-7d9f-abcde"));
        assert_eq!(verified.pod_uid.as_deref(), Some("pod-uid-1"));
    }

    #[test]
    fn tokens_must_name_the_service_account() {
        let signer = signer();
        let keys = [signer.public_key_pem()];
        let mut no_uid = projected_claims(NOW + 60);
        no_uid["kubernetes.io"]["serviceaccount"].as_object_mut().unwrap().remove("uid");
        let jwt = signer.sign_claims(&no_uid).unwrap();
        assert_eq!(verify(jwt.expose_secret(), &keys).unwrap_err(), "could not parse UID from claims");

        let jwt = signer.sign_claims(&json!({"sub": "someone", "exp": NOW + 60})).unwrap();
        assert!(verify(jwt.expose_secret(), &keys).unwrap_err().contains("namespace"));
    }

    #[test]
    fn rsa_tokens_verify_with_either_rsa_key_form() {
        let key = EncodingKey::from_rsa_pem(RSA_PRIVATE_KEY.as_bytes()).unwrap();
        for algorithm in [Algorithm::RS256, Algorithm::RS512, Algorithm::PS256] {
            let jwt = sign_with(algorithm, &key, &projected_claims(NOW + 60));
            for public in [RSA_PUBLIC_KEY, RSA_PUBLIC_KEY_PKCS1] {
                let verified = verify(&jwt, &[public.to_owned()]).unwrap_or_else(|e| panic!("{algorithm:?}: {e}"));
                assert_eq!(verified.service_account_uid, "uid-1");
            }
        }
    }

    #[test]
    fn es384_tokens_and_certificate_keys_verify() {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let key = EncodingKey::from_ec_der(key_pair.serialized_der());
        let jwt = sign_with(Algorithm::ES384, &key, &projected_claims(NOW + 60));
        assert!(verify(&jwt, &[key_pair.public_key_pem()]).is_ok());
        // A P-256 key of the same family does not match an ES384 token.
        assert!(verify(&jwt, &[signer().public_key_pem()]).is_err());

        // pem_keys may hold a certificate instead of a bare key.
        let certificate = rcgen::CertificateParams::new(vec!["sa-signer.test".to_owned()])
            .unwrap()
            .self_signed(&key_pair)
            .unwrap()
            .pem();
        assert!(verify(&jwt, &[certificate]).is_ok());
    }

    #[test]
    fn malformed_input_is_refused_clearly() {
        let keys = [signer().public_key_pem()];
        assert_eq!(verify("not-a-jwt", &keys).unwrap_err(), "malformed JWT: expected three dot-separated parts");
        assert!(verify("a.b.c.d", &keys).unwrap_err().starts_with("malformed JWT"));
        assert!(verify("%%%.e30.c2ln", &keys).unwrap_err().contains("header is not base64url"));
        let header = encode_part(&json!({"alg": "ES256"}));
        assert!(verify(&format!("{header}.e30."), &keys).unwrap_err().contains("token must be signed"));

        let jwt = token(&signer());
        assert!(verify(&jwt, &[]).unwrap_err().contains("no pem_keys"));
        let err =
            verify(&jwt, &["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_owned()]).unwrap_err();
        assert!(err.starts_with("pem_keys entry 0: "), "{err}");

        // A signed payload that is not an object.
        let signer = signer();
        let jwt = signer.sign_claims(&json!(["not", "an", "object"])).unwrap();
        assert!(verify(jwt.expose_secret(), &[signer.public_key_pem()]).unwrap_err().contains("not a JSON object"));
    }
}
