//! The controller's own endpoints: `/healthz` (serving), `/readyz` (the pod
//! watch has synced; says leader or standby), `/metrics` (Prometheus text).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::sync::watch;

use super::metrics::Metrics;
use super::state::Views;

/// What the endpoints read.
#[derive(Clone)]
pub struct Probes {
    /// The tracked pods.
    pub views: Arc<Views>,
    /// The counters.
    pub metrics: Arc<Metrics>,
    /// Whether this replica leads.
    pub leader: watch::Receiver<bool>,
}

/// The router.
pub fn router(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(|| async { axum::Json(json!({ "status": "ok" })) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(probes)
}

async fn readyz(State(probes): State<Probes>) -> Response {
    let role = if *probes.leader.borrow() { "leader" } else { "standby" };
    let body = json!({ "synced": probes.views.synced(), "role": role, "pods": probes.views.len() });
    let status = if probes.views.synced() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(probes): State<Probes>) -> Response {
    probes.metrics.set_leader(*probes.leader.borrow());
    let text = probes.metrics.render(probes.views.pending());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Serves the endpoints on `listener` until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    probes: Probes,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    axum::serve(listener, router(probes)).with_graceful_shutdown(stop).await.map_err(crate::Error::Server)
}
