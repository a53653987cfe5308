//! The pod mutation: [`inject`], pure, idempotent, all-or-nothing.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use qsec_core::AppRef;

use super::names::*;
use super::parts;
use super::settings::InjectSettings;
use crate::annotations::{self, APPROLE, INIT_PORT, ISTIO_EXCLUDE_INBOUND_PORTS, ISTIO_EXCLUDE_OUTBOUND_PORTS};
use crate::error::{Error, Result};

/// What [`inject`] did to a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Injection {
    /// qsec was added.
    Injected,
    /// The pod already had qsec for this app; nothing was changed.
    AlreadyInjected,
}

/// Adds qsec to a pod (or a workload's pod template) for `app`:
///
/// - the `qsec-init` init container, first of all init containers, so the
///   app's own init containers may already use the config;
/// - the `qsec-refresh` sidecar ([`SidecarMode`](super::SidecarMode)),
///   right after `qsec-init` when native, last of the containers when classic;
/// - the memory-backed config and leases volumes (and ConfigMap volumes in
///   ConfigMap mode), the config mounted read-only into every app container;
/// - the annotations `qsec.io/approle`, `qsec.io/init-port` and the mesh
///   exclusions asked for.
///
/// A pod that already has `qsec-init` for the same app is left as it is
/// ([`Injection::AlreadyInjected`]), so running it twice changes nothing. A
/// pod that clashes with what qsec adds (another app's annotation, a taken
/// name, port or mount path) is refused with [`Error::Conflict`] and left
/// untouched.
pub fn inject(
    metadata: &mut ObjectMeta,
    spec: &mut PodSpec,
    app: &AppRef,
    settings: &InjectSettings,
) -> Result<Injection> {
    settings.validate()?;
    let empty = BTreeMap::new();
    let pod_annotations = metadata.annotations.as_ref().unwrap_or(&empty);
    check_app_annotation(pod_annotations, app)?;
    if init_containers(spec).any(|container| container.name == INIT_CONTAINER) {
        if !pod_annotations.contains_key(APPROLE) {
            return Err(Error::conflict(format!(
                "it has a {INIT_CONTAINER} init container but no {APPROLE} annotation; \
                 remove the container or add the annotation {APPROLE}={app}"
            )));
        }
        return Ok(Injection::AlreadyInjected);
    }
    check_no_clash(pod_annotations, spec, settings)?;

    // Everything is checked: from here on the mutation cannot fail.
    let pod_annotations = metadata.annotations.get_or_insert_with(BTreeMap::new);
    pod_annotations.insert(APPROLE.into(), app.to_string());
    pod_annotations.insert(INIT_PORT.into(), settings.init_port.to_string());
    if settings.mesh.istio_exclude_init_port {
        add_ports(pod_annotations, ISTIO_EXCLUDE_INBOUND_PORTS, &[settings.init_port]);
    }
    if !settings.mesh.istio_exclude_outbound_ports.is_empty() {
        add_ports(pod_annotations, ISTIO_EXCLUDE_OUTBOUND_PORTS, &settings.mesh.istio_exclude_outbound_ports);
    }

    let app_mount = parts::app_config_mount(settings);
    for container in &mut spec.containers {
        container.volume_mounts.get_or_insert_with(Vec::new).push(app_mount.clone());
    }
    let init = spec.init_containers.get_or_insert_with(Vec::new);
    if settings.config_in_init_containers {
        for container in init.iter_mut() {
            container.volume_mounts.get_or_insert_with(Vec::new).push(app_mount.clone());
        }
    }
    // Init containers start one after another, each once the previous one
    // has completed (or, for a native sidecar, has started). qsec-init comes
    // first: it must finish writing the lease file before qsec-refresh,
    // second, starts and reads it, and before the app's init containers run.
    init.insert(0, parts::init_container(app, settings));
    if let Some(refresh) = parts::refresh_container(settings) {
        if refresh.restart_policy.is_some() {
            init.insert(1, refresh);
        } else {
            spec.containers.push(refresh);
        }
    }
    spec.volumes.get_or_insert_with(Vec::new).extend(parts::volumes(app, settings));
    Ok(Injection::Injected)
}

