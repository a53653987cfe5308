//! `qsec deploy render`, run as a real process, against the example app's
//! golden files (examples/myapp/golden; `QSEC_UPDATE_GOLDEN=1 cargo test -p
//! qsec-k8s --test deploy_render` rewrites them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/myapp")
}

/// `qsec deploy render` for the example app, with the environment that
/// could change its output removed.
fn render(extra: &[&str]) -> Output {
    let example = example();
    let path = |name: &str| example.join(name).to_str().unwrap().to_string();
    let mut args = vec!["deploy".to_string(), "render".into(), "-f".into(), path("deployment.yaml")];
    args.extend(["--app".into(), "aws.stg.myapp".into(), "--config".into(), path("config")]);
    args.extend(["--role-id-file".into(), path("role-id.example")]);
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_qsec"));
    for variable in ["VAULT_ADDR", "QSEC_API", "QSEC_TOKEN", "QSEC_INIT_IMAGE", "QSEC_REFRESH_IMAGE"] {
        command.env_remove(variable);
    }
    command.args(&args).output().expect("qsec runs")
}

fn tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, files: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
            if entry.path().is_dir() {
                walk(&entry.path(), &format!("{name}/"), files);
            } else {
                files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, "", &mut files);
    files
}

#[test]
fn image_mode_writes_the_golden_manifests_and_build_context() {
    let out = std::env::temp_dir().join(format!("qsec-deploy-render-{}", std::process::id()));
    let output = render(&["--out", out.to_str().unwrap()]);
    let written = if output.status.success() { Some(tree(&out)) } else { None };
    let _ = std::fs::remove_dir_all(&out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let written = written.unwrap_or_else(|| panic!("qsec failed: {stderr}"));
    assert_eq!(written, tree(&example().join("golden/image")));
    assert!(stderr.contains("docker build -t qsec-init/aws.stg.myapp:"), "{stderr}");
}

#[test]
fn configmap_mode_prints_the_golden_manifests() {
    let output = render(&["--config-from", "configmap", "--out", "-"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let golden = std::fs::read_to_string(example().join("golden/configmap/manifests.yaml")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), golden);
}

#[test]
fn refusals_say_what_to_do() {
    let output = render(&["--out", "-"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("give a directory"));
    let output = render(&["--config-from", "configmap", "--out", "-", "--app", "aws.stg.*"]);
    assert!(!output.status.success());
}
