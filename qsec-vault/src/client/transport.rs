//! One Vault call: request building, headers, retries, and transport
//! failures. Reading the answer is `answer`'s job.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use qsec_core::VaultToken;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::VaultClient;
use super::answer::{Raw, decode_error, vault_error};
use crate::error::{Error, Result};

const TOKEN_HEADER: &str = "x-vault-token";
const NAMESPACE_HEADER: &str = "x-vault-namespace";
const WRAP_TTL_HEADER: &str = "x-vault-wrap-ttl";
/// The vault CLI sends it on every request; Vault Proxy may require it.
const REQUEST_HEADER: &str = "x-vault-request";

/// Statuses worth another try: Vault is busy, sealed, failing over, or a
/// proxy in front of it is.
const RETRYABLE: [u16; 5] = [429, 500, 502, 503, 504];

/// Which token a call carries in `X-Vault-Token`.
pub(crate) enum Auth {
    /// The client's current token, if it has one.
    Current,
    /// None: login endpoints and `sys/health` are unauthenticated.
    Anonymous,
    /// This one, e.g. a wrapping token for `sys/wrapping/unwrap`.
    Explicit(VaultToken),
}

/// A request to make. Not `Debug`: its body can hold credentials.
pub(crate) struct Call {
    operation: &'static str,
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    wrap_ttl: Option<Duration>,
    auth: Auth,
    /// Error statuses that are answers here, e.g. 503 from `sys/health`.
    accept: &'static [u16],
}

impl Call {
    /// A call of `method` on `path` (an API path without `/v1/`).
    pub(crate) fn new(operation: &'static str, method: Method, path: impl Into<String>) -> Self {
        Self {
            operation,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            wrap_ttl: None,
            auth: Auth::Current,
            accept: &[],
        }
    }

    /// `GET path`.
    pub(crate) fn get(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::GET, path)
    }

    /// `POST path`.
    pub(crate) fn post(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::POST, path)
    }

    /// `PUT path`.
    pub(crate) fn put(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::PUT, path)
    }

    /// `DELETE path`.
    pub(crate) fn delete(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::DELETE, path)
    }

    /// `LIST path`: the HTTP method the vault CLI lists with.
    pub(crate) fn list(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::from_bytes(b"LIST").expect("LIST is a valid method token"), path)
    }

    /// Sends `body` as JSON.
    pub(crate) fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sends `body`, serialized, as JSON.
    pub(crate) fn json_of<T: serde::Serialize>(self, body: &T) -> Self {
        // Our parameter types are maps with string keys: they always serialize.
        self.json(serde_json::to_value(body).unwrap_or_default())
    }

    /// Adds a query parameter.
    pub(crate) fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Asks Vault to wrap the answer for `ttl` (`X-Vault-Wrap-TTL`).
    pub(crate) fn wrap_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.wrap_ttl = ttl;
        self
    }

    /// Chooses the token to send.
    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Treats these error statuses as answers.
    pub(crate) fn accept(mut self, statuses: &'static [u16]) -> Self {
        self.accept = statuses;
        self
    }
}

/// One failed attempt, and whether another is worth it.
struct Failure {
    error: Error,
    retryable: bool,
}

