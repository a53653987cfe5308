//! [`Error`]: every way the sidecar stops other than cleanly; its `Display`
//! is the one line `main` prints, and [`Error::exit_code`] the status.

use std::time::Duration;

use qsec_vault::Limit;

use crate::triggers::StopReason;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit status for a setting, lease-file, Vault-client or listener problem
/// at start: nothing was renewed or revoked.
pub const EXIT_STARTUP: u8 = 1;
/// Exit status when the token could no longer be renewed: the sidecar
/// revoked what it could before the token expired, so the pod is replaced.
pub const EXIT_TOKEN_EXPIRING: u8 = 3;
/// Exit status when a requested stop could not revoke the token within the
/// grace period (the lease file is kept, so a restart retries).
pub const EXIT_REVOCATION_INCOMPLETE: u8 = 4;

/// Why the sidecar stopped with a non-zero status. Messages say what and
/// what to check; none contains a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is unusable.
    #[error("invalid setting {setting}: {reason}")]
    Settings {
        /// The setting, by its environment variable.
        setting: String,
        /// Why, and what is expected.
        reason: String,
    },

    /// The Vault client could not be set up (address, CA file, ...).
    #[error(transparent)]
    Vault(#[from] qsec_vault::Error),

    /// The lease volume holds no lease file.
    #[error("no lease file at {path}: qsec-init writes it; is the lease volume mounted at QSEC_LEASE_DIR?")]
    NoLeaseFile {
        /// The file looked for.
        path: String,
    },

    /// The lease file could not be read or decoded.
    #[error("{0}")]
    LeaseFile(qsec_core::Error),

    /// The HTTP listener could not be bound.
    #[error("cannot listen on {address} (QSEC_LISTEN): {reason}")]
    Listen {
        /// The address.
        address: String,
        /// The operating system's reason.
        reason: String,
    },

    /// SIGTERM/SIGINT handlers could not be installed.
    #[error("cannot watch for SIGTERM and SIGINT: {0}")]
    Signals(String),

    /// The token can no longer be renewed and was about to expire.
    #[error(
        "the token {} and would expire in {}s: revoked{} and stopped so the pod is replaced",
        describe(*limit),
        expires_in.as_secs(),
        if *revoked { " it and its leases" } else { " what Vault allowed" }
    )]
    TokenExpiring {
        /// Why it could not be extended.
        limit: Limit,
        /// How long it had left when the sidecar stopped.
        expires_in: Duration,
        /// Whether the token was revoked (or already gone).
        revoked: bool,
    },

    /// A requested stop could not revoke the token.
    #[error(
        "stopped on {reason} but could not revoke the token within the grace period of {}s; \
         kept the lease file so a restart retries",
        grace.as_secs()
    )]
    RevocationIncomplete {
        /// What asked to stop.
        reason: StopReason,
        /// The grace period that ran out (or in which Vault kept failing).
        grace: Duration,
    },
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::TokenExpiring { .. } => EXIT_TOKEN_EXPIRING,
            Self::RevocationIncomplete { .. } => EXIT_REVOCATION_INCOMPLETE,
            _ => EXIT_STARTUP,
        }
    }
}

/// Why a token can no longer be extended, in words.
pub(crate) fn describe(limit: Limit) -> &'static str {
    match limit {
        Limit::NotRenewable => "is not renewable",
        Limit::MaxTtl => "reached its max TTL",
        Limit::Refused => "was refused renewal by Vault",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_is_one_line_with_its_exit_code() {
        let errors = [
            (Error::NoLeaseFile { path: "/qsec/leases/leases.json".into() }, EXIT_STARTUP),
            (
                Error::TokenExpiring { limit: Limit::MaxTtl, expires_in: Duration::from_secs(29), revoked: true },
                EXIT_TOKEN_EXPIRING,
            ),
            (
                Error::RevocationIncomplete { reason: StopReason::Sigterm, grace: Duration::from_secs(10) },
                EXIT_REVOCATION_INCOMPLETE,
            ),
        ];
        for (error, code) in errors {
            let line = error.to_string();
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(error.exit_code(), code, "{line}");
        }
        let expiring =
            Error::TokenExpiring { limit: Limit::MaxTtl, expires_in: Duration::from_secs(29), revoked: true };
        assert_eq!(
            expiring.to_string(),
            "the token reached its max TTL and would expire in 29s: revoked it and its leases and stopped so the pod \
             is replaced"
        );
    }
}
