//! The audit log: one JSON line per request decision, allowed or not, to a
//! file or stdout. Who, what, which app, the outcome and why; never a
//! token, a RoleID, a secret value or a key name of a secret.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};

/// The `audit` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// A file to append to, or `-` for stdout. Default `-`.
    #[serde(default = "default_path")]
    pub path: String,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { path: default_path() }
    }
}

fn default_path() -> String {
    "-".into()
}

/// How a request ended, as the audit log says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Authenticated, authorised and served.
    Allowed,
    /// Refused: no valid token (401), or no rule grants it (403).
    Denied,
    /// Not served for another reason: bad input, unknown app, Vault failing.
    Error,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// When the decision was made, RFC 3339 UTC.
    pub time: String,
    /// The request's id (`X-Request-Id`, generated when absent).
    pub request_id: String,
    /// The token's issuer, once known.
    pub issuer: Option<String>,
    /// The caller, once known.
    pub subject: Option<String>,
    /// The caller's groups.
    pub groups: Vec<String>,
    /// What was asked, e.g. `secrets:write`.
    pub verb: &'static str,
    /// The app, as asked for (it may be invalid; then the outcome says so).
    pub app: Option<String>,
    /// The secret's name, for secret requests.
    pub secret: Option<String>,
    /// The version asked for (reads of old versions, rollbacks), or written.
    pub version: Option<u64>,
    /// Allowed, denied or error.
    pub outcome: Outcome,
    /// The HTTP status answered.
    pub status: u16,
    /// Which rule allowed it (0-based, in file order).
    pub rule: Option<usize>,
    /// Why it was denied or failed, or what was done.
    pub reason: String,
}

impl AuditRecord {
    /// A record stamped now, for `verb`, with everything else to fill in.
    pub fn new(request_id: String, verb: &'static str) -> Self {
        Self {
            time: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
            request_id,
            issuer: None,
            subject: None,
            groups: Vec::new(),
            verb,
            app: None,
            secret: None,
            version: None,
            outcome: Outcome::Error,
            status: 500,
            rule: None,
            reason: String::new(),
        }
    }
}

/// Where audit records go.
pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
    target: String,
}

impl AuditLog {
    /// Opens the log the configuration names (appending to a file).
    pub fn open(config: &AuditConfig) -> Result<Self> {
        if config.path == "-" {
            return Ok(Self { out: Mutex::new(Box::new(std::io::stdout())), target: "stdout".into() });
        }
        let path = PathBuf::from(&config.path);
        let file =
            OpenOptions::new().create(true).append(true).open(&path).map_err(|e| {
                Error::config("audit.path", format!("cannot open {} for appending: {e}", path.display()))
            })?;
        Ok(Self { out: Mutex::new(Box::new(BufWriter::new(file))), target: path.display().to_string() })
    }

    /// A log writing to `out`, e.g. a buffer in a test.
    pub fn to_writer(out: Box<dyn Write + Send>) -> Self {
        Self { out: Mutex::new(out), target: "writer".into() }
    }

    /// Where it writes, for the start-up message.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Writes one record as one line, flushed at once so a crash loses
    /// nothing already answered.
    pub fn write(&self, record: &AuditRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record).unwrap_or_default();
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|e| Error::Io { path: self.target.clone(), reason: format!("writing an audit record: {e}") })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_json_line_per_record() {
        let buffer = Shared::default();
        let log = AuditLog::to_writer(Box::new(buffer.clone()));
        let mut record = AuditRecord::new("req-1".into(), "role-id");
        record.subject = Some("alice".into());
        record.outcome = Outcome::Denied;
        record.status = 403;
        log.write(&record).unwrap();
        log.write(&record).unwrap();
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let parsed: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(parsed["outcome"], "denied");
        assert_eq!(parsed["verb"], "role-id");
        assert_eq!(parsed["subject"], "alice");
        assert!(parsed["time"].as_str().unwrap().ends_with('Z'));
    }
}
