//! The `qsec-controller` binary: installs the crypto provider, reads its
//! settings, connects to Kubernetes (KUBECONFIG or in-cluster) and runs the
//! controller of `qsec_k8s::controller` with its probe and metrics server
//! until SIGTERM or Ctrl-C, then releases its Lease.

mod settings;

use std::process::ExitCode;

use clap::Parser;
use qsec_k8s::controller::{Controller, http};
use tokio::sync::oneshot;

use crate::settings::Args;

// jemalloc: a burst of deliveries allocates and frees from both runtime
// threads at once, where glibc's malloc contends on its arena locks
// (measured: ~15% of the controller's CPU per delivery, same peak memory).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    qsec_vault::install_crypto_provider();
    let args = Args::parse();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QSEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = args.controller_config();
    if let Err(error) = config.validate() {
        eprintln!("qsec-controller: {error}");
        return ExitCode::from(2);
    }
    if let Some(Err(error)) = args.lease("default").map(|lease| lease.validate()) {
        eprintln!("qsec-controller: {error}");
        return ExitCode::from(2);
    }
    let vault = match args.vault_config() {
        Ok(vault) => vault,
        Err(error) => {
            eprintln!("qsec-controller: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("qsec-controller: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, config, vault)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("qsec-controller: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    args: Args,
    config: qsec_k8s::controller::ControllerConfig,
    vault: qsec_vault::VaultConfig,
) -> Result<(), String> {
    let client = kube::Client::try_default().await.map_err(|error| {
        format!("connecting to Kubernetes: {error}; set KUBECONFIG or run in a pod with a service account")
    })?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| format!("listening on {} (--listen): {error}", args.listen))?;
    let lease = args.lease(client.default_namespace());
    let running = Controller::new(config, client, vault).map_err(|error| error.to_string())?.spawn(lease);
    let (stop_http, http_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(http::serve(listener, running.probes(), async move {
        let _ = http_stopped.await;
    }));
    tracing::info!(listen = %args.listen, "qsec-controller started");
    qsec_vault::shutdown_signal().await;
    tracing::info!("stopping: finishing deliveries in flight, releasing the Lease");
    running.stop().await;
    let _ = stop_http.send(());
    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(error) => Err(format!("the probe server failed: {error}")),
    }
}
