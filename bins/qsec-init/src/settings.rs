//! [`Settings`]: every flag of `qsec-init`, each also read from an
//! environment variable, so a pod spec can set them either way.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use qsec_core::delivery::DEFAULT_INIT_PORT;
use qsec_core::{AppRef, RoleId};
use qsec_vault::client::DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH;

/// How `qsec-init` logs in to Vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethod {
    /// The design's way: RoleID from the image, SecretID POSTed by the controller.
    #[value(name = "approle")]
    AppRole,
    /// Vault's Kubernetes auth with the pod's service-account token; no
    /// SecretID is awaited.
    Kubernetes,
}

/// The settings of `qsec-init`. Flags win over environment variables.
///
/// ```
/// use clap::Parser;
/// use qsec_init::{AuthMethod, Settings};
///
/// let settings = Settings::try_parse_from(["qsec-init", "--app", "aws.stg.myapp", "--kv-version", "2"])?;
/// assert_eq!(settings.auth, AuthMethod::AppRole);
/// assert_eq!(settings.listen.port(), 8099);
/// assert_eq!(settings.wait_timeout.as_secs(), 600);
/// assert_eq!(settings.file_mode, 0o400);
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Debug, Clone, Parser)]
#[command(
    name = "qsec-init",
    version,
    about = "The qsec init container: waits for a SecretID, logs in to Vault, renders the config volume \
             and hands the token and leases to the refresh sidecar.",
    long_about = None
)]
pub struct Settings {
    /// The app, as PROVIDER.CLUSTER.APP (e.g. aws.stg.myapp).
    #[arg(long, env = "QSEC_APP")]
    pub app: AppRef,

    /// How to log in: approle waits for a SecretID; kubernetes uses the
    /// pod's service-account token.
    #[arg(long, env = "QSEC_AUTH", value_enum, default_value_t = AuthMethod::AppRole)]
    pub auth: AuthMethod,

    /// Vault's address. Default https://127.0.0.1:8200, as the vault CLI.
    #[arg(long, env = "VAULT_ADDR", value_name = "URL")]
    pub vault_addr: Option<String>,

    /// A PEM file of CA certificates to trust for Vault instead of the system's.
    #[arg(long, env = "VAULT_CACERT", value_name = "FILE")]
    pub vault_cacert: Option<PathBuf>,

    /// The local address to connect to Vault from. Only for hosts with
    /// several addresses where the SecretID's `cidr_list` names one (in a
    /// pod, connections leave from the pod IP anyway).
    #[arg(long, env = "QSEC_VAULT_SOURCE_IP", value_name = "IP")]
    pub vault_source_ip: Option<std::net::IpAddr>,

    /// The RoleID itself; wins over --role-id-file.
    #[arg(long, env = "QSEC_ROLE_ID", hide_env_values = true, value_name = "ROLE_ID")]
    pub role_id: Option<RoleId>,

    /// The file holding the RoleID, baked into the init image.
    #[arg(long, env = "QSEC_ROLE_ID_FILE", value_name = "FILE", default_value = "/etc/qsec/role-id")]
    pub role_id_file: PathBuf,

    /// Where the AppRole auth method is mounted (without auth/). Default:
    /// the layout's, approle.
    #[arg(long, env = "QSEC_APPROLE_MOUNT", value_name = "MOUNT")]
    pub approle_mount: Option<String>,

    /// The AppRole's name, when it is not the layout's name for --app. Only
    /// used to check a wrapped SecretID's creation_path, and for the template
    /// functions' {role}.
    #[arg(long, env = "QSEC_ROLE_NAME", value_name = "NAME")]
    pub role_name: Option<String>,

    /// A JSON layout file, as `qsec app plan --layout` takes. Default: the
    /// design's layout.
    #[arg(long, env = "QSEC_LAYOUT", value_name = "FILE")]
    pub layout: Option<PathBuf>,

    /// Joins the app reference's parts in the AppRole name (., - or _),
    /// overriding the layout's.
    #[arg(long, env = "QSEC_ROLE_SEPARATOR", value_name = "SEP")]
    pub role_separator: Option<String>,

