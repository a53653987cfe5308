//! Reading one SecretID delivery off an HTTP request: the content type, the
//! size limit, and the JSON shape, with messages that never quote the body.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use qsec_core::delivery::{MAX_DELIVERY_BYTES, SecretIdDelivery};
use serde_json::Value;

/// How long a client may take to send its body: a stalled one does not get
/// to hold a connection open for the whole wait.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a delivery was not even looked at. Messages describe the request's
/// shape only; the body may hold a SecretID, so none of it is ever quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 400: wrong content type, not JSON, or not the documented shape.
    BadRequest(String),
    /// 413: more than [`MAX_DELIVERY_BYTES`].
    TooLarge,
    /// 408: the body did not arrive within [`BODY_TIMEOUT`].
    Timeout,
}

impl Rejection {
    /// The HTTP status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The message for the `{"error": ...}` body.
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest(message) => message.clone(),
            Self::TooLarge => format!("the body is larger than {MAX_DELIVERY_BYTES} bytes"),
            Self::Timeout => format!("the body did not arrive within {}s", BODY_TIMEOUT.as_secs()),
        }
    }
}

/// Reads and parses the delivery in `body`, after checking `headers`.
pub async fn read(headers: &HeaderMap, body: Body) -> Result<SecretIdDelivery, Rejection> {
    check_content_type(headers)?;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_DELIVERY_BYTES as u64) {
        return Err(Rejection::TooLarge);
    }
    let bytes = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_DELIVERY_BYTES))
        .await
        .map_err(|_| Rejection::Timeout)?
        // Past the limit or a broken stream: either way the body is unusable,
        // and a body without Content-Length is only cut short by the limit.
        .map_err(|_| Rejection::TooLarge)?;
    parse(&bytes)
}

/// Parses a delivery body: exactly one of `{"secret_id": "..."}` or
/// `{"wrapped_secret_id": "..."}`, a non-empty string, nothing else.
///
/// ```
/// use qsec_init::delivery::{parse, Rejection};
///
/// assert!(parse(br#"{"wrapped_secret_id": "hvs.CAES"}"#).is_ok());
/// assert!(matches!(parse(br#"{"secret_id": 42}"#), Err(Rejection::BadRequest(_))));
/// ```
pub fn parse(body: &[u8]) -> Result<SecretIdDelivery, Rejection> {
    const SHAPE: &str = r#"expected exactly one field: {"secret_id": "..."} or {"wrapped_secret_id": "..."}"#;
    let bad = |message: String| Rejection::BadRequest(message);
    // serde's own messages can quote the offending value, which may be the
    // SecretID: only the position of a syntax error is reported.
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        bad(format!("the body is not valid JSON (line {}, column {})", error.line(), error.column()))
    })?;
    let Value::Object(fields) = &value else {
        return Err(bad(format!("the body is not a JSON object; {SHAPE}")));
    };
    let known = ["secret_id", "wrapped_secret_id"];
    if fields.keys().any(|key| !known.contains(&key.as_str())) {
        return Err(bad(format!("the body has an unknown field; {SHAPE}")));
    }
    match fields.len() {
        0 => return Err(bad(format!("the body has no secret_id or wrapped_secret_id field; {SHAPE}"))),
        1 => {}
        _ => return Err(bad(format!("the body has both fields; {SHAPE}"))),
    }
    let (name, field) = fields.iter().next().expect("one field");
    match field.as_str() {
        Some(text) if !text.trim().is_empty() => {}
        Some(_) => return Err(bad(format!("{name} is empty"))),
        None => return Err(bad(format!("{name} must be a string"))),
    }
    serde_json::from_value(value).map_err(|_| bad(SHAPE.to_owned()))
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else if content_type.is_empty() {
        Err(Rejection::BadRequest("the Content-Type must be application/json; none was sent".into()))
    } else {
        Err(Rejection::BadRequest(format!(
            "the Content-Type must be application/json, not {:?}",
            essence.chars().take(64).collect::<String>()
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn message(body: &str) -> String {
        match parse(body.as_bytes()) {
            Err(Rejection::BadRequest(message)) => message,
            other => panic!("{body} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn accepts_the_two_documented_shapes() {
        let plain = parse(br#"{"secret_id": "s-1"}"#).unwrap();
        assert!(matches!(plain, SecretIdDelivery::Plain { secret_id } if secret_id.expose_secret() == "s-1"));
        let wrapped = parse(br#" {"wrapped_secret_id":"hvs.w"} "#).unwrap();
        assert!(
            matches!(wrapped, SecretIdDelivery::Wrapped { wrapped_secret_id } if wrapped_secret_id.expose_secret() == "hvs.w")
        );
    }

    #[test]
    fn refuses_everything_else_without_quoting_the_body() {
        let secret = "very-secret-value";
        let cases = [
            (format!(r#"{{"secret_id": "{secret}""#), "not valid JSON"),
            (format!(r#"["{secret}"]"#), "not a JSON object"),
            ("{}".to_owned(), "no secret_id or wrapped_secret_id"),
            (format!(r#"{{"secret": "{secret}"}}"#), "unknown field"),
            (format!(r#"{{"secret_id": "{secret}", "extra": 1}}"#), "unknown field"),
            (format!(r#"{{"secret_id": "{secret}", "wrapped_secret_id": "{secret}"}}"#), "both fields"),
            (r#"{"secret_id": 1234567}"#.to_owned(), "secret_id must be a string"),
            (r#"{"wrapped_secret_id": " "}"#.to_owned(), "wrapped_secret_id is empty"),
        ];
        for (body, expected) in cases {
            let message = message(&body);
            assert!(message.contains(expected), "{body}: {message}");
            assert!(!message.contains(secret) && !message.contains("1234567"), "{message}");
        }
    }

    #[test]
    fn only_json_content_is_read() {
        let mut headers = HeaderMap::new();
        assert!(check_content_type(&headers).unwrap_err().message().contains("none was sent"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(check_content_type(&headers).unwrap_err().message().contains("not \"text/plain\""));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("Application/JSON; charset=utf-8"));
        assert!(check_content_type(&headers).is_ok());
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_too_large_with_or_without_a_length() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let big = format!(r#"{{"secret_id": "{}"}}"#, "x".repeat(MAX_DELIVERY_BYTES));
        assert_eq!(read(&headers, Body::from(big.clone())).await.unwrap_err(), Rejection::TooLarge);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(big.len()));
        let rejection = read(&headers, Body::empty()).await.unwrap_err();
        assert_eq!(
            (rejection.status(), rejection.message()),
            (StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {MAX_DELIVERY_BYTES} bytes"))
        );
    }
}
