//! Helpers shared by the integration tests: golden files and the example app.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use qsec_k8s::deployer::{self, RenderRequest};
use qsec_k8s::inject::{ConfigFrom, InjectSettings};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("qsec-k8s is in the workspace").to_path_buf()
}

/// Compares `actual` with the golden file at `path` exactly; with
/// `QSEC_UPDATE_GOLDEN=1` rewrites the file instead.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("QSEC_UPDATE_GOLDEN").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("{}: {error} (QSEC_UPDATE_GOLDEN=1 writes it)", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0) + 1;
        panic!(
            "{} differs from the output from line {line} on (QSEC_UPDATE_GOLDEN=1 rewrites it)\n--- output ---\n{actual}",
            path.display()
        );
    }
}

/// The example app's directory.
pub fn example() -> PathBuf {
    root().join("examples/myapp")
}

/// What `qsec deploy render` is asked for the example app in `mode`.
pub fn example_request(mode: ConfigFrom) -> RenderRequest {
    let dir = example();
    RenderRequest {
        app: "aws.stg.myapp".parse().unwrap(),
        manifests: std::fs::read_to_string(dir.join("deployment.yaml")).unwrap(),
        config: deployer::read_config_dir(&dir.join("config")).unwrap(),
        role_id: std::fs::read_to_string(dir.join("role-id.example")).unwrap().trim().into(),
        settings: InjectSettings { config_from: mode, ..InjectSettings::default() },
        init_image: None,
    }
}
