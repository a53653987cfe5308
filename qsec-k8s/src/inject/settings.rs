//! What the injection adds and how: [`InjectSettings`] and its parts.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use qsec_core::AppRef;

use crate::annotations::{self, CONFIG_PATH, INIT_IMAGE};
use crate::error::{Error, Result};

/// The qsec version, which is also the tag of the default images.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The port `qsec-refresh` serves `/healthz` and `/metrics` on.
pub const DEFAULT_REFRESH_PORT: u16 = 8098;

/// Where app containers find the rendered config files unless told otherwise.
pub const DEFAULT_CONFIG_MOUNT_PATH: &str = "/qsec/config";

/// How the refresh sidecar runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SidecarMode {
    /// A Kubernetes native sidecar (an init container with
    /// `restartPolicy: Always`): it starts before the app, stops after it,
    /// and does not keep a Job's pod from completing. Kubernetes 1.29+.
    #[default]
    Native,
    /// A regular container next to the app, for clusters before 1.29. A Job's
    /// pod never completes while it runs.
    Classic,
    /// No refresh sidecar: for apps whose config holds no leases to renew.
    Disabled,
}

impl SidecarMode {
    /// The mode a cluster of this version supports: `Native` from 1.29 on.
    /// Accepts what `kubectl version` and the `/version` endpoint show:
    /// `1.29`, `v1.29.3`, `1.30+` (GKE's minor) and the like.
    pub fn for_kubernetes_version(version: &str) -> Result<Self> {
        let invalid = || Error::InvalidSettings {
            reason: format!("Kubernetes version {version:?} is not MAJOR.MINOR, e.g. 1.29"),
        };
        let trimmed = version.trim().trim_start_matches('v');
        let mut parts = trimmed.split('.');
        let major: u32 = parts.next().and_then(|part| part.parse().ok()).ok_or_else(invalid)?;
        let minor = parts.next().ok_or_else(invalid)?;
        let digits = minor.trim_end_matches(|c: char| !c.is_ascii_digit());
        let minor: u32 = digits.parse().map_err(|_| invalid())?;
        Ok(if (major, minor) >= (1, 29) { Self::Native } else { Self::Classic })
    }
}

impl FromStr for SidecarMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "native" => Ok(Self::Native),
            "classic" => Ok(Self::Classic),
            "none" | "disabled" => Ok(Self::Disabled),
            other => Err(Error::InvalidSettings {
                reason: format!("sidecar mode {other:?}: expected native, classic or none"),
            }),
        }
    }
}

impl fmt::Display for SidecarMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Native => "native",
            Self::Classic => "classic",
            Self::Disabled => "none",
        })
    }
}

/// Where `qsec-init` finds the app's config files and RoleID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConfigFrom {
    /// Baked into the init image (the seed's way; `qsec deploy render`
    /// writes the build context): config under `/etc/qsec/config`, the
    /// RoleID in `/etc/qsec/role-id`.
    #[default]
    Image,
    /// From the app's ConfigMap ([`config_map_name`]) mounted at
    /// `/etc/qsec/config`, and the RoleID from its Secret
    /// ([`role_id_secret_name`]), so the generic init image serves every app.
    ConfigMap,
}

impl FromStr for ConfigFrom {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "image" => Ok(Self::Image),
            "configmap" => Ok(Self::ConfigMap),
            other => {
                Err(Error::InvalidSettings { reason: format!("config source {other:?}: expected image or configmap") })
            }
        }
    }
}

impl fmt::Display for ConfigFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Image => "image",
            Self::ConfigMap => "configmap",
        })
    }
}

/// The ConfigMap holding an app's config files in [`ConfigFrom::ConfigMap`] mode.
pub fn config_map_name(app: &AppRef) -> String {
    format!("qsec-{}-config", app.joined("-"))
}

/// The Secret holding an app's RoleID (key [`ROLE_ID_KEY`]) in [`ConfigFrom::ConfigMap`] mode.
pub fn role_id_secret_name(app: &AppRef) -> String {
    format!("qsec-{}-role-id", app.joined("-"))
}

/// The key of the RoleID in the Secret named by [`role_id_secret_name`].
pub const ROLE_ID_KEY: &str = "role-id";

