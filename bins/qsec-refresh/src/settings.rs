//! [`Settings`]: the sidecar's command line, every flag also read from the
//! environment (a pod spec sets `env:`, a person types flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use qsec_vault::{RenewalPolicy, VaultConfig};

use crate::error::{Error, Result};

/// How the sidecar runs. See the crate README for the table of settings.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "qsec-refresh",
    version,
    about = "Keeps a pod's Vault token and leases alive; revokes them all when the pod stops."
)]
pub struct Settings {
    /// Vault's address; the other VAULT_* variables of the vault CLI apply
    /// too (VAULT_CLIENT_CERT, VAULT_NAMESPACE, ...), except VAULT_TOKEN: the
    /// token comes from the lease file.
    #[arg(long, env = "VAULT_ADDR")]
    pub vault_addr: Option<String>,

    /// A PEM file of CA certificates to trust for Vault instead of the system's.
    #[arg(long, env = "VAULT_CACERT")]
    pub vault_cacert: Option<PathBuf>,

    /// The local address to connect to Vault from. Only for hosts with
    /// several addresses where the token's `token_bound_cidrs` names one (in
    /// a pod, connections leave from the pod IP anyway).
    #[arg(long, env = "QSEC_VAULT_SOURCE_IP", value_name = "IP")]
    pub vault_source_ip: Option<std::net::IpAddr>,

    /// The lease volume: the directory holding the leases.json that qsec-init wrote.
    #[arg(long, env = "QSEC_LEASE_DIR", default_value = "/qsec/leases")]
    pub lease_dir: PathBuf,

    /// Where to serve /healthz, /metrics and POST /v1/quit.
    #[arg(long, env = "QSEC_LISTEN", default_value = "0.0.0.0:8098")]
    pub listen: SocketAddr,

    /// How long stopping may take: a renewal in flight, then revoking every
    /// lease and the token. Keep it below the pod's terminationGracePeriodSeconds.
    #[arg(long, env = "QSEC_GRACE_PERIOD", default_value = "10s", value_parser = parse_duration)]
    pub grace_period: Duration,

    /// Stop (revoke everything, exit 0) once this file exists: the main
    /// container of a Job touches it when done. Checked once a second.
    #[arg(long, env = "QSEC_EXIT_WHEN_FILE_EXISTS")]
    pub exit_when_file_exists: Option<PathBuf>,

    /// How long before a token that can no longer be renewed expires the
    /// sidecar revokes everything and exits non-zero (at most a third of the
    /// token's TTL is used).
    #[arg(long, env = "QSEC_EXPIRY_MARGIN", default_value = "30s", value_parser = parse_duration)]
    pub expiry_margin: Duration,

    /// Log filter, e.g. `info` or `qsec_refresh=debug,qsec_vault=debug`.
    #[arg(long, env = "QSEC_LOG", default_value = "info")]
    pub log: String,
}

impl Settings {
    /// The Vault client's configuration: the vault CLI's environment, with
    /// the address and CA from these settings and no token (the lease file
    /// has it).
    pub fn vault_config(&self) -> Result<VaultConfig> {
        let address = self.vault_addr.clone();
        let ca = self.vault_cacert.as_ref().map(|path| path.display().to_string());
        let config = VaultConfig::from_lookup(|name| match name {
            "VAULT_ADDR" => address.clone(),
            "VAULT_CACERT" => ca.clone(),
            "VAULT_TOKEN" => None,
            other => std::env::var(other).ok(),
        })?;
        Ok(match self.vault_source_ip {
            Some(ip) => config.with_local_address(ip),
            None => config.with_loopback_source(self.listen.ip()),
        })
    }

    /// The renewer's policy: the defaults (renew at 2/3 of the TTL, 10 %
    /// jitter) with this expiry margin.
    pub fn renewal_policy(&self) -> RenewalPolicy {
        RenewalPolicy { expiry_margin: self.expiry_margin, ..RenewalPolicy::default() }
    }

    /// Checks what clap cannot: a zero grace period could never revoke anything.
    pub fn validate(&self) -> Result<()> {
        if self.grace_period.is_zero() {
            return Err(Error::Settings {
                setting: "QSEC_GRACE_PERIOD".into(),
                reason: "must be more than 0s: revoking takes time".into(),
            });
        }
        Ok(())
    }
}

/// Reads a duration as Vault and Go write them: `10s`, `1m30s`, `500ms`,
/// `2h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("{text:?} is not a duration; expected e.g. 10s, 1m30s, 500ms or a number of seconds");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(invalid()),
        };
        total += unit.checked_mul(u32::try_from(number).map_err(|_| invalid())?).ok_or_else(invalid)?;
        rest = &rest[unit_len..];
    }
    if text.is_empty() { Err(invalid()) } else { Ok(total) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_vaults() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 2h "), Ok(Duration::from_secs(7200)));
        for bad in ["", "s", "10x", "1.5s", "-1s", "99999999999h"] {
            assert!(parse_duration(bad).unwrap_err().contains("not a duration"), "{bad:?}");
        }
    }

    #[test]
    fn flags_parse_and_validate() {
        let settings = Settings::try_parse_from([
            "qsec-refresh",
            "--vault-addr",
            "http://127.0.0.1:8200",
            "--lease-dir",
            "/tmp/leases",
            "--listen",
            "127.0.0.1:9000",
            "--grace-period",
            "3s",
            "--expiry-margin",
            "1m",
            "--exit-when-file-exists",
            "/tmp/done",
        ])
        .unwrap();
        assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(settings.grace_period, Duration::from_secs(3));
        assert_eq!(settings.renewal_policy().expiry_margin, Duration::from_secs(60));
        assert_eq!(settings.exit_when_file_exists, Some(PathBuf::from("/tmp/done")));
        assert_eq!(settings.vault_config().unwrap().address.as_str(), "http://127.0.0.1:8200/");
        assert!(settings.vault_config().unwrap().token.is_none(), "the token comes from the lease file");
        settings.validate().unwrap();

        let zero = Settings::try_parse_from(["qsec-refresh", "--grace-period", "0s"]).unwrap();
        assert!(zero.validate().unwrap_err().to_string().contains("QSEC_GRACE_PERIOD"));
        let bad = Settings::try_parse_from(["qsec-refresh", "--grace-period", "soon"]).unwrap_err();
        assert!(bad.to_string().contains("not a duration"), "{bad}");
    }
}
