//! A very small kubelet: runs the qsec containers of one pod, built from
//! the deployer's manifests, as processes on this machine. Volumes become
//! directories, environment variables are resolved the way Kubernetes
//! resolves them (values, Secret keys, the Downward API), paths under a
//! mount point are mapped to the volume's directory, and the pod's IP is a
//! loopback address of its own.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVar, Pod, Secret};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::commands::pod_process::PodProgram;

/// One pod on this machine: its identity, its directory and its volumes.
pub(crate) struct PodSandbox {
    pod: Pod,
    ip: Ipv4Addr,
    volumes: BTreeMap<String, PathBuf>,
    secrets: BTreeMap<String, BTreeMap<String, String>>,
}

impl PodSandbox {
    /// Creates the pod's volumes under `dir`: emptyDirs empty, configMap
    /// volumes filled from `config_maps`. `secrets` serve `secretKeyRef`s.
    pub(crate) fn prepare(
        pod: Pod,
        ip: Ipv4Addr,
        dir: &Path,
        config_maps: &[ConfigMap],
        secrets: &[Secret],
    ) -> anyhow::Result<Self> {
        let spec = pod.spec.as_ref().context("the pod has no spec")?;
        let mut volumes = BTreeMap::new();
        for volume in spec.volumes.iter().flatten() {
            let path = dir.join("volumes").join(&volume.name);
            std::fs::create_dir_all(&path).with_context(|| format!("creating volume {}", volume.name))?;
            if let Some(source) = &volume.config_map {
                let map = config_maps
                    .iter()
                    .find(|map| map.metadata.name.as_deref() == Some(source.name.as_str()))
                    .with_context(|| format!("volume {}: no ConfigMap {}", volume.name, source.name))?;
                for (key, text) in map.data.iter().flatten() {
                    std::fs::write(path.join(key), text)
                        .with_context(|| format!("writing {key} into {}", volume.name))?;
                }
            } else if volume.empty_dir.is_none() {
                bail!("volume {}: only emptyDir and configMap volumes run here", volume.name);
            }
            volumes.insert(volume.name.clone(), path);
        }
        let secrets =
            secrets.iter().filter_map(|secret| Some((secret.metadata.name.clone()?, secret_text(secret)))).collect();
        Ok(Self { pod, ip, volumes, secrets })
    }

    /// The pod's IP.
    pub(crate) fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    /// Where the volume `name` lives on this machine.
    pub(crate) fn volume(&self, name: &str) -> Option<&Path> {
        self.volumes.get(name).map(PathBuf::as_path)
    }

    /// Starts container `name` (an init container or a sidecar) as a process
    /// of `program`, its output going to `logs/NAME.log` under `dir`.
    pub(crate) fn start(&self, name: &str, program: PodProgram, log_dir: &Path) -> anyhow::Result<RunningContainer> {
        let spec = self.pod.spec.as_ref().context("the pod has no spec")?;
        let container = spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
            .find(|container| container.name == name)
            .with_context(|| format!("the pod has no container {name}"))?;
        let executable = std::env::current_exe().context("finding the qsec executable")?;
        let mut command = Command::new(executable);
        command
            .arg("pod-process")
            .arg(match program {
                PodProgram::Init => "init",
                PodProgram::Refresh => "refresh",
            })
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.environment(container)?)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: Ctrl-C reaches the demo, which stops
            // the pod the way Kubernetes would (SIGTERM), not every process.
            .process_group(0)
            .kill_on_drop(true);
        std::fs::create_dir_all(log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
        RunningContainer::spawn(name, command, log_dir.join(format!("{name}.log")))
    }

    /// The container's environment, as the kubelet would give it.
    fn environment(&self, container: &Container) -> anyhow::Result<Vec<(String, String)>> {
        // In a pod, connections leave from the pod IP; here the programs are
        // told so, as Vault binds the SecretID and the token to that IP.
        let mut out = vec![("QSEC_VAULT_SOURCE_IP".to_owned(), self.ip.to_string())];
        for variable in container.env.iter().flatten() {
            let value = self.value_of(variable)?;
            out.push((variable.name.clone(), self.local(container, &value)));
        }
        Ok(out)
    }

