//! The `qsec-secret-api` binary: installs the crypto provider, reads the
//! configuration, and serves until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use qsec_secret_api::{Config, SecretApi};

/// The Secret API: provisions apps in Vault, hands out RoleIDs and
/// get-secret-id tokens, keeps secrets with history.
#[derive(Parser)]
#[command(name = "qsec-secret-api", version, about)]
struct Args {
    /// The configuration file (YAML or JSON).
    #[arg(long, short, env = "QSEC_SECRET_API_CONFIG", value_name = "FILE")]
    config: PathBuf,
    /// Listen here instead of the configuration's `listen`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Check the configuration and exit.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    qsec_vault::install_crypto_provider();
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QSEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("qsec-secret-api: {}: {error}", args.config.display());
            return ExitCode::from(2);
        }
    };
    if args.check {
        println!("{}: configuration is valid", args.config.display());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("qsec-secret-api: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listen = args.listen.unwrap_or(config.listen);
    let result = runtime.block_on(async move { SecretApi::new(config).await?.serve_until(listen, shutdown()).await });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("qsec-secret-api: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown() {
    qsec_vault::shutdown_signal().await;
    tracing::info!("stopping: letting open requests finish");
}
