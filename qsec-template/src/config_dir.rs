//! Rendering a config directory, as the init container does: copy a source
//! tree into a destination, rendering every `*.tmpl` on the way, and swap
//! the result in atomically.
//!
//! The destination (usually a volume mount, which cannot itself be renamed)
//! is laid out as Kubernetes lays out ConfigMap volumes:
//!
//! ```text
//! dest/..2026_11_23_13_45_00.123_4711/   the real tree (dirs 0700, files 0400)
//! dest/..data -> ..2026_11_23_13_45_00.123_4711
//! dest/local.yml -> ..data/local.yml      one link per top-level entry
//! ```
//!
//! A new render is written beside the old one, checked, and published by
//! renaming a new `..data` link over the old: one atomic step, so a reader
//! sees the old tree or the complete new one, never a partial file. Any
//! failure before that step leaves the destination exactly as it was.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::try_join_all;
use qsec_core::{Lease, TemplateRenderer};
use tracing::{debug, info};

use crate::error::{Error, Result};

/// The link that names the current tree.
pub const DATA_LINK: &str = "..data";

/// How to render a config directory.
#[derive(Debug, Clone)]
pub struct ConfigDirOptions {
    /// Mode of every written file. Default 0400: readable by the owner only.
    pub file_mode: u32,
    /// Mode of every directory. Default 0700.
    pub dir_mode: u32,
    /// Files ending with this are templates; it is stripped. Default `.tmpl`.
    pub template_extension: String,
    /// The data every template sees as its dot.
    pub data: serde_json::Value,
    /// A command that validates the staged tree before it is published.
    pub check: Option<CheckCommand>,
}

impl Default for ConfigDirOptions {
    fn default() -> Self {
        Self {
            file_mode: 0o400,
            dir_mode: 0o700,
            template_extension: ".tmpl".into(),
            data: serde_json::Value::Null,
            check: None,
        }
    }
}

/// A command run on the staged tree; a non-zero exit stops the publish.
///
/// It runs with the staged tree as its working directory and in
/// `QSEC_CONFIG_DIR`. Its output is not repeated in errors or logs: it may
/// quote the secrets it checked.
#[derive(Debug, Clone)]
pub struct CheckCommand {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// How long it may run. Default 30 s.
    pub timeout: Duration,
}

