//! [`DevServer`]: a [`MemoryVault`] served over HTTP in Vault's wire format,
//! on loopback only.
//!
//! ```no_run
//! use qsec_vault::testkit::{DevServer, MemoryVault};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let vault = MemoryVault::builder().root_token("root").dev_mounts().build();
//! let server = DevServer::start(vault, "127.0.0.1:0".parse().unwrap())?;
//! // VAULT_ADDR=server.url(), VAULT_TOKEN=root
//! println!("{}", server.url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::memory::{MemoryVault, Method, VaultReply, VaultRequest};

/// The largest request body accepted, as Vault's default listener: 32 MiB.
pub const MAX_REQUEST_BODY: usize = 32 * 1024 * 1024;

/// How long [`DevServer::shutdown`] waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A running dev server. [`DevServer::shutdown`] stops it gracefully;
/// dropping it stops it too.
///
/// `X-Forwarded-For` is not trusted: the client address every CIDR binding
/// sees is the TCP peer's.
#[derive(Debug)]
pub struct DevServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

fn require_loopback(addr: SocketAddr) -> io::Result<()> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        // The dev server has a well-known root token and no TLS: never
        // expose it beyond this machine.
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the dev Vault only listens on loopback addresses, not {addr}; use 127.0.0.1"),
        ))
    }
}

