//! The one error type of `qsec-secret-api`, from configuration to answers.

use std::time::Duration;

/// Everything that can go wrong in the Secret API: at start-up (a bad
/// configuration file) and while answering a request. Each request-time
/// variant has one HTTP status ([`Error::status`]) and a stable code
/// ([`Error::code`]) for the JSON error body.
///
/// Messages never contain a JWT, a Vault token, a RoleID, a SecretID or a
/// secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting of the configuration file is missing or unusable.
    #[error("invalid configuration: {field}: {reason}")]
    Config {
        /// The setting, e.g. `auth.issuers[0].audiences`.
        field: String,
        /// Why, and what is expected instead.
        reason: String,
    },

    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// The caller did not prove who it is: no, malformed, expired or
    /// untrusted JWT (401).
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),

    /// No rule grants the caller this verb on this app (403).
    #[error("forbidden: {0}")]
    Forbidden(String),

    /// The request broke an input rule (400); `rule` names it.
    #[error("{message}")]
    BadRequest {
        /// The rule that was broken, e.g. `secret name`.
        rule: &'static str,
        /// What was wrong and how to fix it.
        message: String,
    },

    /// The app, secret or version does not exist (404).
    #[error("{0}")]
    NotFound(String),

    /// The request body is larger than the configured limit (413).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// The request did not finish within the request timeout (503).
    #[error("the request did not finish within {0:?} (Vault slow or unreachable?); try again later")]
    Timeout(Duration),

    /// Vault failed or could not be reached (503 when unavailable, 502
    /// when it refused the Secret API itself).
    #[error(transparent)]
    Vault(#[from] qsec_vault::Error),
}

impl Error {
    /// The HTTP status of the answer this error becomes.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::BadRequest { .. } => 400,
            Self::NotFound(_) => 404,
            Self::PayloadTooLarge { .. } => 413,
            Self::Timeout(_) => 503,
            Self::Vault(error) => vault_status(error),
            Self::Config { .. } | Self::Io { .. } => 500,
        }
    }

    /// A short, stable code for the JSON error body, e.g. `bad_request`.
    pub fn code(&self) -> &'static str {
        match self.status() {
            400 => "bad_request",
            401 => "unauthenticated",
            403 => "forbidden",
            404 => "not_found",
            413 => "payload_too_large",
            502 => "vault_error",
            503 => "vault_unavailable",
            _ => "internal_error",
        }
    }

    /// The rule a 400 names, if this is one.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            Self::BadRequest { rule, .. } => Some(rule),
            _ => None,
        }
    }

    /// A config error for `field`.
    pub(crate) fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config { field: field.into(), reason: reason.into() }
    }

    /// A 400 naming `rule`.
    pub(crate) fn bad_request(rule: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { rule, message: message.into() }
    }
}

/// Vault being away (down, sealed, slow, overloaded) is 503: the caller
/// should retry. Vault refusing the Secret API's own request means the
/// service is misconfigured (its policy or token), which is 502.
fn vault_status(error: &qsec_vault::Error) -> u16 {
    match error {
        qsec_vault::Error::Transport { .. } | qsec_vault::Error::Timeout { .. } => 503,
        qsec_vault::Error::Vault { status, .. } if *status == 429 || *status >= 500 => 503,
        qsec_vault::Error::Core(core) => match core {
            qsec_core::Error::Transport { .. } | qsec_core::Error::Timeout { .. } => 503,
            qsec_core::Error::Vault { status, .. } if *status == 429 || *status >= 500 => 503,
            qsec_core::Error::InvalidAppRef { .. } => 400,
            _ => 502,
        },
        _ => 502,
    }
}

impl From<qsec_core::Error> for Error {
    fn from(error: qsec_core::Error) -> Self {
        match error {
            qsec_core::Error::InvalidAppRef { problem, .. } => Self::bad_request("app reference", problem.to_string()),
            other => Self::Vault(qsec_vault::Error::Core(other)),
        }
    }
}

/// `Result` with the Secret API's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_kind_of_failure() {
        let down =
            qsec_vault::Error::Transport { operation: "read".into(), path: "x".into(), reason: "refused".into() };
        assert_eq!(Error::from(down).status(), 503);
        let sealed =
            qsec_vault::Error::Vault { operation: "read".into(), path: "x".into(), status: 503, errors: vec![] };
        assert_eq!(Error::from(sealed).status(), 503);
        let refused =
            qsec_vault::Error::Vault { operation: "read".into(), path: "x".into(), status: 403, errors: vec![] };
        let refused = Error::from(refused);
        assert_eq!((refused.status(), refused.code()), (502, "vault_error"));
        let bad = Error::from("aws.stg".parse::<qsec_core::AppRef>().unwrap_err());
        assert_eq!((bad.status(), bad.rule()), (400, Some("app reference")));
        assert_eq!(Error::PayloadTooLarge { limit: 1 }.code(), "payload_too_large");
    }
}
