//! The dev server against the Vault API documentation (OpenBao's, in
//! `shared/reference/vault-api/`: the spec). Every endpoint MemoryVault
//! serves is called over real HTTP with the documented sample request
//! (method, path, headers, payload, and the alternate forms the docs allow:
//! durations as `"10m"` or seconds, comma-separated strings or lists, path
//! or body parameters, `LIST` or `GET ?list=true`), and its status and
//! response shape are compared with the documented sample.
//!
//! Bodies go out as the docs' `curl --data @payload.json` sends them: JSON
//! under curl's default form media type, which Vault reads as JSON.
//! [`assert_shape`] compares shapes: every field of the sample is there,
//! with the same JSON type and nesting, `null` where the sample has `null`.
//! Where a sample contradicts its own page or real Vault, the test says so
//! next to the sample it adjusts.
#![cfg(feature = "testkit")]

#[path = "dev_server_docs/approle.rs"]
mod approle;
#[path = "dev_server_docs/database.rs"]
mod database;
#[path = "dev_server_docs/kubernetes.rs"]
mod kubernetes;
#[path = "dev_server_docs/kv.rs"]
mod kv;
#[path = "dev_server_docs/leases.rs"]
mod leases;
#[path = "dev_server_docs/overview.rs"]
mod overview;
#[path = "dev_server_docs/pki.rs"]
mod pki;
#[path = "dev_server_docs/policies.rs"]
mod policies;
#[path = "dev_server_docs/sys.rs"]
mod sys;
#[path = "dev_server_docs/token.rs"]
mod token;
#[path = "dev_server_docs/wrapping.rs"]
mod wrapping;

use std::time::Duration;

use qsec_vault::testkit::{DevServer, MemoryVault};
use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;

/// The root token of every vault here.
pub(crate) const ROOT: &str = "root";

/// What curl sends `--data` as.
const CURL_FORM: &str = "application/x-www-form-urlencoded";

/// A dev server on 127.0.0.1 and an HTTP client for it.
pub(crate) struct Docs {
    pub(crate) vault: MemoryVault,
    server: DevServer,
    http: Client,
}

/// One HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// The JSON body; `Null` for an empty or non-JSON one.
    pub(crate) body: Value,
    pub(crate) content_type: String,
    pub(crate) text: String,
}

impl Reply {
    /// The `data` of the body.
    pub(crate) fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// The body's `errors`, joined.
    pub(crate) fn errors(&self) -> String {
        self.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
            .unwrap_or_default()
    }
}

impl Docs {
    /// A `vault server -dev`-like vault (`dev_mounts`) with root token `root`.
    pub(crate) fn start() -> Docs {
        Docs::with(MemoryVault::builder().root_token(ROOT).dev_mounts().build())
    }

    /// Serves `vault` (whose root token must be `root`).
    pub(crate) fn with(vault: MemoryVault) -> Docs {
        qsec_vault::install_crypto_provider();
        let server = DevServer::start(vault.clone(), "127.0.0.1:0".parse().unwrap()).expect("the dev server starts");
        let http = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        Docs { vault, server, http }
    }

    /// Stops the server.
    pub(crate) async fn stop(self) {
        self.server.shutdown().await;
    }

    /// A request for `/v1/{path}` (which may carry a query).
    pub(crate) fn request(&self, method: &str, path: &str) -> RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        self.http.request(method, format!("{}/v1/{}", self.server.url(), path.trim_start_matches('/')))
    }

    /// Sends a request and reads the answer.
    pub(crate) async fn send(request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("the dev server answers");
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, content_type, text }
    }

    /// `curl [--header "X-Vault-Token: token"] --request METHOD [--data
    /// @payload.json] URL`, as the docs' sample requests do.
    pub(crate) async fn call(&self, method: &str, path: &str, token: Option<&str>, payload: Option<Value>) -> Reply {
        let mut request = self.request(method, path);
        if let Some(token) = token {
            request = request.header("X-Vault-Token", token);
        }
        if let Some(payload) = payload {
            request = request.header("Content-Type", CURL_FORM).body(payload.to_string());
        }
        Docs::send(request).await
    }

    /// [`Docs::call`] with the root token.
    pub(crate) async fn root(&self, method: &str, path: &str, payload: Option<Value>) -> Reply {
        self.call(method, path, Some(ROOT), payload).await
    }

    /// `PATCH` with the merge-patch media type the docs require.
    pub(crate) async fn patch(&self, path: &str, payload: Value) -> Reply {
        let request = self
            .request("PATCH", path)
            .header("X-Vault-Token", ROOT)
            .header("Content-Type", "application/merge-patch+json")
            .body(payload.to_string());
        Docs::send(request).await
    }
}

/// Asserts that `actual` has `sample`'s shape: every field of an object in
/// the sample is in `actual`, with the same JSON type (recursively); every
/// element of an array in `actual` has the shape of the sample's first
/// element; `null` stays `null`. Extra fields are allowed, as Vault adds
/// fields between versions.
#[track_caller]
pub(crate) fn assert_shape(actual: &Value, sample: &Value) {
    if let Err(why) = shape(actual, sample, "$") {
        panic!("not the documented shape: {why}\nactual: {actual:#}\nsample: {sample:#}");
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn shape(actual: &Value, sample: &Value, at: &str) -> Result<(), String> {
    if kind(actual) != kind(sample) {
        return Err(format!("{at} is {} ({actual}), the sample has {} ({sample})", kind(actual), kind(sample)));
    }
    match (actual, sample) {
        (Value::Object(actual), Value::Object(sample)) => sample.iter().try_for_each(|(key, sample)| {
            let value = actual.get(key).ok_or_else(|| format!("{at}.{key} is missing"))?;
            shape(value, sample, &format!("{at}.{key}"))
        }),
        (Value::Array(actual), Value::Array(sample)) => match sample.first() {
            Some(first) => {
                actual.iter().enumerate().try_for_each(|(i, item)| shape(item, first, &format!("{at}[{i}]")))
            }
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

#[test]
fn shapes_compare_types_nesting_and_nulls() {
    use serde_json::json;
    let sample = json!({"data": {"keys": ["a"], "n": 1, "none": null}, "warnings": null});
    assert!(
        shape(
            &json!({"data": {"keys": ["x", "y"], "n": 2, "none": null, "extra": true}, "warnings": null}),
            &sample,
            "$"
        )
        .is_ok()
    );
    assert!(shape(&json!({"data": {"keys": ["x"], "n": "2", "none": null}, "warnings": null}), &sample, "$").is_err());
    assert!(shape(&json!({"data": {"keys": [1], "n": 2, "none": null}, "warnings": null}), &sample, "$").is_err());
    assert!(shape(&json!({"data": {"keys": [], "n": 2}, "warnings": null}), &sample, "$").is_err());
    assert!(shape(&json!({"data": {"keys": [], "n": 2, "none": null}, "warnings": []}), &sample, "$").is_err());
}
