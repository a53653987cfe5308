//! The names and paths of everything the injection adds, shared with the
//! `qsec-init` and `qsec-refresh` images (their defaults are these).

/// The init container that logs in and renders the config.
pub const INIT_CONTAINER: &str = "qsec-init";
/// The sidecar that renews and finally revokes the leases.
pub const REFRESH_CONTAINER: &str = "qsec-refresh";

/// The memory-backed volume holding the rendered config files.
pub const CONFIG_VOLUME: &str = "qsec-config";
/// The memory-backed volume holding the token and leases (init and refresh only).
pub const LEASES_VOLUME: &str = "qsec-leases";
/// The ConfigMap volume with the config templates, in ConfigMap mode.
pub const CONFIG_SOURCE_VOLUME: &str = "qsec-config-source";
/// The ConfigMap volume with Vault's CA certificate, when one is configured.
pub const VAULT_CA_VOLUME: &str = "qsec-vault-ca";

/// Where `qsec-init` writes the rendered config (`QSEC_CONFIG_DIR`).
pub const CONFIG_DIR: &str = "/qsec/config";
/// Where `qsec-init` writes and `qsec-refresh` reads the leases (`QSEC_LEASE_DIR`).
pub const LEASE_DIR: &str = "/qsec/leases";
/// Where `qsec-init` reads the config templates (`QSEC_CONFIG_SOURCE`).
pub const CONFIG_SOURCE_DIR: &str = "/etc/qsec/config";
/// Where the init image holds the RoleID (`QSEC_ROLE_ID_FILE`).
pub const ROLE_ID_FILE: &str = "/etc/qsec/role-id";
/// Where Vault's CA ConfigMap is mounted.
pub const VAULT_CA_DIR: &str = "/etc/qsec/vault-ca";
