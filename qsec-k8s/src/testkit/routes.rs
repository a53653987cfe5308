//! The fake API server's HTTP surface: list, watch, get, create, replace,
//! patch and delete for any namespaced resource, answering with the bodies
//! and status codes a real API server uses.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, watch};

use super::patch::{PatchError, PatchKind, apply_server_side, apply_update};
use super::select::Selector;
use super::store::{Change, Resource, Store};

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    /// Turns true when the server stops, ending open watches.
    pub(crate) closing: watch::Receiver<bool>,
    /// Bumped to end every open watch (see `FakeKubeApi::expire_watches`).
    pub(crate) watches_ended: watch::Sender<u64>,
    /// How many watches were answered 410 Gone.
    pub(crate) expired_answers: AtomicU64,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Params = Query<HashMap<String, String>>;

/// The routes, for core (`/api/v1`) and grouped (`/apis/{group}/{version}`) resources.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/{plural}", get(core_all))
        .route("/api/v1/namespaces/{ns}/{plural}", get(core_collection).post(core_create))
        .route(
            "/api/v1/namespaces/{ns}/{plural}/{name}",
            get(core_get).put(core_replace).patch(core_patch).delete(core_delete),
        )
        .route("/apis/{group}/{version}/{plural}", get(group_all))
        .route("/apis/{group}/{version}/namespaces/{ns}/{plural}", get(group_collection).post(group_create))
        .route(
            "/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}",
            get(group_get).put(group_replace).patch(group_patch).delete(group_delete),
        )
        .fallback(|| async {
            status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource")
        })
        .with_state(shared)
}

async fn core_all(State(s): State<Arc<Shared>>, Path(plural): Path<String>, q: Params) -> Response {
    collection(s, Resource::new("", "v1", &plural), None, q.0).await
}
async fn core_collection(
    State(s): State<Arc<Shared>>,
    Path((ns, plural)): Path<(String, String)>,
    q: Params,
) -> Response {
    collection(s, Resource::new("", "v1", &plural), Some(ns), q.0).await
}
async fn core_create(
    State(s): State<Arc<Shared>>,
    Path((ns, plural)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    create(&s, Resource::new("", "v1", &plural), &ns, &body)
}
async fn core_get(State(s): State<Arc<Shared>>, Path((ns, plural, name)): Path<(String, String, String)>) -> Response {
    read(&s, Resource::new("", "v1", &plural), &ns, &name)
}
async fn core_replace(
    State(s): State<Arc<Shared>>,
    Path((ns, plural, name)): Path<(String, String, String)>,
    q: Params,
    body: Bytes,
) -> Response {
    replace(&s, Resource::new("", "v1", &plural), &ns, &name, &q.0, &body)
}
async fn core_patch(
    State(s): State<Arc<Shared>>,
    Path((ns, plural, name)): Path<(String, String, String)>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    patch(&s, Resource::new("", "v1", &plural), &ns, &name, &q.0, &headers, &body)
}
async fn core_delete(
    State(s): State<Arc<Shared>>,
    Path((ns, plural, name)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    delete(&s, Resource::new("", "v1", &plural), &ns, &name, &body)
}
async fn group_all(
    State(s): State<Arc<Shared>>,
    Path((group, version, plural)): Path<(String, String, String)>,
    q: Params,
) -> Response {
    collection(s, Resource::new(&group, &version, &plural), None, q.0).await
}
async fn group_collection(
    State(s): State<Arc<Shared>>,
    Path((group, version, ns, plural)): Path<(String, String, String, String)>,
    q: Params,
) -> Response {
    collection(s, Resource::new(&group, &version, &plural), Some(ns), q.0).await
}
async fn group_create(
    State(s): State<Arc<Shared>>,
    Path((group, version, ns, plural)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    create(&s, Resource::new(&group, &version, &plural), &ns, &body)
}
async fn group_get(
    State(s): State<Arc<Shared>>,
    Path((group, version, ns, plural, name)): Path<(String, String, String, String, String)>,
) -> Response {
    read(&s, Resource::new(&group, &version, &plural), &ns, &name)
}
async fn group_replace(
    State(s): State<Arc<Shared>>,
    Path((group, version, ns, plural, name)): Path<(String, String, String, String, String)>,
    q: Params,
    body: Bytes,
) -> Response {
    replace(&s, Resource::new(&group, &version, &plural), &ns, &name, &q.0, &body)
}
async fn group_patch(
    State(s): State<Arc<Shared>>,
    Path((group, version, ns, plural, name)): Path<(String, String, String, String, String)>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    patch(&s, Resource::new(&group, &version, &plural), &ns, &name, &q.0, &headers, &body)
}
async fn group_delete(
    State(s): State<Arc<Shared>>,
    Path((group, version, ns, plural, name)): Path<(String, String, String, String, String)>,
    body: Bytes,
) -> Response {
    delete(&s, Resource::new(&group, &version, &plural), &ns, &name, &body)
}

/// A `Status` answer, as the API server sends for every failure.
pub(crate) fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    (code, axum::Json(body)).into_response()
}

fn not_found(resource: &Resource, name: &str) -> Response {
    status(StatusCode::NOT_FOUND, "NotFound", &format!("{} \"{name}\" not found", resource.plural))
}

fn conflict(resource: &Resource, name: &str) -> Response {
    let message = format!(
        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
        resource.plural
    );
    status(StatusCode::CONFLICT, "Conflict", &message)
}

fn parse_body(body: &[u8]) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).or_else(|_| serde_yaml_ng::from_slice::<Value>(body)).map_err(|error| {
        Box::new(status(StatusCode::BAD_REQUEST, "BadRequest", &format!("the body is not JSON: {error}")))
    })
}

