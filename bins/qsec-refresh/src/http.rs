//! The sidecar's HTTP endpoints: `GET /healthz`, `GET /metrics` and
//! `POST /v1/quit`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use qsec_vault::{Clock, RenewerStatus};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::health::health;
use crate::metrics;
use crate::triggers::StopReason;

/// What the handlers read and poke.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) status: watch::Receiver<RenewerStatus>,
    pub(crate) stopping: watch::Receiver<Option<StopReason>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) quit: Arc<Notify>,
}

/// Serves the endpoints on `listener` in a task; abort it to stop.
pub(crate) fn spawn(listener: TcpListener, shared: Shared) -> JoinHandle<()> {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/v1/quit", post(quit))
        .with_state(shared);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await {
            // Renewing matters more than the endpoints: keep going without them.
            warn!(%error, "the HTTP endpoints stopped");
        }
    })
}

async fn healthz(State(shared): State<Shared>) -> Response {
    let stopping = *shared.stopping.borrow();
    let health = health(&shared.status.borrow(), stopping, shared.clock.now());
    let code = if health.healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(health.body)).into_response()
}

async fn metrics_text(State(shared): State<Shared>) -> Response {
    let text = metrics::render(&shared.status.borrow(), shared.clock.now());
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

async fn quit(State(shared): State<Shared>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if !may_quit(peer) {
        warn!(%peer, "refused POST /v1/quit from outside the pod");
        return (StatusCode::FORBIDDEN, axum::Json(json!({"error": "POST /v1/quit is only accepted from loopback"})))
            .into_response();
    }
    info!(%peer, "quit requested");
    shared.quit.notify_one();
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "stopping"}))).into_response()
}

/// Only the pod's own containers may stop the sidecar: they share its
/// network namespace and reach it on loopback. Anyone else on the cluster
/// network could otherwise revoke the pod's credentials.
fn may_quit(peer: SocketAddr) -> bool {
    let ip = match peer.ip() {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(std::net::IpAddr::V6(v6)),
        ip => ip,
    };
    ip.is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_quit() {
        for allowed in ["127.0.0.1:5000", "127.0.0.53:1", "[::1]:5000", "[::ffff:127.0.0.1]:5000"] {
            assert!(may_quit(allowed.parse().unwrap()), "{allowed}");
        }
        for refused in ["10.1.2.3:5000", "[fd00::1]:5000", "[::ffff:10.0.0.1]:5000", "0.0.0.0:1"] {
            assert!(!may_quit(refused.parse().unwrap()), "{refused}");
        }
    }
}