/// Where the CA certificate that signed Vault's TLS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VaultCa {
    /// A file already in the images (e.g. baked in): `VAULT_CACERT` is this path.
    File(String),
    /// A key of a ConfigMap in the pod's namespace, mounted read-only into
    /// the qsec containers.
    ConfigMap {
        /// The ConfigMap's name.
        name: String,
        /// The key holding the PEM certificate(s).
        key: String,
    },
}

/// Keeping service meshes from intercepting qsec's traffic.
///
/// With Istio, `istio-init` redirects all of a pod's traffic to a proxy that
/// only starts after the init containers: the controller's POST to
/// `qsec-init` and `qsec-init`'s calls to Vault would go nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshExclusion {
    /// Add the init port to `traffic.sidecar.istio.io/excludeInboundPorts`.
    /// Harmless without Istio, so on by default.
    pub istio_exclude_init_port: bool,
    /// Ports (e.g. Vault's 8200) to add to
    /// `traffic.sidecar.istio.io/excludeOutboundPorts`.
    pub istio_exclude_outbound_ports: Vec<u16>,
}

impl Default for MeshExclusion {
    fn default() -> Self {
        Self { istio_exclude_init_port: true, istio_exclude_outbound_ports: Vec::new() }
    }
}

/// Everything [`inject`](super::inject) needs besides the pod and the app.
///
/// `Default` gives the seed's setup: images `ghcr.io/qsec/qsec-{init,refresh}:VERSION`,
/// config and RoleID baked into the init image, a native refresh sidecar,
/// ports 8099/8098, config at `/qsec/config` in the app containers, and
/// small, hardened qsec containers.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectSettings {
    /// The `qsec-init` image. In [`ConfigFrom::Image`] mode, the app's own
    /// image built from `qsec deploy render`'s build context.
    pub init_image: String,
    /// The `qsec-refresh` image.
    pub refresh_image: String,
    /// `imagePullPolicy` of both qsec containers; `None` leaves Kubernetes' default.
    pub image_pull_policy: Option<String>,
    /// Vault's address, as `VAULT_ADDR`.
    pub vault_addr: String,
    /// Vault's CA certificate, as `VAULT_CACERT`; `None` trusts the image's roots.
    pub vault_ca: Option<VaultCa>,
    /// Where config and RoleID come from.
    pub config_from: ConfigFrom,
    /// How (and whether) the refresh sidecar runs.
    pub sidecar: SidecarMode,
    /// The port `qsec-init` listens on for its SecretID.
    pub init_port: u16,
    /// The port `qsec-refresh` serves health and metrics on.
    pub refresh_port: u16,
    /// Where the app containers get the config volume, read-only.
    pub config_mount_path: String,
    /// Also mount the config volume into the app's own init containers
    /// (they run after `qsec-init`), e.g. for database migrations.
    pub config_in_init_containers: bool,
    /// Resources of each qsec container.
    pub resources: ResourceRequirements,
    /// The user the qsec containers run as; `None` leaves the image's (which
    /// must then be non-root, as `runAsNonRoot` is always set).
    pub run_as_user: Option<i64>,
    /// Service-mesh exclusions.
    pub mesh: MeshExclusion,
    /// `sizeLimit` of the config volume (memory-backed: it counts as the pod's memory).
    pub config_size_limit: Option<Quantity>,
    /// `sizeLimit` of the leases volume.
    pub leases_size_limit: Option<Quantity>,
    /// More environment for `qsec-init`, after qsec's own: its other
    /// settings, e.g. `QSEC_KV_VERSION=2` when the app areas are kv v2.
    pub init_env: Vec<(String, String)>,
}

