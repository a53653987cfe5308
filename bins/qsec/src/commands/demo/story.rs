//! The story, step by step: platform up, the developer sets a secret, the
//! deployer renders the app, a pod is scheduled, the controller delivers,
//! the pod renders and renews, the pod stops and Vault confirms the
//! revocation.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use qsec_k8s::inject::names::{CONFIG_VOLUME, INIT_CONTAINER, LEASES_VOLUME, REFRESH_CONTAINER};

use super::cluster::{CLUSTER, DemoCluster};
use super::kubelet::PodSandbox;
use super::manifests::{APP, Rendered, write_example};
use super::mask::masked;
use super::progress::Progress;
use super::proof::{lease_bundle, prove_revoked, renewals, token_accepted};
use super::secret_api::{CONTROLLER, DEPLOYER, DEVELOPER, DemoSecretApi};
use super::vault::{DemoVault, SHORT_TTL, layout};
use crate::commands::pod_process::PodProgram;

/// Bounds every wait, so a broken piece fails the demo instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

/// What the caller chose.
pub(crate) struct Options {
    pub(crate) keep_running: bool,
    pub(crate) plain: bool,
    pub(crate) workdir: PathBuf,
    /// `workdir` outlives the run (`--workdir`), so its files can be pointed at.
    pub(crate) files_kept: bool,
}

/// What the demo proved, written to `summary.json` for scripts and tests.
#[derive(serde::Serialize, Default)]
struct Summary {
    secret_versions: u64,
    role_id_delivered_by_deployer: bool,
    pod: String,
    pod_ip: String,
    secret_id_accessor: String,
    delivery_ms: u128,
    rendered_files: Vec<String>,
    renewals: u64,
    refresh_exit_code: Option<i32>,
    token_revoked: bool,
    leases_revoked: usize,
    leases_total: usize,
    seconds: f64,
}

impl Summary {
    /// What the run proved, a line per component, for the closing summary.
    fn facts(&self, kept: Option<&std::path::Path>) -> Vec<String> {
        let plural = |count: usize, one: &str, many: &str| format!("{count} {}", if count == 1 { one } else { many });
        let mut facts = vec![
            format!(
                "Secret API: provisioned {APP} and kept {} with its author",
                plural(self.secret_versions as usize, "secret version", "secret versions")
            ),
            format!(
                "two roads: the RoleID came with the deployer, the SecretID from the controller {} ms after qsec-init was up, bound to {}/32",
                self.delivery_ms, self.pod_ip
            ),
            format!(
                "qsec-init rendered {} into the pod's config volume",
                plural(self.rendered_files.len(), "file", "files")
            ),
            format!(
                "qsec-refresh renewed {}, and on stop revoked the token and {} of {} leases ({})",
                plural(self.renewals as usize, "time", "times"),
                self.leases_revoked,
                self.leases_total,
                if self.token_revoked && self.leases_revoked == self.leases_total {
                    "Vault agrees"
                } else {
                    "Vault disagrees: see above"
                }
            ),
        ];
        if let Some(dir) = kept {
            facts.push(format!("the same, for scripts: {}", dir.join("summary.json").display()));
        }
        facts
    }
}

