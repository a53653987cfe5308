//! The real `qsec` binary against a running Secret API (and its in-memory
//! Vault): `qsec app role-id`, `qsec secrets set/get/history/rollback`,
//! token sources, output formats, exit codes, completions.

use std::process::Stdio;

use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const RULES: &str = r#"
  - groups: [team]
    verbs: [role-id, "secrets:*"]
    apps: ["aws.stg.myapp"]
"#;
const APP: &str = "aws.stg.myapp";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `qsec ARGS` with `env` (and none of the caller's QSEC_* settings),
/// feeding `stdin`.
async fn qsec(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qsec"));
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for name in ["QSEC_API", "QSEC_TOKEN", "QSEC_TOKEN_FILE"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("qsec starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_get_history_rollback_through_the_cli() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let url = stack.url();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let alice = stack.signer().token("alice", &["team"]);
    let bob_file = dir.join("bob.jwt");
    std::fs::write(&bob_file, format!("{}\n", stack.signer().token("bob", &["team"]))).unwrap();
    let bob_file = bob_file.to_str().unwrap().to_owned();
    let as_alice = [("QSEC_API", url.as_str()), ("QSEC_TOKEN", alice.as_str())];
    let as_bob = [("QSEC_API", url.as_str()), ("QSEC_TOKEN_FILE", bob_file.as_str())];

    let role = qsec(&["app", "role-id", APP, "--output", "json"], &as_alice, "").await;
    assert_eq!(role.code, 0, "{}", role.stderr);
    let role: Value = serde_json::from_str(&role.stdout).unwrap();
    assert_eq!(role["role_name"], APP);
    let text = qsec(&["app", "role-id", APP], &as_alice, "").await;
    assert!(text.stdout.contains(&format!("role_id    {}", role["role_id"].as_str().unwrap())), "{}", text.stdout);

    let password_file = dir.join("pw.txt");
    std::fs::write(&password_file, "pw-from-file").unwrap();
    let at_file = format!("password=@{}", password_file.display());
    let set =
        qsec(&["secrets", "set", APP, "db", "username=app", &at_file, "api_key=-"], &as_alice, "key-from-stdin").await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(set.stdout.contains("version 1 set by alice"), "{}", set.stdout);
    let again = qsec(&["secrets", "set", APP, "db", "username=app", "password=second"], &as_bob, "").await;
    assert!(again.stdout.contains("version 2 set by bob"), "{} {}", again.stdout, again.stderr);

    let get = qsec(&["secrets", "get", APP, "db", "--output", "json"], &as_alice, "").await;
    let get: Value = serde_json::from_str(&get.stdout).unwrap();
    assert_eq!(get["data"]["password"], "second");
    let old = qsec(&["secrets", "get", APP, "db", "--version", "1", "--key", "api_key"], &as_alice, "").await;
    assert_eq!(old.stdout, "key-from-stdin\n");

    let history = qsec(&["secrets", "history", APP, "db"], &as_alice, "").await;
    assert_eq!(history.code, 0, "{}", history.stderr);
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert!(lines[0].starts_with("VERSION"), "{}", history.stdout);
    assert!(
        lines[1].starts_with('2') && lines[1].contains("bob") && lines[1].contains("current"),
        "{}",
        history.stdout
    );
    assert!(lines[2].starts_with('1') && lines[2].contains("alice"), "{}", history.stdout);

    let rollback = qsec(&["secrets", "rollback", APP, "db", "1"], &as_bob, "").await;
    assert!(rollback.stdout.contains("version 1 restored as version 3"), "{} {}", rollback.stdout, rollback.stderr);
    let now = qsec(&["secrets", "get", APP, "db"], &as_alice, "").await;
    assert!(now.stdout.contains("password=pw-from-file") && now.stdout.contains("version 3 by bob"), "{}", now.stdout);
    assert!(!history.stdout.contains("pw-from-file"), "history shows no values");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_say_what_kind_of_failure_it_was() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let url = stack.url();
    let alice = stack.signer().token("alice", &["team"]);
    let as_alice = [("QSEC_API", url.as_str()), ("QSEC_TOKEN", alice.as_str())];
    assert_eq!(qsec(&["app", "role-id", APP], &as_alice, "").await.code, 0);

    let no_token = qsec(&["app", "role-id", APP, "--api", &url], &[], "").await;
    assert_eq!(no_token.code, 2, "{}", no_token.stderr);
    let bad_token = qsec(&["app", "role-id", APP, "--api", &url, "--token", "garbage"], &[], "").await;
    assert_eq!(bad_token.code, 2, "{}", bad_token.stderr);
    assert!(bad_token.stderr.contains("401"), "{}", bad_token.stderr);
    let forbidden = qsec(&["app", "role-id", "aws.prod.myapp"], &as_alice, "").await;
    assert_eq!(forbidden.code, 2, "{}", forbidden.stderr);
    let missing = qsec(&["secrets", "get", APP, "nothing"], &as_alice, "").await;
    assert_eq!(missing.code, 3, "{}", missing.stderr);
    let bad_name = qsec(&["secrets", "set", APP, "Bad..Name", "k=v"], &as_alice, "").await;
    assert_eq!(bad_name.code, 1, "{}", bad_name.stderr);
    assert!(bad_name.stderr.contains("secret name"), "{}", bad_name.stderr);
    let bad_pair = qsec(&["secrets", "set", APP, "db", "no-equals-sign"], &as_alice, "").await;
    assert_eq!(bad_pair.code, 1);
    let usage = qsec(&["secrets", "set", APP], &as_alice, "").await;
    assert_eq!(usage.code, 1, "{}", usage.stderr);
    let bad_app = qsec(&["app", "role-id", "not-an-app"], &as_alice, "").await;
    assert_eq!(bad_app.code, 1, "{}", bad_app.stderr);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let unreachable = format!("http://{closed}");
    let down = qsec(&["app", "role-id", APP, "--api", &unreachable, "--token", &alice], &[], "").await;
    assert_eq!(down.code, 4, "{}", down.stderr);
    assert!(!down.stderr.contains(&alice), "the token is never printed");
    stack.shutdown().await;
}

#[tokio::test]
async fn help_and_completions_are_everywhere() {
    for args in [&["--help"][..], &["secrets", "--help"], &["secrets", "set", "--help"], &["app", "role-id", "--help"]]
    {
        let help = qsec(args, &[("QSEC_TOKEN", "do-not-show-me")], "").await;
        assert_eq!(help.code, 0, "{args:?}: {}", help.stderr);
        assert!(!help.stdout.contains("do-not-show-me"), "--help never shows the token");
    }
    let set_help = qsec(&["secrets", "set", "--help"], &[], "").await;
    assert!(
        set_help.stdout.contains("KEY=@FILE") && set_help.stdout.contains("QSEC_TOKEN_FILE"),
        "{}",
        set_help.stdout
    );
    for shell in ["bash", "zsh", "fish"] {
        let script = qsec(&["completions", shell], &[], "").await;
        assert_eq!(script.code, 0, "{shell}: {}", script.stderr);
        assert!(script.stdout.contains("secrets") && script.stdout.contains("rollback"), "{shell}");
    }
}
