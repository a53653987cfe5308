//! The webhook's TLS certificate, reloaded when its files change.
//!
//! Certificates in Kubernetes are short-lived and rotated in place
//! (cert-manager rewrites the Secret, the kubelet swaps the mounted files),
//! so the files are re-read on an interval and a changed pair replaces the
//! served one without dropping a connection. A pair that does not load (say,
//! caught half-written) is skipped and the old one kept.

use std::path::PathBuf;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;

use crate::error::{Error, Result};

/// Where the PEM certificate chain and private key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (e.g. `tls.crt` of a TLS Secret).
    pub cert: PathBuf,
    /// The private key (e.g. `tls.key`).
    pub key: PathBuf,
}

/// The TLS configuration served, and the files it came from.
#[derive(Clone)]
pub struct ReloadingTls {
    files: TlsFiles,
    config: RustlsConfig,
    loaded: std::sync::Arc<tokio::sync::Mutex<(Vec<u8>, Vec<u8>)>>,
}

impl std::fmt::Debug for ReloadingTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingTls").field("files", &self.files).finish_non_exhaustive()
    }
}

impl ReloadingTls {
    /// Loads the pair; fails if it cannot be read or is not a matching
    /// certificate and key. Installs ring as the process's rustls crypto
    /// provider if none is installed yet (binaries install it first thing).
    pub async fn load(files: TlsFiles) -> Result<Self> {
        crate::ensure_crypto_provider();
        let (cert, key) = read(&files).await?;
        let config = RustlsConfig::from_pem(cert.clone(), key.clone()).await.map_err(|error| Error::Tls {
            cert: files.cert.clone(),
            reason: format!("cannot use it with key {}: {error}", files.key.display()),
        })?;
        Ok(Self { files, config, loaded: std::sync::Arc::new(tokio::sync::Mutex::new((cert, key))) })
    }

    /// The configuration to serve with; reloads show through it.
    pub fn config(&self) -> RustlsConfig {
        self.config.clone()
    }

    /// Re-reads the files and, if they changed, serves the new pair.
    /// `Ok(true)` when it reloaded; an error (the old pair stays) when the
    /// new pair cannot be read or used.
    pub async fn reload_if_changed(&self) -> Result<bool> {
        let (cert, key) = read(&self.files).await?;
        let mut loaded = self.loaded.lock().await;
        if (&cert, &key) == (&loaded.0, &loaded.1) {
            return Ok(false);
        }
        self.config.reload_from_pem(cert.clone(), key.clone()).await.map_err(|error| Error::Tls {
            cert: self.files.cert.clone(),
            reason: format!("not reloaded, still serving the previous certificate: {error}"),
        })?;
        *loaded = (cert, key);
        Ok(true)
    }

    /// Checks the files every `interval`, forever; run it as a task.
    pub async fn watch(self, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            match self.reload_if_changed().await {
                Ok(true) => tracing::info!(cert = %self.files.cert.display(), "reloaded the TLS certificate"),
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "TLS certificate"),
            }
        }
    }
}

async fn read(files: &TlsFiles) -> Result<(Vec<u8>, Vec<u8>)> {
    let cert = tokio::fs::read(&files.cert).await.map_err(Error::io("reading", &files.cert))?;
    let key = tokio::fs::read(&files.key).await.map_err(Error::io("reading", &files.key))?;
    Ok((cert, key))
}
