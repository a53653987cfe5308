//! `qsec pod-process init|refresh ARGS...` (hidden): runs the pod-side
//! programs from this binary, so `qsec demo` needs nothing but `qsec` and
//! still runs the very code of `qsec-init` and `qsec-refresh`, each as its
//! own process.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// Which program, and its arguments.
#[derive(Args)]
pub(crate) struct PodProcessArgs {
    /// The program to be.
    #[arg(value_enum)]
    program: PodProgram,
    /// Its arguments (settings usually come from the environment).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

/// The pod-side programs.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PodProgram {
    /// The init container: receives the SecretID, logs in, renders.
    Init,
    /// The refresh sidecar: renews, and revokes when the pod stops.
    Refresh,
}

impl PodProgram {
    /// The program's own name, as `argv[0]` and in its messages.
    pub(crate) fn binary_name(self) -> &'static str {
        match self {
            PodProgram::Init => "qsec-init",
            PodProgram::Refresh => "qsec-refresh",
        }
    }
}

pub(crate) fn run(args: PodProcessArgs) -> ExitCode {
    let argv = std::iter::once(OsString::from(args.program.binary_name())).chain(args.args);
    match args.program {
        PodProgram::Init => qsec_init::process::main_from(argv),
        PodProgram::Refresh => qsec_refresh::process::main_from(argv),
    }
}
