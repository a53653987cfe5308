//! `qsec app ...`

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use qsec_core::{AppRef, QsecLayout};

#[derive(Subcommand)]
pub(crate) enum AppCommand {
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
pub(crate) enum Output {
    /// The seed's notation, for people.
    Text,
    /// JSON, for scripts.
    Json,
}

pub(crate) fn run(command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Plan { app, layout, output } => {
            let layout = match layout {
                Some(path) => load_layout(&path)?,
                None => QsecLayout::default(),
            };
            let plan = layout.plan(&app)?;
            let text = match output {
                Output::Text => plan.to_string(),
                Output::Json => serde_json::to_string_pretty(&plan)?,
            };
            println!("{text}");
            Ok(())
        }
    }
}

pub(crate) fn load_layout(path: &PathBuf) -> anyhow::Result<QsecLayout> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading layout file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing layout file {}", path.display()))
}