struct Filter {
    namespace: Option<String>,
    labels: Selector,
    fields: Selector,
}

impl Filter {
    fn from_query(namespace: Option<String>, query: &HashMap<String, String>) -> Result<Self, Box<Response>> {
        let bad = |error: String| Box::new(status(StatusCode::BAD_REQUEST, "BadRequest", &error));
        let labels = Selector::labels(query.get("labelSelector").map_or("", String::as_str)).map_err(bad)?;
        let fields = Selector::fields(query.get("fieldSelector").map_or("", String::as_str)).map_err(bad)?;
        Ok(Self { namespace, labels, fields })
    }

    fn admits(&self, object: &Value) -> bool {
        self.namespace.as_deref().is_none_or(|ns| object["metadata"]["namespace"] == ns)
            && self.labels.matches_labels(object)
            && self.fields.matches_fields(object)
    }
}

async fn collection(
    shared: Arc<Shared>,
    resource: Resource,
    namespace: Option<String>,
    query: HashMap<String, String>,
) -> Response {
    let filter = match Filter::from_query(namespace, &query) {
        Ok(filter) => filter,
        Err(response) => return *response,
    };
    if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
        return watch_stream(shared, resource, filter, &query);
    }
    let (items, version) = {
        let store = shared.store();
        let items: Vec<Arc<Value>> =
            store.list(&resource, filter.namespace.as_deref()).into_iter().filter(|o| filter.admits(o)).collect();
        (items, store.version())
    };
    // Serialized from references, after the lock is released.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct List<'a> {
        kind: String,
        api_version: String,
        metadata: Value,
        items: Vec<&'a Value>,
    }
    let body = List {
        kind: format!("{}List", resource.kind()),
        api_version: resource.api_version(),
        metadata: json!({ "resourceVersion": version.to_string() }),
        items: items.iter().map(|item| &**item).collect(),
    };
    axum::Json(body).into_response()
}

fn watch_line(kind: &str, object: &Value) -> Bytes {
    // Serialized from references: `json!` would copy the whole object first.
    #[derive(serde::Serialize)]
    struct WatchEvent<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        object: &'a Value,
    }
    let mut line = serde_json::to_vec(&WatchEvent { kind, object }).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

fn expired(message: String) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": "Expired", "code": 410})
}

/// How a change looks through a watch's filter: `None` when invisible.
fn seen<'a>(filter: &Filter, change: &'a Change) -> Option<(&'static str, &'a Value)> {
    let before = change.before.as_deref().is_some_and(|o| filter.admits(o));
    match change.after.as_deref() {
        Some(after) if filter.admits(after) => Some((if before { "MODIFIED" } else { "ADDED" }, after)),
        Some(after) if before => Some(("DELETED", after)),
        None if before => change.before.as_deref().map(|o| ("DELETED", o)),
        _ => None,
    }
}

