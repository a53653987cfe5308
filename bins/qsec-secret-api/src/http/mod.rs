//! The HTTP API: routes, the shared state, request metrics.

mod app_routes;
mod errors;
mod guard;
mod probes;
mod secret_routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::apps::Apps;
use crate::audit::AuditLog;
use crate::authz::Rules;
use crate::jwt::Verifier;
use crate::metrics::Metrics;
use crate::secrets::Secrets;
use crate::vault::VaultConnection;

/// Everything a request needs. The service keeps no state of its own
/// beyond caches: Vault is the store.
pub(crate) struct AppState {
    pub(crate) verifier: Verifier,
    pub(crate) rules: Rules,
    pub(crate) audit: AuditLog,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) apps: Apps,
    pub(crate) secrets: Secrets,
    pub(crate) vault: VaultConnection,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body: usize,
}

/// The router of every endpoint.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let app = "/v1/apps/{provider}/{cluster}/{app}";
    Router::new()
        .route(&format!("{app}/role-id"), post(app_routes::role_id))
        .route(&format!("{app}/secret-id-token"), post(app_routes::secret_id_token))
        .route(&format!("{app}/secrets/{{name}}"), get(secret_routes::get_secret).put(secret_routes::put_secret))
        .route(&format!("{app}/secrets/{{name}}/versions"), get(secret_routes::versions))
        .route(&format!("{app}/secrets/{{name}}/rollback"), post(secret_routes::rollback))
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route("/metrics", get(probes::metrics))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), count_request))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Counts every routed request by its route template, method and status.
async fn count_request(
    State(state): State<Arc<AppState>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state.metrics.request(&route, &method, response.status().as_u16());
    response
}

async fn unknown_route(State(state): State<Arc<AppState>>, request: Request) -> Response {
    state.metrics.request("unmatched", request.method().as_str(), 404);
    errors::plain_error(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see the Secret API's README")
}

async fn method_not_allowed(State(state): State<Arc<AppState>>, request: Request) -> Response {
    state.metrics.request("unmatched", request.method().as_str(), 405);
    errors::plain_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method")
}
