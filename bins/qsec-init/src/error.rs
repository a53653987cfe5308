//! [`Error`]: everything that can stop `qsec-init`, each as the one line it
//! prints on stderr before exiting non-zero.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why `qsec-init` stopped, or why it refused one SecretID delivery.
///
/// The `Display` of every variant is one line saying what failed and what to
/// check: `main` prints it as is. Text that comes from elsewhere (Vault's
/// error list, a template error) is folded onto that line when the variant
/// is built, and none of it ever holds a SecretID, a token or a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line or the environment is unusable.
    #[error("invalid settings: {message}; see qsec-init --help")]
    Usage {
        /// What clap said, on one line.
        message: String,
    },

    /// A setting parsed but cannot be used.
    #[error("invalid setting {setting}: {reason}")]
    Settings {
        /// The flag or variable, e.g. `--layout`.
        setting: String,
        /// Why, and what is expected.
        reason: String,
    },

    /// The RoleID could not be read.
    #[error(
        "no RoleID: {reason}; bake it into the init image at {} (QSEC_ROLE_ID_FILE) or set QSEC_ROLE_ID",
        path.display()
    )]
    RoleId {
        /// The file it was looked for in.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// The delivery port could not be opened.
    #[error("could not listen on {addr}: {reason}; check QSEC_LISTEN and that nothing else uses the port")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The failure.
        reason: String,
    },

    /// The wait for a SecretID ran out.
    #[error("{}", no_secret_id(*waited, listen, last_refusal.as_deref()))]
    NoSecretId {
        /// How long it waited (`QSEC_WAIT_TIMEOUT`).
        waited: Duration,
        /// Where it listened.
        listen: SocketAddr,
        /// Why the last delivery was refused, if one was: a RoleID that
        /// does not match refuses every SecretID, and that is what to fix.
        last_refusal: Option<String>,
    },

    /// A wrapping token was created by another path than the AppRole's
    /// secret-id endpoint: it was not wrapped for this app, so it is never
    /// unwrapped.
    #[error(
        "refused a wrapping token created by {found:?} instead of {expected:?}: it does not wrap this app's \
         SecretID; check the controller's AppRole name (QSEC_ROLE_NAME, the layout) against this pod's"
    )]
    WrongCreationPath {
        /// The `creation_path` Vault reported.
        found: String,
        /// The AppRole's secret-id path.
        expected: String,
    },

    /// Vault refused a step of the delivery (a wrapping token that is
    /// invalid or expired, a SecretID already used or expired, a RoleID
    /// that does not match).
    #[error("{step} was refused: {reason}; {hint}")]
    Refused {
        /// The step, e.g. `AppRole login`.
        step: &'static str,
        /// What Vault said.
        reason: String,
        /// What to check.
        hint: &'static str,
    },

    /// Vault could not be reached or failed, after the client's bounded retries.
    #[error(
        "Vault is unavailable for {step}: {reason}; check VAULT_ADDR, VAULT_CACERT, the network path to Vault \
         and that Vault is unsealed"
    )]
    VaultUnavailable {
        /// The step, e.g. `AppRole login`.
        step: &'static str,
        /// What failed.
        reason: String,
    },

    /// The Kubernetes service-account token could not be read.
    #[error(
        "could not read the service-account token {}: {reason}; check the pod's service account and QSEC_JWT_PATH",
        path.display()
    )]
    Jwt {
        /// The token file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// Rendering the config directory failed; nothing was published.
    #[error(
        "rendering {} into {} failed, nothing was published: {reason}; check the template and that the app's \
         Vault policy grants what it reads",
        source_dir.display(), config_dir.display()
    )]
    Render {
        /// The config source directory.
        source_dir: PathBuf,
        /// The config volume.
        config_dir: PathBuf,
        /// What failed, on one line.
        reason: String,
    },

    /// Rendering took longer than allowed.
    #[error(
        "rendering the config directory did not finish within {}; check Vault's latency or raise QSEC_RENDER_TIMEOUT",
        human(*timeout)
    )]
    RenderTimeout {
        /// The limit (`QSEC_RENDER_TIMEOUT`).
        timeout: Duration,
    },

    /// The token and leases could not be written to the lease volume.
    #[error("writing the token and leases to {} failed: {reason}; check that the lease volume is mounted and writable", dir.display())]
    Leases {
        /// The lease volume.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },

    /// The async runtime or another part of the process itself failed.
    #[error("internal failure: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl Error {
    /// True for a delivery the controller may retry with another SecretID:
    /// the server answers 403 and keeps waiting.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::WrongCreationPath { .. } | Self::Refused { .. })
    }

    /// The process exit code: 2 for settings problems, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage { .. } | Self::Settings { .. } | Self::RoleId { .. } => 2,
            _ => 1,
        }
    }

    /// A clap error (missing or malformed flag), on one line.
    pub fn usage(error: &clap::Error) -> Self {
        let text = error.to_string();
        let message =
            text.lines().take_while(|line| !line.trim_start().starts_with("Usage:")).collect::<Vec<_>>().join(" ");
        let message = one_line(message.trim().trim_start_matches("error:"));
        Self::Usage { message }
    }

    pub(crate) fn settings(setting: &str, reason: impl fmt::Display) -> Self {
        Self::Settings { setting: setting.to_owned(), reason: one_line(reason) }
    }

    /// A Vault client setting that cannot be used (an address that is not a
    /// URL, a CA file that cannot be read), named as the vault CLI names it.
    pub(crate) fn vault_setting(error: qsec_vault::Error) -> Self {
        match error {
            qsec_vault::Error::Config { setting, reason } => Self::settings(&setting, reason),
            other => Self::settings("Vault client", other),
        }
    }

    /// Sorts a Vault failure of `step`: Vault's own 4xx answers (but 429)
    /// refuse the delivery; anything else means Vault is unavailable.
    pub(crate) fn from_vault(step: &'static str, hint: &'static str, error: &qsec_core::Error) -> Self {
        match error.vault_status() {
            Some(status) if (400..500).contains(&status) && status != 429 => {
                Self::Refused { step, reason: one_line(error), hint }
            }
            _ => Self::VaultUnavailable { step, reason: one_line(error) },
        }
    }

    pub(crate) fn render(source_dir: &Path, config_dir: &Path, reason: impl fmt::Display) -> Self {
        Self::Render { source_dir: source_dir.to_owned(), config_dir: config_dir.to_owned(), reason: one_line(reason) }
    }
}

