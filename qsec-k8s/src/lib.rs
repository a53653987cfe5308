//! qsec's Kubernetes side: the annotations that tie a pod to its app, the
//! pod mutation ([`inject`]) and its two front ends, the deployer
//! ([`deployer`], `qsec deploy render`) and the admission webhook
//! ([`webhook`], `qsec-webhook`); and the Secret Controller ([`controller`],
//! `qsec-controller`), which delivers SecretIDs to pods.
//!
//! ```
//! use std::collections::BTreeMap;
//! use qsec_k8s::annotations::{self, APPROLE, INIT_PORT};
//!
//! let pod_annotations = BTreeMap::from([
//!     (APPROLE.to_string(), "aws.stg.myapp".to_string()),
//!     (INIT_PORT.to_string(), "8100".to_string()),
//! ]);
//! let app = annotations::app_of(&pod_annotations)?.expect("annotated");
//! assert_eq!(app.to_string(), "aws.stg.myapp");
//! assert_eq!(annotations::init_port(&pod_annotations)?, 8100);
//! # Ok::<(), qsec_k8s::Error>(())
//! ```
//!
//! Injecting into a manifest, as `qsec deploy render` does:
//!
//! ```
//! use qsec_k8s::inject::InjectSettings;
//!
//! let manifest = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: job, image: job:1}]\n";
//! let app = "aws.stg.myapp".parse()?;
//! let injected = qsec_k8s::workloads::inject_manifests(manifest, &app, &InjectSettings::default())?;
//! let yaml = qsec_k8s::workloads::to_yaml(&injected.documents)?;
//! assert!(yaml.contains("restartPolicy: Always")); // qsec-refresh, a native sidecar
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod annotations;
pub mod controller;
pub mod deployer;
mod error;
pub mod inject;
pub mod patch;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod webhook;
pub mod workloads;

pub use error::{Error, Result};

/// Installs ring, the workspace's one rustls crypto provider, unless the
/// process has a provider already (binaries install it first thing; this
/// keeps the library usable on its own).
pub(crate) fn ensure_crypto_provider() {
    // An error only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
