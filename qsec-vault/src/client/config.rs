//! [`VaultConfig`]: where Vault is, how to trust it, and how hard to try.
//!
//! [`VaultConfig::from_env`] reads the same variables as the vault CLI, so a
//! pod or a shell already set up for `vault` works unchanged.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use qsec_core::VaultToken;
use url::Url;

use crate::error::{Error, Result};

/// The vault CLI's default address.
pub const DEFAULT_ADDRESS: &str = "https://127.0.0.1:8200";

/// The vault CLI's default request timeout (`VAULT_CLIENT_TIMEOUT`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// PEM material, from a file or in memory.
///
/// `Debug` shows the path or the length only: this type also carries client
/// private keys.
#[derive(Clone, PartialEq, Eq)]
pub enum Pem {
    /// A PEM file, read when the client is built.
    File(PathBuf),
    /// PEM bytes.
    Bytes(Vec<u8>),
}

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
        }
    }
}

/// How transient failures (connection errors, 429, 500, 502, 503, 504) are
/// retried: exponential backoff with jitter, bounded in count and in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: usize,
    /// The first backoff delay.
    pub min_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest a call may take, all attempts and delays included; past
    /// it the call fails with [`Error::Timeout`].
    pub max_total_time: Duration,
}

impl Default for RetryPolicy {
    /// Two retries, like the vault CLI, starting at half a second.
    fn default() -> Self {
        Self {
            max_retries: 2,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            max_total_time: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every failure is reported at once.
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }
}

/// Everything needed to build a [`crate::VaultClient`].
///
/// ```
/// use std::time::Duration;
/// use qsec_vault::VaultConfig;
///
/// let config = VaultConfig::new("https://vault.internal:8200")?
///     .with_namespace("team-a/")
///     .with_timeout(Duration::from_secs(10));
/// assert_eq!(config.address.as_str(), "https://vault.internal:8200/");
/// # Ok::<(), qsec_vault::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct VaultConfig {
    /// Vault's address, e.g. `https://vault.internal:8200`.
    pub address: Url,
    /// CA certificates to trust instead of the system's (`VAULT_CACERT`).
    pub ca_cert: Option<Pem>,
    /// Client certificate for TLS client authentication (`VAULT_CLIENT_CERT`).
    pub client_cert: Option<Pem>,
    /// Its private key (`VAULT_CLIENT_KEY`).
    pub client_key: Option<Pem>,
    /// The name to expect on Vault's certificate and send as SNI, when it is
    /// not the address's host (`VAULT_TLS_SERVER_NAME`).
    pub tls_server_name: Option<String>,
    /// The Vault namespace, sent as `X-Vault-Namespace` (`VAULT_NAMESPACE`).
    pub namespace: Option<String>,
    /// Timeout of one HTTP request (`VAULT_CLIENT_TIMEOUT`).
    pub timeout: Duration,
    /// How transient failures are retried (`VAULT_MAX_RETRIES` sets the count).
    pub retry: RetryPolicy,
    /// The token to start with (`VAULT_TOKEN`).
    pub token: Option<VaultToken>,
    /// The local address connections to Vault leave from, when the host has
    /// several and Vault binds tokens or SecretIDs to one (`cidr_list`).
    pub local_address: Option<std::net::IpAddr>,
}

impl VaultConfig {
    /// A configuration for `address` with every other setting at its default.
    pub fn new(address: &str) -> Result<Self> {
        Ok(Self {
            address: parse_address("address", address)?,
            ca_cert: None,
            client_cert: None,
            client_key: None,
            tls_server_name: None,
            namespace: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            token: None,
            local_address: None,
        })
    }

