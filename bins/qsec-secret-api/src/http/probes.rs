//! `GET /healthz` (the process serves), `GET /readyz` (Vault is reachable
//! and the service has a Vault token) and `GET /metrics`. None needs a
//! token: probes and scrapers have none, and none of them reveals a secret.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// Always 200 while the process serves requests.
pub(crate) async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response()
}

/// 200 when Vault answers `sys/health` as initialized and unsealed and the
/// service holds a Vault token; 503 otherwise, saying why.
pub(crate) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let vault = state.vault.vault();
    let not_ready = |reason: String| {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not ready", "reason": reason }))).into_response()
    };
    if vault.client().token().is_none() {
        return not_ready("no Vault token yet (Kubernetes login pending?)".into());
    }
    let health = tokio::time::timeout(state.request_timeout, vault.timed("health", vault.client().health())).await;
    match health {
        Ok(Ok(health)) if health.is_serving() => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "vault": { "sealed": health.sealed, "standby": health.standby } })),
        )
            .into_response(),
        Ok(Ok(health)) => {
            not_ready(format!("Vault is not serving (initialized: {}, sealed: {})", health.initialized, health.sealed))
        }
        Ok(Err(error)) => not_ready(format!("Vault is unreachable: {error}")),
        Err(_) => not_ready(format!("Vault did not answer within {:?}", state.request_timeout)),
    }
}

/// The metrics, in the Prometheus text format.
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
