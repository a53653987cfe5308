//! What endpoint handlers return before the router turns it into a
//! [`VaultReply`]: an envelope, a raw body, or Vault's error shape.

use serde_json::{Map, Value, json};

use super::params::Params;
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

    /// 404 `unsupported path`: what Vault answers when a path parameter
    /// (a role name) ends in a period, as the API overview documents.
    pub(crate) fn unsupported_path() -> Self {
        Self::new(404, "unsupported path")
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

    /// Pages a list answer by the documented `after` (keys sorting after it)
    /// and `limit` (at most that many; 0 is all) parameters. `key_info`
    /// follows `keys`; an empty page is Vault's 404 for an empty list.
    pub(crate) fn paginate(self, params: &Params) -> ApiResult {
        let after = params.str("after").filter(|a| !a.is_empty());
        let limit = params.i64("limit")?.filter(|l| *l > 0).map(|l| l as usize);
        if after.is_none() && limit.is_none() {
            return Ok(self);
        }
        let Outcome::Envelope(mut envelope) = self else { return Ok(self) };
        let Some(Value::Object(data)) = &mut envelope.data else { return Ok(Outcome::Envelope(envelope)) };
        let Some(Value::Array(keys)) = data.get("keys") else { return Ok(Outcome::Envelope(envelope)) };
        let mut keys: Vec<String> = keys.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect();
        keys.sort();
        if let Some(after) = &after {
            keys.retain(|key| key > after);
        }
        keys.truncate(limit.unwrap_or(usize::MAX));
        if keys.is_empty() {
            return Err(ApiError::not_found());
        }
        if let Some(Value::Object(info)) = data.get_mut("key_info") {
            info.retain(|key, _| keys.contains(key));
        }
        data.insert("keys".into(), json!(keys));
        Ok(Outcome::Envelope(envelope))
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