pub(crate) async fn run(options: Options) -> anyhow::Result<()> {
    let mut progress = Progress::new(options.plain);
    let mut summary = Summary::default();
    let started = Instant::now();
    let app_role = APP;
    let dir = &options.workdir;
    println!("qsec demo: the whole flow on this machine — no cluster, no Vault needed. Files: {}", dir.display());

    progress.section("1. The platform, on loopback");
    let vault = progress
        .step("starting the dev Vault", DemoVault::start(app_role), |vault| {
            format!("Vault (in memory) at {}: kv v2, AppRole, database, AWS and PKI engines", vault.url())
        })
        .await?;
    let layout = layout();
    let api = progress
        .step("starting the Secret API", DemoSecretApi::start(&dir.join("secret-api"), &vault, &layout), |api| {
            format!("Secret API at {}, trusting the demo identity provider's keys", api.url())
        })
        .await?;
    let controller_token = dir.join("controller-token");
    std::fs::write(&controller_token, api.signer.token(CONTROLLER, &[])).context("writing the controller's token")?;
    let cluster = progress
        .step(
            "starting the Kubernetes API stand-in and qsec-controller",
            DemoCluster::start(dir, &vault.url(), &api.url(), &controller_token),
            |cluster| {
                format!(
                    "Kubernetes API stand-in at {}; qsec-controller watching pods for cluster {CLUSTER}",
                    cluster.url()
                )
            },
        )
        .await?;

    progress.section("2. A developer keeps myapp's secrets (qsec CLI → Secret API → Vault kv v2)");
    let (developer, team) = DEVELOPER;
    let developer_token = api.signer.token(developer, &[team]);
    progress.command(&format!("qsec app role-id {APP}"));
    progress
        .step("creating the app's Vault objects", cli(&["app", "role-id", APP], &api.url(), &developer_token), |_| {
            "the Secret API created myapp's AppRole, read policy, get-secret-id policy and token role".to_owned()
        })
        .await?;
    let api_key = format!("demo-api-key-{}", std::process::id());
    let set = ["secrets", "set", APP, "api", &format!("key={api_key}")];
    progress.command(&format!("qsec secrets set {APP} api key=‹{} chars›", api_key.len()));
    progress.step("setting the secret", cli(&set, &api.url(), &developer_token), |out| out.trim().to_owned()).await?;
    let history = ["secrets", "history", APP, "api", "--output", "json"];
    progress.command(&format!("qsec secrets history {APP} api"));
    let answer = progress
        .step("reading its history", cli(&history, &api.url(), &developer_token), |_| {
            format!("history kept by Vault, each version with its author ({developer})")
        })
        .await?;
    summary.secret_versions = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|history| history["versions"].as_array().map(|versions| versions.len() as u64))
        .unwrap_or_default();

    progress.section("3. The deployer renders myapp (road 1: the RoleID)");
    let example = dir.join("myapp");
    write_example(&example)?;
    let rendered_dir = dir.join("rendered");
    let render = [
        "deploy",
        "render",
        "-f",
        &path(&example.join("deployment.yaml")),
        "--app",
        APP,
        "--config",
        &path(&example.join("config")),
        "--config-from",
        "configmap",
        "--vault-addr",
        &vault.url(),
        "--init-env",
        "QSEC_KV_VERSION=2",
        "-o",
        &path(&rendered_dir),
    ];
    progress.command(&format!(
        "qsec deploy render -f myapp/deployment.yaml --app {APP} --config myapp/config --config-from configmap --init-env QSEC_KV_VERSION=2 -o rendered"
    ));
    let deployer_token = api.signer.token(DEPLOYER, &[]);
    progress
        .step("rendering", cli(&render, &api.url(), &deployer_token), |_| {
            "RoleID from the Secret API into a Secret; init container, refresh sidecar, memory volumes and \
             annotations added"
                .to_owned()
        })
        .await?;
    summary.role_id_delivered_by_deployer = true;
    let manifests = Rendered::read(&rendered_dir.join(qsec_k8s::deployer::MANIFESTS_FILE))?;

    progress.section("4. Kubernetes schedules a pod of myapp");
    let ip = free_pod_ip()?;
    let pod = manifests.pod(&format!("{:05x}", std::process::id() % 0xfffff))?;
    let pod = cluster.create_pod(pod, ip);
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    summary.pod = format!("{namespace}/{pod_name}");
    summary.pod_ip = ip.to_string();
    let sandbox =
        PodSandbox::prepare(pod, ip, &dir.join("pods").join(&pod_name), &manifests.config_maps, &manifests.secrets)?;
    let logs = dir.join("pods").join(&pod_name).join("logs");
    let mut init = sandbox.start(INIT_CONTAINER, PodProgram::Init, &logs)?;
    let init_pid = init.pid().unwrap_or_default();
    progress
        .step("starting qsec-init", init.log_event("listening", PATIENCE), |_| {
            format!(
                "pod {namespace}/{pod_name} on {ip}: qsec-init (pid {init_pid}) waits for its SecretID on {ip}:8099"
            )
        })
        .await?;
    cluster.init_running(&namespace, &pod_name)?;

    progress.section("5. The controller delivers (road 2: the SecretID)");
    let delivery = progress
        .step("waiting for qsec-controller", cluster.delivered(&namespace, &pod_name, PATIENCE), |delivery| {
            format!(
                "delivered a wrapped, single-use SecretID bound to {ip}/32, {} ms after qsec-init was up; \
                 recorded on the pod by its accessor {}",
                delivery.latency.as_millis(),
                delivery.accessor
            )
        })
        .await?;
    summary.secret_id_accessor = delivery.accessor.clone();
    summary.delivery_ms = delivery.latency.as_millis();

    progress.section("6. Inside the pod");
    let init_log = init.log_path().to_path_buf();
    let init_exit = async {
        let status = init.exit(PATIENCE).await?;
        if !status.success() {
            bail!("qsec-init exited {}; see {}", code(&status), init_log.display());
        }
        Ok(status)
    };
    progress
        .step("qsec-init unwraps, logs in and renders", init_exit, |status| {
            format!("qsec-init logged in to AppRole, rendered the config volume and exited {}", code(status))
        })
        .await?;
    cluster.init_done(&namespace, &pod_name)?;
    let config_dir = sandbox.volume(CONFIG_VOLUME).context("the pod has no config volume")?.to_path_buf();
    summary.rendered_files = show_config(&progress, &config_dir)?;
    let bundle = lease_bundle(sandbox.volume(LEASES_VOLUME).context("the pod has no lease volume")?).await?;
    let mut refresh = sandbox.start(REFRESH_CONTAINER, PodProgram::Refresh, &logs)?;
    progress
        .step("starting qsec-refresh", refresh.log_event("renewing", PATIENCE), |_| {
            format!(
                "qsec-refresh keeps the token and {} leases alive (TTL {} s)",
                bundle.leases.len(),
                SHORT_TTL.as_secs()
            )
        })
        .await?;
    cluster.sidecar_ready(&namespace, &pod_name)?;
    let refresh_url = format!("http://{ip}:{}/metrics", qsec_k8s::inject::DEFAULT_REFRESH_PORT);
    summary.renewals = progress
        .step("waiting for a renewal", renewals(&refresh_url, 1, PATIENCE), |count| {
            format!(
                "renewed the token and its leases ({count} {} so far)",
                if *count == 1 { "renewal" } else { "renewals" }
            )
        })
        .await?;

    if options.keep_running {
        keep_running(&vault, &api, &cluster, &sandbox, &developer_token).await;
    }

    if !token_accepted(&vault, &bundle, ip).await? {
        bail!("the pod's token should work before the pod stops");
    }
    progress.section("7. The pod stops");
    cluster.delete_pod(&namespace, &pod_name);
    refresh.terminate().await?;
    let status = progress
        .step("qsec-refresh revokes", refresh.exit(PATIENCE), |status| {
            format!("qsec-refresh revoked the leases and the token, and exited {}", code(status))
        })
        .await?;
    summary.refresh_exit_code = status.code();
    let proof = progress
        .step("asking Vault", prove_revoked(&vault, &bundle, ip), |proof| {
            format!(
                "Vault confirms: the pod's token is refused (403) and {} of {} leases are gone",
                proof.leases_gone, proof.leases_total
            )
        })
        .await?;
    summary.token_revoked = proof.token_refused;
    summary.leases_revoked = proof.leases_gone;
    summary.leases_total = proof.leases_total;

    cluster.shutdown().await;
    api.server.shutdown().await;
    vault.server.shutdown().await;
    summary.seconds = started.elapsed().as_secs_f64();
    std::fs::write(dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)
        .context("writing summary.json")?;
    progress.summary(&summary.facts(options.files_kept.then_some(dir.as_path())));
    if !(status.success() && proof.token_refused && proof.leases_gone == proof.leases_total) {
        bail!("the pod's stop did not revoke everything; see {}", refresh.log_path().display());
    }
    Ok(())
}