impl Default for InjectSettings {
    fn default() -> Self {
        let quantities = |pairs: &[(&str, &str)]| -> BTreeMap<String, Quantity> {
            pairs.iter().map(|(name, value)| (name.to_string(), Quantity(value.to_string()))).collect()
        };
        Self {
            init_image: format!("ghcr.io/qsec/qsec-init:{VERSION}"),
            refresh_image: format!("ghcr.io/qsec/qsec-refresh:{VERSION}"),
            image_pull_policy: None,
            vault_addr: "https://vault.vault.svc:8200".into(),
            vault_ca: None,
            config_from: ConfigFrom::Image,
            sidecar: SidecarMode::Native,
            init_port: annotations::DEFAULT_INIT_PORT,
            refresh_port: DEFAULT_REFRESH_PORT,
            config_mount_path: DEFAULT_CONFIG_MOUNT_PATH.into(),
            config_in_init_containers: false,
            // Small: qsec-init renders a few files once; qsec-refresh sleeps
            // between renewals. No CPU limit, so a render is never throttled.
            resources: ResourceRequirements {
                requests: Some(quantities(&[("cpu", "10m"), ("memory", "16Mi")])),
                limits: Some(quantities(&[("memory", "64Mi")])),
                ..ResourceRequirements::default()
            },
            run_as_user: Some(65532),
            mesh: MeshExclusion::default(),
            config_size_limit: Some(Quantity("8Mi".into())),
            leases_size_limit: Some(Quantity("1Mi".into())),
            init_env: Vec::new(),
        }
    }
}

/// The variables the injection gives `qsec-init` itself; extra
/// environment may not override them.
const INJECTED_INIT_ENV: &[&str] = &[
    "QSEC_APP",
    "VAULT_ADDR",
    "VAULT_CACERT",
    "QSEC_ROLE_ID",
    "QSEC_ROLE_ID_FILE",
    "QSEC_CONFIG_SOURCE",
    "QSEC_CONFIG_DIR",
    "QSEC_LEASE_DIR",
    "QSEC_LISTEN",
    "POD_NAME",
    "POD_NAMESPACE",
    "POD_IP",
];

impl InjectSettings {
    /// Checks the settings agree with themselves.
    pub fn validate(&self) -> Result<()> {
        let invalid = |reason: String| Err(Error::InvalidSettings { reason });
        if self.init_port == 0 || self.refresh_port == 0 {
            return invalid("ports must be from 1 to 65535".into());
        }
        if self.sidecar != SidecarMode::Disabled && self.init_port == self.refresh_port {
            return invalid(format!("qsec-init and qsec-refresh cannot both use port {}", self.init_port));
        }
        for (name, _) in &self.init_env {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return invalid(format!("init environment variable {name:?}: use letters, digits and _"));
            }
            if INJECTED_INIT_ENV.contains(&name.as_str()) {
                return invalid(format!("init environment variable {name} is set by the injection itself"));
            }
        }
        if !self.config_mount_path.starts_with('/') {
            return invalid(format!("config mount path {:?} must be absolute", self.config_mount_path));
        }
        for (what, image) in [("init", &self.init_image), ("refresh", &self.refresh_image)] {
            if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
                return invalid(format!("the {what} image {image:?} is not an image reference"));
            }
        }
        if self.vault_addr.trim().is_empty() {
            return invalid("the Vault address is empty".into());
        }
        Ok(())
    }

    /// These settings as one pod asks for them through its annotations:
    /// [`INIT_PORT`](annotations::INIT_PORT), [`INIT_IMAGE`] (which implies
    /// [`ConfigFrom::Image`]) and [`CONFIG_PATH`].
    pub fn for_pod(&self, pod_annotations: &BTreeMap<String, String>) -> Result<Self> {
        let mut settings = self.clone();
        if pod_annotations.contains_key(annotations::INIT_PORT) {
            settings.init_port = annotations::init_port(pod_annotations)?;
        }
        if let Some(image) = pod_annotations.get(INIT_IMAGE) {
            if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
                return Err(Error::InvalidAnnotation {
                    name: INIT_IMAGE,
                    value: image.clone(),
                    reason: "expected an image reference".into(),
                });
            }
            settings.init_image = image.clone();
            settings.config_from = ConfigFrom::Image;
        }
        if let Some(path) = pod_annotations.get(CONFIG_PATH) {
            if !path.starts_with('/') || path.split('/').any(|part| part == "..") {
                return Err(Error::InvalidAnnotation {
                    name: CONFIG_PATH,
                    value: path.clone(),
                    reason: "expected an absolute path without '..'".into(),
                });
            }
            settings.config_mount_path = path.clone();
        }
        Ok(settings)
    }
}
