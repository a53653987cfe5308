//! `qsec app ...`

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use qsec_core::{AppRef, QsecLayout};
use reqwest::Method;

use super::api::{ApiArgs, ApiClient, app_path, block_on, print_json};

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
    /// Provision an app through the Secret API (idempotent) and print its
    /// RoleID: what a deployer bakes into the init image.
    RoleId {
        /// The app, as PROVIDER.CLUSTER.APP.
        app: AppRef,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Get a short-lived Vault token that can create SecretIDs for one app
    /// only (what the controller does for each pod).
    SecretIdToken {
        /// The app, as PROVIDER.CLUSTER.APP.
        app: AppRef,
        #[command(flatten)]
        api: ApiArgs,
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
        AppCommand::RoleId { app, api } => {
            let client = ApiClient::new(&api)?;
            let path = format!("{}/role-id", app_path(&app));
            let answer = block_on(async move { client.send(Method::POST, &path, None).await })?;
            match api.output {
                Output::Json => print_json(&answer),
                Output::Text => {
                    println!("role_id    {}", answer["role_id"].as_str().unwrap_or_default());
                    println!("role_name  {}", answer["role_name"].as_str().unwrap_or_default());
                    for change in answer["changes"].as_array().into_iter().flatten() {
                        eprintln!("created or updated: {}", change.as_str().unwrap_or_default());
                    }
                }
            }
            Ok(())
        }
        AppCommand::SecretIdToken { app, api } => {
            let client = ApiClient::new(&api)?;
            let path = format!("{}/secret-id-token", app_path(&app));
            let answer = block_on(async move { client.send(Method::POST, &path, None).await })?;
            match api.output {
                Output::Json => print_json(&answer),
                Output::Text => {
                    println!("token           {}", answer["token"].as_str().unwrap_or_default());
                    println!("accessor        {}", answer["accessor"].as_str().unwrap_or_default());
                    println!("ttl             {}s", answer["ttl"]);
                    println!("secret_id_path  {}", answer["secret_id_path"].as_str().unwrap_or_default());
                }
            }
            Ok(())
        }
    }
}

pub(crate) fn load_layout(path: &PathBuf) -> anyhow::Result<QsecLayout> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading layout file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing layout file {}", path.display()))
}
