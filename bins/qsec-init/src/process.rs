//! The process around [`crate::run`]: JSON logs on stderr, settings from
//! the command line and the environment, one plain line and an exit code on
//! failure. Shared by the `qsec-init` binary and `qsec`'s pod emulation, so
//! both are the same program.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::{Error, Settings};

/// Runs `qsec-init` with `args` (the first one is the program name) as a
/// whole process would: sets up logging, parses, runs, reports.
pub fn main_from(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // JSON logs on stderr for the cluster's log pipeline; the failure line
    // below is plain text, the last thing written.
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QSEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = match Settings::try_parse_from(args) {
        Ok(settings) => settings,
        // --help and --version are not failures.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => return fail(&Error::usage(&error)),
    };
    // One thread is plenty: the work is a handful of requests and files.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(crate::run(&settings)),
        Err(error) => Err(Error::Internal { reason: format!("could not start the async runtime: {error}") }),
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &Error) -> ExitCode {
    eprintln!("qsec-init: {error}");
    ExitCode::from(error.exit_code())
}
