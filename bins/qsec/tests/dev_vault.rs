//! `qsec dev vault`, run as a real process and driven over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use qsec_vault::{VaultClient, VaultConfig};

/// Kills the server if the test fails before stopping it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serves_seeded_secrets_and_stops_on_sigterm() {
    let child = Command::new(env!("CARGO_BIN_EXE_qsec"))
        .args(["dev", "vault", "--listen", "127.0.0.1:0", "--root-token", "dev-root"])
        .args(["--seed", r#"secret/myapp/db={"password":"pw-1"}"#])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qsec starts");
    let mut child = KillOnDrop(child);
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    qsec_vault::install_crypto_provider();
    let client = VaultClient::new(VaultConfig::new(&url).unwrap()).unwrap();
    client.set_token("dev-root".into());
    let secret = client.read("secret/data/myapp/db").await.unwrap().expect("seeded");
    assert_eq!(secret.data.unwrap().expose_secret()["data"]["password"], "pw-1");

    let killed = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

#[test]
fn refuses_non_loopback_and_bad_seeds() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_qsec")).args(["dev", "vault", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("only listens on loopback"));

    let output = Command::new(env!("CARGO_BIN_EXE_qsec"))
        .args(["dev", "vault", "--listen", "127.0.0.1:0", "--seed", "sys/x={}"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("seed sys/x: no kv mount there"));

    let output = Command::new(env!("CARGO_BIN_EXE_qsec"))
        .args(["dev", "vault", "--listen", "127.0.0.1:0", "--seed", "pki/x={}"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pki/ is not a kv mount"));
}
