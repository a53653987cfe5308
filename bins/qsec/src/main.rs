//! `qsec`: the command-line tool of qsec. Parses the command line and hands
//! each subcommand to the crate that does the work.

mod commands;

use clap::{Parser, Subcommand};

/// Vault secrets for Kubernetes pods: plan and inspect qsec apps, render
/// templates, and run a local dev Vault.
#[derive(Parser)]
#[command(name = "qsec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process, so the size of the largest variant is irrelevant.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Work with one app's Vault objects.
    #[command(subcommand)]
    App(commands::app::AppCommand),
    /// Add qsec to workload manifests (the deployer).
    #[command(subcommand)]
    Deploy(commands::deploy::DeployCommand),
    /// Local development helpers.
    #[command(subcommand)]
    Dev(commands::dev::DevCommand),
    /// Go templates as qsec renders them.
    #[command(subcommand)]
    Template(commands::template::TemplateCommand),
}

fn main() -> anyhow::Result<()> {
    qsec_vault::install_crypto_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QSEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::App(command) => commands::app::run(command),
        Command::Deploy(command) => commands::deploy::run(command),
        Command::Dev(command) => commands::dev::run(command),
        Command::Template(command) => commands::template::run(command),
    }
}
