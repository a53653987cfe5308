//! Authentication: every request carries `Authorization: Bearer <JWT>`,
//! verified against the keys of the issuer it names.
//!
//! Kubernetes service-account tokens are JWTs too: configure the cluster's
//! issuer and its keys (its JWKS, or the PEM keys of `kube-apiserver
//! --service-account-key-file`) and an in-cluster controller needs no other
//! credential.

mod cache;
mod claims;
mod jwk;
mod keys;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, Validation};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use self::cache::TokenCache;
pub use self::claims::Identity;
use self::keys::{KeySet, Source};
use crate::error::{Error, Result};

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The `auth` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The issuers whose tokens are accepted.
    pub issuers: Vec<IssuerConfig>,
    /// Accepted signature algorithms. Default: every asymmetric one (RS256,
    /// RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA); `none` and
    /// HMAC (HS*) are never accepted.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<Algorithm>,
    /// Seconds of clock skew allowed on `exp` and `nbf`. Default 30.
    #[serde(default = "default_leeway")]
    pub leeway: u64,
    /// The claim naming the caller. Default `sub`.
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// The claim listing the caller's groups. Default `groups`.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Seconds between two fetches of an issuer's JWKS caused by unknown
    /// `kid`s. Default 10.
    #[serde(default = "default_min_refresh")]
    pub jwks_min_refresh_interval: u64,
    /// Seconds a fetched JWKS is used before it is fetched again. Default 3600.
    #[serde(default = "default_cache_ttl")]
    pub jwks_cache_ttl: u64,
    /// Seconds a verified token is remembered (by its hash, until its `exp`
    /// at the latest), so a reused token is not verified again. 0 turns it
    /// off. Default 60.
    #[serde(default = "default_token_cache_ttl")]
    pub token_cache_ttl: u64,
}

/// One trusted issuer and where its keys are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact `iss` its tokens carry.
    pub issuer: String,
    /// `aud` values accepted; a token must carry at least one.
    pub audiences: Vec<String>,
    /// A JWKS file.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL (https, or http on loopback).
    #[serde(default)]
    pub jwks_url: Option<Url>,
    /// PEM CA certificates to trust for `jwks_url` instead of the system's.
    #[serde(default)]
    pub jwks_ca_file: Option<PathBuf>,
    /// A file whose content is sent as a bearer token to `jwks_url`.
    #[serde(default)]
    pub jwks_bearer_token_file: Option<PathBuf>,
    /// PEM public keys (SPKI), e.g. a cluster's service-account keys.
    #[serde(default)]
    pub pem_keys: Vec<String>,
    /// Overrides `auth.subject_claim` for this issuer.
    #[serde(default)]
    pub subject_claim: Option<String>,
    /// Overrides `auth.groups_claim` for this issuer.
    #[serde(default)]
    pub groups_claim: Option<String>,
}