fn watch_stream(shared: Arc<Shared>, resource: Resource, filter: Filter, query: &HashMap<String, String>) -> Response {
    let since = query.get("resourceVersion").and_then(|v| v.parse::<u64>().ok()).filter(|v| *v > 0);
    let timeout = query.get("timeoutSeconds").and_then(|v| v.parse::<u64>().ok()).unwrap_or(1800).clamp(1, 3600);
    let bookmarks = query.get("allowWatchBookmarks").is_some_and(|v| v == "true");
    let (tx, rx) = mpsc::channel::<Bytes>(4096);
    let (initial, mut live, mut last, gone) = {
        let store = shared.store();
        let gone = since.is_some_and(|version| version < store.oldest_resumable());
        let live = store.subscribe();
        let initial: Vec<Bytes> = match since {
            None => store
                .list(&resource, filter.namespace.as_deref())
                .iter()
                .filter(|o| filter.admits(o))
                .map(|o| watch_line("ADDED", o))
                .collect(),
            Some(version) if version < store.oldest_resumable() => {
                shared.expired_answers.fetch_add(1, Ordering::Relaxed);
                let message = format!("too old resource version: {version} ({})", store.oldest_resumable());
                vec![watch_line("ERROR", &expired(message))]
            }
            Some(version) => store
                .changes_since(&resource, version)
                .iter()
                .filter_map(|change| seen(&filter, change))
                .map(|(kind, object)| watch_line(kind, object))
                .collect(),
        };
        (initial, live, store.version(), gone)
    };
    let mut closing = shared.closing.clone();
    let mut ended = shared.watches_ended.subscribe();
    tokio::spawn(async move {
        for line in initial {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        if gone {
            return;
        }
        let deadline = tokio::time::sleep(Duration::from_secs(timeout));
        tokio::pin!(deadline);
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        loop {
            let line = tokio::select! {
                // An ended watch sends nothing more, even if changes are waiting.
                biased;
                _ = closing.changed() => return,
                _ = ended.changed() => return,
                () = &mut deadline => return,
                () = tx.closed() => return,
                _ = ticks.tick(), if bookmarks => {
                    let version = shared.store().version();
                    let marker = json!({"kind": resource.kind(), "apiVersion": resource.api_version(), "metadata": {"resourceVersion": version.to_string()}});
                    watch_line("BOOKMARK", &marker)
                }
                change = live.recv() => match change {
                    Ok(change) if change.version > last && change.resource == resource => {
                        last = change.version;
                        match seen(&filter, &change) {
                            Some((kind, object)) => watch_line(kind, object),
                            None => continue,
                        }
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = tx.send(watch_line("ERROR", &expired("the watch fell behind; list again".into()))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            if tx.send(line).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|line| (line, rx)) })
        .map(Ok::<_, Infallible>);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "building the watch"))
}

fn read(shared: &Shared, resource: Resource, ns: &str, name: &str) -> Response {
    let object = shared.store().get(&resource, ns, name).cloned();
    match object {
        Some(object) => axum::Json(&*object).into_response(),
        None => not_found(&resource, name),
    }
}

/// Whether `object` is an object whose `metadata`, if any, is one too: what
/// every later step indexes into.
fn well_formed(object: &Value) -> bool {
    object.is_object() && object.get("metadata").is_none_or(Value::is_object)
}

fn malformed() -> Response {
    status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", "the object and its metadata must be JSON objects")
}

/// Fills in what the server owns on a new object.
pub(crate) fn prepare_new(resource: &Resource, ns: &str, object: &mut Value) -> Result<String, Box<Response>> {
    if !well_formed(object) {
        return Err(Box::new(status(StatusCode::BAD_REQUEST, "BadRequest", "the body must be a JSON object")));
    }
    let mut name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    if name.is_empty() {
        let Some(prefix) = object["metadata"]["generateName"].as_str() else {
            return Err(Box::new(status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "metadata.name: Required value: name or generateName is required",
            )));
        };
        name = format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..5]);
    }
    object["metadata"]["name"] = json!(name);
    object["metadata"]["namespace"] = json!(ns);
    object["metadata"]["uid"] = json!(uuid::Uuid::new_v4().to_string());
    object["metadata"]["creationTimestamp"] = json!(now());
    object["apiVersion"] = json!(resource.api_version());
    object["kind"] = json!(resource.kind());
    Ok(name)
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| jiff::Timestamp::now()).to_string()
}

fn create(shared: &Shared, resource: Resource, ns: &str, body: &[u8]) -> Response {
    let mut object = match parse_body(body) {
        Ok(object) => object,
        Err(response) => return *response,
    };
    let name = match prepare_new(&resource, ns, &mut object) {
        Ok(name) => name,
        Err(response) => return *response,
    };
    let mut store = shared.store();
    if store.get(&resource, ns, &name).is_some() {
        let message = format!("{} \"{name}\" already exists", resource.plural);
        return status(StatusCode::CONFLICT, "AlreadyExists", &message);
    }
    let stored = store.put(&resource, ns, &name, object);
    drop(store);
    (StatusCode::CREATED, axum::Json(&*stored)).into_response()
}

