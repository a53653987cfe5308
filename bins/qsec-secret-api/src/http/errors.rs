//! JSON answers: the error body every failure gets, and success bodies.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::Error;

/// The header carrying the request's id, in and out.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// `{"error": CODE, "message": ..., "status": N, "request_id": ..., "rule": ...}`;
/// `rule` only on 400s.
pub(crate) fn error_response(error: &Error, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({
        "error": error.code(),
        "message": error.to_string(),
        "status": status.as_u16(),
        "request_id": request_id,
    });
    if let Some(rule) = error.rule() {
        body["rule"] = Value::from(rule);
    }
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    with_request_id(response, request_id)
}

/// A 200 with `body` as JSON.
pub(crate) fn ok_response(body: Value, request_id: &str) -> Response {
    with_request_id((StatusCode::OK, Json(body)).into_response(), request_id)
}

/// A JSON error for requests that reach no endpoint.
pub(crate) fn plain_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message, "status": status.as_u16() }))).into_response()
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