fn default_algorithms() -> Vec<Algorithm> {
    use Algorithm::*;
    vec![RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA]
}
fn default_leeway() -> u64 {
    30
}
fn default_subject_claim() -> String {
    "sub".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_min_refresh() -> u64 {
    10
}
fn default_cache_ttl() -> u64 {
    3600
}
fn default_token_cache_ttl() -> u64 {
    60
}

struct Issuer {
    keys: KeySet,
    /// One validation per accepted algorithm: jsonwebtoken wants every
    /// algorithm of a validation to be of the key's family.
    validations: Vec<(Algorithm, Validation)>,
    subject_claim: String,
    groups_claim: String,
}

/// Verifies bearer tokens and says who they name.
pub struct Verifier {
    issuers: HashMap<String, Issuer>,
    algorithms: Vec<Algorithm>,
    leeway: u64,
    verified: TokenCache,
}

impl Verifier {
    /// Checks `config` and loads every issuer's keys.
    pub async fn new(config: &AuthConfig) -> Result<Self> {
        check(config)?;
        let mut issuers = HashMap::new();
        for (index, issuer) in config.issuers.iter().enumerate() {
            let field = format!("auth.issuers[{index}]");
            let built = build_issuer(config, issuer, &field)?;
            built.keys.load(&field).await?;
            issuers.insert(issuer.issuer.clone(), built);
        }
        Ok(Self {
            issuers,
            algorithms: config.algorithms.clone(),
            leeway: config.leeway,
            verified: TokenCache::new(Duration::from_secs(config.token_cache_ttl)),
        })
    }

    /// Verifies `token` (signature, algorithm, `iss`, `aud`, `exp`, `nbf`)
    /// and returns who it names; [`Error::Unauthenticated`] says why not.
    pub async fn verify(&self, token: &str) -> Result<Identity> {
        let refuse = |why: String| Error::Unauthenticated(why);
        if token.len() > MAX_TOKEN_LEN {
            return Err(refuse(format!("the token is longer than {MAX_TOKEN_LEN} bytes")));
        }
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(identity) = self.verified.get(token, now) {
            return Ok(identity);
        }
        let (alg, kid, iss) = peek(token).map_err(refuse)?;
        let alg = self.accepted(&alg).ok_or_else(|| refuse(format!("the algorithm {alg:?} is not accepted")))?;
        let issuer = self.issuers.get(&iss).ok_or_else(|| refuse(format!("the issuer {iss:?} is not trusted")))?;
        if issuer.keys.is_stale() {
            issuer.keys.refresh().await;
        }
        let mut candidates = issuer.keys.candidates(kid.as_deref(), alg);
        if candidates.is_empty() && issuer.keys.refresh().await {
            candidates = issuer.keys.candidates(kid.as_deref(), alg);
        }
        if candidates.is_empty() {
            return Err(refuse(match kid {
                Some(kid) => format!("no key {kid:?} of issuer {iss:?} verifies {alg:?} tokens (unknown kid)"),
                None => format!("no key of issuer {iss:?} verifies {alg:?} tokens"),
            }));
        }
        let validation = issuer
            .validations
            .iter()
            .find_map(|(accepted, validation)| (*accepted == alg).then_some(validation))
            .ok_or_else(|| refuse(format!("the algorithm {alg:?} is not accepted")))?;
        for key in &candidates {
            match jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key.decoding, validation) {
                Ok(data) => {
                    let identity =
                        Identity::from_claims(&iss, &data.claims, &issuer.subject_claim, &issuer.groups_claim)
                            .map_err(refuse)?;
                    if let Some(exp) = data.claims.get("exp").and_then(Value::as_f64) {
                        self.verified.insert(token, &identity, (exp as u64).saturating_add(self.leeway), now);
                    }
                    return Ok(identity);
                }
                Err(error) if matches!(error.kind(), ErrorKind::InvalidSignature) => continue,
                Err(error) => return Err(refuse(reason(error.kind()))),
            }
        }
        Err(refuse("the signature does not verify".into()))
    }

    fn accepted(&self, alg: &str) -> Option<Algorithm> {
        self.algorithms.iter().copied().find(|candidate| format!("{candidate:?}") == alg)
    }
}

/// Checks what can be checked of `config` without reading keys.
pub fn check(config: &AuthConfig) -> Result<()> {
    if config.issuers.is_empty() {
        return Err(Error::config("auth.issuers", "is empty: no token could ever be accepted"));
    }
    if config.algorithms.is_empty() {
        return Err(Error::config("auth.algorithms", "is empty"));
    }
    if let Some(alg) = config.algorithms.iter().find(|alg| jwk::alg_family(**alg) == AlgorithmFamily::Hmac) {
        return Err(Error::config("auth.algorithms", format!("{alg:?}: shared-secret algorithms are not accepted")));
    }
    for (index, issuer) in config.issuers.iter().enumerate() {
        let field = format!("auth.issuers[{index}]");
        if issuer.issuer.is_empty() {
            return Err(Error::config(format!("{field}.issuer"), "is empty"));
        }
        if config.issuers[..index].iter().any(|earlier| earlier.issuer == issuer.issuer) {
            return Err(Error::config(format!("{field}.issuer"), "is listed twice"));
        }
        if issuer.audiences.is_empty() {
            return Err(Error::config(
                format!("{field}.audiences"),
                "is empty: name the audience tokens for this service carry, so tokens for other services are refused",
            ));
        }
        match (&issuer.jwks_file, &issuer.jwks_url) {
            (Some(_), Some(_)) => return Err(Error::config(field, "set jwks_file or jwks_url, not both")),
            (None, None) if issuer.pem_keys.is_empty() => {
                return Err(Error::config(field, "has no keys: set jwks_file, jwks_url or pem_keys"));
            }
            _ => {}
        }
        for (key, pem) in issuer.pem_keys.iter().enumerate() {
            jwk::parse_pem(pem).map_err(|why| Error::config(format!("{field}.pem_keys[{key}]"), why))?;
        }
    }
    Ok(())
}

