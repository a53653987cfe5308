//! Config-directory rendering: what is published, and that a failure
//! leaves the destination exactly as it was.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use async_trait::async_trait;
use qsec_core::{Lease, RenderedTemplate, SecretText, TemplateRenderer};
use qsec_template::config_dir::{CheckCommand, ConfigDirOptions, DATA_LINK, render_config_dir};

/// A stand-in renderer: replaces `@secret@` with a value, fails on `FAIL`,
/// and reports one lease per template that says `@lease@`.
struct FakeRenderer {
    secret: String,
}

#[async_trait]
impl TemplateRenderer for FakeRenderer {
    async fn render(&self, name: &str, source: &str, _data: &serde_json::Value) -> qsec_core::Result<RenderedTemplate> {
        if source.contains("FAIL") {
            return Err(qsec_core::Error::Template {
                template: name.into(),
                line: Some(1),
                column: Some(1),
                message: "boom".into(),
            });
        }
        let leases = if source.contains("@lease@") {
            vec![Lease {
                lease_id: format!("database/creds/app/{name}"),
                lease_duration: 60,
                renewable: true,
                path: "database/creds/app".into(),
                obtained_at: 0,
            }]
        } else {
            vec![]
        };
        Ok(RenderedTemplate {
            content: SecretText::new(source.replace("@secret@", &self.secret).replace("@lease@", "")),
            leases,
        })
    }
}

fn renderer(secret: &str) -> FakeRenderer {
    FakeRenderer { secret: secret.into() }
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Everything under `dir`: files with content and mode, links with targets.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            let relative = entry.path().strip_prefix(dir).unwrap().display().to_string();
            let kind = entry.file_type().unwrap();
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            if kind.is_symlink() {
                seen.insert(relative, format!("-> {}", std::fs::read_link(entry.path()).unwrap().display()));
            } else if kind.is_dir() {
                seen.insert(relative, format!("dir {mode:o}"));
                pending.push(entry.path());
            } else {
                seen.insert(relative, format!("{mode:o} {}", std::fs::read_to_string(entry.path()).unwrap()));
            }
        }
    }
    seen
}

fn source_tree() -> tempfile::TempDir {
    let source = tempfile::tempdir().unwrap();
    write(source.path(), "staging.yml", "env: staging\n");
    write(source.path(), "local.yml.tmpl", "password: @secret@\n@lease@");
    write(source.path(), "nested/db.conf.tmpl", "dsn: db://@secret@\n");
    write(source.path(), "nested/plain.txt", "plain\n");
    source
}

#[tokio::test]
async fn renders_templates_copies_files_and_publishes_through_data_link() {
    let source = source_tree();
    let destination = tempfile::tempdir().unwrap();
    let rendered =
        render_config_dir(&renderer("hunter2"), source.path(), destination.path(), &ConfigDirOptions::default())
            .await
            .unwrap();

    let files: Vec<String> = rendered.files.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(files, ["local.yml", "nested/db.conf", "nested/plain.txt", "staging.yml"]);
    assert_eq!(rendered.leases.len(), 1);
    let dest = destination.path();
    assert_eq!(std::fs::read_to_string(dest.join("local.yml")).unwrap(), "password: hunter2\n");
    assert_eq!(std::fs::read_to_string(dest.join("nested/db.conf")).unwrap(), "dsn: db://hunter2\n");
    assert_eq!(std::fs::read_to_string(dest.join("staging.yml")).unwrap(), "env: staging\n");
    assert!(!dest.join("local.yml.tmpl").exists());
    assert_eq!(std::fs::read_link(dest.join("local.yml")).unwrap(), Path::new(DATA_LINK).join("local.yml"));
    let real = std::fs::canonicalize(dest.join("local.yml")).unwrap();
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o400);
    let nested = std::fs::canonicalize(dest.join("nested")).unwrap();
    assert_eq!(std::fs::metadata(&nested).unwrap().permissions().mode() & 0o777, 0o700);
}

#[tokio::test]
async fn rerender_replaces_content_and_drops_removed_files() {
    let source = source_tree();
    let destination = tempfile::tempdir().unwrap();
    let options = ConfigDirOptions { file_mode: 0o440, ..Default::default() };
    render_config_dir(&renderer("one"), source.path(), destination.path(), &options).await.unwrap();
    std::fs::remove_file(source.path().join("staging.yml")).unwrap();
    write(source.path(), "production.yml", "env: production\n");
    let second = render_config_dir(&renderer("two"), source.path(), destination.path(), &options).await.unwrap();

    let dest = destination.path();
    assert_eq!(std::fs::read_to_string(dest.join("local.yml")).unwrap(), "password: two\n");
    assert!(!dest.join("staging.yml").exists(), "removed from the source, so gone");
    assert!(std::fs::symlink_metadata(dest.join("staging.yml")).is_err(), "no dangling link either");
    assert_eq!(std::fs::read_to_string(dest.join("production.yml")).unwrap(), "env: production\n");
    let versions: Vec<_> = std::fs::read_dir(dest)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir() && e.file_name().to_string_lossy().starts_with(".."))
        .collect();
    assert_eq!(versions.len(), 1, "the old tree was removed");
    assert_eq!(versions[0].path(), second.version_dir);
    let real = std::fs::canonicalize(dest.join("local.yml")).unwrap();
    assert_eq!(std::fs::metadata(real).unwrap().permissions().mode() & 0o777, 0o440);
}

