//! `qsec demo`, the README's first command, run as a newcomer would (but
//! non-interactively): it must tell the whole story and prove its end.

use std::process::Command;

use serde_json::Value;

#[test]
fn the_demo_tells_the_whole_story_and_proves_the_revocation() {
    let workdir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_qsec"))
        .args(["demo", "--plain", "--workdir"])
        .arg(workdir.path())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "qsec demo failed\nstdout:\n{stdout}\nstderr:\n{stderr}");

    // Every step, in order, each with its tick.
    let steps = [
        "Vault (in memory) at http://127.0.0.1:",
        "Secret API at http://127.0.0.1:",
        "qsec-controller watching pods",
        "$ qsec app role-id aws.stg.myapp",
        "$ qsec secrets set aws.stg.myapp api",
        "version 1 set by alice@example.com",
        "$ qsec deploy render",
        "waits for its SecretID on 127.",
        "delivered a wrapped, single-use SecretID bound to 127.",
        "qsec-init logged in to AppRole, rendered the config volume and exited 0",
        "local.yml, values masked:",
        "qsec-refresh keeps the token and 2 leases alive",
        "renewed the token and its leases",
        "qsec-refresh revoked the leases and the token, and exited 0",
        "Vault confirms: the pod's token is refused (403) and 2 of 2 leases are gone",
        "Done in ",
        "two roads: the RoleID came with the deployer, the SecretID from the controller",
        "on stop revoked the token and 2 of 2 leases (Vault agrees)",
        "summary.json",
        "slowest step",
    ];
    let mut at = 0;
    for step in steps {
        let found =
            stdout[at..].find(step).unwrap_or_else(|| panic!("step {step:?} missing or out of order:\n{stdout}"));
        at += found + step.len();
    }

    // What the demo wrote down agrees, and the pod really got its files.
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(workdir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["token_revoked"], true, "{summary}");
    assert_eq!(summary["leases_total"], 2, "{summary}");
    assert_eq!(summary["leases_revoked"], 2, "{summary}");
    assert_eq!(summary["refresh_exit_code"], 0, "{summary}");
    assert_eq!(summary["secret_versions"], 1, "{summary}");
    assert!(summary["renewals"].as_u64().unwrap() >= 1, "{summary}");
    assert!(!summary["secret_id_accessor"].as_str().unwrap().is_empty(), "{summary}");
    let files: Vec<&str> = summary["rendered_files"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(files, ["local.yml", "production.yml", "staging.yml"]);
    let pod = summary["pod"].as_str().unwrap().split('/').nth(1).unwrap().to_owned();
    let local =
        std::fs::read_to_string(workdir.path().join("pods").join(&pod).join("volumes/qsec-config/local.yml")).unwrap();
    let api_key = local.lines().find_map(|line| line.trim().strip_prefix("key: ")).unwrap().trim_matches('"');
    assert!(api_key.starts_with("demo-api-key-"), "{local}");
    assert!(local.contains("export AWS_ACCESS_KEY_ID='"), "{local}");
    assert!(local.contains("-----BEGIN CERTIFICATE-----"), "{local}");

    // Values were masked on screen.
    assert!(!stdout.contains(api_key), "the API key was printed:\n{stdout}");
    let key_body = local.lines().skip_while(|line| !line.contains("BEGIN EC PRIVATE KEY")).nth(1).unwrap().trim();
    assert!(!stdout.contains(key_body), "the private key was printed:\n{stdout}");
}
