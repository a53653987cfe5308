//! Template failures, and their mapping to [`qsec_core::Error::Template`].

use std::fmt;

/// Which phase failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The source could not be parsed (Go's `template.Parse` error).
    Parse,
    /// Rendering failed (Go's `Execute` error).
    Exec,
}

/// A failed parse or render, with Go's location and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFailure {
    /// Which phase failed.
    pub phase: Phase,
    /// The template's name (usually its file path).
    pub template: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in bytes), when known.
    pub column: Option<usize>,
    /// What went wrong, as Go words it (without the location prefix).
    pub message: String,
}

impl TemplateFailure {
    pub(crate) fn parse(template: &str, line: usize, column: Option<usize>, message: String) -> Self {
        TemplateFailure { phase: Phase::Parse, template: template.to_string(), line, column, message }
    }

    pub(crate) fn exec(template: &str, line: usize, column: usize, message: String) -> Self {
        TemplateFailure { phase: Phase::Exec, template: template.to_string(), line, column: Some(column), message }
    }
}

impl fmt::Display for TemplateFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "template: {}:{}:{}: {}", self.template, self.line, c, self.message),
            None => write!(f, "template: {}:{}: {}", self.template, self.line, self.message),
        }
    }
}

impl std::error::Error for TemplateFailure {}

impl From<TemplateFailure> for qsec_core::Error {
    fn from(f: TemplateFailure) -> Self {
        qsec_core::Error::Template {
            template: f.template,
            line: u32::try_from(f.line).ok(),
            column: f.column.and_then(|c| u32::try_from(c).ok()),
            message: f.message,
        }
    }
}

/// Everything that can go wrong in `qsec-template` beyond one template's
/// parse or render: the config directory around it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A template failed to parse or render.
    #[error(transparent)]
    Template(#[from] TemplateFailure),
    /// Reading the source tree or writing the destination failed, or the
    /// destination holds something qsec must not replace.
    #[error("config directory {path}: {reason}")]
    ConfigDir {
        /// The file or directory at fault.
        path: String,
        /// What went wrong and what to do.
        reason: String,
    },
    /// The check command rejected the staged tree; nothing was published.
    #[error("check command {command:?} rejected the rendered config: {reason}")]
    CheckFailed {
        /// The command.
        command: String,
        /// How it failed (its output is withheld: it may quote secrets).
        reason: String,
    },
    /// A renderer or Vault failure, from behind the core traits.
    #[error(transparent)]
    Core(#[from] qsec_core::Error),
}

/// `Result` with qsec-template's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
