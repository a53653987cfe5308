//! The containers, volumes and mounts the injection adds, built from the settings.

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    HTTPGetAction, ObjectFieldSelector, Probe, SeccompProfile, SecretKeySelector, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use qsec_core::AppRef;

use super::names::*;
use super::settings::{
    ConfigFrom, InjectSettings, ROLE_ID_KEY, SidecarMode, VaultCa, config_map_name, role_id_secret_name,
};

/// The `qsec-init` init container.
pub(crate) fn init_container(app: &AppRef, settings: &InjectSettings) -> Container {
    let mut env = vec![value("QSEC_APP", app.to_string()), value("VAULT_ADDR", settings.vault_addr.clone())];
    env.extend(vault_cacert(settings));
    match settings.config_from {
        ConfigFrom::Image => env.push(value("QSEC_ROLE_ID_FILE", ROLE_ID_FILE.into())),
        ConfigFrom::ConfigMap => env.push(EnvVar {
            name: "QSEC_ROLE_ID".into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: role_id_secret_name(app),
                    key: ROLE_ID_KEY.into(),
                    optional: Some(false),
                }),
                ..EnvVarSource::default()
            }),
            value: None,
        }),
    }
    env.extend([
        value("QSEC_CONFIG_SOURCE", CONFIG_SOURCE_DIR.into()),
        value("QSEC_CONFIG_DIR", CONFIG_DIR.into()),
        value("QSEC_LEASE_DIR", LEASE_DIR.into()),
        value("QSEC_LISTEN", format!("0.0.0.0:{}", settings.init_port)),
        field("POD_NAME", "metadata.name"),
        field("POD_NAMESPACE", "metadata.namespace"),
        field("POD_IP", "status.podIP"),
    ]);
    env.extend(settings.init_env.iter().map(|(name, text)| value(name, text.clone())));
    let mut mounts = vec![mount(CONFIG_VOLUME, CONFIG_DIR, false), mount(LEASES_VOLUME, LEASE_DIR, false)];
    if settings.config_from == ConfigFrom::ConfigMap {
        mounts.push(mount(CONFIG_SOURCE_VOLUME, CONFIG_SOURCE_DIR, true));
    }
    mounts.extend(vault_ca_mount(settings));
    Container {
        name: INIT_CONTAINER.into(),
        image: Some(settings.init_image.clone()),
        image_pull_policy: settings.image_pull_policy.clone(),
        env: Some(env),
        // Declared so the controller (and people) can see where to POST the
        // SecretID; init containers cannot have probes.
        ports: Some(vec![port(INIT_CONTAINER, settings.init_port)]),
        resources: Some(settings.resources.clone()),
        security_context: Some(hardened(settings)),
        // qsec-init's last line says why it failed; show it in `kubectl describe`.
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

/// The `qsec-refresh` sidecar, as a native sidecar or a classic container;
/// `None` when disabled.
pub(crate) fn refresh_container(settings: &InjectSettings) -> Option<Container> {
    let native = match settings.sidecar {
        SidecarMode::Native => true,
        SidecarMode::Classic => false,
        SidecarMode::Disabled => return None,
    };
    let mut env = vec![value("VAULT_ADDR", settings.vault_addr.clone())];
    env.extend(vault_cacert(settings));
    env.extend([
        value("QSEC_LEASE_DIR", LEASE_DIR.into()),
        value("QSEC_LISTEN", format!("0.0.0.0:{}", settings.refresh_port)),
    ]);
    let mut mounts = vec![mount(LEASES_VOLUME, LEASE_DIR, false)];
    mounts.extend(vault_ca_mount(settings));
    let health = |failure_threshold, period_seconds| Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/healthz".into()),
            port: IntOrString::Int(settings.refresh_port.into()),
            ..HTTPGetAction::default()
        }),
        failure_threshold: Some(failure_threshold),
        period_seconds: Some(period_seconds),
        ..Probe::default()
    };
    Some(Container {
        name: REFRESH_CONTAINER.into(),
        image: Some(settings.refresh_image.clone()),
        image_pull_policy: settings.image_pull_policy.clone(),
        env: Some(env),
        ports: Some(vec![port(REFRESH_CONTAINER, settings.refresh_port)]),
        resources: Some(settings.resources.clone()),
        security_context: Some(hardened(settings)),
        // A native sidecar's startup probe holds the app back until the
        // sidecar has read the leases; a classic container has no such order.
        startup_probe: native.then(|| health(30, 1)),
        liveness_probe: Some(health(3, 10)),
        restart_policy: native.then(|| "Always".into()),
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        volume_mounts: Some(mounts),
        ..Container::default()
    })
}

/// The volumes qsec adds: the two memory-backed emptyDirs, plus the
/// ConfigMap-backed ones the settings call for.
pub(crate) fn volumes(app: &AppRef, settings: &InjectSettings) -> Vec<Volume> {
    let memory = |name: &str, size_limit: &Option<Quantity>| Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource { medium: Some("Memory".into()), size_limit: size_limit.clone() }),
        ..Volume::default()
    };
    let config_map = |name: &str, config_map: String| Volume {
        name: name.into(),
        config_map: Some(ConfigMapVolumeSource { name: config_map, ..ConfigMapVolumeSource::default() }),
        ..Volume::default()
    };
    let mut volumes =
        vec![memory(CONFIG_VOLUME, &settings.config_size_limit), memory(LEASES_VOLUME, &settings.leases_size_limit)];
    if settings.config_from == ConfigFrom::ConfigMap {
        volumes.push(config_map(CONFIG_SOURCE_VOLUME, config_map_name(app)));
    }
    if let Some(VaultCa::ConfigMap { name, .. }) = &settings.vault_ca {
        volumes.push(config_map(VAULT_CA_VOLUME, name.clone()));
    }
    volumes
}

/// The config volume as app containers see it: read-only, never the leases.
pub(crate) fn app_config_mount(settings: &InjectSettings) -> VolumeMount {
    mount(CONFIG_VOLUME, &settings.config_mount_path, true)
}

/// non-root, read-only root filesystem, no privilege escalation, no capabilities.
fn hardened(settings: &InjectSettings) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), add: None }),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: settings.run_as_user,
        run_as_group: settings.run_as_user,
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), localhost_profile: None }),
        ..SecurityContext::default()
    }
}

fn vault_cacert(settings: &InjectSettings) -> Option<EnvVar> {
    settings.vault_ca.as_ref().map(|ca| match ca {
        VaultCa::File(path) => value("VAULT_CACERT", path.clone()),
        VaultCa::ConfigMap { key, .. } => value("VAULT_CACERT", format!("{VAULT_CA_DIR}/{key}")),
    })
}

fn vault_ca_mount(settings: &InjectSettings) -> Option<VolumeMount> {
    matches!(settings.vault_ca, Some(VaultCa::ConfigMap { .. })).then(|| mount(VAULT_CA_VOLUME, VAULT_CA_DIR, true))
}

fn value(name: &str, value: String) -> EnvVar {
    EnvVar { name: name.into(), value: Some(value), value_from: None }
}

fn field(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: path.into(), api_version: None }),
            ..EnvVarSource::default()
        }),
    }
}

fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

fn port(name: &str, number: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: number.into(),
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    }
}