    fn value_of(&self, variable: &EnvVar) -> anyhow::Result<String> {
        if let Some(value) = &variable.value {
            return Ok(value.clone());
        }
        let Some(source) = &variable.value_from else { return Ok(String::new()) };
        if let Some(key) = &source.secret_key_ref {
            return self
                .secrets
                .get(&key.name)
                .and_then(|data| data.get(&key.key))
                .cloned()
                .with_context(|| format!("{}: no key {} in Secret {}", variable.name, key.key, key.name));
        }
        if let Some(field) = &source.field_ref {
            let meta = &self.pod.metadata;
            return Ok(match field.field_path.as_str() {
                "metadata.name" => meta.name.clone().unwrap_or_default(),
                "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
                "metadata.uid" => meta.uid.clone().unwrap_or_default(),
                "status.podIP" => self.ip.to_string(),
                other => bail!("{}: field {other} is not emulated", variable.name),
            });
        }
        bail!("{}: only values, secretKeyRef and fieldRef are emulated", variable.name)
    }

    /// Maps what the container sees to this machine: a path under one of its
    /// mount points to the volume's directory, and `0.0.0.0` (every address
    /// of the pod's own network) to the pod's IP.
    fn local(&self, container: &Container, value: &str) -> String {
        if let Some(port) = value.strip_prefix("0.0.0.0:") {
            return format!("{}:{port}", self.ip);
        }
        for mount in container.volume_mounts.iter().flatten() {
            let Some(rest) = value.strip_prefix(&mount.mount_path) else { continue };
            if !(rest.is_empty() || rest.starts_with('/')) {
                continue;
            }
            if let Some(dir) = self.volumes.get(&mount.name) {
                return format!("{}{rest}", dir.display());
            }
        }
        value.to_owned()
    }
}

fn secret_text(secret: &Secret) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = secret.string_data.clone().unwrap_or_default();
    for (key, bytes) in secret.data.iter().flatten() {
        out.insert(key.clone(), String::from_utf8_lossy(&bytes.0).into_owned());
    }
    out
}

/// A container's process: its JSON log lines as they come, and its exit.
pub(crate) struct RunningContainer {
    name: String,
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    log_path: PathBuf,
    reader: tokio::task::JoinHandle<()>,
}

impl RunningContainer {
    fn spawn(name: &str, mut command: Command, log_path: PathBuf) -> anyhow::Result<Self> {
        let mut child = command.spawn().with_context(|| format!("starting container {name}"))?;
        let stderr = child.stderr.take().context("no stderr pipe")?;
        let (tx, lines) = mpsc::unbounded_channel();
        let mut log = tokio::fs::File::from_std(
            std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?,
        );
        // Drains stderr for the whole run into the log file, so the process
        // never blocks on a full pipe, and passes each line on.
        let reader = tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let _ = log.write_all(format!("{line}\n").as_bytes()).await;
                let _ = tx.send(line);
            }
            let _ = log.flush().await;
        });
        Ok(Self { name: name.to_owned(), child, lines, log_path, reader })
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits for a JSON log line whose message starts with `message`, up
    /// to `patience`; the process ending first is an error.
    pub(crate) async fn log_event(&mut self, message: &str, patience: Duration) -> anyhow::Result<Value> {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                let Ok(event) = serde_json::from_str::<Value>(&line) else { continue };
                let text = event["message"].as_str().or_else(|| event["fields"]["message"].as_str());
                if text.is_some_and(|text| text.starts_with(message)) {
                    return Some(event);
                }
            }
            None
        };
        match tokio::time::timeout(patience, wait).await {
            Ok(Some(event)) => Ok(event),
            Ok(None) => bail!("{} ended before logging {message:?}; see {}", self.name, self.log_path.display()),
            Err(_) => {
                bail!("{} did not log {message:?} within {patience:?}; see {}", self.name, self.log_path.display())
            }
        }
    }

    /// Waits up to `patience` for the process to end.
    pub(crate) async fn exit(&mut self, patience: Duration) -> anyhow::Result<ExitStatus> {
        match tokio::time::timeout(patience, self.child.wait()).await {
            Ok(status) => {
                // The log file is complete once the pipe is drained.
                let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.reader).await;
                Ok(status?)
            }
            Err(_) => bail!("{} did not exit within {patience:?}; see {}", self.name, self.log_path.display()),
        }
    }

    /// Sends SIGTERM, as the kubelet does when a pod is deleted.
    pub(crate) async fn terminate(&mut self) -> anyhow::Result<()> {
        let Some(pid) = self.child.id() else { return Ok(()) };
        let status = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await?;
        if !status.success() {
            bail!("kill -TERM {pid} failed for {}", self.name);
        }
        Ok(())
    }

    /// The log file.
    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }
}
