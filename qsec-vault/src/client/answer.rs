//! Vault's answers: the body of a successful call read as an envelope or a
//! typed payload, and error answers mapped to [`Error::Vault`].

use qsec_core::VaultResponse;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Enveloped;
use crate::error::{Error, Result};

/// Vault's answer to a successful (or accepted) call.
pub(crate) struct Raw {
    pub(crate) operation: &'static str,
    pub(crate) path: String,
    pub(crate) status: u16,
    /// `None` for 204 and empty bodies.
    pub(crate) body: Option<Value>,
}

impl Raw {
    /// The whole envelope, or `None` when there was no body.
    pub(crate) fn envelope(&self) -> Result<Option<VaultResponse>> {
        let Some(body) = &self.body else { return Ok(None) };
        let mut body = body.clone();
        normalize_warnings(&mut body);
        serde_json::from_value(body).map(Some).map_err(|error| self.decode_error(error))
    }

    /// The envelope; an answer without a body is a [`Error::Decode`].
    pub(crate) fn required_envelope(&self) -> Result<VaultResponse> {
        self.envelope()?.ok_or_else(|| self.decode_error("no response body"))
    }

    /// The payload: `data` when Vault sent one, else the body itself (some
    /// `sys/` endpoints answer at the top level, as their docs show).
    pub(crate) fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        let body = self.body.as_ref().ok_or_else(|| self.decode_error("no response body"))?;
        let payload = match body.get("data") {
            Some(data) if data.is_object() => data,
            _ => body,
        };
        serde_json::from_value(payload.clone()).map_err(|error| self.decode_error(error))
    }

    /// The payload, typed, with the envelope it came in.
    pub(crate) fn enveloped<T: DeserializeOwned>(&self) -> Result<Enveloped<T>> {
        Ok(Enveloped { value: self.payload()?, envelope: self.required_envelope()? })
    }

    /// The `auth` block of a login or token answer.
    pub(crate) fn auth(&self) -> Result<qsec_core::AuthInfo> {
        self.required_envelope()?.auth.ok_or_else(|| self.decode_error("no auth block in the answer"))
    }

    /// A [`Error::Decode`] about this answer.
    pub(crate) fn decode_error(&self, reason: impl std::fmt::Display) -> Error {
        decode_error(self.operation, &self.path, reason)
    }
}

/// A [`Error::Decode`]; the reason is cleared of any value serde quotes.
pub(crate) fn decode_error(operation: &str, path: &str, reason: impl std::fmt::Display) -> Error {
    Error::Decode { operation: operation.to_owned(), path: path.to_owned(), reason: redact_values(&reason.to_string()) }
}

/// serde names the offending value in "invalid type/value" messages, and in
/// a Vault answer that value may be a secret: keep only its kind.
fn redact_values(reason: &str) -> String {
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some(at) = reason.find(marker) {
            let (before, rest) = (&reason[..at], &reason[at + marker.len()..]);
            let kind = rest.split([' ', ',']).next().unwrap_or("value");
            let expected = rest.find(", expected ").map_or("", |at| &rest[at + 2..]);
            return format!("{before}a field has the wrong type ({kind} found; {expected})");
        }
    }
    reason.to_owned()
}

/// Some documented samples send `"warnings": ""`; Vault's type is a list.
fn normalize_warnings(body: &mut Value) {
    if let Some(warnings) = body.get_mut("warnings")
        && let Value::String(text) = warnings
    {
        *warnings = if text.trim().is_empty() { Value::Null } else { Value::Array(vec![Value::String(text.clone())]) };
    }
}

/// Maps an error answer to [`Error::Vault`], keeping Vault's `errors` list.
pub(crate) fn vault_error(operation: &str, path: &str, status: StatusCode, body: Option<&Value>) -> Error {
    let errors = body
        .and_then(|body| body.get("errors"))
        .and_then(Value::as_array)
        .map(|errors| errors.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    Error::Vault { operation: operation.to_owned(), path: path.to_owned(), status: status.as_u16(), errors }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_error_answers_keeping_status_and_errors() {
        let body = serde_json::json!({ "errors": ["permission denied", "second"] });
        let error = vault_error("read", "secret/a", StatusCode::FORBIDDEN, Some(&body));
        assert_eq!(error.to_string(), r#"Vault refused read on "secret/a" with HTTP 403: permission denied; second"#);
        assert!(error.is_permission_denied());
        let error = vault_error("read", "secret/a", StatusCode::NOT_FOUND, None);
        assert!(matches!(&error, Error::Vault { errors, status: 404, .. } if errors.is_empty()));
    }

    #[test]
    fn normalizes_string_warnings() {
        let mut body = serde_json::json!({ "warnings": "" });
        normalize_warnings(&mut body);
        assert_eq!(body["warnings"], Value::Null);
        let mut body = serde_json::json!({ "warnings": "capped" });
        normalize_warnings(&mut body);
        assert_eq!(body["warnings"], serde_json::json!(["capped"]));
    }

    #[test]
    fn payload_prefers_data_and_falls_back_to_the_top_level() {
        let raw = |body| Raw { operation: "op", path: "p".into(), status: 200, body: Some(body) };
        let name: serde_json::Map<String, Value> =
            raw(serde_json::json!({ "data": { "name": "a" } })).payload().unwrap();
        assert_eq!(name["name"], "a");
        let top: serde_json::Map<String, Value> =
            raw(serde_json::json!({ "name": "b", "data": null })).payload().unwrap();
        assert_eq!(top["name"], "b");
    }

    #[test]
    fn decode_errors_never_quote_values() {
        let error = serde_json::from_str::<u64>(r#""s3cr3t""#).unwrap_err();
        let text = decode_error("op", "p", error).to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("string found; expected u64"), "{text}");
        let missing = serde_json::from_str::<Keys>("{}").unwrap_err();
        assert!(decode_error("op", "p", missing).to_string().contains("missing field `keys`"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Keys {
        keys: Vec<String>,
    }
}
