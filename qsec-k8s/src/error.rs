//! The one error type of `qsec-k8s`.

use std::path::PathBuf;

/// What can go wrong on qsec's Kubernetes side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A qsec annotation on a pod has a value qsec cannot use.
    #[error("annotation {name}={value:?} is invalid: {reason}")]
    InvalidAnnotation {
        /// The annotation's name, e.g. `qsec.io/init-port`.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },

    /// The pod already has something qsec would add, in a way qsec cannot
    /// reconcile; nothing was changed.
    #[error("cannot inject qsec into this pod: {reason}")]
    Conflict {
        /// What clashes and how to fix it.
        reason: String,
    },

    /// The pod spec is not one qsec can inject into (e.g. it has no containers).
    #[error("invalid pod: {reason}")]
    InvalidPod {
        /// What is wrong with it.
        reason: String,
    },

    /// The injection settings contradict themselves.
    #[error("invalid injection settings: {reason}")]
    InvalidSettings {
        /// What is wrong and what is expected.
        reason: String,
    },

    /// A manifest could not be read, parsed or rewritten.
    #[error("manifest document {document}: {reason}")]
    Manifest {
        /// 1-based position of the YAML document in its stream.
        document: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// The app's config directory cannot be packaged as asked.
    #[error("config directory {}: {reason}", path.display())]
    Config {
        /// The file or directory concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },

    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `reading`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The Secret API refused or failed a request.
    #[error("Secret API: {reason}")]
    SecretApi {
        /// What happened, with the HTTP status when there was one.
        reason: String,
    },

    /// The webhook's TLS certificate or key cannot be used.
    #[error("TLS certificate {}: {reason}", cert.display())]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// What is wrong with it or its key.
        reason: String,
    },

    /// The webhook server failed.
    #[error("webhook server: {0}")]
    Server(#[source] std::io::Error),

    /// A Kubernetes API call failed.
    #[error("Kubernetes API: {action}: {source}")]
    Kubernetes {
        /// What was being done, e.g. `patching pod default/web-0`.
        action: String,
        /// The client's error (a `Status` from the API server, or a transport failure).
        source: Box<kube::Error>,
    },

    /// A Vault call failed.
    #[error("Vault: {action}: {source}")]
    Vault {
        /// What was being done, e.g. `issuing a SecretID for aws.stg.myapp`.
        action: String,
        /// Vault's error; never holds a SecretID or a token.
        source: Box<qsec_vault::Error>,
    },

    /// A pod's `qsec-init` could not be reached or refused a delivery.
    #[error("qsec-init of pod {pod}: {reason}")]
    Init {
        /// `namespace/name`.
        pod: String,
        /// What happened, with the HTTP status when there was one.
        reason: String,
    },

    /// The controller's settings contradict themselves.
    #[error("invalid controller settings: {field}: {reason}")]
    ControllerSettings {
        /// The setting.
        field: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },

    /// Leader election failed.
    #[error("leader election (Lease {lease}): {reason}")]
    LeaderElection {
        /// `namespace/name` of the Lease.
        lease: String,
        /// What happened.
        reason: String,
    },
}

impl Error {
    pub(crate) fn conflict(reason: impl Into<String>) -> Self {
        Self::Conflict { reason: reason.into() }
    }

    pub(crate) fn kube(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let action = action.into();
        move |source| Self::Kubernetes { action, source: Box::new(source) }
    }

    pub(crate) fn vault(action: impl Into<String>) -> impl FnOnce(qsec_vault::Error) -> Self {
        let action = action.into();
        move |source| Self::Vault { action, source: Box::new(source) }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { action, path, source }
    }
}

/// `Result` with qsec-k8s's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
