//! `qsec demo`: the seed's whole story on this machine, for real. A dev
//! Vault, the Secret API and the controller run in this process; the pod's
//! `qsec-init` and `qsec-refresh` run as their own processes on a loopback
//! address of the pod's own; the developer and the deployer use the `qsec`
//! CLI. Each step is printed as it happens; the end proves, by asking
//! Vault, that stopping the pod revoked everything.

mod cluster;
mod kubelet;
mod manifests;
mod mask;
mod progress;
mod proof;
mod secret_api;
mod story;
mod vault;

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// How to run the demo.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// At the end, leave the stack and the pod running and print how to
    /// talk to them; Ctrl-C then stops the pod (revoking everything) and
    /// the stack.
    #[arg(long)]
    keep_running: bool,
    /// Keep the demo's files here (configs, the pod's volumes and logs,
    /// summary.json) instead of in a temporary directory removed at the end.
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Plain lines only: no spinner, no colours (what a pipe gets anyway).
    #[arg(long)]
    plain: bool,
}

pub(crate) fn run(args: DemoArgs) -> anyhow::Result<()> {
    let temporary;
    let workdir = match &args.workdir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.clone()
        }
        None => {
            temporary =
                tempfile::Builder::new().prefix("qsec-demo-").tempdir().context("creating a temporary directory")?;
            temporary.path().to_path_buf()
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let options = story::Options {
        keep_running: args.keep_running,
        plain: args.plain,
        workdir,
        files_kept: args.workdir.is_some(),
    };
    runtime.block_on(story::run(options))
}
