//! The steps every app request goes through, in order: authenticate the
//! bearer token (401), check the app reference and secret name (400),
//! authorise the verb on the app (403), run the operation within the
//! request timeout (404, 413, 503...), and write one audit record whatever
//! happened.

use std::future::Future;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use qsec_core::AppRef;
use serde_json::Value;

use super::AppState;
use super::errors::{REQUEST_ID, error_response, ok_response};
use crate::audit::{AuditRecord, Outcome};
use crate::authz::{Decision, Verb};
use crate::error::{Error, Result};
use crate::jwt::Identity;
use crate::secrets::rules::check_name;

/// What a request names, as it came in (still unchecked).
pub(crate) struct Target {
    /// The three parts of the app reference, or why the path could not be read.
    pub(crate) app: std::result::Result<(String, String, String), String>,
    /// The secret's name, for secret requests.
    pub(crate) secret: Option<String>,
    /// The version the request is about, when it names one.
    pub(crate) version: Option<u64>,
}

/// What an allowed request knows when its operation runs.
pub(crate) struct Ctx {
    /// The caller.
    pub(crate) identity: Identity,
    /// The app, validated.
    pub(crate) app: AppRef,
    /// The secret's name, validated.
    pub(crate) secret: String,
}

/// What an operation did: the answer, and a line for the audit log.
pub(crate) struct Done {
    /// The JSON body of the 200.
    pub(crate) body: Value,
    /// What was done, for the audit log: never a value.
    pub(crate) reason: String,
    /// The version written or read, if any.
    pub(crate) version: Option<u64>,
}

impl AppState {
    /// Runs `operation` for `verb` on `target` after authentication and
    /// authorisation, audits the decision, and answers.
    pub(crate) async fn guarded<F, Fut>(
        &self,
        headers: &HeaderMap,
        verb: Verb,
        target: Target,
        operation: F,
    ) -> Response
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = Result<Done>>,
    {
        let request_id = request_id(headers);
        let mut record = AuditRecord::new(request_id.clone(), verb.as_str());
        record.app = Some(match &target.app {
            Ok((provider, cluster, app)) => shorten(&format!("{provider}.{cluster}.{app}")),
            Err(_) => "(unreadable path)".into(),
        });
        record.secret = target.secret.as_deref().map(shorten);
        record.version = target.version;
        let result = self.run(headers, verb, target, &mut record, operation).await;
        let response = match result {
            Ok(done) => {
                record.outcome = Outcome::Allowed;
                record.status = 200;
                record.reason = done.reason;
                record.version = done.version.or(record.version);
                ok_response(done.body, &request_id)
            }
            Err(error) => {
                record.outcome = match error.status() {
                    401 | 403 => Outcome::Denied,
                    _ => Outcome::Error,
                };
                record.status = error.status();
                record.reason = error.to_string();
                if record.status >= 500 {
                    tracing::warn!(request_id = %request_id, verb = %verb, "request failed: {error}");
                }
                error_response(&error, &request_id)
            }
        };
        self.metrics.decision(verb.as_str(), record.outcome);
        if let Err(error) = self.audit.write(&record) {
            self.metrics.audit_error();
            tracing::error!("audit log: {error}");
        }
        response
    }

    async fn run<F, Fut>(
        &self,
        headers: &HeaderMap,
        verb: Verb,
        target: Target,
        record: &mut AuditRecord,
        operation: F,
    ) -> Result<Done>
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = Result<Done>>,
    {
        let identity = self.verifier.verify(bearer_token(headers)?).await?;
        record.issuer = Some(identity.issuer.clone());
        record.subject = Some(identity.subject.clone());
        record.groups = identity.groups.clone();
        let (provider, cluster, name) = target.app.map_err(|why| Error::bad_request("request path", why))?;
        let app = AppRef::new(&provider, &cluster, &name)?;
        record.app = Some(app.to_string());
        let secret = match target.secret {
            Some(secret) => {
                check_name(&secret)?;
                secret
            }
            None => String::new(),
        };
        match self.rules.decide(&identity, verb, &app) {
            Decision::Allowed { index } => record.rule = Some(index),
            Decision::Denied => {
                return Err(Error::Forbidden(format!(
                    "no rule grants {} (groups {:?}) {verb} on {app}",
                    identity.subject, identity.groups
                )));
            }
        }
        let timeout = self.request_timeout;
        match tokio::time::timeout(timeout, operation(Ctx { identity, app, secret })).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(timeout)),
        }
    }

    /// Reads a JSON body of at most `max_body_bytes`.
    pub(crate) async fn json_body(&self, body: Body) -> Result<Value> {
        let limit = self.max_body;
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| Error::PayloadTooLarge { limit })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::bad_request("request body", format!("the body is not JSON: {e}")))
    }
}

fn bearer_token(headers: &HeaderMap) -> Result<&str> {
    let missing = || Error::Unauthenticated("no bearer token: send Authorization: Bearer <JWT>".into());
    let value = headers.get(header::AUTHORIZATION).ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?.trim();
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
}

/// The caller's `X-Request-Id` when it is a sane one, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Untrusted input goes into the audit log cut to a sane length.
fn shorten(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn reads_bearer_tokens_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers).unwrap_err().status(), 401);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer_token(&headers).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer  a.b.c "));
        assert_eq!(bearer_token(&headers).unwrap(), "a.b.c");
    }

    #[test]
    fn request_ids_are_kept_when_sane() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&headers), "abc-123");
        headers.insert(REQUEST_ID, HeaderValue::from_static("has space"));
        assert_ne!(request_id(&headers), "has space");
    }
}
