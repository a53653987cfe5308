//! An app's config directory: read from disk, and as a ConfigMap (plus the
//! RoleID Secret) for ConfigMap mode.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use qsec_core::{AppRef, RoleId};

use crate::annotations::APPROLE;
use crate::error::{Error, Result};
use crate::inject::{ROLE_ID_KEY, config_map_name, role_id_secret_name};

/// The most a ConfigMap may hold (Kubernetes' limit is 1 MiB for the whole object).
const CONFIG_MAP_LIMIT: usize = 1024 * 1024 - 16 * 1024;

/// One file of the app's config directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Its path below the config directory, `/`-separated, e.g. `local.yml.tmpl`.
    pub path: String,
    /// Its content.
    pub content: Vec<u8>,
}

/// Reads every file below `dir`, sorted by path. Dotfiles and dot-directories
/// (editor leftovers, `.git`) are skipped.
pub fn read_config_dir(dir: &Path) -> Result<Vec<ConfigFile>> {
    let mut files = Vec::new();
    read_into(dir, "", &mut files)?;
    if files.is_empty() {
        return Err(Error::Config {
            path: dir.into(),
            reason: "has no files; put the app's config files there".into(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn read_into(dir: &Path, prefix: &str, files: &mut Vec<ConfigFile>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(Error::io("reading directory", dir))?;
    for entry in entries {
        let entry = entry.map_err(Error::io("reading directory", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(Error::Config { path: entry.path(), reason: "file name is not UTF-8".into() });
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let relative = format!("{prefix}{name}");
        if path.is_dir() {
            read_into(&path, &format!("{relative}/"), files)?;
        } else {
            let content = std::fs::read(&path).map_err(Error::io("reading", &path))?;
            files.push(ConfigFile { path: relative, content });
        }
    }
    Ok(())
}

/// The ConfigMap holding the config files, named by [`config_map_name`].
pub(crate) fn config_map(app: &AppRef, namespace: Option<&str>, files: &[ConfigFile]) -> Result<ConfigMap> {
    let mut data = BTreeMap::new();
    let mut binary_data = BTreeMap::new();
    let mut total = 0;
    for file in files {
        let valid_key = file.path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid_key {
            return Err(Error::Config {
                path: file.path.clone().into(),
                reason: "ConfigMap keys are flat names of a-z, 0-9, '-', '_', '.'; \
                         keep config files at the top of the directory or use --config-from image"
                    .into(),
            });
        }
        total += file.path.len() + file.content.len();
        match String::from_utf8(file.content.clone()) {
            Ok(text) => {
                data.insert(file.path.clone(), text);
            }
            Err(_) => {
                binary_data.insert(file.path.clone(), ByteString(file.content.clone()));
            }
        }
    }
    if total > CONFIG_MAP_LIMIT {
        return Err(Error::Config {
            path: ".".into(),
            reason: format!("holds {total} bytes, more than a ConfigMap can (1 MiB); use --config-from image"),
        });
    }
    Ok(ConfigMap {
        metadata: generated_metadata(config_map_name(app), app, namespace),
        data: (!data.is_empty()).then_some(data),
        binary_data: (!binary_data.is_empty()).then_some(binary_data),
        ..ConfigMap::default()
    })
}

/// The Secret holding the RoleID, named by [`role_id_secret_name`].
pub(crate) fn role_id_secret(app: &AppRef, namespace: Option<&str>, role_id: &RoleId) -> Secret {
    Secret {
        metadata: generated_metadata(role_id_secret_name(app), app, namespace),
        type_: Some("Opaque".into()),
        string_data: Some(BTreeMap::from([(ROLE_ID_KEY.to_string(), role_id.expose_secret().to_string())])),
        ..Secret::default()
    }
}

fn generated_metadata(name: String, app: &AppRef, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: namespace.map(str::to_string),
        labels: Some(BTreeMap::from([("app.kubernetes.io/managed-by".to_string(), "qsec".to_string())])),
        annotations: Some(BTreeMap::from([(APPROLE.to_string(), app.to_string())])),
        ..ObjectMeta::default()
    }
}
