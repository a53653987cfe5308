//! Rendering a config directory in-process, as `qsec-init` does: every
//! `*.tmpl` of a source tree is rendered with the Vault functions, other
//! files are copied, and the result is published atomically (a new
//! `..data` link swapped in, as Kubernetes does for ConfigMap volumes).
//!
//! The Vault here is an in-memory one; in a service, pass a logged-in
//! `qsec_vault::VaultClient` instead. Run it with
//! `cargo run -p qsec-template --example render_config_dir`.

use std::path::Path;
use std::sync::Arc;

use qsec_core::{AppRef, KvMount, KvVersion, QsecLayout};
use qsec_template::config_dir::{ConfigDirOptions, DATA_LINK, RenderedConfig, render_config_dir};
use qsec_template::{VaultFunctionsConfig, VaultRenderer};
use qsec_vault::testkit::MemoryVault;
use serde_json::json;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The template of the source tree: the dot and two Vault lookups.
const TEMPLATE: &str = r#"app: {{ .appRef }}
db:
  user: {{ lookup "db" "user" | quote }}
  password: {{ lookup "db" "password" | quote }}
"#;

/// Writes a small source tree: one template, one plain file in a subdirectory.
fn write_source(source: &Path) -> Result<()> {
    std::fs::create_dir_all(source.join("conf.d"))?;
    std::fs::write(source.join("app.yml.tmpl"), TEMPLATE)?;
    std::fs::write(source.join("conf.d/logging.yml"), "level: info\n")?;
    Ok(())
}

/// Renders `source` into `destination` with Vault functions over a
/// MemoryVault holding the app's database secret.
async fn render(source: &Path, destination: &Path) -> Result<RenderedConfig> {
    let vault = MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .seed_secret("secret/myapp/db", json!({ "user": "app", "password": "s3cr3t-pw" }))
        .build();
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    let app: AppRef = "aws.stg.myapp".parse()?;
    // `lookup` reads the app's own area, which the plan names.
    let config = VaultFunctionsConfig { app: Some(layout.plan(&app)?), ..Default::default() };
    // One renderer per config-directory render: its answers are shared by
    // all templates of this render and no others.
    let renderer = VaultRenderer::new(Arc::new(vault.backend().with_token("root")), config);
    let options = ConfigDirOptions { data: json!({ "appRef": app.to_string() }), ..Default::default() };
    Ok(render_config_dir(&renderer, source, destination, &options).await?)
}

/// A view of a rendered file safe to print: keys kept, values masked.
fn masked(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once(':') {
            Some((key, value)) if !value.trim().is_empty() => format!("{key}: ***"),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let dirs = tempfile::tempdir()?;
    let (source, destination) = (dirs.path().join("source"), dirs.path().join("config"));
    write_source(&source)?;
    let rendered = render(&source, &destination).await?;
    println!("published {} -> {}", DATA_LINK, rendered.version_dir.display());
    for file in &rendered.files {
        println!("--- {}\n{}", file.display(), masked(&std::fs::read_to_string(destination.join(file))?));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_and_publishes_the_tree() {
        let dirs = tempfile::tempdir().unwrap();
        let (source, destination) = (dirs.path().join("source"), dirs.path().join("config"));
        write_source(&source).unwrap();
        let rendered = render(&source, &destination).await.unwrap();

        let files: Vec<String> = rendered.files.iter().map(|f| f.display().to_string()).collect();
        assert_eq!(files, ["app.yml", "conf.d/logging.yml"]);
        let app = std::fs::read_to_string(destination.join("app.yml")).unwrap();
        assert_eq!(app, "app: aws.stg.myapp\ndb:\n  user: \"app\"\n  password: \"s3cr3t-pw\"\n");
        assert_eq!(std::fs::read_to_string(destination.join("conf.d/logging.yml")).unwrap(), "level: info\n");
        assert!(destination.join(DATA_LINK).symlink_metadata().unwrap().is_symlink());
        assert!(!masked(&app).contains("s3cr3t-pw"));
    }
}