fn init_containers(spec: &PodSpec) -> impl Iterator<Item = &Container> + Clone {
    spec.init_containers.iter().flatten()
}

fn check_app_annotation(pod_annotations: &BTreeMap<String, String>, app: &AppRef) -> Result<()> {
    match annotations::app_of(pod_annotations)? {
        Some(existing) if &existing != app => {
            Err(Error::conflict(format!("it belongs to app {existing} ({APPROLE}), not {app}; one pod serves one app")))
        }
        _ => Ok(()),
    }
}

/// Every way the pod can clash with what qsec adds, checked before anything
/// is changed.
fn check_no_clash(pod_annotations: &BTreeMap<String, String>, spec: &PodSpec, settings: &InjectSettings) -> Result<()> {
    if pod_annotations.contains_key(INIT_PORT) {
        let port = annotations::init_port(pod_annotations)?;
        if port != settings.init_port {
            return Err(Error::conflict(format!(
                "its {INIT_PORT} annotation says {port} but qsec-init is set up to listen on {}",
                settings.init_port
            )));
        }
    }
    if spec.containers.is_empty() {
        return Err(Error::InvalidPod { reason: "it has no containers".into() });
    }
    if spec.host_network == Some(true) {
        return Err(Error::conflict(format!(
            "it uses the node's network (hostNetwork), where qsec-init's port {} would clash between pods",
            settings.init_port
        )));
    }
    let all = spec.containers.iter().chain(init_containers(spec));
    let ephemeral_names = spec.ephemeral_containers.iter().flatten().map(|container| &container.name);
    for name in all.clone().map(|container| &container.name).chain(ephemeral_names) {
        if name == INIT_CONTAINER || name == REFRESH_CONTAINER {
            return Err(Error::conflict(format!(
                "it already has a container named {name} (but no {INIT_CONTAINER} init container); \
                 rename or remove it"
            )));
        }
    }
    let ours = [CONFIG_VOLUME, LEASES_VOLUME, CONFIG_SOURCE_VOLUME, VAULT_CA_VOLUME];
    if let Some(volume) = spec.volumes.iter().flatten().find(|volume| ours.contains(&volume.name.as_str())) {
        return Err(Error::conflict(format!("it already has a volume named {}; rename it", volume.name)));
    }
    let mut taken = vec![(settings.init_port, INIT_CONTAINER)];
    if settings.sidecar != super::SidecarMode::Disabled {
        taken.push((settings.refresh_port, REFRESH_CONTAINER));
    }
    for container in all {
        for declared in container.ports.iter().flatten() {
            if let Some((port, ours)) = taken.iter().find(|(port, _)| i32::from(*port) == declared.container_port) {
                return Err(Error::conflict(format!(
                    "container {} declares port {port}, which {ours} needs (containers share the pod's network); \
                     move one of them",
                    container.name
                )));
            }
        }
    }
    let mounted = spec.containers.iter().chain(init_containers(spec).filter(|_| settings.config_in_init_containers));
    for container in mounted {
        if container.volume_mounts.iter().flatten().any(|mount| mount.mount_path == settings.config_mount_path) {
            return Err(Error::conflict(format!(
                "container {} already mounts something at {}, where the config would go; \
                 choose another config path",
                container.name, settings.config_mount_path
            )));
        }
    }
    Ok(())
}

/// Adds ports to a comma-separated port-list annotation, keeping what is there.
fn add_ports(pod_annotations: &mut BTreeMap<String, String>, name: &str, ports: &[u16]) {
    let value = pod_annotations.entry(name.to_string()).or_default();
    let mut listed: Vec<String> =
        value.split(',').map(str::trim).filter(|part| !part.is_empty()).map(str::to_string).collect();
    if listed.iter().any(|part| part == "*") {
        return;
    }
    for port in ports {
        let port = port.to_string();
        if !listed.contains(&port) {
            listed.push(port);
        }
    }
    *value = listed.join(",");
}
