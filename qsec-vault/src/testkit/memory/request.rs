//! The HTTP-level request and reply of [`super::MemoryVault::handle`], and
//! what the request log keeps of them.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde_json::{Value, json};

/// An HTTP method as Vault understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET` (a `GET` with `?list=true` is a [`Method::List`]).
    Get,
    /// Vault's `LIST` (or `GET ?list=true`).
    List,
    /// OpenBao's `SCAN` (or `GET ?scan=true`): a recursive `LIST`, served by
    /// the kv engines.
    Scan,
    /// `POST`.
    Post,
    /// `PUT`, which Vault treats as `POST`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name on the wire, e.g. `LIST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::List => "LIST",
            Self::Scan => "SCAN",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// True for `POST` and `PUT`, which Vault does not tell apart.
    pub fn is_write(self) -> bool {
        matches!(self, Self::Post | Self::Put)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request to the in-memory Vault, at the level of HTTP semantics.
#[derive(Debug, Clone)]
pub struct VaultRequest {
    /// The method.
    pub method: Method,
    /// The API path without `/v1/`, e.g. `secret/data/myapp`.
    pub path: String,
    /// Query parameters (read by `GET`, `LIST` and `DELETE` endpoints).
    pub query: BTreeMap<String, String>,
    /// `X-Vault-Token` (or a bearer token), if sent.
    pub token: Option<String>,
    /// `X-Vault-Wrap-TTL` as sent: `"60s"`, `"5m"` or `"300"`.
    pub wrap_ttl: Option<String>,
    /// `X-Vault-Namespace`, if sent.
    pub namespace: Option<String>,
    /// The client's address; `None` (in-process callers) counts as `127.0.0.1`.
    pub client_ip: Option<IpAddr>,
    /// The JSON body; `Null` when there is none.
    pub body: Value,
}

impl VaultRequest {
    /// A request with no token, headers, query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: BTreeMap::new(),
            token: None,
            wrap_ttl: None,
            namespace: None,
            client_ip: None,
            body: Value::Null,
        }
    }

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::Get, path)
    }

    /// `LIST path`.
    pub fn list(path: impl Into<String>) -> Self {
        Self::new(Method::List, path)
    }

    /// `POST path` with a JSON body.
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::Post, path).with_body(body)
    }

    /// `DELETE path`.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::Delete, path)
    }

    /// Sends `token` as `X-Vault-Token`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Asks for the response to be wrapped (`X-Vault-Wrap-TTL`).
    pub fn with_wrap_ttl(mut self, ttl: impl Into<String>) -> Self {
        self.wrap_ttl = Some(ttl.into());
        self
    }

    /// Sets the JSON body.
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = body;
        self
    }

    /// Adds a query parameter.
    pub fn with_query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.insert(key.into(), value.into());
        self
    }

    /// Sets the client address the request comes from.
    pub fn with_client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// Sets `X-Vault-Namespace`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }
}

/// A body that is not JSON, such as `pki/ca/pem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody {
    /// Its `Content-Type`.
    pub content_type: String,
    /// The text.
    pub text: String,
}

/// The in-memory Vault's answer: a status and Vault's JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultReply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body; `None` for `204 No Content` (and for raw bodies).
    pub body: Option<Value>,
    /// A non-JSON body (`pki/ca/pem`); `None` for everything else.
    pub raw: Option<RawBody>,
}

impl VaultReply {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Self { status, body: Some(body), raw: None }
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self { status: 204, body: None, raw: None }
    }

    /// Vault's error shape, `{"errors": [...]}`.
    pub fn error(status: u16, errors: Vec<String>) -> Self {
        Self::json(status, json!({ "errors": errors }))
    }

    /// Vault's `errors` list, empty if the body has none.
    pub fn errors(&self) -> Vec<String> {
        self.body
            .as_ref()
            .and_then(|body| body.get("errors"))
            .and_then(Value::as_array)
            .map(|errors| errors.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    /// The `data` of the body, if any.
    pub fn data(&self) -> Option<&Value> {
        self.body.as_ref().and_then(|body| body.get("data")).filter(|data| !data.is_null())
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What the request log keeps of one request: never a body or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The method.
    pub method: Method,
    /// The API path, without `/v1/` and query.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

impl LoggedRequest {
    /// True when the request could have changed state: a write, patch or
    /// delete that succeeded.
    pub fn is_successful_write(&self) -> bool {
        matches!(self.method, Method::Post | Method::Put | Method::Patch | Method::Delete)
            && (200..300).contains(&self.status)
    }
}
