//! The `qsec-refresh` binary: sets up the process and hands over to
//! [`qsec_refresh::run`]. See the crate README for settings, endpoints and
//! exit codes.

use std::process::ExitCode;

use clap::Parser;
use qsec_refresh::{EXIT_STARTUP, Settings};

fn main() -> ExitCode {
    qsec_vault::install_crypto_provider();
    // Settings before tracing: the log filter is one of them (QSEC_LOG).
    let settings = Settings::parse();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&settings.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // One thread: the sidecar waits on timers and a few sockets, and every
    // extra worker thread costs memory in every pod.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("qsec-refresh: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_STARTUP);
        }
    };
    match runtime.block_on(qsec_refresh::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("qsec-refresh: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
