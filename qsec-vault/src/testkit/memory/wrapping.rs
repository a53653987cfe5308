//! Response wrapping: single-use wrapping tokens holding a response, and
//! `sys/wrapping/{lookup,unwrap,wrap,rewrap}`.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{after, random_base62, rfc3339, uuid};
use super::request::Method;
use super::router::Call;
use super::state::State;

const INVALID: &str = "wrapping token is not valid or does not exist";

/// A wrapping token and the response it holds.
#[derive(Debug, Clone)]
struct Wrapped {
    accessor: String,
    ttl: u64,
    creation: SystemTime,
    creation_path: String,
    wrapped_accessor: String,
    /// The response as it would have been sent, envelope and all.
    response: Value,
}

/// Every live wrapping token.
#[derive(Debug, Default)]
pub(crate) struct WrapStore {
    by_token: HashMap<String, Wrapped>,
    /// No wrapping token expires before this: every request expires what is
    /// due, and scanning thousands of tokens each time made that quadratic.
    next_expiry: Option<SystemTime>,
}

impl WrapStore {
    /// Stores `response` behind a new wrapping token; answers `wrap_info`.
    pub(crate) fn wrap(
        &mut self,
        response: Value,
        ttl: u64,
        creation_path: &str,
        wrapped_accessor: &str,
        now: SystemTime,
    ) -> Value {
        let token = format!("s.{}", random_base62(24));
        let wrapped = Wrapped {
            accessor: random_base62(24),
            ttl,
            creation: now,
            creation_path: creation_path.into(),
            wrapped_accessor: wrapped_accessor.into(),
            response,
        };
        let info = wrap_info(&token, &wrapped);
        let due = after(now, ttl);
        self.next_expiry = Some(self.next_expiry.map_or(due, |next| next.min(due)));
        self.by_token.insert(token, wrapped);
        info
    }

    /// Whether `token` is a wrapping token that can still be used.
    pub(crate) fn is_live(&self, token: &str) -> bool {
        self.by_token.contains_key(token)
    }

    pub(crate) fn expire(&mut self, now: SystemTime) {
        if self.next_expiry.is_none_or(|due| due > now) {
            return;
        }
        self.by_token.retain(|_, wrapped| after(wrapped.creation, wrapped.ttl) > now);
        self.next_expiry = self.by_token.values().map(|wrapped| after(wrapped.creation, wrapped.ttl)).min();
    }

    /// How many wrapping tokens are live.
    pub(crate) fn len(&self) -> usize {
        self.by_token.len()
    }
}

fn wrap_info(token: &str, wrapped: &Wrapped) -> Value {
    let mut info = json!({
        "token": token,
        "accessor": wrapped.accessor,
        "ttl": wrapped.ttl,
        "creation_time": rfc3339(wrapped.creation),
        "creation_path": wrapped.creation_path,
    });
    if !wrapped.wrapped_accessor.is_empty() {
        info["wrapped_accessor"] = json!(wrapped.wrapped_accessor);
    }
    info
}

/// The wrapping token a call is about: the `token` parameter, else the
/// client token when that is a wrapping token.
fn wrapping_token_of(call: &Call, header: Option<&str>) -> ApiResult<String> {
    call.params
        .str("token")
        .filter(|t| !t.is_empty())
        .or_else(|| header.map(str::to_owned))
        .ok_or_else(|| ApiError::bad_request(INVALID))
}

/// `sys/wrapping/*`; `op` is what follows `sys/wrapping/`.
pub(crate) fn handle(state: &mut State, call: &Call, op: &str) -> ApiResult {
    call.expect(&[Method::Post])?;
    match op {
        "lookup" => {
            let token = wrapping_token_of(call, call.client_token.as_deref())?;
            let wrapped = state.wrapping.by_token.get(&token).ok_or_else(|| ApiError::bad_request(INVALID))?;
            Ok(Outcome::data(json!({
                "creation_path": wrapped.creation_path,
                "creation_time": rfc3339(wrapped.creation),
                "creation_ttl": wrapped.ttl,
            })))
        }
        "unwrap" => {
            if let (Some(header), Some(param)) = (&call.wrapping_token, call.params.str("token"))
                && *header == param
            {
                // The docs' double use: authenticating with the wrapping
                // token uses it up, so the body's token is no longer there.
                state.wrapping.by_token.remove(header);
                return Err(ApiError::bad_request(INVALID));
            }
            let token = unwrap_target(call)?;
            let wrapped = state.wrapping.by_token.remove(&token).ok_or_else(|| ApiError::bad_request(INVALID))?;
            let mut response = wrapped.response;
            response["request_id"] = json!(uuid());
            Ok(Outcome::Json(200, response))
        }
        "rewrap" => {
            let token = unwrap_target(call)?;
            let wrapped = state.wrapping.by_token.remove(&token).ok_or_else(|| ApiError::bad_request(INVALID))?;
            let info = state.wrapping.wrap(
                wrapped.response,
                wrapped.ttl,
                &wrapped.creation_path,
                &wrapped.wrapped_accessor,
                call.now,
            );
            let mut body = Envelope { status: 200, ..Envelope::default() }.to_json(&uuid(), false);
            body["wrap_info"] = info;
            Ok(Outcome::Json(200, body))
        }
        "wrap" => {
            if call.params.0.is_empty() {
                return Err(ApiError::bad_request("empty request body"));
            }
            Ok(Outcome::data(Value::Object(call.params.0.clone())))
        }
        _ => Err(ApiError::no_route(&call.path)),
    }
}

/// The token to unwrap or rewrap: the client token when it is a wrapping
/// token (then a `token` parameter is a double use), else the `token` parameter.
fn unwrap_target(call: &Call) -> ApiResult<String> {
    let param = call.params.str("token").filter(|t| !t.is_empty());
    match (&call.wrapping_token, param) {
        (Some(header), Some(param)) if *header != param => Err(ApiError::bad_request(INVALID)),
        (Some(header), _) => Ok(header.clone()),
        (None, Some(param)) => Ok(param),
        (None, None) => Err(ApiError::bad_request(INVALID)),
    }
}
