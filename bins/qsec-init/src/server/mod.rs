//! The delivery server: `GET /healthz` while waiting, `POST /v1/secret-id`
//! until one SecretID logs in, then no more listening. The wait's state
//! machine is in `state`.

mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use qsec_core::delivery::{DELIVERY_PATH, HEALTH_PATH, SecretIdDelivery};
use qsec_core::{AuthInfo, VaultBackend};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tracing::{info, warn};

use self::state::{Finished, Phase, Wait};
use crate::delivery;
use crate::error::Error;
use crate::login::AppRoleLogin;

/// How long open connections get to finish once a SecretID was accepted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Opens the delivery port.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|error| Error::Listen { addr, reason: error.to_string() })
}

/// Serves the delivery protocol on `listener` until a delivered SecretID
/// logs in (its token is returned, and current in `vault`), Vault turns out
/// to be unavailable, or `timeout` passes with no SecretID.
///
/// Each POST is handled inline: the controller's answer says whether the
/// login worked. A refused delivery (403) leaves the server waiting for
/// another; a delivery that arrives while one is processed gets 409. Once
/// it returns the listener is closed, so later connections are refused.
pub async fn wait_for_secret_id(
    listener: TcpListener,
    vault: Arc<dyn VaultBackend>,
    login: AppRoleLogin,
    timeout: Duration,
) -> Result<AuthInfo, Error> {
    let listen = listener.local_addr().map_err(|e| Error::Internal { reason: e.to_string() })?;
    let (wait, mut outcome) = Wait::new(timeout, listen);
    let shared = Arc::new(Shared { wait, vault, login });
    let app = Router::new()
        .route(HEALTH_PATH, get(health))
        .route(DELIVERY_PATH, post(deliver))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let mut server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    info!(addr = %listen, path = DELIVERY_PATH, "listening; waiting for a SecretID");

    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let result = tokio::select! {
        result = &mut outcome => result,
        () = &mut deadline => match shared.wait.expire() {
            Some(gave_up) => Ok(Err(gave_up)),
            None => outcome.await,
        },
    };
    let _ = stop_tx.send(());
    match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => warn!(%error, "the delivery server failed"),
        Ok(Err(error)) => warn!(%error, "the delivery server task failed"),
        Err(_) => server.abort(),
    }
    result.unwrap_or_else(|_| Err(Error::Internal { reason: "the delivery outcome was lost".into() }))
}

struct Shared {
    wait: Wait,
    vault: Arc<dyn VaultBackend>,
    login: AppRoleLogin,
}

/// Ends processing if the task doing it stops without finishing (a panic),
/// so the wait cannot hang on a delivery nobody is processing.
struct ProcessingGuard(Arc<Shared>);

impl Drop for ProcessingGuard {
    fn drop(&mut self) {
        if self.0.wait.phase() == Phase::Processing {
            let stopped = Error::Internal { reason: "processing a delivery stopped unexpectedly".into() };
            let _ = self.0.wait.finish(Err(stopped));
        }
    }
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    match shared.wait.phase() {
        Phase::Waiting => (StatusCode::OK, axum::Json(json!({ "status": "waiting" }))).into_response(),
        Phase::Processing => (StatusCode::OK, axum::Json(json!({ "status": "processing" }))).into_response(),
        Phase::Done => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "status": "done" }))).into_response(),
    }
}

async fn deliver(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    if shared.wait.phase() != Phase::Waiting {
        return busy(shared.wait.phase());
    }
    let delivery = match delivery::read(&headers, body).await {
        Ok(delivery) => delivery,
        Err(rejection) => {
            warn!(status = rejection.status().as_u16(), reason = %rejection.message(), "SecretID delivery rejected");
            return error_response(rejection.status(), rejection.message());
        }
    };
    if !shared.wait.try_begin() {
        return busy(shared.wait.phase());
    }
    let kind = if matches!(delivery, SecretIdDelivery::Wrapped { .. }) { "wrapped" } else { "plain" };
    info!(kind, "SecretID delivered; logging in");
    // Processed on its own task: a controller that hangs up mid-way must
    // not cancel a login that may already have used the SecretID.
    let guard = ProcessingGuard(shared);
    let task = tokio::spawn(async move {
        let result = guard.0.login.redeem(&*guard.0.vault, &delivery).await;
        match guard.0.wait.finish(result) {
            Finished::Accepted => (StatusCode::OK, axum::Json(json!({ "status": "accepted" }))).into_response(),
            Finished::Refused(message) => error_response(StatusCode::FORBIDDEN, message),
            Finished::Failed(message) => error_response(StatusCode::SERVICE_UNAVAILABLE, message),
        }
    });
    task.await.unwrap_or_else(|_| {
        error_response(StatusCode::INTERNAL_SERVER_ERROR, "processing the delivery stopped unexpectedly".into())
    })
}

fn busy(phase: Phase) -> Response {
    let message = match phase {
        Phase::Processing => "a SecretID delivery is already being processed",
        _ => "qsec-init is no longer waiting for a SecretID",
    };
    error_response(StatusCode::CONFLICT, message.into())
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, format!("qsec-init serves GET {HEALTH_PATH} and POST {DELIVERY_PATH} only"))
}

async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("qsec-init serves GET {HEALTH_PATH} and POST {DELIVERY_PATH} only"),
    )
}

fn error_response(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}