impl DevServer {
    /// Binds `addr` (a loopback address; port 0 picks a free port) and
    /// serves `vault` on a Tokio task. Must be called within a Tokio runtime.
    pub fn start(vault: MemoryVault, addr: SocketAddr) -> io::Result<DevServer> {
        require_loopback(addr)?;
        tokio::runtime::Handle::try_current()
            .map_err(|_| io::Error::other("DevServer::start must be called within a Tokio runtime"))?;
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, vault, async move {
            // A dropped sender stops the server as well.
            let _ = rx.await;
        }));
        Ok(DevServer { addr, shutdown: Some(tx), task: Some(task) })
    }

    /// Binds `addr` (loopback only) and serves `vault` until `shutdown`
    /// completes (e.g. Ctrl-C), then stops gracefully. For `qsec dev vault`.
    pub async fn serve_until(
        vault: MemoryVault,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        require_loopback(addr)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        serve(listener, vault, shutdown).await
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:8200` (`VAULT_ADDR`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets open requests finish (for up to
    /// 10 seconds), and returns when the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    vault: MemoryVault,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = Router::new().fallback(handle).with_state(vault);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

fn error_response(status: u16, message: &str) -> Response {
    reply_response(VaultReply::error(status, vec![message.to_owned()]), false)
}

fn reply_response(reply: VaultReply, head: bool) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match (reply.raw, reply.body) {
        (Some(raw), _) => (raw.content_type, raw.text),
        (None, Some(body)) => ("application/json".to_owned(), body.to_string()),
        (None, None) => return (status, [(header::CACHE_CONTROL, "no-store")]).into_response(),
    };
    let mut response = if head { Response::new(Body::empty()) } else { Response::new(Body::from(body)) };
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Decodes `%XX` escapes in a URL path.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The media type of a `Content-Type` value, lowercased, without parameters.
fn media_type(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Vault takes `PATCH` only as a JSON merge patch, and says so.
fn check_patch_content_type(content_type: &str) -> Result<(), (u16, String)> {
    match media_type(content_type).as_str() {
        "" => Err((400, "mime: no media type".to_owned())),
        "application/merge-patch+json" => Ok(()),
        other => Err((415, format!("PATCH requires Content-Type of application/merge-patch+json, got {other:?}"))),
    }
}

/// Whether a body is form data, as Vault decides: a form media type and a
/// body that does not start like JSON (`curl -d @payload.json` sends JSON
/// under the form media type).
fn is_form(content_type: &str, body: &[u8]) -> bool {
    media_type(content_type) == "application/x-www-form-urlencoded"
        && body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{')
}

/// Form fields as a JSON object of strings; a repeated field's values are
/// joined with commas, as Vault joins them.
fn form_body(body: &[u8]) -> Value {
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        fields.entry(key.into_owned()).or_default().push(value.into_owned());
    }
    Value::Object(fields.into_iter().map(|(key, values)| (key, Value::String(values.join(",")))).collect())
}

/// Every request: Vault's `/v1/*` API, all methods including `LIST` and
/// `SCAN` (and their `GET ?list=true`, `?scan=true` forms), bodies as JSON
/// or as form data the way Vault reads them, `PATCH` as a JSON merge patch.
async fn handle(
    State(vault): State<MemoryVault>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Some(path) = parts.uri.path().strip_prefix("/v1/") else {
        return reply_response(VaultReply::error(404, Vec::new()), false);
    };
    let path = percent_decode(path);
    let mut query: BTreeMap<String, String> =
        parts.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let head = parts.method.as_str() == "HEAD";
    let flag = |query: &BTreeMap<String, String>, name: &str| query.get(name).is_some_and(|v| v == "true" || v == "1");
    let method = match parts.method.as_str() {
        "GET" | "HEAD" if flag(&query, "list") => {
            query.remove("list");
            Method::List
        }
        "GET" | "HEAD" if flag(&query, "scan") => {
            query.remove("scan");
            Method::Scan
        }
        "GET" | "HEAD" => Method::Get,
        "LIST" => Method::List,
        "SCAN" => Method::Scan,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        _ => return error_response(405, "unsupported operation"),
    };
    let bytes = match to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return error_response(413, "http: request body too large"),
    };
    let content_type = header_str(&parts.headers, "content-type").unwrap_or_default();
    if method == Method::Patch
        && let Err((status, message)) = check_patch_content_type(&content_type)
    {
        return error_response(status, &message);
    }
    let body =
        if bytes.iter().all(u8::is_ascii_whitespace) || matches!(method, Method::Get | Method::List | Method::Scan) {
            Value::Null
        } else if is_form(&content_type, &bytes) {
            form_body(&bytes)
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(value @ (Value::Object(_) | Value::Null)) => value,
                Ok(_) => return error_response(400, "failed to parse JSON input: the body must be a JSON object"),
                Err(e) => return error_response(400, &format!("failed to parse JSON input: {e}")),
            }
        };
    let token = header_str(&parts.headers, "x-vault-token").or_else(|| {
        header_str(&parts.headers, "authorization")
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).map(|t| t.trim().to_owned()))
    });
    let request = VaultRequest {
        method,
        path,
        query,
        token,
        wrap_ttl: header_str(&parts.headers, "x-vault-wrap-ttl"),
        namespace: header_str(&parts.headers, "x-vault-namespace"),
        client_ip: Some(peer.ip()),
        body,
    };
    reply_response(vault.handle_async(request).await, head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("secret/data/a%20b"), "secret/data/a b");
        assert_eq!(percent_decode("sys/policies/acl/secret-api%2Fread"), "sys/policies/acl/secret-api/read");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("end%2"), "end%2");
    }

    #[test]
    fn reads_form_bodies_as_vault_does() {
        assert!(is_form("application/x-www-form-urlencoded", b"type=irrevocable"));
        assert!(!is_form("application/x-www-form-urlencoded", b" {\"a\": 1}"));
        assert!(!is_form("application/json", b"a=b"));
        assert_eq!(form_body(b"a=1&b=x%20y&a=2"), serde_json::json!({"a": "1,2", "b": "x y"}));
    }

    #[test]
    fn patches_must_be_merge_patches() {
        assert!(check_patch_content_type("application/merge-patch+json; charset=utf-8").is_ok());
        assert_eq!(check_patch_content_type("application/json").unwrap_err().0, 415);
        assert_eq!(check_patch_content_type("").unwrap_err().0, 400);
    }

    #[test]
    fn refuses_non_loopback_addresses() {
        assert!(require_loopback("127.0.0.1:0".parse().unwrap()).is_ok());
        assert!(require_loopback("[::1]:0".parse().unwrap()).is_ok());
        assert!(require_loopback("0.0.0.0:8200".parse().unwrap()).is_err());
    }

    #[test]
    fn error_bodies_have_vaults_shape() {
        let response = error_response(400, "nope");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }
}
