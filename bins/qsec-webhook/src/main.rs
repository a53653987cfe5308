//! `qsec-webhook`: the mutating admission webhook. Parses its settings and
//! serves `qsec_k8s::webhook` over TLS; all the logic lives there.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use qsec_k8s::inject::{ConfigFrom, InjectArgs};
use qsec_k8s::webhook::{self, ReloadingTls, TlsFiles, WebhookServer};

/// Injects qsec into pods annotated qsec.io/inject: "true".
#[derive(Parser)]
#[command(name = "qsec-webhook", version, about)]
struct Cli {
    /// Address to serve HTTPS on.
    #[arg(long, env = "QSEC_WEBHOOK_LISTEN", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// PEM certificate chain; reloaded when it changes.
    #[arg(long, env = "QSEC_WEBHOOK_TLS_CERT", default_value = "/etc/qsec-webhook/tls/tls.crt")]
    tls_cert: PathBuf,
    /// PEM private key; reloaded when it changes.
    #[arg(long, env = "QSEC_WEBHOOK_TLS_KEY", default_value = "/etc/qsec-webhook/tls/tls.key")]
    tls_key: PathBuf,
    /// Seconds between checks of the certificate files.
    #[arg(long, default_value_t = 10)]
    tls_reload_seconds: u64,
    /// Where pods' config and RoleID come from, unless a pod names its own
    /// init image (qsec.io/init-image): configmap (the app's ConfigMap and
    /// RoleID Secret) or image.
    #[arg(long, default_value = "configmap", value_parser = parse_config_from)]
    config_from: ConfigFrom,
    #[command(flatten)]
    inject: InjectArgs,
}

fn parse_config_from(text: &str) -> Result<ConfigFrom, String> {
    text.parse().map_err(|error: qsec_k8s::Error| error.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    qsec_vault::install_crypto_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QSEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .json()
        .init();
    let cli = Cli::parse();
    let settings = cli.inject.to_settings(cli.config_from)?;
    let tls = ReloadingTls::load(TlsFiles { cert: cli.tls_cert, key: cli.tls_key }).await?;
    let reload_every = Duration::from_secs(cli.tls_reload_seconds.max(1));
    let server = WebhookServer::start(cli.listen, tls, webhook::router(settings)?, reload_every).await?;
    tracing::info!(address = %server.local_addr(), "qsec-webhook serving");
    server.serve_until(stop_signal()).await?;
    Ok(())
}

/// SIGTERM (what Kubernetes sends) or Ctrl-C.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn flags_are_consistent_and_default_to_configmap_mode() {
        Cli::command().debug_assert();
        let cli = Cli::parse_from(["qsec-webhook", "--vault-addr", "https://vault:8200"]);
        let settings = cli.inject.to_settings(cli.config_from).unwrap();
        assert_eq!(settings.config_from, ConfigFrom::ConfigMap);
        assert_eq!(settings.vault_addr, "https://vault:8200");
        assert_eq!(cli.listen.port(), 8443);
    }
}