/// Runs this `qsec` binary with `args` as the given caller; its stdout.
async fn cli(args: &[&str], api: &str, token: &str) -> anyhow::Result<String> {
    let executable = std::env::current_exe().context("finding the qsec executable")?;
    let output = tokio::process::Command::new(executable)
        .args(args)
        .env("QSEC_API", api)
        .env("QSEC_TOKEN", token)
        .env_remove("QSEC_TOKEN_FILE")
        .output()
        .await
        .context("running qsec")?;
    if !output.status.success() {
        bail!("qsec {} failed: {}", args[..2].join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

fn code(status: &std::process::ExitStatus) -> String {
    status.code().map_or_else(|| "by a signal".to_owned(), |code| code.to_string())
}

/// A loopback address for the pod whose init port is free: the pod's own IP.
fn free_pod_ip() -> anyhow::Result<Ipv4Addr> {
    let start = (std::process::id() % 200) as u8;
    for offset in 0..250u8 {
        let ip = Ipv4Addr::new(127, 0, 1, 2 + start.wrapping_add(offset) % 250);
        let free = |port| std::net::TcpListener::bind((ip, port)).is_ok();
        if free(qsec_core::delivery::DEFAULT_INIT_PORT) && free(qsec_k8s::inject::DEFAULT_REFRESH_PORT) {
            return Ok(ip);
        }
    }
    bail!("no free loopback address in 127.0.1.0/24 for the pod")
}

/// Prints the published files of the config volume, `local.yml` masked.
fn show_config(progress: &Progress, dir: &Path) -> anyhow::Result<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !name.starts_with("..") {
            names.push(name);
        }
    }
    names.sort();
    for name in &names {
        let metadata = std::fs::metadata(dir.join(name))?;
        progress.detail(&format!("{:o}  {:>6} bytes  {name}", metadata.permissions().mode() & 0o777, metadata.len()));
    }
    let local = std::fs::read_to_string(dir.join("local.yml")).context("the config volume has no local.yml")?;
    if local.contains("{{") {
        bail!("local.yml still holds template actions");
    }
    progress.detail("local.yml, values masked:");
    progress.detail(&masked(&local));
    Ok(names)
}

/// `--keep-running`: how to talk to the stack, then wait for Ctrl-C.
async fn keep_running(
    vault: &DemoVault,
    api: &DemoSecretApi,
    cluster: &DemoCluster,
    sandbox: &PodSandbox,
    developer_token: &str,
) {
    let token_file = api.config_path.with_file_name("developer-token");
    let _ = std::fs::write(&token_file, developer_token);
    println!();
    println!("Everything keeps running. In another terminal:");
    println!("  export VAULT_ADDR={} VAULT_TOKEN={}", vault.url(), vault.root_token);
    println!("  export QSEC_API={} QSEC_TOKEN_FILE={}", api.url(), token_file.display());
    println!("  qsec secrets get {APP} api");
    println!("  curl -s {}/metrics          # the Secret API", api.url());
    println!("  curl -s http://{}:8098/metrics   # the pod's refresh sidecar", sandbox.ip());
    println!("  KUBECONFIG={} kubectl get pods -A   # the Kubernetes API stand-in", cluster.kubeconfig().display());
    println!(
        "  the pod's files: {}",
        sandbox.volume(CONFIG_VOLUME).map(Path::display).map(|d| d.to_string()).unwrap_or_default()
    );
    println!("Press Ctrl-C to stop the pod (revoking everything) and the stack.");
    let _ = tokio::signal::ctrl_c().await;
}
