//! `qsec dev ...`: local stand-ins for the real services.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Subcommand;
use qsec_vault::testkit::{DevServer, MemoryVault};

#[derive(Subcommand)]
pub(crate) enum DevCommand {
    /// Serve an in-memory Vault on loopback until stopped, like `vault server
    /// -dev`: kv v2 at secret/, AppRole at auth/approle/, Kubernetes auth at
    /// auth/kubernetes/, PKI at pki/, database at database/, AWS at aws/.
    /// Everything is lost when it stops.
    Vault {
        /// Where to listen; loopback only. Port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8200")]
        listen: SocketAddr,
        /// The root token; generated when not given.
        #[arg(long, env = "QSEC_DEV_ROOT_TOKEN")]
        root_token: Option<String>,
        /// Mount kv v1 instead of kv v2 at secret/.
        #[arg(long)]
        kv_v1: bool,
        /// Seed a secret in a kv mount: PATH=JSON, e.g. secret/myapp/db='{"password":"x"}'. Repeatable.
        #[arg(long = "seed", value_name = "PATH=JSON", value_parser = parse_seed)]
        seeds: Vec<(String, serde_json::Value)>,
    },
}

/// Reads `PATH=JSON`. Whether PATH lies in a kv mount is the vault's to
/// say when it is built (any kv mount will do, not only `secret/`).
fn parse_seed(text: &str) -> Result<(String, serde_json::Value), String> {
    let (path, json) = text.split_once('=').ok_or("expected PATH=JSON, e.g. secret/myapp/db='{\"k\":\"v\"}'")?;
    let path = path.trim().trim_matches('/');
    if !path.contains('/') {
        return Err(format!("{path:?} names no secret: expected MOUNT/PATH, e.g. secret/myapp/db"));
    }
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("the value is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the value must be a JSON object of keys and values".into());
    }
    Ok((path.to_owned(), value))
}

pub(crate) fn run(command: DevCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match command {
        DevCommand::Vault { listen, root_token, kv_v1, seeds } => {
            runtime.block_on(dev_vault(listen, root_token, kv_v1, seeds))
        }
    }
}

async fn dev_vault(
    listen: SocketAddr,
    root_token: Option<String>,
    kv_v1: bool,
    seeds: Vec<(String, serde_json::Value)>,
) -> anyhow::Result<()> {
    let mut builder = MemoryVault::builder().dev_mounts();
    if let Some(token) = root_token {
        builder = builder.root_token(token);
    }
    if kv_v1 {
        builder = builder.kv_v1("secret");
    }
    for (path, value) in seeds {
        builder = builder.seed_secret(&path, value);
    }
    let vault = builder.try_build().map_err(|why| anyhow::anyhow!("cannot set up the dev vault: {why}"))?;
    let server = DevServer::start(vault.clone(), listen).with_context(|| format!("listening on {listen}"))?;
    let url = server.url();
    println!("qsec dev vault listening on {url}");
    println!("Root token: {}", vault.root_token());
    println!();
    println!("    export VAULT_ADDR={url}");
    println!("    export VAULT_TOKEN={}", vault.root_token());
    println!();
    println!(
        "secret/ is kv {}; also pki/, database/, aws/, auth/approle/, auth/kubernetes/.",
        if kv_v1 { "v1" } else { "v2" }
    );
    println!("Everything lives in memory; Ctrl-C stops it.");
    qsec_vault::shutdown_signal().await;
    server.shutdown().await;
    eprintln!("qsec dev vault stopped");
    Ok(())
}
