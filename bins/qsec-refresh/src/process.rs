//! The process around [`crate::run`]: settings from the command line and
//! the environment, JSON logs on stderr, one plain line and an exit code on
//! failure. Shared by the `qsec-refresh` binary and `qsec`'s pod
//! emulation, so both are the same program.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::{EXIT_STARTUP, Settings};

/// Runs `qsec-refresh` with `args` (the first one is the program name) as
/// a whole process would: parses, sets up logging, runs, reports.
pub fn main_from(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // Settings before tracing: the log filter is one of them (QSEC_LOG).
    let settings = Settings::parse_from(args);
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
    match runtime.block_on(crate::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("qsec-refresh: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
