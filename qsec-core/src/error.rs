//! The one error type of `qsec-core`, shared by the traits' implementations.

use std::time::Duration;

use crate::app_ref::AppRefProblem;

/// Everything that can go wrong in qsec's domain and behind its traits.
///
/// Messages say what failed, where, and what to do. They never contain a
/// token, a SecretID, a password, a key or a secret value: implementations
/// of the traits must keep that promise when they build these variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A string is not a valid `PROVIDER.CLUSTER.APP` app reference.
    #[error("invalid app reference {input:?}: {problem}")]
    InvalidAppRef {
        /// The rejected input, with control characters escaped by `{:?}`.
        input: String,
        /// The rule it broke.
        problem: AppRefProblem,
    },

    /// Configuration of the naming scheme or policy layout is unusable.
    #[error("invalid qsec configuration: {field}: {reason}")]
    InvalidConfig {
        /// The setting at fault, e.g. `naming.role_separator`.
        field: String,
        /// Why it was rejected and what is allowed instead.
        reason: String,
    },

    /// Vault answered a request with an error status.
    #[error("Vault refused {operation} on {path:?} with HTTP {status}{}", vault_errors_suffix(errors))]
    Vault {
        /// What qsec was doing, e.g. `read`, `AppRole login`.
        operation: String,
        /// The Vault API path, without the `/v1/` prefix.
        path: String,
        /// The HTTP status code Vault returned.
        status: u16,
        /// Vault's own `errors` list, as it sent it.
        errors: Vec<String>,
    },

    /// Vault could not be reached, or its answer could not be understood.
    #[error(
        "could not talk to Vault for {operation} on {path:?}: {reason}; check the Vault address, network and TLS settings"
    )]
    Transport {
        /// What qsec was doing.
        operation: String,
        /// The Vault API path.
        path: String,
        /// The underlying failure, free of credentials.
        reason: String,
    },

    /// A request did not finish within its deadline.
    #[error("{operation} on {path:?} did not finish within {timeout:?}; Vault may be overloaded or unreachable")]
    Timeout {
        /// What qsec was doing.
        operation: String,
        /// The Vault API path.
        path: String,
        /// The deadline that passed.
        timeout: Duration,
    },

    /// A template could not be parsed or rendered.
    #[error("template {template}{}: {message}", location_suffix(*line, *column))]
    Template {
        /// The template's name, usually its file path.
        template: String,
        /// 1-based line of the fault, when known.
        line: Option<u32>,
        /// 1-based column of the fault, when known.
        column: Option<u32>,
        /// What went wrong.
        message: String,
    },

    /// The lease store could not save or load its document.
    #[error("lease store at {location}: {reason}")]
    LeaseStore {
        /// Where the store keeps its document (a file path, for the file store).
        location: String,
        /// What went wrong and what to check.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of a Vault error answer, if this is one.
    pub fn vault_status(&self) -> Option<u16> {
        match self {
            Self::Vault { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when Vault said the path does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.vault_status() == Some(404)
    }

    /// True when Vault refused for lack of permission or a bad token (HTTP 403).
    pub fn is_permission_denied(&self) -> bool {
        self.vault_status() == Some(403)
    }
}

fn vault_errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) }
}

fn location_suffix(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(":{line}:{column}"),
        (Some(line), None) => format!(":{line}"),
        _ => String::new(),
    }
}

/// `Result` with qsec-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_error_names_operation_path_status_and_vault_errors() {
        let error = Error::Vault {
            operation: "read".into(),
            path: "secret/myapp/db".into(),
            status: 403,
            errors: vec!["permission denied".into()],
        };
        assert_eq!(error.to_string(), r#"Vault refused read on "secret/myapp/db" with HTTP 403: permission denied"#);
        assert!(error.is_permission_denied());
        assert!(!error.is_not_found());
    }

    #[test]
    fn template_error_points_at_file_line_and_column() {
        let error = Error::Template {
            template: "config/local.yml.tmpl".into(),
            line: Some(3),
            column: Some(14),
            message: "function \"lokup\" not defined".into(),
        };
        assert_eq!(error.to_string(), "template config/local.yml.tmpl:3:14: function \"lokup\" not defined");
    }
}

/// `error` and its causes on one line (`outer: cause: root cause`), for
/// messages that must say why without a backtrace: "connection refused"
/// is usually a cause several levels down.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("POST /v1/secret-id")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause() {
        let root = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(error_chain(&Outer(root)), "POST /v1/secret-id: connection refused");
    }
}