    /// Reads the process environment as the vault CLI does; see
    /// [`VaultConfig::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `VAULT_ADDR` (default [`DEFAULT_ADDRESS`]), `VAULT_CACERT`,
    /// `VAULT_CLIENT_CERT`, `VAULT_CLIENT_KEY`, `VAULT_TLS_SERVER_NAME`,
    /// `VAULT_TOKEN`, `VAULT_NAMESPACE`, `VAULT_CLIENT_TIMEOUT` and
    /// `VAULT_MAX_RETRIES` through `lookup`. Empty values count as unset, as
    /// in the CLI.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let address = get("VAULT_ADDR").unwrap_or_else(|| DEFAULT_ADDRESS.to_owned());
        let mut config = Self::new(&address).map_err(|_| invalid_address("VAULT_ADDR", &address))?;
        config.ca_cert = get("VAULT_CACERT").map(|path| Pem::File(path.into()));
        match (get("VAULT_CLIENT_CERT"), get("VAULT_CLIENT_KEY")) {
            (Some(cert), Some(key)) => {
                config.client_cert = Some(Pem::File(cert.into()));
                config.client_key = Some(Pem::File(key.into()));
            }
            (None, None) => {}
            (Some(_), None) => return Err(config_error("VAULT_CLIENT_KEY", "must be set with VAULT_CLIENT_CERT")),
            (None, Some(_)) => return Err(config_error("VAULT_CLIENT_CERT", "must be set with VAULT_CLIENT_KEY")),
        }
        config.tls_server_name = get("VAULT_TLS_SERVER_NAME");
        config.namespace = get("VAULT_NAMESPACE");
        config.token = get("VAULT_TOKEN").map(|token| VaultToken::new(token.trim()));
        if let Some(timeout) = get("VAULT_CLIENT_TIMEOUT") {
            config.timeout = parse_duration("VAULT_CLIENT_TIMEOUT", &timeout)?;
        }
        if let Some(retries) = get("VAULT_MAX_RETRIES") {
            config.retry.max_retries = retries.trim().parse().map_err(|_| {
                config_error("VAULT_MAX_RETRIES", format!("expected a whole number such as 2, got {retries:?}"))
            })?;
        }
        Ok(config)
    }

    /// Trusts the CA certificates in `pem` instead of the system's.
    pub fn with_ca_cert(mut self, pem: Pem) -> Self {
        self.ca_cert = Some(pem);
        self
    }

    /// Authenticates with a client certificate and its private key.
    pub fn with_client_identity(mut self, cert: Pem, key: Pem) -> Self {
        self.client_cert = Some(cert);
        self.client_key = Some(key);
        self
    }

    /// Expects `name` on Vault's certificate and sends it as SNI.
    pub fn with_tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.tls_server_name = Some(name.into());
        self
    }

    /// Sends every request in the Vault namespace `namespace`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the timeout of one HTTP request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how transient failures are retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Connects to Vault from `address`.
    pub fn with_local_address(mut self, address: std::net::IpAddr) -> Self {
        self.local_address = Some(address);
        self
    }

    /// Connects from `listen` when both it and Vault are on loopback and
    /// `listen` is a specific address other than 127.0.0.1: a pod emulated
    /// on its own loopback address (as `qsec demo` and local test rigs do)
    /// then reaches a local Vault from its "pod IP", which Vault's CIDR
    /// bindings check. In a real pod nothing changes: it listens on
    /// 0.0.0.0, or Vault is not on loopback.
    ///
    /// ```
    /// use qsec_vault::VaultConfig;
    /// let local = VaultConfig::new("http://127.0.0.1:8200").unwrap();
    /// let pod = "127.0.0.7".parse().unwrap();
    /// assert_eq!(local.clone().with_loopback_source(pod).local_address, Some(pod));
    /// assert_eq!(local.with_loopback_source("0.0.0.0".parse().unwrap()).local_address, None);
    /// let remote = VaultConfig::new("https://vault.internal:8200").unwrap();
    /// assert_eq!(remote.with_loopback_source(pod).local_address, None);
    /// ```
    pub fn with_loopback_source(self, listen: std::net::IpAddr) -> Self {
        let vault_on_loopback = match self.address.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        let specific = listen.is_loopback() && listen != std::net::IpAddr::from([127, 0, 0, 1]) && !listen.is_ipv6();
        if vault_on_loopback && specific && self.local_address.is_none() {
            return self.with_local_address(listen);
        }
        self
    }

    /// Starts with `token` as the current token.
    pub fn with_token(mut self, token: VaultToken) -> Self {
        self.token = Some(token);
        self
    }
}

fn parse_address(setting: &str, address: &str) -> Result<Url> {
    let url = Url::parse(address.trim()).map_err(|_| invalid_address(setting, address))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid_address(setting, address));
    }
    Ok(url)
}

fn invalid_address(setting: &str, address: &str) -> Error {
    config_error(
        setting,
        format!("expected an http:// or https:// URL such as https://vault.example.com:8200, got {address:?}"),
    )
}

/// Parses a duration the way the vault CLI reads `VAULT_CLIENT_TIMEOUT`:
/// whole seconds (`60`) or a number with a unit (`500ms`, `30s`, `2m`, `1h`).
pub(crate) fn parse_duration(setting: &str, text: &str) -> Result<Duration> {
    let text = text.trim();
    let invalid = || {
        config_error(
            setting,
            format!("expected whole seconds (60) or a number with a unit (500ms, 30s, 2m, 1h), got {text:?}"),
        )
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let duration = match unit {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number.checked_mul(60).ok_or_else(invalid)?),
        "h" => Duration::from_secs(number.checked_mul(3600).ok_or_else(invalid)?),
        _ => return Err(invalid()),
    };
    Ok(duration)
}

