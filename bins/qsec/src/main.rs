//! `qsec`: the command-line tool of qsec.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use qsec_core::{AppRef, QsecLayout};

/// Vault secrets for Kubernetes pods: plan, provision and inspect qsec apps.
#[derive(Parser)]
#[command(name = "qsec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with one app's Vault objects.
    #[command(subcommand)]
    App(AppCommand),
}

#[derive(Subcommand)]
enum AppCommand {
    /// Print the AppRole, policies and token role qsec creates for an app,
    /// without talking to Vault.
    Plan {
        /// The app, as PROVIDER.CLUSTER.APP.
        #[arg(default_value = "aws.stg.myapp")]
        app: AppRef,
        /// A JSON file overriding parts of the default (seed) layout.
        #[arg(long, value_name = "FILE")]
        layout: Option<PathBuf>,
        /// How to print the plan.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// The seed's notation, for people.
    Text,
    /// JSON, for scripts.
    Json,
}

fn main() -> anyhow::Result<()> {
    qsec_vault::install_crypto_provider();
    match Cli::parse().command {
        Command::App(AppCommand::Plan { app, layout, output }) => {
            let layout = match layout {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading layout file {}", path.display()))?;
                    serde_json::from_str::<QsecLayout>(&text)
                        .with_context(|| format!("parsing layout file {}", path.display()))?
                }
                None => QsecLayout::default(),
            };
            let plan = layout.plan(&app)?;
            let text = match output {
                Output::Text => plan.to_string(),
                Output::Json => serde_json::to_string_pretty(&plan)?,
            };
            println!("{text}");
        }
    }
    Ok(())
}
