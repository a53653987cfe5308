//! The one error type of `qsec-vault`.

use std::time::Duration;

/// What can go wrong talking to Vault, provisioning, renewing or storing
/// leases. Messages say what failed, where, and what to check; they never
/// contain a token, a SecretID or a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or unusable (address, CA file, client certificate...).
    #[error("invalid Vault client setting {setting}: {reason}")]
    Config {
        /// The setting, e.g. `VAULT_ADDR` or `ca_cert`.
        setting: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },

    /// Vault answered with an error status.
    #[error("Vault refused {operation} on {path:?} with HTTP {status}{}", errors_suffix(errors))]
    Vault {
        /// What qsec was doing, e.g. `read`, `AppRole login`.
        operation: String,
        /// The API path, without `/v1/`.
        path: String,
        /// Vault's HTTP status.
        status: u16,
        /// Vault's `errors` list.
        errors: Vec<String>,
    },

    /// Vault could not be reached.
    #[error("could not reach Vault for {operation} on {path:?}: {reason}; check the address, network and TLS settings")]
    Transport {
        /// What qsec was doing.
        operation: String,
        /// The API path.
        path: String,
        /// The failure, free of credentials.
        reason: String,
    },

    /// A request (with its retries) did not finish in time.
    #[error("{operation} on {path:?} did not finish within {timeout:?}; Vault may be overloaded or unreachable")]
    Timeout {
        /// What qsec was doing.
        operation: String,
        /// The API path.
        path: String,
        /// The deadline.
        timeout: Duration,
    },

    /// Vault's answer did not have the documented shape.
    #[error("unexpected answer from Vault for {operation} on {path:?}: {reason}")]
    Decode {
        /// What qsec was doing.
        operation: String,
        /// The API path.
        path: String,
        /// What was wrong with it.
        reason: String,
    },

    /// Provisioning an app found Vault in a state it must not change.
    #[error("cannot provision {app}: {reason}")]
    Provisioning {
        /// The app.
        app: String,
        /// What is in the way and what to do.
        reason: String,
    },

    /// The lease file could not be read or written.
    #[error("lease file {path}: {reason}")]
    LeaseFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// A domain rule was broken (an invalid app reference, a bad layout).
    #[error(transparent)]
    Core(#[from] qsec_core::Error),
}

impl Error {
    /// Vault's HTTP status, if Vault answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Vault { status, .. } => Some(*status),
            Self::Core(core) => core.vault_status(),
            _ => None,
        }
    }

    /// True when Vault said 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True when Vault said 403 (permission denied, or a bad token).
    pub fn is_permission_denied(&self) -> bool {
        self.status() == Some(403)
    }
}

impl From<Error> for qsec_core::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Vault { operation, path, status, errors } => Self::Vault { operation, path, status, errors },
            Error::Transport { operation, path, reason } => Self::Transport { operation, path, reason },
            Error::Decode { operation, path, reason } => Self::Transport { operation, path, reason },
            Error::Timeout { operation, path, timeout } => Self::Timeout { operation, path, timeout },
            Error::Config { setting, reason } => Self::InvalidConfig { field: setting, reason },
            Error::Provisioning { app, reason } => {
                Self::InvalidConfig { field: format!("provisioning of {app}"), reason }
            }
            Error::LeaseFile { path, reason } => Self::LeaseStore { location: path, reason },
            Error::Core(core) => core,
        }
    }
}

fn errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) }
}

/// `Result` with qsec-vault's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
