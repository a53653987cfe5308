//! The `qsec-secret-api` binary, run as the README's quick start runs it:
//! a config file, `VAULT_ADDR` and `VAULT_TOKEN` in the environment, JWTs
//! from our own keys; stopped with SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Api;
use qsec_secret_api::testkit::{ROOT_TOKEN, TestSigner};
use qsec_vault::testkit::{DevServer, MemoryVault};
use serde_json::json;

/// Kills the service if the test fails before stopping it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_documented_config_and_stops_on_sigterm() {
    let vault = MemoryVault::builder().root_token(ROOT_TOKEN).dev_mounts().build();
    let dev = DevServer::start(vault, "127.0.0.1:0".parse().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signer = TestSigner::generate("https://login.example.test", "qsec-secret-api");
    std::fs::write(dir.path().join("jwks.json"), signer.jwks().to_string()).unwrap();
    let config = dir.path().join("secret-api.yaml");
    std::fs::write(
        &config,
        r#"
listen: 127.0.0.1:0
auth:
  issuers:
    - issuer: https://login.example.test
      audiences: [qsec-secret-api]
      jwks_file: jwks.json
rules:
  - groups: [deployers]
    verbs: [role-id, "secrets:*"]
    apps: ["aws.stg.*"]
audit:
  path: audit.log
"#,
    )
    .unwrap();

    let checked = Command::new(env!("CARGO_BIN_EXE_qsec-secret-api"))
        .arg("--config")
        .arg(&config)
        .arg("--check")
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));

    let child = Command::new(env!("CARGO_BIN_EXE_qsec-secret-api"))
        .arg("--config")
        .arg(&config)
        .env("VAULT_ADDR", dev.url())
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .env("QSEC_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stderr = BufReader::new(child.0.stderr.take().unwrap());
    let mut lines = stderr.lines();
    let bound = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("bound=").nth(1).map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
        })
        .expect("the service says where it listens");
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));

    let api = Api::new(&format!("http://{bound}"));
    let token = signer.token("dana", &["deployers"]);
    let role = api.role_id("aws.stg.myapp", &token).await;
    assert_eq!(role.status, 200, "{role:?}");
    assert_eq!(role.body["role_name"], "aws.stg.myapp");
    let set = api.put_secret("aws.stg.myapp", "db", json!({ "password": "pw" }), &token).await;
    assert_eq!((set.status, set.body["author"].as_str()), (200, Some("dana")));
    assert_eq!(api.role_id("aws.prod.myapp", &token).await.status, 403);
    let audit = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert_eq!(audit.lines().count(), 3);

    let killed = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    dev.shutdown().await;
}

#[test]
fn a_bad_config_file_is_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.yaml");
    std::fs::write(&config, "auth:\n  issuers: []\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_qsec-secret-api"))
        .arg("--config")
        .arg(&config)
        .env("VAULT_TOKEN", "x")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.issuers"), "{stderr}");
}
