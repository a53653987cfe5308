//! The harness: a dev Vault with the app provisioned, the image's config
//! source, the real `qsec-init` process, an HTTP client, and a proxy that
//! holds Vault's answers back until told.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qsec_core::{
    AppPlan, AppRef, Capability, IssuedSecretId, KvMount, KvVersion, PolicyRule, QsecLayout, RoleId, SecretIdIssuer,
    SecretIdRequest, VaultBackend,
};
use qsec_vault::Provisioner;
use qsec_vault::testkit::{DevServer, MemoryVault};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Bounds every wait in the tests, so a broken build fails instead of hanging.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

pub(crate) const DATABASE_ROLE: &str = "aws.stg.myapp";

/// The template of the issue: lookups, database credentials and the dot.
pub(crate) const TEMPLATE: &str = r#"app: {{ .appRef }} ({{ .provider }}/{{ .cluster }}/{{ .app }})
pod: {{ .pod.name }}
api_key: {{ lookup "api" "key" }}
db_host: {{ lookup "db" "host" }}
db_user: {{ dbUsername "aws.stg.myapp" }}
db_password: {{ dbPassword "aws.stg.myapp" }}
"#;

pub(crate) const PLAIN_FILE: &str = "replicas: 2\n";

pub(crate) fn app() -> AppRef {
    "aws.stg.myapp".parse().unwrap()
}

/// The design's layout on a kv v2 `secret/`, with database credentials.
pub(crate) fn layout() -> QsecLayout {
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    layout
        .policies
        .read_rules
        .push(PolicyRule { path: "database/creds/{role}".into(), capabilities: vec![Capability::Read] });
    layout
}

/// A dev Vault on loopback with the app provisioned, its secrets written and
/// a database role, plus the directories of one pod.
pub(crate) struct Harness {
    pub(crate) vault: MemoryVault,
    pub(crate) server: DevServer,
    pub(crate) role_id: RoleId,
    pub(crate) plan: AppPlan,
    pub(crate) dirs: TempDir,
}