impl VaultClient {
    /// Makes `call`, retrying transient failures as the policy allows.
    pub(crate) async fn send(&self, call: Call) -> Result<Raw> {
        let policy = self.inner.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries)
            .with_total_delay(Some(policy.max_total_time))
            .with_jitter()
            .with_jitter_seed(jitter_seed());
        let attempts = (|| self.attempt(&call))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|failure: &Failure| failure.retryable)
            .notify(|failure: &Failure, delay: Duration| {
                tracing::debug!(method = %call.method, path = %call.path, error = %failure.error, ?delay, "retrying Vault call");
            });
        match tokio::time::timeout(policy.max_total_time, attempts).await {
            Ok(result) => result.map_err(|failure| failure.error),
            Err(_) => Err(Error::Timeout {
                operation: call.operation.to_owned(),
                path: call.path.clone(),
                timeout: policy.max_total_time,
            }),
        }
    }

    async fn attempt(&self, call: &Call) -> Result<Raw, Failure> {
        let request = self.request(call).map_err(|error| Failure { error, retryable: false })?;
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(method = %call.method, path = %call.path, "Vault call failed: {}", chain(&error));
                return Err(self.transport_failure(call, &error));
            }
        };
        let status = response.status();
        tracing::debug!(method = %call.method, path = %call.path, status = status.as_u16(), "Vault answered");
        let bytes = response.bytes().await.map_err(|error| self.transport_failure(call, &error))?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(value) => Some(value),
                Err(_) if !status.is_success() => None,
                Err(error) => {
                    let error = decode_error(call.operation, &call.path, format!("expected JSON: {error}"));
                    return Err(Failure { error, retryable: false });
                }
            }
        };
        if status.is_success() || call.accept.contains(&status.as_u16()) {
            return Ok(Raw { operation: call.operation, path: call.path.clone(), status: status.as_u16(), body });
        }
        Err(Failure {
            error: vault_error(call.operation, &call.path, status, body.as_ref()),
            retryable: RETRYABLE.contains(&status.as_u16()),
        })
    }

    fn request(&self, call: &Call) -> Result<reqwest::RequestBuilder> {
        let mut url = self.inner.base.clone();
        // A `?query` written into a path (as the vault CLI allows) stays a query.
        let (path, query) = call.path.split_once('?').map_or((call.path.as_str(), None), |(p, q)| (p, Some(q)));
        {
            let mut segments = url.path_segments_mut().map_err(|_| Error::Config {
                setting: "address".into(),
                reason: "cannot be a base URL; expected https://host:port".into(),
            })?;
            segments.pop_if_empty().push("v1");
            segments.extend(path.trim_start_matches('/').split('/'));
        }
        url.set_query(query);
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static(REQUEST_HEADER), HeaderValue::from_static("true"));
        let current = matches!(call.auth, Auth::Current).then(|| self.token()).flatten();
        let token = match &call.auth {
            Auth::Current => current.as_ref(),
            Auth::Anonymous => None,
            Auth::Explicit(token) => Some(token),
        };
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| Error::Config {
                setting: "token".into(),
                reason: "contains characters not allowed in an HTTP header".into(),
            })?;
            // Keeps it out of hyper's and reqwest's debug output.
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static(TOKEN_HEADER), value);
        }
        if let Some(namespace) = &self.inner.namespace {
            headers.insert(HeaderName::from_static(NAMESPACE_HEADER), namespace.clone());
        }
        if let Some(ttl) = call.wrap_ttl {
            headers.insert(HeaderName::from_static(WRAP_TTL_HEADER), HeaderValue::from(whole_seconds(ttl)));
        }
        let mut request = self.inner.http.request(call.method.clone(), url).headers(headers);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        Ok(request)
    }

    fn transport_failure(&self, call: &Call, error: &reqwest::Error) -> Failure {
        if error.is_timeout() {
            let error = Error::Timeout {
                operation: call.operation.to_owned(),
                path: call.path.clone(),
                timeout: self.inner.timeout,
            };
            return Failure { error, retryable: false };
        }
        let transport =
            Error::Transport { operation: call.operation.to_owned(), path: call.path.clone(), reason: chain(error) };
        // A certificate Vault's CA or name does not match will not match on
        // the next try either.
        Failure { error: transport, retryable: error.is_connect() && !is_tls_rejection(error) }
    }
}

/// Whether rustls refused the connection (a certificate problem, say).
/// hyper and tokio-rustls nest it in `io::Error`s, whose `source()` skips
/// the wrapped error, so those are opened with `get_ref()`.
fn is_tls_rejection(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(cause) = current {
        if cause.is::<rustls::Error>() {
            return true;
        }
        current = match cause.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    false
}

/// Seconds, rounded up so a sub-second TTL does not become "no TTL".
pub(crate) fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// A duration as Vault's duration string, e.g. `90s`.
pub(crate) fn duration_string(duration: Duration) -> String {
    format!("{}s", whole_seconds(duration))
}

/// The error and its causes, on one line. reqwest's messages name the URL,
/// which holds no credential (tokens travel in headers and bodies only).
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    qsec_core::error_chain(error)
}

/// Each client jitters differently, so a fleet of pods does not retry in step.
fn jitter_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_durations_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(300)), 300);
        assert_eq!(duration_string(Duration::from_secs(3600)), "3600s");
    }
}
