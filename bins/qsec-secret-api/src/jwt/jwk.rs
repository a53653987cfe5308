//! Turning a JWKS document or PEM public keys into verification keys.
//!
//! Keys that cannot verify signatures here are skipped rather than failing
//! the whole set: symmetric (`oct`) keys, encryption keys (`use: enc`) and
//! key types or curves the crypto does not support. An identity provider
//! may publish such keys next to the ones that sign our tokens.

use std::str::FromStr;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::Value;

/// One public key that may verify tokens.
#[derive(Clone, Debug)]
pub(crate) struct VerificationKey {
    /// The JWK's `kid`; PEM keys have none.
    pub(crate) kid: Option<String>,
    /// The JWK's `alg`, when it pins one.
    pub(crate) alg: Option<Algorithm>,
    /// What kind of algorithm it serves (RSA, EC, EdDSA).
    pub(crate) family: AlgorithmFamily,
    /// The key itself.
    pub(crate) decoding: DecodingKey,
}

impl VerificationKey {
    /// Whether this key may verify a token signed with `alg` and naming `kid`.
    /// A token without `kid` may be verified by any key of the right kind.
    pub(crate) fn fits(&self, kid: Option<&str>, alg: Algorithm) -> bool {
        let kid_ok = match kid {
            Some(kid) => self.kid.as_deref() == Some(kid),
            None => true,
        };
        kid_ok && alg_family(alg) == self.family && self.alg.is_none_or(|pinned| pinned == alg)
    }
}

/// The family of an algorithm.
pub(crate) fn alg_family(alg: Algorithm) -> AlgorithmFamily {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => AlgorithmFamily::Hmac,
        Algorithm::ES256 | Algorithm::ES384 => AlgorithmFamily::Ec,
        Algorithm::EdDSA => AlgorithmFamily::Ed,
        _ => AlgorithmFamily::Rsa,
    }
}

/// The keys of a JWKS document (`{"keys": [...]}`, or one bare JWK).
/// Returns the keys and a note for each one skipped.
pub(crate) fn parse_jwks(text: &str) -> Result<(Vec<VerificationKey>, Vec<String>), String> {
    let document: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let entries = match (&document["keys"], document.get("kty")) {
        (Value::Array(keys), _) => keys.clone(),
        (_, Some(_)) => vec![document.clone()],
        _ => return Err("expected a JWKS document: {\"keys\": [ ...JWKs... ]}".into()),
    };
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        match parse_jwk(entry) {
            Ok(key) => keys.push(key),
            Err(why) => skipped.push(format!("key {index}: {why}")),
        }
    }
    Ok((keys, skipped))
}

fn parse_jwk(entry: Value) -> Result<VerificationKey, String> {
    let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
    if text("use").is_some_and(|usage| usage != "sig") {
        return Err("not a signing key (use is not \"sig\")".into());
    }
    if text("kty").as_deref() == Some("oct") {
        return Err("symmetric keys are not accepted".into());
    }
    let alg = match text("alg") {
        Some(name) => Some(Algorithm::from_str(&name).map_err(|_| format!("algorithm {name:?} is not for signing"))?),
        None => None,
    };
    let kid = text("kid");
    let jwk: Jwk = serde_json::from_value(entry).map_err(|e| format!("unsupported JWK: {e}"))?;
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable JWK: {e}"))?;
    let family = decoding.family();
    if family == AlgorithmFamily::Hmac {
        return Err("symmetric keys are not accepted".into());
    }
    if alg.is_some_and(|alg| alg_family(alg) != family) {
        return Err("its alg does not match its key type".into());
    }
    Ok(VerificationKey { kid, alg, family, decoding })
}

/// A PEM public key: SPKI (`PUBLIC KEY`) RSA, EC or Ed25519, or PKCS#1
/// (`RSA PUBLIC KEY`).
pub(crate) fn parse_pem(pem: &str) -> Result<VerificationKey, String> {
    let bytes = pem.trim().as_bytes();
    let decoding = DecodingKey::from_rsa_pem(bytes)
        .or_else(|_| DecodingKey::from_ec_pem(bytes))
        .or_else(|_| DecodingKey::from_ed_pem(bytes))
        .map_err(|_| "expected a PEM public key (-----BEGIN PUBLIC KEY-----) of type RSA, EC or Ed25519")?;
    Ok(VerificationKey { kid: None, alg: None, family: decoding.family(), decoding })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_JWK: &str = r#"{"kty":"RSA","kid":"r1","alg":"RS256","use":"sig","e":"AQAB",
        "n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}"#;

    #[test]
    fn keeps_signing_keys_and_skips_the_rest() {
        let jwks = format!(
            r#"{{"keys":[{RSA_JWK},{{"kty":"oct","k":"c2VjcmV0"}},{{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}}]}}"#
        );
        let (keys, skipped) = parse_jwks(&jwks).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        let key = &keys[0];
        assert!(key.fits(Some("r1"), Algorithm::RS256));
        assert!(key.fits(None, Algorithm::RS256));
        assert!(!key.fits(Some("other"), Algorithm::RS256));
        assert!(!key.fits(Some("r1"), Algorithm::RS384), "the JWK pins RS256");
        assert!(!key.fits(Some("r1"), Algorithm::ES256));
    }

    #[test]
    fn rejects_documents_that_are_not_jwks() {
        assert!(parse_jwks("[]").unwrap_err().contains("JWKS"));
        assert!(parse_jwks("nope").unwrap_err().contains("not JSON"));
        assert!(parse_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }
}