impl Harness {
    pub(crate) async fn start() -> Harness {
        qsec_vault::install_crypto_provider();
        let vault = MemoryVault::builder()
            .root_token("root")
            .dev_mounts()
            .seed_secret("secret/myapp/api", json!({ "key": "api-key-value-1" }))
            .seed_secret("secret/myapp/db", json!({ "host": "db.internal" }))
            .build();
        let root = vault.backend().with_token("root");
        let provisioned = Provisioner::new(&root, layout()).unwrap().ensure_app(&app()).await.unwrap();
        root.write(
            "database/config/main",
            &json!({ "plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/app" }),
        )
        .await
        .unwrap();
        root.write(
            &format!("database/roles/{DATABASE_ROLE}"),
            &json!({ "db_name": "main", "creation_statements": ["CREATE ROLE \"{{name}}\""], "default_ttl": "1h", "max_ttl": "24h" }),
        )
        .await
        .unwrap();
        let server = DevServer::start(vault.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let dirs = tempfile::tempdir().unwrap();
        let source = dirs.path().join("source");
        std::fs::create_dir(&source).unwrap();
        std::fs::write(source.join("local.yml.tmpl"), TEMPLATE).unwrap();
        std::fs::write(source.join("app.yml"), PLAIN_FILE).unwrap();
        std::fs::write(dirs.path().join("role-id"), format!("{}\n", provisioned.role_id.expose_secret())).unwrap();
        let plan = layout().plan(&app()).unwrap();
        Harness { vault, server, role_id: provisioned.role_id, plan, dirs }
    }

    pub(crate) fn config_dir(&self) -> PathBuf {
        self.dirs.path().join("config")
    }

    pub(crate) fn lease_dir(&self) -> PathBuf {
        self.dirs.path().join("leases")
    }

    /// `qsec-init` set up for this pod through its environment only, talking
    /// to `vault_url`.
    pub(crate) fn command(&self, vault_url: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qsec-init"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("VAULT_ADDR", vault_url)
            .env("QSEC_APP", "aws.stg.myapp")
            .env("QSEC_KV_VERSION", "2")
            .env("QSEC_ROLE_ID_FILE", self.dirs.path().join("role-id"))
            .env("QSEC_CONFIG_SOURCE", self.dirs.path().join("source"))
            .env("QSEC_CONFIG_DIR", self.config_dir())
            .env("QSEC_LEASE_DIR", self.lease_dir())
            .env("QSEC_LISTEN", "127.0.0.1:0")
            .env("QSEC_WAIT_TIMEOUT", "2m")
            .env("QSEC_LOG", "info")
            .env("POD_NAME", "myapp-0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// A SecretID for the app as the controller gets one; `wrapped` asks
    /// Vault to wrap it. Returns the JSON body to POST and the raw value.
    pub(crate) async fn secret_id(&self, wrapped: bool) -> (String, String) {
        let request = SecretIdRequest {
            approle_mount: "approle".into(),
            role_name: self.plan.names.approle.clone(),
            num_uses: Some(1),
            wrap_ttl: wrapped.then_some(Duration::from_secs(120)),
            ..Default::default()
        };
        match self.vault.backend().with_token("root").issue_secret_id(&request).await.unwrap() {
            IssuedSecretId::Plain { secret_id, .. } => {
                let value = secret_id.expose_secret().to_owned();
                (json!({ "secret_id": value }).to_string(), value)
            }
            IssuedSecretId::Wrapped(info) => {
                let value = info.token.expose_secret().to_owned();
                (json!({ "wrapped_secret_id": value }).to_string(), value)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    /// The published files of the config volume, by name (`..` entries are
    /// the renderer's bookkeeping).
    pub(crate) fn published(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.config_dir()) else { return Vec::new() };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with(".."))
            .collect();
        names.sort();
        names
    }
}

/// A running `qsec-init`, killed if the test ends first.
pub(crate) struct Init {
    child: Child,
    stderr: Arc<Mutex<String>>,
    lines: mpsc::UnboundedReceiver<String>,
    reader: JoinHandle<()>,
}

impl Init {
    pub(crate) fn spawn(mut command: Command) -> Init {
        let mut child = command.spawn().expect("qsec-init starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = mpsc::unbounded_channel();
        let mut reader = BufReader::new(child.stderr.take().unwrap()).lines();
        let collected = stderr.clone();
        // Drains stderr for the whole run, so the child never blocks on a full pipe.
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = reader.next_line().await {
                collected.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        Init { child, stderr, lines, reader }
    }

    /// The address it listens on, from its `listening` log line.
    pub(crate) async fn listening(&mut self) -> SocketAddr {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = self.lines.recv().await {
                let Ok(event) = serde_json::from_str::<Value>(&line) else { continue };
                if event["message"].as_str().is_some_and(|m| m.starts_with("listening")) {
                    return event["addr"].as_str().and_then(|a| a.parse().ok());
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(addr)) => addr,
            _ => panic!("qsec-init did not report listening; stderr:\n{}", self.stderr()),
        }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for it to exit; returns the status and everything on stderr.
    pub(crate) async fn finish(mut self) -> (ExitStatus, String) {
        let status = tokio::time::timeout(PATIENCE, self.child.wait()).await.expect("qsec-init exits").unwrap();
        let _ = tokio::time::timeout(PATIENCE, &mut self.reader).await;
        let stderr = self.stderr();
        (status, stderr)
    }
}

/// The last line on stderr: the one-line failure, when there is one.
pub(crate) fn last_line(stderr: &str) -> &str {
    stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or_default()
}

/// An HTTP client that opens a new connection for every request, so a
/// closed listener shows as a refused connection.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

/// POSTs `body` with `content_type`; returns the status and the JSON answer.
pub(crate) async fn post(client: &reqwest::Client, addr: SocketAddr, content_type: &str, body: String) -> (u16, Value) {
    let response = client
        .post(format!("http://{addr}/v1/secret-id"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn health(client: &reqwest::Client, addr: SocketAddr) -> (u16, Value) {
    let response = client.get(format!("http://{addr}/healthz")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A TCP proxy in front of Vault that holds every connection until
/// [`GatedProxy::open`], and says when one arrives: it keeps `qsec-init`
/// in the middle of a login for as long as a test needs.
pub(crate) struct GatedProxy {
    pub(crate) url: String,
    arrivals: mpsc::UnboundedReceiver<()>,
    gate: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl GatedProxy {
    pub(crate) async fn start(upstream: SocketAddr) -> GatedProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (gate, opened) = watch::channel(false);
        let (arrived, arrivals) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            // Dropping the set (when the task is aborted) ends every connection.
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let _ = arrived.send(());
                let mut opened = opened.clone();
                connections.spawn(async move {
                    if opened.wait_for(|open| *open).await.is_ok()
                        && let Ok(mut outbound) = TcpStream::connect(upstream).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        GatedProxy { url, arrivals, gate, task }
    }

    /// Waits until a connection to Vault is being held.
    pub(crate) async fn arrival(&mut self) {
        tokio::time::timeout(PATIENCE, self.arrivals.recv()).await.expect("a connection to Vault").unwrap();
    }

    /// Lets every held and future connection through.
    pub(crate) fn open(&self) {
        self.gate.send_replace(true);
    }
}

impl Drop for GatedProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
