//! What endpoint handlers return before the router turns it into a
//! [`VaultReply`]: an envelope, a raw body, or Vault's error shape.

use serde_json::{Map, Value, json};

use super::request::{RawBody, VaultReply};

/// An error answer: Vault's status and `errors` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) errors: Vec<String>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        Self { status, errors: vec![message.into()] }
    }

    /// 400: missing or invalid data.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 403 `permission denied`.
    pub(crate) fn permission_denied() -> Self {
        Self::new(403, "permission denied")
    }

    /// 404 with an empty `errors` list: Vault's "nothing here".
    pub(crate) fn not_found() -> Self {
        Self { status: 404, errors: Vec::new() }
    }

    /// 404 for a path no engine serves.
    pub(crate) fn no_route(path: &str) -> Self {
        Self::new(404, format!("no handler for route \"{path}\". route entry not found."))
    }

    /// 405: the path exists but not for this method.
    pub(crate) fn unsupported_operation() -> Self {
        Self::new(405, "unsupported operation")
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    pub(crate) fn into_reply(self) -> VaultReply {
        VaultReply::error(self.status, self.errors)
    }
}

/// The result every handler returns.
pub(crate) type ApiResult<T = Outcome> = Result<T, ApiError>;

/// Vault's response envelope, before it gets a request id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Envelope {
    pub(crate) data: Option<Value>,
    pub(crate) auth: Option<Value>,
    pub(crate) lease_id: String,
    pub(crate) lease_duration: u64,
    pub(crate) renewable: bool,
    pub(crate) warnings: Vec<String>,
    /// The HTTP status; 200 unless a handler says otherwise (kv v2 answers
    /// 404 with metadata for a deleted version).
    pub(crate) status: u16,
}

impl Envelope {
    pub(crate) fn data(data: Value) -> Self {
        Self { data: Some(data), status: 200, ..Self::default() }
    }

    pub(crate) fn auth(auth: Value) -> Self {
        Self { auth: Some(auth), status: 200, ..Self::default() }
    }

    pub(crate) fn with_warning(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }

    pub(crate) fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings.extend(warnings);
        self
    }

    /// The envelope as Vault sends it. `merge_data` copies `data`'s keys to
    /// the top level too, as Vault does for `sys/` endpoints.
    pub(crate) fn to_json(&self, request_id: &str, merge_data: bool) -> Value {
        let mut body = Map::new();
        if merge_data && let Some(Value::Object(data)) = &self.data {
            for (key, value) in data {
                body.insert(key.clone(), value.clone());
            }
        }
        body.insert("request_id".into(), json!(request_id));
        body.insert("lease_id".into(), json!(self.lease_id));
        body.insert("renewable".into(), json!(self.renewable));
        body.insert("lease_duration".into(), json!(self.lease_duration));
        body.insert("data".into(), self.data.clone().unwrap_or(Value::Null));
        body.insert("wrap_info".into(), Value::Null);
        body.insert("warnings".into(), if self.warnings.is_empty() { Value::Null } else { json!(self.warnings) });
        body.insert("auth".into(), self.auth.clone().unwrap_or(Value::Null));
        Value::Object(body)
    }
}

/// What a handler answers.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// `204 No Content`.
    NoContent,
    /// A full envelope.
    Envelope(Envelope),
    /// A JSON body that is not an envelope (`sys/health`, an unwrapped
    /// response as it was stored), with its status.
    Json(u16, Value),
    /// A non-JSON body.
    Raw(RawBody),
}

impl Outcome {
    pub(crate) fn data(data: Value) -> Self {
        Self::Envelope(Envelope::data(data))
    }

    pub(crate) fn keys(mut keys: Vec<String>) -> ApiResult {
        if keys.is_empty() {
            return Err(ApiError::not_found());
        }
        keys.sort();
        keys.dedup();
        Ok(Self::data(json!({ "keys": keys })))
    }
}
