//! `qsec deploy ...`: the deployer (seed steps 2–6), wired to `qsec_k8s::deployer`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use qsec_core::{AppRef, Jwt, RoleId};
use qsec_k8s::deployer::{self, BUILD_CONTEXT_DIR, RenderRequest};
use qsec_k8s::inject::{ConfigFrom, InjectArgs};

#[derive(Subcommand)]
pub(crate) enum DeployCommand {
    /// Add qsec to workload manifests (Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, Job, CronJob, Pod) and write what their pods need: the
    /// init image's build context (config + RoleID), or a ConfigMap and a
    /// RoleID Secret.
    Render {
        /// Workload manifests (multi-document YAML); repeat for more files.
        #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The app, as PROVIDER.CLUSTER.APP.
        #[arg(long)]
        app: AppRef,
        /// The app's config directory (plain files and *.tmpl templates).
        #[arg(long, value_name = "DIR", default_value = "config")]
        config: PathBuf,
        /// Where the config and RoleID go: image (baked into the app's init
        /// image, the seed's way) or configmap (a ConfigMap and a Secret).
        #[arg(long, default_value = "image", value_parser = parse_config_from)]
        config_from: ConfigFrom,
        /// Output directory (manifests.yaml, init-image/), or - to print the
        /// manifests (configmap mode only).
        #[arg(short = 'o', long, value_name = "DIR", default_value = "qsec-render")]
        out: PathBuf,
        /// Image mode: the name:tag of the app's init image, as you will push
        /// it [default: qsec-init/APP:HASH, HASH hashing the build context].
        #[arg(long, value_name = "IMAGE")]
        init_image_name: Option<String>,
        /// Read the RoleID from this file instead of asking the Secret API.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["api", "token"])]
        role_id_file: Option<PathBuf>,
        /// The Secret API's base URL.
        #[arg(long, env = "QSEC_API", value_name = "URL")]
        api: Option<String>,
        /// Your JWT for the Secret API.
        #[arg(long, env = "QSEC_TOKEN", value_name = "JWT", hide_env_values = true)]
        token: Option<String>,
        #[command(flatten)]
        inject: InjectArgs,
    },
}

fn parse_config_from(text: &str) -> Result<ConfigFrom, String> {
    text.parse().map_err(|error: qsec_k8s::Error| error.to_string())
}

pub(crate) fn run(command: DeployCommand) -> anyhow::Result<()> {
    match command {
        DeployCommand::Render {
            files,
            app,
            config,
            config_from,
            out,
            init_image_name,
            role_id_file,
            api,
            token,
            inject,
        } => {
            let to_stdout = out == Path::new("-");
            if to_stdout && config_from == ConfigFrom::Image {
                bail!("--out - prints manifests only; image mode also writes a build context, so give a directory");
            }
            let settings = inject.to_settings(config_from)?;
            let mut manifests = Vec::new();
            for file in &files {
                manifests.push(std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?);
            }
            let config = deployer::read_config_dir(&config)?;
            let role_id = role_id(&app, role_id_file.as_deref(), api.as_deref(), token)?;
            let request = RenderRequest {
                app,
                manifests: manifests.join("\n---\n"),
                config,
                role_id,
                settings,
                init_image: init_image_name,
            };
            let rendered = deployer::render(&request)?;
            for warning in &rendered.warnings {
                eprintln!("warning: {warning}");
            }
            if to_stdout {
                print!("{}", rendered.manifests);
                return Ok(());
            }
            rendered.write_to(&out)?;
            for workload in &rendered.workloads {
                eprintln!("{} {}: {:?}", workload.kind, workload.name, workload.injection);
            }
            eprintln!("wrote {}", out.join(deployer::MANIFESTS_FILE).display());
            if let Some(image) = &rendered.init_image {
                let context = out.join(BUILD_CONTEXT_DIR);
                eprintln!("build and push the init image before applying:");
                eprintln!("  docker build -t {image} {0} && docker push {image}", context.display());
            }
            Ok(())
        }
    }
}

/// Road 1: the RoleID, from a file or from the Secret API.
fn role_id(app: &AppRef, file: Option<&Path>, api: Option<&str>, token: Option<String>) -> anyhow::Result<RoleId> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let text = text.trim();
        if text.is_empty() {
            bail!("{} is empty; it should hold the app's RoleID", file.display());
        }
        return Ok(RoleId::new(text));
    }
    let (Some(api), Some(token)) = (api, token) else {
        bail!(
            "the RoleID comes from the Secret API: give --api and --token (or QSEC_API, QSEC_TOKEN), or --role-id-file"
        );
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let answer = runtime.block_on(deployer::fetch_role_id(api, &Jwt::new(token), app))?;
    eprintln!("Secret API: RoleID of AppRole {}", answer.role_name);
    Ok(answer.role_id)
}
