//! The webhook's HTTPS server: `POST /mutate` and `GET /healthz` on axum,
//! TLS by rustls with certificate reload.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::Handle;
use tokio::task::JoinHandle;

use super::review::review;
use super::tls::ReloadingTls;
use crate::error::{Error, Result};
use crate::inject::InjectSettings;

/// Where the API server sends AdmissionReviews.
pub const MUTATE_PATH: &str = "/mutate";

/// Answers 200 while the webhook serves.
pub const HEALTH_PATH: &str = "/healthz";

/// The largest review accepted. Objects are at most 1.5 MiB in etcd and a
/// review may carry two (object, oldObject), with room for encoding.
const MAX_REVIEW_BYTES: usize = 4 * 1024 * 1024;

/// The webhook's routes, injecting as `settings` say (each pod may adjust
/// them through its annotations, see [`InjectSettings::for_pod`]).
pub fn router(settings: InjectSettings) -> Result<Router> {
    settings.validate()?;
    Ok(Router::new()
        .route(MUTATE_PATH, post(mutate))
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_REVIEW_BYTES))
        .with_state(Arc::new(settings)))
}

async fn mutate(State(settings): State<Arc<InjectSettings>>, body: Bytes) -> Response {
    let answer = review(&body, &settings);
    let status = StatusCode::from_u16(answer.http_status).unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_success() {
        tracing::debug!(uid = %answer.review["response"]["uid"], allowed = %answer.review["response"]["allowed"], "review");
    } else {
        tracing::warn!(reason = %answer.review["response"]["status"]["message"], "malformed review");
    }
    (status, [(header::CONTENT_TYPE, "application/json")], answer.body()).into_response()
}

/// A running webhook server.
#[derive(Debug)]
pub struct WebhookServer {
    address: SocketAddr,
    handle: Handle<SocketAddr>,
    serving: JoinHandle<std::io::Result<()>>,
    watching: JoinHandle<()>,
}

impl WebhookServer {
    /// Binds `listen` and serves `router` over TLS, checking the certificate
    /// files for changes every `reload_every`.
    pub async fn start(listen: SocketAddr, tls: ReloadingTls, router: Router, reload_every: Duration) -> Result<Self> {
        let handle = Handle::new();
        let server = axum_server::bind_rustls(listen, tls.config()).handle(handle.clone());
        let serving = tokio::spawn(server.serve(router.into_make_service()));
        let Some(address) = handle.listening().await else {
            // Not listening means serving already failed; its error says why.
            let error = match serving.await {
                Ok(Err(error)) => error,
                Ok(Ok(())) => std::io::Error::other("stopped before listening"),
                Err(join) => std::io::Error::other(join),
            };
            return Err(Error::Server(error));
        };
        let watching = tokio::spawn(tls.watch(reload_every));
        Ok(Self { address, handle, serving, watching })
    }

    /// The address it listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `signal` completes, then stops gracefully; returns early
    /// with the error if serving fails.
    pub async fn serve_until(mut self, signal: impl Future<Output = ()>) -> Result<()> {
        tokio::select! {
            result = &mut self.serving => {
                self.watching.abort();
                return match result {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err(Error::Server(error)),
                    Err(join) => Err(Error::Server(std::io::Error::other(join))),
                };
            }
            () = signal => {}
        }
        self.shutdown(Duration::from_secs(10)).await
    }

    /// Stops accepting connections, lets open ones finish for up to `grace`,
    /// and stops the certificate watcher.
    pub async fn shutdown(self, grace: Duration) -> Result<()> {
        self.watching.abort();
        self.handle.graceful_shutdown(Some(grace));
        match self.serving.await {
            Ok(result) => result.map_err(Error::Server),
            Err(join) => Err(Error::Server(std::io::Error::other(join))),
        }
    }
}
