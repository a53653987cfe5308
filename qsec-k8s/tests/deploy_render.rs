//! `qsec deploy render`'s library: the example app against its golden files.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{assert_golden, example, example_request};
use qsec_k8s::deployer::{self, BUILD_CONTEXT_DIR, MANIFESTS_FILE};
use qsec_k8s::inject::ConfigFrom;

/// Every file below `dir`, by `/`-separated relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
            if entry.path().is_dir() {
                walk(&entry.path(), &format!("{name}/"), files);
            } else {
                files.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    if dir.exists() {
        walk(dir, "", &mut files);
    }
    files
}

#[test]
fn image_mode_matches_the_golden_files() {
    let rendered = deployer::render(&example_request(ConfigFrom::Image)).unwrap();
    let golden = example().join("golden/image");
    assert_golden(&golden.join(MANIFESTS_FILE), &rendered.manifests);
    let context = rendered.build_context.as_ref().expect("image mode writes a build context");
    for (path, content) in &context.files {
        assert_golden(&golden.join(BUILD_CONTEXT_DIR).join(path), std::str::from_utf8(content).unwrap());
    }
    let expected: Vec<String> = tree(&golden.join(BUILD_CONTEXT_DIR)).into_keys().collect();
    assert_eq!(context.files.keys().cloned().collect::<Vec<_>>(), expected, "no stale golden files");

    let image = rendered.init_image.as_deref().unwrap();
    assert_eq!(image, format!("qsec-init/aws.stg.myapp:{}", context.digest()));
    assert!(rendered.manifests.contains(&format!("image: {image}")));
    let dockerfile = std::str::from_utf8(&context.files["Dockerfile"]).unwrap();
    assert!(dockerfile.contains(&format!("FROM ghcr.io/qsec/qsec-init:{}\n", qsec_k8s::inject::VERSION)));
    assert_eq!(context.files["role-id"], b"4f6b1e2a-9c3d-4a7e-8b1f-2d5c6e7f8a90\n");
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
}

#[test]
fn configmap_mode_matches_the_golden_file() {
    let rendered = deployer::render(&example_request(ConfigFrom::ConfigMap)).unwrap();
    assert!(rendered.build_context.is_none() && rendered.init_image.is_none());
    assert_golden(&example().join("golden/configmap").join(MANIFESTS_FILE), &rendered.manifests);
    assert!(rendered.manifests.contains("kind: ConfigMap") && rendered.manifests.contains("kind: Secret"));
    assert!(rendered.manifests.contains("name: qsec-aws-stg-myapp-config"));
}

#[test]
fn a_config_change_changes_the_image_tag_and_nothing_else_does() {
    let first = deployer::render(&example_request(ConfigFrom::Image)).unwrap();
    let again = deployer::render(&example_request(ConfigFrom::Image)).unwrap();
    assert_eq!(first.init_image, again.init_image);
    let mut changed = example_request(ConfigFrom::Image);
    changed.config[0].content.extend_from_slice(b"# changed\n");
    let changed = deployer::render(&changed).unwrap();
    assert_ne!(first.init_image, changed.init_image);
}

#[test]
fn write_to_writes_the_tree_and_replaces_only_its_own_context() {
    let rendered = deployer::render(&example_request(ConfigFrom::Image)).unwrap();
    let out = tempfile::tempdir().unwrap();
    rendered.write_to(out.path()).unwrap();
    // A stale file from an earlier render must not survive into the next image.
    std::fs::write(out.path().join(BUILD_CONTEXT_DIR).join("config/stale.yml"), "old").unwrap();
    rendered.write_to(out.path()).unwrap();
    assert_eq!(tree(out.path()), tree(&example().join("golden/image")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.path().join(BUILD_CONTEXT_DIR).join("role-id")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let foreign = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(foreign.path().join(BUILD_CONTEXT_DIR)).unwrap();
    std::fs::write(foreign.path().join(BUILD_CONTEXT_DIR).join("Dockerfile"), "FROM scratch\n").unwrap();
    let error = rendered.write_to(foreign.path()).unwrap_err().to_string();
    assert!(error.contains("is not a build context qsec wrote"), "{error}");
}

#[test]
fn configmap_mode_refuses_nested_config_files() {
    let mut request = example_request(ConfigFrom::ConfigMap);
    request.config.push(deployer::ConfigFile { path: "certs/ca.pem".into(), content: b"x".to_vec() });
    let error = deployer::render(&request).unwrap_err().to_string();
    assert!(error.contains("use --config-from image"), "{error}");
}

#[test]
fn reads_the_config_directory_sorted_without_dotfiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("b.yml"), "b").unwrap();
    std::fs::write(dir.path().join("a.yml.tmpl"), "a").unwrap();
    std::fs::write(dir.path().join(".b.yml.swp"), "x").unwrap();
    std::fs::write(dir.path().join("sub/c.yml"), "c").unwrap();
    let files = deployer::read_config_dir(dir.path()).unwrap();
    let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(paths, ["a.yml.tmpl", "b.yml", "sub/c.yml"]);
    let empty = tempfile::tempdir().unwrap();
    assert!(deployer::read_config_dir(empty.path()).unwrap_err().to_string().contains("has no files"));
}