#[tokio::test]
async fn a_template_error_leaves_the_destination_untouched() {
    let source = source_tree();
    let destination = tempfile::tempdir().unwrap();
    render_config_dir(&renderer("one"), source.path(), destination.path(), &ConfigDirOptions::default()).await.unwrap();
    let before = snapshot(destination.path());

    write(source.path(), "nested/broken.yml.tmpl", "FAIL");
    let error = render_config_dir(&renderer("two"), source.path(), destination.path(), &ConfigDirOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("nested/broken.yml.tmpl:1:1: boom"), "{error}");
    assert_eq!(snapshot(destination.path()), before);
}

#[tokio::test]
async fn a_failing_check_leaves_the_destination_untouched_and_a_passing_one_publishes() {
    let source = source_tree();
    let destination = tempfile::tempdir().unwrap();
    render_config_dir(&renderer("one"), source.path(), destination.path(), &ConfigDirOptions::default()).await.unwrap();
    let before = snapshot(destination.path());

    let failing = ConfigDirOptions {
        check: Some(CheckCommand::new("sh", ["-c", "echo secret-looking >&2; exit 3"])),
        ..Default::default()
    };
    let error =
        render_config_dir(&renderer("two"), source.path(), destination.path(), &failing).await.unwrap_err().to_string();
    assert!(error.contains("exit status: 3"), "{error}");
    assert!(!error.contains("secret-looking"), "check output must not be echoed: {error}");
    assert_eq!(snapshot(destination.path()), before);

    // The check sees the staged tree as its working directory.
    let passing = ConfigDirOptions {
        check: Some(CheckCommand::new(
            "sh",
            ["-c", r#"grep -q 'password: two' local.yml && test "$PWD" = "$QSEC_CONFIG_DIR""#],
        )),
        ..Default::default()
    };
    render_config_dir(&renderer("two"), source.path(), destination.path(), &passing).await.unwrap();
    assert_eq!(std::fs::read_to_string(destination.path().join("local.yml")).unwrap(), "password: two\n");
}

#[tokio::test]
async fn refuses_foreign_files_and_ambiguous_sources_without_writing() {
    let source = source_tree();
    let destination = tempfile::tempdir().unwrap();
    write(destination.path(), "local.yml", "not ours\n");
    let before = snapshot(destination.path());
    let error = render_config_dir(&renderer("x"), source.path(), destination.path(), &ConfigDirOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("was not written by qsec"), "{error}");
    assert_eq!(snapshot(destination.path()), before);

    let clean = tempfile::tempdir().unwrap();
    write(source.path(), "local.yml", "a plain twin of the template\n");
    let error = render_config_dir(&renderer("x"), source.path(), clean.path(), &ConfigDirOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("both a file and a template produce local.yml"), "{error}");
    assert!(snapshot(clean.path()).is_empty());
}

#[tokio::test]
async fn readers_see_the_old_or_the_new_file_never_a_mix() {
    let source = tempfile::tempdir().unwrap();
    let big_a = "a".repeat(64 * 1024);
    let big_b = "b".repeat(64 * 1024);
    write(source.path(), "big.txt.tmpl", "@secret@");
    let destination = tempfile::tempdir().unwrap();
    render_config_dir(&renderer(&big_a), source.path(), destination.path(), &ConfigDirOptions::default())
        .await
        .unwrap();

    let path = destination.path().join("big.txt");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (stop, path, big_a, big_b) = (stop.clone(), path.clone(), big_a.clone(), big_b.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // A read may race with the removal of an old tree; what it
                // must never see is a partial or mixed file.
                if let Ok(text) = std::fs::read_to_string(&path) {
                    assert!(text == big_a || text == big_b, "torn read of {} bytes", text.len());
                    reads += 1;
                }
            }
            reads
        })
    };
    for round in 0..40 {
        let value = if round % 2 == 0 { &big_b } else { &big_a };
        render_config_dir(&renderer(value), source.path(), destination.path(), &ConfigDirOptions::default())
            .await
            .unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);
}