impl CheckCommand {
    /// `program args...` with the default timeout.
    pub fn new(program: impl Into<PathBuf>, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// What a render published.
#[derive(Debug, Clone)]
pub struct RenderedConfig {
    /// Every file written, relative to the destination, sorted.
    pub files: Vec<PathBuf>,
    /// Leases the templates' Vault functions obtained.
    pub leases: Vec<Lease>,
    /// The directory now behind `..data`.
    pub version_dir: PathBuf,
}

/// One entry of the source tree.
enum Entry {
    Dir(PathBuf),
    Copy { from: PathBuf, to: PathBuf },
    Template { from: PathBuf, to: PathBuf },
}

/// Renders `source` into `destination` and publishes it atomically.
pub async fn render_config_dir(
    renderer: &dyn TemplateRenderer,
    source: &Path,
    destination: &Path,
    options: &ConfigDirOptions,
) -> Result<RenderedConfig> {
    let entries = scan_source(source, &options.template_extension)?;
    let published = published_entries(destination)?;

    // Render everything in memory first: a template error must not touch
    // the destination at all.
    let renders = entries.iter().filter_map(|entry| match entry {
        Entry::Template { from, to } => Some(render_one(renderer, source, from, to, &options.data)),
        _ => None,
    });
    let rendered = try_join_all(renders).await?;

    let version_dir = destination.join(version_name());
    let staged = stage(&version_dir, source, &entries, &rendered, options);
    let staged = match staged {
        Ok(files) => files,
        Err(error) => {
            remove_tree(&version_dir);
            return Err(error);
        }
    };
    if let Some(check) = &options.check
        && let Err(error) = run_check(check, &version_dir).await
    {
        remove_tree(&version_dir);
        return Err(error);
    }
    publish(destination, &version_dir, &staged, &published)?;
    let leases = rendered.into_iter().flat_map(|(_, _, leases)| leases).collect();
    info!(destination = %destination.display(), files = staged.len(), "config published");
    Ok(RenderedConfig { files: staged, leases, version_dir })
}

/// Walks the source, refusing what cannot be published faithfully.
fn scan_source(source: &Path, extension: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut outputs = BTreeSet::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = source.join(&relative);
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| io_error(&dir, "reading the config source", e))?
            .collect::<std::io::Result<_>>()
            .map_err(|e| io_error(&dir, "reading the config source", e))?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            let name = child.file_name();
            let path = relative.join(&name);
            if relative.as_os_str().is_empty() && name.to_string_lossy().starts_with("..") {
                return Err(dir_error(&source.join(&path), "top-level names starting with '..' are reserved"));
            }
            let kind = child.file_type().map_err(|e| io_error(&source.join(&path), "inspecting", e))?;
            if kind.is_dir() {
                entries.push(Entry::Dir(path.clone()));
                pending.push(path);
            } else if kind.is_file() {
                let (to, is_template) = match name.to_str().and_then(|n| n.strip_suffix(extension)) {
                    Some(stem) if !stem.is_empty() => (relative.join(stem), true),
                    _ => (path.clone(), false),
                };
                if !outputs.insert(to.clone()) {
                    return Err(dir_error(
                        &source.join(&path),
                        &format!("both a file and a template produce {}", to.display()),
                    ));
                }
                entries.push(if is_template {
                    Entry::Template { from: path, to }
                } else {
                    Entry::Copy { from: path, to }
                });
            } else {
                return Err(dir_error(
                    &source.join(&path),
                    "only files and directories are supported (no symlinks or devices)",
                ));
            }
        }
    }
    Ok(entries)
}

/// The top-level links a previous render published. Anything else in the
/// destination was not written by qsec, and is never replaced.
fn published_entries(destination: &Path) -> Result<BTreeSet<String>> {
    std::fs::create_dir_all(destination).map_err(|e| io_error(destination, "creating the config directory", e))?;
    let mut links = BTreeSet::new();
    for child in std::fs::read_dir(destination).map_err(|e| io_error(destination, "reading", e))? {
        let child = child.map_err(|e| io_error(destination, "reading", e))?;
        let name = child.file_name().to_string_lossy().into_owned();
        if name.starts_with("..") {
            continue;
        }
        let target = std::fs::read_link(child.path()).ok();
        let ours = target.as_deref().is_some_and(|t| t == Path::new(DATA_LINK).join(&name));
        if !ours {
            return Err(dir_error(&child.path(), "was not written by qsec; move it away before rendering here"));
        }
        links.insert(name);
    }
    Ok(links)
}

async fn render_one(
    renderer: &dyn TemplateRenderer,
    source: &Path,
    from: &Path,
    to: &Path,
    data: &serde_json::Value,
) -> Result<(PathBuf, qsec_core::SecretText, Vec<Lease>)> {
    let path = source.join(from);
    let text = tokio::fs::read_to_string(&path).await.map_err(|e| io_error(&path, "reading the template", e))?;
    let rendered = renderer.render(&from.display().to_string(), &text, data).await?;
    debug!(template = %from.display(), leases = rendered.leases.len(), "rendered");
    Ok((to.to_owned(), rendered.content, rendered.leases))
}