fn keep_identity(current: &Value, object: &mut Value) {
    for field in ["name", "namespace", "uid", "creationTimestamp"] {
        object["metadata"][field] = current["metadata"][field].clone();
    }
    object["apiVersion"] = current["apiVersion"].clone();
    object["kind"] = current["kind"].clone();
}

fn replace(
    shared: &Shared,
    resource: Resource,
    ns: &str,
    name: &str,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Response {
    let mut object = match parse_body(body) {
        Ok(object) if well_formed(&object) => object,
        Ok(_) => return malformed(),
        Err(response) => return *response,
    };
    let mut store = shared.store();
    let Some(current) = store.get(&resource, ns, name).cloned() else {
        return not_found(&resource, name);
    };
    if let Some(version) = object["metadata"]["resourceVersion"].as_str().filter(|v| !v.is_empty())
        && current["metadata"]["resourceVersion"] != version
    {
        return conflict(&resource, name);
    }
    keep_identity(&current, &mut object);
    let manager = query.get("fieldManager").cloned().unwrap_or_else(|| "unknown".into());
    let key = (resource.clone(), ns.to_owned(), name.to_owned());
    let owners = store.owners.entry(key).or_default();
    owners.clear();
    let mut scratch = json!({});
    let _ = apply_update(PatchKind::Merge, &mut scratch, &object, owners, &manager);
    let stored = store.put(&resource, ns, name, object);
    drop(store);
    axum::Json(&*stored).into_response()
}

fn patch(
    shared: &Shared,
    resource: Resource,
    ns: &str,
    name: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(kind) = PatchKind::from_content_type(content_type) else {
        return status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            &format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json; got {content_type:?}"
            ),
        );
    };
    let patch = match parse_body(body) {
        Ok(patch) => patch,
        Err(response) => return *response,
    };
    let manager = query.get("fieldManager").cloned().unwrap_or_else(|| "unknown".into());
    let force = query.get("force").is_some_and(|v| v == "true");
    let mut store = shared.store();
    let key = (resource.clone(), ns.to_owned(), name.to_owned());
    let (current, created) = match store.get(&resource, ns, name) {
        Some(current) => (current.clone(), false),
        None if kind == PatchKind::Apply => {
            let mut fresh = json!({"metadata": {"name": name}});
            if let Err(response) = prepare_new(&resource, ns, &mut fresh) {
                return *response;
            }
            (Arc::new(fresh), true)
        }
        None => return not_found(&resource, name),
    };
    // One copy, patched; `current` stays shared with the store and watches.
    let mut object = Value::clone(&current);
    if !patch.get("metadata").is_none_or(Value::is_object) {
        return malformed();
    }
    if let Some(version) = patch["metadata"]["resourceVersion"].as_str()
        && object["metadata"]["resourceVersion"] != version
    {
        return conflict(&resource, name);
    }
    let owners = store.owners.entry(key).or_default();
    let applied = match kind {
        PatchKind::Apply => apply_server_side(&mut object, &patch, owners, &manager, force),
        other => apply_update(other, &mut object, &patch, owners, &manager),
    };
    match applied {
        Ok(()) => {}
        Err(PatchError::Invalid(message)) => return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", &message),
        Err(PatchError::Conflict(message)) => return status(StatusCode::CONFLICT, "Conflict", &message),
    }
    if !well_formed(&object) {
        return malformed();
    }
    keep_identity(&current, &mut object);
    let stored = store.put(&resource, ns, name, object);
    drop(store);
    let code = if created { StatusCode::CREATED } else { StatusCode::OK };
    (code, axum::Json(&*stored)).into_response()
}

fn delete(shared: &Shared, resource: Resource, ns: &str, name: &str, body: &[u8]) -> Response {
    let options = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match parse_body(body) {
            Ok(options) => options,
            Err(response) => return *response,
        }
    };
    let mut store = shared.store();
    let Some(current) = store.get(&resource, ns, name).map(|current| Value::clone(current)) else {
        return not_found(&resource, name);
    };
    for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
        if let Some(wanted) = options["preconditions"][field].as_str()
            && current["metadata"][field] != wanted
        {
            let message = format!(
                "Precondition failed: {label} in precondition: {wanted}, {label} in object meta: {}",
                current["metadata"][field].as_str().unwrap_or_default()
            );
            return status(StatusCode::CONFLICT, "Conflict", &message);
        }
    }
    let gone = store.remove(&resource, ns, name).unwrap_or(current);
    axum::Json(gone).into_response()
}
