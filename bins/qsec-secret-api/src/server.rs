//! [`SecretApi`]: the service built from its [`Config`], served until told
//! to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::apps::Apps;
use crate::audit::AuditLog;
use crate::authz::Rules;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{AppState, router};
use crate::jwt::Verifier;
use crate::metrics::Metrics;
use crate::secrets::Secrets;
use crate::vault::VaultConnection;

/// How long a stopping server lets open requests finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The Secret API, ready to serve.
pub struct SecretApi {
    state: Arc<AppState>,
}

impl SecretApi {
    /// Builds the service: checks the configuration, loads the issuers'
    /// keys, opens the audit log and sets up the Vault client. Vault itself
    /// need not be up (`/readyz` says when it is).
    pub async fn new(config: Config) -> Result<Self> {
        config.check()?;
        let metrics = Arc::new(Metrics::default());
        let request_timeout = config.request_timeout();
        let vault = VaultConnection::connect(&config.vault, request_timeout, Arc::clone(&metrics)).await?;
        let verifier = Verifier::new(&config.auth).await?;
        let rules = Rules::new(config.rules.clone())?;
        let audit = AuditLog::open(&config.audit)?;
        let apps = Apps::new(
            vault.vault().clone(),
            config.effective_layout(),
            Duration::from_secs(config.provision_cache_ttl),
            Duration::from_secs(config.secret_id_token_ttl),
        );
        let secrets = Secrets::new(vault.vault().clone());
        tracing::info!(rules = rules.len(), audit = %audit.target(), vault = %vault.vault().client().address(), "Secret API configured");
        if rules.is_empty() {
            tracing::warn!("no authorisation rules: every request will be denied");
        }
        let state = AppState {
            verifier,
            rules,
            audit,
            metrics,
            apps,
            secrets,
            vault,
            request_timeout,
            max_body: config.max_body_bytes,
        };
        Ok(Self { state: Arc::new(state) })
    }

    /// The HTTP service, for embedding in another server or calling in tests.
    pub fn router(&self) -> axum::Router {
        router(Arc::clone(&self.state))
    }

    /// Binds `addr` and serves on a Tokio task until [`RunningServer::shutdown`].
    pub async fn start(self, addr: SocketAddr) -> Result<RunningServer> {
        let listener = bind(addr).await?;
        let addr = listener.local_addr().map_err(|e| io_error(addr, e))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = self.router();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await
        });
        Ok(RunningServer { addr, stop: Some(stop), task: Some(task) })
    }

    /// Binds `addr` and serves until `shutdown` completes (e.g. SIGTERM),
    /// then lets open requests finish.
    pub async fn serve_until(
        self,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let listener = bind(addr).await?;
        let bound = listener.local_addr().map_err(|e| io_error(addr, e))?;
        tracing::info!(%bound, "Secret API listening");
        axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await.map_err(|e| io_error(bound, e))
    }
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| io_error(addr, e))
}

fn io_error(addr: SocketAddr, error: std::io::Error) -> Error {
    Error::Io { path: addr.to_string(), reason: format!("cannot listen: {error}") }
}

/// A running service. [`RunningServer::shutdown`] stops it; dropping it
/// stops it too.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets open ones finish (up to 10 s) and
    /// returns when the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