fn no_secret_id(waited: Duration, listen: &SocketAddr, last_refusal: Option<&str>) -> String {
    match last_refusal {
        Some(refusal) => format!("no SecretID was accepted within {}; the last delivery: {refusal}", human(waited)),
        None => format!(
            "no SecretID was delivered within {}; check that qsec-controller is running, sees this pod's \
             qsec.io/approle annotation and can reach it on {listen}",
            human(waited)
        ),
    }
}

/// Folds text onto one line: Vault's multi-error messages and template
/// errors may hold newlines and tabs.
pub(crate) fn one_line(text: impl fmt::Display) -> String {
    text.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A duration as people write it in settings: `10m`, `30s`, `1500ms`.
pub(crate) fn human(duration: Duration) -> String {
    let millis = duration.as_millis();
    match (millis % 1000, duration.as_secs()) {
        (0, secs) if secs >= 3600 && secs % 3600 == 0 => format!("{}h", secs / 3600),
        (0, secs) if secs >= 60 && secs % 60 == 0 => format!("{}m", secs / 60),
        (0, secs) => format!("{secs}s"),
        _ => format!("{millis}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_line_even_with_vault_multi_errors() {
        let vault = qsec_core::Error::Vault {
            operation: "AppRole login".into(),
            path: "auth/approle/login".into(),
            status: 400,
            errors: vec!["1 error occurred:\n\t* invalid secret id\n\n".into()],
        };
        let refused = Error::from_vault("AppRole login", "check the SecretID", &vault);
        assert!(refused.is_refusal());
        let text = refused.to_string();
        assert!(!text.contains('\n') && !text.contains('\t'), "{text}");
        assert!(text.contains("1 error occurred: * invalid secret id; check the SecretID"), "{text}");
    }

    #[test]
    fn vault_failures_other_than_client_errors_are_unavailability() {
        for status in [429, 500, 503] {
            let error = qsec_core::Error::Vault {
                operation: "unwrap".into(),
                path: "sys/wrapping/unwrap".into(),
                status,
                errors: vec![],
            };
            let sorted = Error::from_vault("unwrapping", "", &error);
            assert!(matches!(sorted, Error::VaultUnavailable { .. }), "{status}: {sorted}");
            assert!(!sorted.is_refusal());
        }
        let transport = qsec_core::Error::Transport {
            operation: "AppRole login".into(),
            path: "auth/approle/login".into(),
            reason: "connection refused".into(),
        };
        let sorted = Error::from_vault("AppRole login", "", &transport);
        assert!(sorted.to_string().starts_with("Vault is unavailable for AppRole login: "), "{sorted}");
        assert_eq!(sorted.exit_code(), 1);
    }

    #[test]
    fn durations_print_as_they_are_configured() {
        assert_eq!(human(Duration::from_secs(600)), "10m");
        assert_eq!(human(Duration::from_secs(7200)), "2h");
        assert_eq!(human(Duration::from_secs(90)), "90s");
        assert_eq!(human(Duration::from_millis(1500)), "1500ms");
        let listen = "0.0.0.0:8099".parse().unwrap();
        let waited = Error::NoSecretId { waited: Duration::from_secs(600), listen, last_refusal: None };
        assert!(waited.to_string().starts_with("no SecretID was delivered within 10m; check"), "{waited}");
        let refused = Error::NoSecretId {
            waited: Duration::from_secs(60),
            listen,
            last_refusal: Some("AppRole login was refused: invalid role or secret ID; check the RoleID".into()),
        };
        assert_eq!(
            refused.to_string(),
            "no SecretID was accepted within 1m; the last delivery: AppRole login was refused: invalid role or \
             secret ID; check the RoleID"
        );
    }
}
