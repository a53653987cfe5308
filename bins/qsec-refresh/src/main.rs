//! The `qsec-refresh` binary: everything is in the `qsec_refresh` library;
//! see the crate README for settings, endpoints and exit codes.

fn main() -> std::process::ExitCode {
    qsec_vault::install_crypto_provider();
    qsec_refresh::process::main_from(std::env::args_os())
}
