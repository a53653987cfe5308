//! `qsec`: the command-line tool of qsec. Parses the command line and hands
//! each subcommand to the crate that does the work.

mod commands;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Vault secrets for Kubernetes pods: plan and inspect qsec apps, set
/// secrets through the Secret API, render templates, and run a local dev
/// Vault.
///
/// Exit codes: 0 done; 1 usage or input error; 2 authentication or
/// authorisation (401, 403, no token); 3 not found (404); 4 server, Vault
/// or network error.
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
    /// Watch the whole story on this machine: a dev Vault, the Secret API,
    /// the controller and one pod of examples/myapp, from `qsec secrets set`
    /// to revocation when the pod stops. No cluster, no Vault needed.
    Demo(commands::demo::DemoArgs),
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
    /// An app's secrets, with history, through the Secret API.
    #[command(subcommand)]
    Secrets(commands::secrets::SecretsCommand),
    /// Print the shell completion script for SHELL, e.g. `qsec completions
    /// bash > /etc/bash_completion.d/qsec`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Runs qsec-init or qsec-refresh in this process: how `qsec demo` starts
    /// a pod's containers from this one binary.
    #[command(hide = true)]
    PodProcess(commands::pod_process::PodProcessArgs),
}

fn main() -> ExitCode {
    qsec_vault::install_crypto_provider();
    // Usage errors exit 1, not clap's 2: 2 means "not authorised" here.
    let cli = Cli::try_parse().unwrap_or_else(|error| {
        let _ = error.print();
        std::process::exit(if error.use_stderr() { 1 } else { 0 })
    });
    // A pod process sets up its own logging, as its own binary would.
    let command = match cli.command {
        Command::PodProcess(args) => return commands::pod_process::run(args),
        command => command,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QSEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match command {
        Command::Demo(args) => commands::demo::run(args),
        Command::App(command) => commands::app::run(command),
        Command::Deploy(command) => commands::deploy::run(command),
        Command::Dev(command) => commands::dev::run(command),
        Command::Template(command) => commands::template::run(command),
        Command::Secrets(command) => commands::secrets::run(command),
        Command::Completions { shell } => commands::completions::run(shell, Cli::command()),
        Command::PodProcess(_) => unreachable!("handled before logging is set up"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:?}");
            commands::api::exit_code(&error)
        }
    }
}