/// Writes the whole tree under `version_dir`. Returns the files written.
fn stage(
    version_dir: &Path,
    source: &Path,
    entries: &[Entry],
    rendered: &[(PathBuf, qsec_core::SecretText, Vec<Lease>)],
    options: &ConfigDirOptions,
) -> Result<Vec<PathBuf>> {
    make_dir(version_dir, options.dir_mode)?;
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            Entry::Dir(path) => make_dir(&version_dir.join(path), options.dir_mode)?,
            Entry::Copy { from, to } => {
                let bytes = std::fs::read(source.join(from)).map_err(|e| io_error(&source.join(from), "reading", e))?;
                write_file(&version_dir.join(to), &bytes, options.file_mode)?;
                files.push(to.clone());
            }
            Entry::Template { to, .. } => {
                let (_, content, _) =
                    rendered.iter().find(|(path, _, _)| path == to).expect("every template was rendered");
                write_file(&version_dir.join(to), content.expose_secret().as_bytes(), options.file_mode)?;
                files.push(to.clone());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Points `..data` at the new tree in one rename, then fixes the top-level
/// links and removes older trees.
fn publish(destination: &Path, version_dir: &Path, files: &[PathBuf], published: &BTreeSet<String>) -> Result<()> {
    let version_name = version_dir.file_name().expect("a version directory has a name");
    replace_link(destination, DATA_LINK, Path::new(version_name))?;
    let top_level: BTreeSet<String> = std::fs::read_dir(version_dir)
        .map_err(|e| io_error(version_dir, "reading", e))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    for name in &top_level {
        if !published.contains(name) {
            replace_link(destination, name, &Path::new(DATA_LINK).join(name))?;
        }
    }
    for stale in published.difference(&top_level) {
        let _ = std::fs::remove_file(destination.join(stale));
    }
    // Older trees are no longer reachable through ..data.
    if let Ok(children) = std::fs::read_dir(destination) {
        for child in children.flatten() {
            let name = child.file_name();
            let is_version = name.to_string_lossy().starts_with("..") && name != OsStr::new(DATA_LINK);
            if is_version && name != version_name && child.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&child.path());
            }
        }
    }
    debug!(files = files.len(), "published");
    Ok(())
}

/// Creates `name -> target` in `dir`, atomically replacing any old link.
fn replace_link(dir: &Path, name: &str, target: &Path) -> Result<()> {
    let temporary = dir.join(format!("..{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    std::os::unix::fs::symlink(target, &temporary).map_err(|e| io_error(&temporary, "creating a link", e))?;
    std::fs::rename(&temporary, dir.join(name)).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        io_error(&dir.join(name), "publishing", e)
    })
}

async fn run_check(check: &CheckCommand, staged: &Path) -> Result<()> {
    let command = check.program.display().to_string();
    let child = tokio::process::Command::new(&check.program)
        .args(&check.args)
        .current_dir(staged)
        .env("QSEC_CONFIG_DIR", staged)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::CheckFailed { command: command.clone(), reason: format!("could not start it: {e}") })?;
    let waited = tokio::time::timeout(check.timeout, child.wait_with_output()).await;
    let reason = match waited {
        Err(_) => format!("still running after {:?}", check.timeout),
        Ok(Err(e)) => format!("could not wait for it: {e}"),
        Ok(Ok(output)) if output.status.success() => return Ok(()),
        Ok(Ok(output)) => format!("exited with {} (its output is not shown: it may contain secrets)", output.status),
    };
    Err(Error::CheckFailed { command, reason })
}

fn make_dir(path: &Path, mode: u32) -> Result<()> {
    std::fs::create_dir(path).map_err(|e| io_error(path, "creating a directory", e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| io_error(path, "setting its mode", e))
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    // Created owner-writable so it can be filled, then narrowed to `mode`.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error(path, "creating", e))?;
    file.write_all(bytes).map_err(|e| io_error(path, "writing", e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| io_error(path, "setting its mode", e))
}

/// Removes a tree qsec staged; modes like 0400 do not stop the owner.
fn remove_tree(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
}

fn version_name() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("..{}.{:09}_{}_{count}", now.as_secs(), now.subsec_nanos(), std::process::id())
}

fn io_error(path: &Path, doing: &str, error: std::io::Error) -> Error {
    Error::ConfigDir { path: path.display().to_string(), reason: format!("{doing}: {error}") }
}

fn dir_error(path: &Path, reason: &str) -> Error {
    Error::ConfigDir { path: path.display().to_string(), reason: reason.to_owned() }
}