fn build_issuer(config: &AuthConfig, issuer: &IssuerConfig, field: &str) -> Result<Issuer> {
    let source = match (&issuer.jwks_file, &issuer.jwks_url) {
        (Some(path), _) => Some(Source::File(path.clone())),
        (None, Some(url)) => Some(Source::Url {
            url: url.clone(),
            http: jwks_client(issuer.jwks_ca_file.as_ref(), field)?,
            bearer_token_file: issuer.jwks_bearer_token_file.clone(),
        }),
        (None, None) => None,
    };
    let keys = KeySet::new(
        &issuer.issuer,
        &issuer.pem_keys,
        source,
        Duration::from_secs(config.jwks_min_refresh_interval),
        Duration::from_secs(config.jwks_cache_ttl.max(1)),
        field,
    )?;
    let validations = config
        .algorithms
        .iter()
        .map(|alg| {
            let mut validation = Validation::new(*alg);
            validation.leeway = config.leeway;
            validation.validate_exp = true;
            validation.validate_nbf = true;
            validation.set_issuer(&[&issuer.issuer]);
            validation.set_audience(&issuer.audiences);
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            (*alg, validation)
        })
        .collect();
    Ok(Issuer {
        keys,
        validations,
        subject_claim: issuer.subject_claim.clone().unwrap_or_else(|| config.subject_claim.clone()),
        groups_claim: issuer.groups_claim.clone().unwrap_or_else(|| config.groups_claim.clone()),
    })
}

fn jwks_client(ca_file: Option<&PathBuf>, field: &str) -> Result<reqwest::Client> {
    let mut builder =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).redirect(reqwest::redirect::Policy::limited(3));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| Error::config(format!("{field}.jwks_ca_file"), format!("{}: {e}", path.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|_| Error::config(format!("{field}.jwks_ca_file"), "expected PEM certificates"))?;
        builder = builder.tls_certs_only(certs);
    }
    builder.build().map_err(|e| Error::config(format!("{field}.jwks_url"), format!("HTTP client: {e}")))
}

/// The header's `alg` and `kid` and the payload's `iss`, before any
/// verification: they only choose which keys and checks apply.
fn peek(token: &str) -> std::result::Result<(String, Option<String>, String), String> {
    let malformed = || "the token is not a JWT (header.payload.signature)".to_owned();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    let decode = |part: &str| -> Option<Value> { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok() };
    let header = decode(header).ok_or_else(malformed)?;
    let payload = decode(payload).ok_or_else(malformed)?;
    let alg = header.get("alg").and_then(Value::as_str).ok_or("the token's header names no algorithm")?;
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    let iss = payload.get("iss").and_then(Value::as_str).ok_or("the token has no iss claim")?;
    Ok((alg.to_owned(), kid, iss.to_owned()))
}

fn reason(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        ErrorKind::InvalidAudience => "the token is for another audience".into(),
        ErrorKind::InvalidIssuer => "the token's issuer is not trusted".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("the token's {claim} claim is malformed"),
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not match the key".into(),
        _ => "the token is invalid".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_reads_alg_kid_and_iss_without_trusting_them() {
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let token = format!(
            "{}.{}.sig",
            part(serde_json::json!({"alg": "none", "kid": "k"})),
            part(serde_json::json!({"iss": "me"}))
        );
        assert_eq!(peek(&token).unwrap(), ("none".into(), Some("k".into()), "me".into()));
        assert!(peek("a.b").is_err());
        assert!(peek("a.b.c.d").is_err());
        assert!(
            peek(&format!("{}.{}.", part(serde_json::json!({"alg": "RS256"})), part(serde_json::json!({}))))
                .unwrap_err()
                .contains("no iss")
        );
    }
}
