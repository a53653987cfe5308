//! The `qsec-init` binary: everything is in the `qsec_init` library.

fn main() -> std::process::ExitCode {
    qsec_vault::install_crypto_provider();
    qsec_init::process::main_from(std::env::args_os())
}
