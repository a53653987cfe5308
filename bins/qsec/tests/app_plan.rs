//! `qsec app plan`, run as a real process.

use std::process::Command;

fn qsec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qsec")).args(args).output().expect("qsec runs")
}

#[test]
fn prints_the_seed_plan_by_default() {
    let output = qsec(&["app", "plan"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("auth/approle/role/aws.stg.myapp\n"), "{text}");
    assert!(text.contains(r#"path "secret/cluster/aws/stg/*" { capabilities = ["read", "list"] }"#));
    assert!(
        text.contains(r#"path "auth/approle/role/aws.stg.myapp/secret-id" { capabilities = ["create", "update"] }"#)
    );
}

#[test]
fn json_output_and_layout_file() {
    let dir = std::env::temp_dir().join(format!("qsec-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let layout = dir.join("layout.json");
    std::fs::write(&layout, r#"{ "naming": { "role_separator": "-" } }"#).unwrap();
    let output = qsec(&["app", "plan", "gcp.prod.shop", "--layout", layout.to_str().unwrap(), "--output", "json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["names"]["approle"], "gcp-prod-shop");
    assert_eq!(plan["names"]["token_role"], "getsecretid-gcp-prod-shop");
}

#[test]
fn bad_app_reference_fails_with_the_rule() {
    let output = qsec(&["app", "plan", "aws.stg.../etc"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("'/' would change the Vault paths"), "{stderr}");
}