    /// The kv version of the `secret` mount (1 or 2), overriding the
    /// layout's (1). Never asked of Vault: the app's token cannot read sys/mounts.
    #[arg(long, env = "QSEC_KV_VERSION", value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub kv_version: Option<u8>,

    /// The Kubernetes auth role, for --auth kubernetes.
    #[arg(long = "role", env = "QSEC_KUBERNETES_ROLE", value_name = "ROLE", required_if_eq("auth", "kubernetes"))]
    pub kubernetes_role: Option<String>,

    /// Where the Kubernetes auth method is mounted (without auth/).
    #[arg(long, env = "QSEC_KUBERNETES_MOUNT", value_name = "MOUNT", default_value = "kubernetes")]
    pub kubernetes_mount: String,

    /// The pod's service-account token, for --auth kubernetes.
    #[arg(long, env = "QSEC_JWT_PATH", value_name = "FILE", default_value = DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH)]
    pub jwt_path: PathBuf,

    /// The config templates and files baked into the init image.
    #[arg(long, env = "QSEC_CONFIG_SOURCE", value_name = "DIR", default_value = "/etc/qsec/config")]
    pub config_source: PathBuf,

    /// The config volume the app container reads.
    #[arg(long, env = "QSEC_CONFIG_DIR", value_name = "DIR", default_value = "/qsec/config")]
    pub config_dir: PathBuf,

    /// The lease volume the refresh sidecar reads.
    #[arg(long, env = "QSEC_LEASE_DIR", value_name = "DIR", default_value = "/qsec/leases")]
    pub lease_dir: PathBuf,

    /// Where to wait for the SecretID.
    #[arg(long, env = "QSEC_LISTEN", value_name = "ADDR",
          default_value_t = SocketAddr::from((Ipv4Addr::UNSPECIFIED, DEFAULT_INIT_PORT)))]
    pub listen: SocketAddr,

    /// How long to wait for a SecretID before giving up (e.g. 10m, 90s).
    #[arg(long, env = "QSEC_WAIT_TIMEOUT", value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub wait_timeout: Duration,

    /// How long rendering the config directory may take.
    #[arg(long, env = "QSEC_RENDER_TIMEOUT", value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub render_timeout: Duration,

    /// Mode of every rendered file, in octal.
    #[arg(long, env = "QSEC_FILE_MODE", value_name = "OCTAL", default_value = "0400", value_parser = parse_mode)]
    pub file_mode: u32,

    /// A command that validates the rendered tree before it is published,
    /// split on whitespace (no shell); it runs in the staged tree.
    #[arg(long, env = "QSEC_CHECK", value_name = "COMMAND")]
    pub check: Option<String>,

    /// How long the check command may run.
    #[arg(long, env = "QSEC_CHECK_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub check_timeout: Duration,

    /// Template functions templates may not call, comma-separated (e.g. env,expandenv,rawWrite).
    #[arg(long, env = "QSEC_DENY_FUNCTIONS", value_name = "NAMES", value_delimiter = ',')]
    pub deny_functions: Vec<String>,

    /// The database secrets engine mount, for dbUsername and dbPassword.
    #[arg(long, env = "QSEC_DATABASE_MOUNT", value_name = "MOUNT", default_value = "database")]
    pub database_mount: String,

    /// The AWS secrets engine mount, for awsCredsEnvVars.
    #[arg(long, env = "QSEC_AWS_MOUNT", value_name = "MOUNT", default_value = "aws")]
    pub aws_mount: String,

    /// Where tlsKey, tlsCert and tlsCA issue certificates; {role} is the AppRole name.
    #[arg(long, env = "QSEC_PKI_ISSUE_PATH", value_name = "PATH", default_value = "pki/issue/{role}")]
    pub pki_issue_path: String,

    /// The pod's name, for templates as .pod.name (Downward API).
    #[arg(long, env = "POD_NAME", value_name = "NAME")]
    pub pod_name: Option<String>,

    /// The pod's namespace, for templates as .pod.namespace.
    #[arg(long, env = "POD_NAMESPACE", value_name = "NAMESPACE")]
    pub pod_namespace: Option<String>,

    /// The pod's IP, for templates as .pod.ip.
    #[arg(long, env = "POD_IP", value_name = "IP")]
    pub pod_ip: Option<String>,
}