pub(crate) fn config_error(setting: &str, reason: impl Into<String>) -> Error {
    Error::Config { setting: setting.to_owned(), reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<VaultConfig> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        VaultConfig::from_lookup(|name| vars.get(name).cloned())
    }

    fn setting_of(error: Error) -> (String, String) {
        match error {
            Error::Config { setting, reason } => (setting, reason),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_match_the_vault_cli() {
        let config = from(&[]).unwrap();
        assert_eq!(config.address.as_str(), "https://127.0.0.1:8200/");
        assert_eq!(config.timeout, Duration::from_secs(60));
        assert_eq!(config.retry.max_retries, 2);
        assert!(config.token.is_none() && config.ca_cert.is_none() && config.namespace.is_none());
    }

    #[test]
    fn reads_every_variable() {
        let config = from(&[
            ("VAULT_ADDR", "http://vault.local:8200"),
            ("VAULT_CACERT", "/etc/ca.pem"),
            ("VAULT_CLIENT_CERT", "/etc/client.pem"),
            ("VAULT_CLIENT_KEY", "/etc/client.key"),
            ("VAULT_TLS_SERVER_NAME", "vault.internal"),
            ("VAULT_TOKEN", "hvs.abc\n"),
            ("VAULT_NAMESPACE", "team/"),
            ("VAULT_CLIENT_TIMEOUT", "90s"),
            ("VAULT_MAX_RETRIES", "5"),
        ])
        .unwrap();
        assert_eq!(config.address.as_str(), "http://vault.local:8200/");
        assert_eq!(config.ca_cert, Some(Pem::File("/etc/ca.pem".into())));
        assert_eq!(config.client_cert, Some(Pem::File("/etc/client.pem".into())));
        assert_eq!(config.client_key, Some(Pem::File("/etc/client.key".into())));
        assert_eq!(config.tls_server_name.as_deref(), Some("vault.internal"));
        assert_eq!(config.token.unwrap().expose_secret(), "hvs.abc");
        assert_eq!(config.namespace.as_deref(), Some("team/"));
        assert_eq!(config.timeout, Duration::from_secs(90));
        assert_eq!(config.retry.max_retries, 5);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = from(&[("VAULT_ADDR", ""), ("VAULT_TOKEN", " "), ("VAULT_CACERT", "")]).unwrap();
        assert_eq!(config.address.as_str(), "https://127.0.0.1:8200/");
        assert!(config.token.is_none() && config.ca_cert.is_none());
    }

    #[test]
    fn rejects_bad_addresses_naming_the_variable() {
        for bad in ["127.0.0.1:8200", "ftp://vault:21", "not a url", "https://"] {
            let (setting, reason) = setting_of(from(&[("VAULT_ADDR", bad)]).unwrap_err());
            assert_eq!(setting, "VAULT_ADDR");
            assert!(reason.contains("http:// or https://"), "{reason}");
        }
    }

    #[test]
    fn rejects_half_a_client_identity() {
        let (setting, _) = setting_of(from(&[("VAULT_CLIENT_CERT", "/c.pem")]).unwrap_err());
        assert_eq!(setting, "VAULT_CLIENT_KEY");
        let (setting, _) = setting_of(from(&[("VAULT_CLIENT_KEY", "/c.key")]).unwrap_err());
        assert_eq!(setting, "VAULT_CLIENT_CERT");
    }

    #[test]
    fn rejects_bad_numbers_saying_what_is_expected() {
        let (setting, reason) = setting_of(from(&[("VAULT_MAX_RETRIES", "-1")]).unwrap_err());
        assert_eq!(setting, "VAULT_MAX_RETRIES");
        assert!(reason.contains("whole number"), "{reason}");
        let (setting, reason) = setting_of(from(&[("VAULT_CLIENT_TIMEOUT", "soon")]).unwrap_err());
        assert_eq!(setting, "VAULT_CLIENT_TIMEOUT");
        assert!(reason.contains("30s"), "{reason}");
    }

    #[test]
    fn parses_durations_like_the_cli() {
        let parse = |text| parse_duration("t", text).unwrap();
        assert_eq!(parse("60"), Duration::from_secs(60));
        assert_eq!(parse("500ms"), Duration::from_millis(500));
        assert_eq!(parse("30s"), Duration::from_secs(30));
        assert_eq!(parse("2m"), Duration::from_secs(120));
        assert_eq!(parse("1h"), Duration::from_secs(3600));
        for bad in ["", "s", "1.5s", "3d", "-2"] {
            assert!(parse_duration("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_pem_bytes_and_the_token() {
        let config = VaultConfig::new("https://v:8200")
            .unwrap()
            .with_client_identity(Pem::Bytes(b"CERT".to_vec()), Pem::Bytes(b"SECRET-KEY".to_vec()))
            .with_token("hvs.secret-token".into());
        let debug = format!("{config:?}");
        assert!(!debug.contains("SECRET-KEY") && !debug.contains("hvs.secret-token"), "{debug}");
        assert!(debug.contains("Bytes(10 bytes)"), "{debug}");
    }
}
