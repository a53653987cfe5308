//! What the sidecar's tests share: a dev Vault with a database engine, an
//! app token and its lease written to a lease directory, the real binary
//! with kill-on-drop, and a tiny HTTP client.

#![allow(dead_code, unreachable_pub)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use qsec_core::{AuthInfo, Lease, LeaseBundle, LeaseStore, StoredToken};
use qsec_vault::testkit::{DevServer, MemoryVault};
use qsec_vault::{FileLeaseStore, VaultClient, VaultConfig, unix_seconds};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The database role the app reads credentials from.
pub const ROLE: &str = "app";

/// How long a test waits for something that should happen in well under a
/// second, before failing instead of hanging. Not a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A dev Vault served on loopback, with the app's policy and a database
/// role whose leases last 3 s (so the sidecar renews them too).
pub struct DevVault {
    pub vault: MemoryVault,
    pub server: DevServer,
    pub root: VaultClient,
}

impl DevVault {
    pub async fn start() -> Self {
        qsec_vault::install_crypto_provider();
        let vault = MemoryVault::builder()
            .root_token("root")
            .dev_mounts()
            .policy(
                ROLE,
                &format!(
                    "path \"database/creds/{ROLE}\" {{ capabilities = [\"read\"] }}\n\
                     path \"sys/leases/revoke\" {{ capabilities = [\"update\"] }}"
                ),
            )
            .build();
        let server = DevServer::start(vault.clone(), "127.0.0.1:0".parse().unwrap()).expect("dev vault starts");
        let root = client(&server.url(), "root");
        root.write(
            "database/config/main",
            &json!({"plugin_name": "postgresql-database-plugin", "allowed_roles": ROLE,
                    "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/app"}),
        )
        .await
        .unwrap();
        root.write(
            &format!("database/roles/{ROLE}"),
            &json!({"db_name": "main", "creation_statements": ["CREATE ROLE \"{{name}}\""],
                    "default_ttl": "3s", "max_ttl": "1h"}),
        )
        .await
        .unwrap();
        Self { vault, server, root }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A token for the app made by `auth/token/create` with `params` (TTL,
    /// period, renewable...), and the time it was made, in whole seconds
    /// rounded down as the lease file counts them.
    pub async fn app_token(&self, params: Value) -> (AuthInfo, u64) {
        let obtained_at = unix_seconds(SystemTime::now());
        let mut body = json!({"policies": [ROLE]});
        body.as_object_mut().unwrap().extend(params.as_object().unwrap().clone());
        let answer = self.root.write("auth/token/create", &body).await.unwrap().unwrap();
        (answer.auth.expect("a token"), obtained_at)
    }

    /// Database credentials read with `token`, as a lease.
    pub async fn db_lease(&self, token: &AuthInfo) -> Lease {
        let obtained_at = unix_seconds(SystemTime::now());
        let app = client(&self.url(), token.client_token.expose_secret());
        let creds = app.read(&format!("database/creds/{ROLE}")).await.unwrap().expect("credentials");
        assert!(creds.renewable && creds.lease_duration == 3, "{creds:?}");
        Lease {
            lease_id: creds.lease_id,
            lease_duration: creds.lease_duration,
            renewable: creds.renewable,
            path: format!("database/creds/{ROLE}"),
            obtained_at,
        }
    }

    /// Whether Vault still accepts `token` (lookup-self; 403 once gone).
    pub async fn token_valid(&self, token: &AuthInfo) -> bool {
        match client(&self.url(), token.client_token.expose_secret()).lookup_self().await {
            Ok(_) => true,
            Err(error) if error.is_permission_denied() => false,
            Err(error) => panic!("lookup-self failed oddly: {error}"),
        }
    }

    /// Whether `sys/leases/lookup` still finds the lease.
    pub async fn lease_exists(&self, lease: &Lease) -> bool {
        self.root.write("sys/leases/lookup", &json!({"lease_id": lease.lease_id})).await.is_ok()
    }

    /// The statuses Vault answered to `path`, in order.
    pub fn answers_to(&self, path: &str) -> Vec<u16> {
        self.vault.request_log().iter().filter(|r| r.path == path).map(|r| r.status).collect()
    }
}

/// A client for `url` holding `token`.
pub fn client(url: &str, token: &str) -> VaultClient {
    let client = VaultClient::new(VaultConfig::new(url).unwrap()).unwrap();
    client.set_token(token.into());
    client
}

/// Writes the lease file qsec-init would write into `dir`.
pub async fn write_bundle(dir: &Path, token: &AuthInfo, obtained_at: u64, leases: Vec<Lease>) {
    let bundle = LeaseBundle::new(None, StoredToken::from_auth(token, obtained_at), leases);
    FileLeaseStore::in_dir(dir).save(&bundle).await.unwrap();
}

/// The real `qsec-refresh` binary, killed if the test ends first.
pub struct Sidecar {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Sidecar {
    /// Starts the binary with exactly `env` (plus `QSEC_LISTEN` on a free
    /// loopback port and `QSEC_LOG=info` unless given).
    pub fn start(env: Vec<(String, String)>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qsec-refresh"));
        command.env_clear().env("QSEC_LISTEN", "127.0.0.1:0").env("QSEC_LOG", "info");
        command.envs(env).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("qsec-refresh starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stderr.take().unwrap();
        let lines = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Self { child, stderr }
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The address it serves on, from its start-up log line.
    pub async fn address(&mut self) -> SocketAddr {
        let started = Instant::now();
        loop {
            let found = self.stderr().iter().find_map(|line| {
                let log: Value = serde_json::from_str(line).ok()?;
                log["fields"]["address"].as_str()?.parse().ok()
            });
            if let Some(address) = found {
                return address;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("qsec-refresh exited with {status} before listening: {:?}", self.stderr());
            }
            assert!(started.elapsed() < PATIENCE, "qsec-refresh never listened: {:?}", self.stderr());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a signal by name, e.g. `TERM`, with kill(1).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill").args([&format!("-{name}"), &self.pid()]).status().unwrap();
        assert!(sent.success());
    }

    /// Waits for it to exit (failing after [`PATIENCE`] rather than hanging).
    pub async fn exit(&mut self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return status;
            }
            assert!(started.elapsed() < PATIENCE, "qsec-refresh did not exit: {:?}", self.stderr());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether it has exited already.
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request to `address`; the status and body.
pub async fn http(address: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connects");
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    (status, body.to_owned())
}

/// Checks `text` is valid Prometheus text exposition: every sample follows
/// its `# HELP` and `# TYPE`, names and values are well-formed. Returns the
/// samples by name.
pub fn parse_exposition(text: &str) -> Vec<(String, f64)> {
    let mut typed = std::collections::HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a name and text");
            assert!(!help.is_empty(), "{line}");
            typed.entry(name.to_owned()).or_insert(None);
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a name and kind");
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_owned(), Some(kind.to_owned())).is_some(), "TYPE before HELP: {line}");
        } else {
            let (name, value) = line.split_once(' ').expect("a sample is NAME VALUE");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !name.starts_with(|c: char| c.is_ascii_digit()),
                "{line}"
            );
            let kind = typed.get(name).cloned().flatten().unwrap_or_else(|| panic!("sample without TYPE: {line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
            if kind == "counter" {
                assert!(value >= 0.0 && name.ends_with("_total"), "{line}");
            }
            samples.push((name.to_owned(), value));
        }
    }
    samples
}

/// The lease file in `dir`, if it is there.
pub async fn saved_bundle(dir: &Path) -> Option<LeaseBundle> {
    FileLeaseStore::in_dir(dir).load().await.unwrap()
}