/// Parses a duration as written in settings: whole seconds (`90`) or a
/// number with a unit (`500ms`, `30s`, `10m`, `1h`).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(qsec_init::settings::parse_duration("10m"), Ok(Duration::from_secs(600)));
/// assert!(qsec_init::settings::parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("expected whole seconds (90) or a number with a unit (500ms, 30s, 10m, 1h), got {text:?}");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let seconds = |factor: u64| number.checked_mul(factor).map(Duration::from_secs).ok_or_else(invalid);
    match unit {
        "" | "s" => seconds(1),
        "ms" => Ok(Duration::from_millis(number)),
        "m" => seconds(60),
        "h" => seconds(3600),
        _ => Err(invalid()),
    }
}

/// Parses a file mode in octal: `0400`, `400` or `0o400`.
///
/// ```
/// assert_eq!(qsec_init::settings::parse_mode("0440"), Ok(0o440));
/// assert!(qsec_init::settings::parse_mode("0999").is_err());
/// ```
pub fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.trim().trim_start_matches("0o");
    let invalid = || format!("expected an octal file mode such as 0400 or 0440, got {text:?}");
    let mode = u32::from_str_radix(digits, 8).map_err(|_| invalid())?;
    if digits.is_empty() || mode > 0o777 {
        return Err(invalid());
    }
    if mode & 0o400 == 0 {
        return Err(format!("{text:?} would not let the owner read the files it writes"));
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("qsec-init").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let settings = parse(&["--app", "aws.stg.myapp"]).unwrap();
        assert_eq!(settings.listen, "0.0.0.0:8099".parse().unwrap());
        assert_eq!(settings.role_id_file, PathBuf::from("/etc/qsec/role-id"));
        assert_eq!(settings.config_source, PathBuf::from("/etc/qsec/config"));
        assert_eq!(settings.config_dir, PathBuf::from("/qsec/config"));
        assert_eq!(settings.lease_dir, PathBuf::from("/qsec/leases"));
        assert_eq!(settings.jwt_path, PathBuf::from("/var/run/secrets/kubernetes.io/serviceaccount/token"));
        assert_eq!((settings.kubernetes_mount.as_str(), settings.database_mount.as_str()), ("kubernetes", "database"));
        assert_eq!(settings.render_timeout, Duration::from_secs(120));
        assert_eq!(settings.check_timeout, Duration::from_secs(30));
        assert!(settings.deny_functions.is_empty() && settings.check.is_none());
    }

    #[test]
    fn kubernetes_auth_needs_a_role() {
        let error = parse(&["--app", "aws.stg.myapp", "--auth", "kubernetes"]).unwrap_err();
        assert!(error.to_string().contains("--role"), "{error}");
        let settings = parse(&["--app", "aws.stg.myapp", "--auth", "kubernetes", "--role", "myapp"]).unwrap();
        assert_eq!(settings.auth, AuthMethod::Kubernetes);
        assert_eq!(settings.kubernetes_role.as_deref(), Some("myapp"));
    }

    #[test]
    fn lists_durations_modes_and_kv_versions_are_parsed() {
        let settings = parse(&[
            "--app=aws.stg.myapp",
            "--deny-functions=env,expandenv",
            "--wait-timeout=90",
            "--file-mode=440",
            "--kv-version=1",
        ])
        .unwrap();
        assert_eq!(settings.deny_functions, ["env", "expandenv"]);
        assert_eq!(settings.wait_timeout, Duration::from_secs(90));
        assert_eq!(settings.file_mode, 0o440);
        assert_eq!(settings.kv_version, Some(1));
        assert!(parse(&["--app=aws.stg.myapp", "--kv-version=3"]).is_err());
        assert!(parse(&["--app=not-an-app"]).is_err());
    }

    #[test]
    fn bad_durations_and_modes_say_what_is_expected() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "1.5s", "3d", "-1", "m"] {
            assert!(parse_duration(bad).unwrap_err().contains("500ms, 30s"), "{bad}");
        }
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        for bad in ["", "0800", "01000", "rw"] {
            assert!(parse_mode(bad).unwrap_err().contains("octal"), "{bad}");
        }
        assert!(parse_mode("0044").unwrap_err().contains("owner read"));
    }
}
