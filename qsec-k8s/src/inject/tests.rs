//! Unit tests of the mutation and its settings; the golden tests over whole
//! manifests are in `tests/mutation_golden.rs`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use qsec_core::AppRef;

use super::names::*;
use super::*;
use crate::Error;

fn app() -> AppRef {
    "aws.stg.myapp".parse().unwrap()
}

fn pod(containers: &[&str]) -> (ObjectMeta, PodSpec) {
    let containers = containers
        .iter()
        .map(|name| Container { name: name.to_string(), image: Some("app:1".into()), ..Container::default() })
        .collect();
    (ObjectMeta::default(), PodSpec { containers, ..PodSpec::default() })
}

fn annotations_of(meta: &ObjectMeta) -> &BTreeMap<String, String> {
    meta.annotations.as_ref().unwrap()
}

fn env<'a>(container: &'a Container, name: &str) -> Option<&'a str> {
    container.env.iter().flatten().find(|var| var.name == name).and_then(|var| var.value.as_deref())
}

#[test]
fn the_init_container_follows_the_pod_side_contract() {
    let (mut meta, mut spec) = pod(&["app"]);
    inject(&mut meta, &mut spec, &app(), &InjectSettings::default()).unwrap();
    let init = &spec.init_containers.as_ref().unwrap()[0];
    assert_eq!(init.name, INIT_CONTAINER);
    assert_eq!(init.image.as_deref(), Some(format!("ghcr.io/qsec/qsec-init:{VERSION}").as_str()));
    for (name, value) in [
        ("QSEC_APP", "aws.stg.myapp"),
        ("QSEC_ROLE_ID_FILE", "/etc/qsec/role-id"),
        ("QSEC_CONFIG_SOURCE", "/etc/qsec/config"),
        ("QSEC_CONFIG_DIR", "/qsec/config"),
        ("QSEC_LEASE_DIR", "/qsec/leases"),
        ("QSEC_LISTEN", "0.0.0.0:8099"),
    ] {
        assert_eq!(env(init, name), Some(value), "{name}");
    }
    let downward: Vec<_> = init.env.iter().flatten().filter(|var| var.value_from.is_some()).map(|v| &v.name).collect();
    assert_eq!(downward, ["POD_NAME", "POD_NAMESPACE", "POD_IP"]);
    let security = init.security_context.as_ref().unwrap();
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(security.capabilities.as_ref().unwrap().drop.as_deref(), Some(&["ALL".to_string()][..]));
    let requests = init.resources.as_ref().unwrap().requests.as_ref().unwrap();
    assert_eq!((requests["cpu"].0.as_str(), requests["memory"].0.as_str()), ("10m", "16Mi"));
    assert_eq!(annotations_of(&meta)[crate::annotations::INIT_PORT], "8099");
}

#[test]
fn volumes_are_memory_backed_and_leases_stay_out_of_app_containers() {
    let (mut meta, mut spec) = pod(&["web", "worker"]);
    inject(&mut meta, &mut spec, &app(), &InjectSettings::default()).unwrap();
    for volume in spec.volumes.as_ref().unwrap() {
        assert_eq!(volume.empty_dir.as_ref().unwrap().medium.as_deref(), Some("Memory"), "{}", volume.name);
    }
    for container in &spec.containers {
        let mounts = container.volume_mounts.as_ref().unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!((mounts[0].name.as_str(), mounts[0].mount_path.as_str()), (CONFIG_VOLUME, "/qsec/config"));
        assert_eq!(mounts[0].read_only, Some(true));
    }
    let refresh = &spec.init_containers.as_ref().unwrap()[1];
    let mounts: Vec<_> = refresh.volume_mounts.iter().flatten().map(|mount| mount.name.as_str()).collect();
    assert_eq!(mounts, [LEASES_VOLUME]);
}

#[test]
fn configmap_mode_reads_the_role_id_from_the_secret_and_config_from_the_configmap() {
    let (mut meta, mut spec) = pod(&["app"]);
    let settings = InjectSettings { config_from: ConfigFrom::ConfigMap, ..InjectSettings::default() };
    inject(&mut meta, &mut spec, &app(), &settings).unwrap();
    let init = &spec.init_containers.as_ref().unwrap()[0];
    let role_id = init.env.iter().flatten().find(|var| var.name == "QSEC_ROLE_ID").unwrap();
    let secret = role_id.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
    assert_eq!((secret.name.as_str(), secret.key.as_str()), ("qsec-aws-stg-myapp-role-id", "role-id"));
    assert_eq!(env(init, "QSEC_ROLE_ID_FILE"), None);
    let source = spec.volumes.as_ref().unwrap().iter().find(|v| v.name == CONFIG_SOURCE_VOLUME).unwrap();
    assert_eq!(source.config_map.as_ref().unwrap().name, "qsec-aws-stg-myapp-config");
    assert!(
        init.volume_mounts.iter().flatten().any(|m| m.mount_path == CONFIG_SOURCE_DIR && m.read_only == Some(true))
    );
}

#[test]
fn options_vault_ca_disabled_sidecar_init_containers_and_mesh() {
    let (mut meta, mut spec) = pod(&["app"]);
    spec.init_containers = Some(vec![Container { name: "migrate".into(), ..Container::default() }]);
    meta.annotations =
        Some(BTreeMap::from([(crate::annotations::ISTIO_EXCLUDE_OUTBOUND_PORTS.to_string(), "5432".to_string())]));
    let settings = InjectSettings {
        sidecar: SidecarMode::Disabled,
        vault_ca: Some(VaultCa::ConfigMap { name: "vault-ca".into(), key: "ca.crt".into() }),
        config_in_init_containers: true,
        config_mount_path: "/etc/app".into(),
        mesh: MeshExclusion { istio_exclude_init_port: false, istio_exclude_outbound_ports: vec![8200, 5432] },
        init_env: vec![("QSEC_KV_VERSION".into(), "2".into())],
        ..InjectSettings::default()
    };
    inject(&mut meta, &mut spec, &app(), &settings).unwrap();
    let init = spec.init_containers.as_ref().unwrap();
    let names: Vec<_> = init.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [INIT_CONTAINER, "migrate"]);
    assert_eq!(spec.containers.len(), 1);
    assert_eq!(env(&init[0], "VAULT_CACERT"), Some("/etc/qsec/vault-ca/ca.crt"));
    assert_eq!(env(&init[0], "QSEC_KV_VERSION"), Some("2"));
    assert_eq!(init[1].volume_mounts.as_ref().unwrap()[0].mount_path, "/etc/app");
    let annotations = annotations_of(&meta);
    assert!(!annotations.contains_key(crate::annotations::ISTIO_EXCLUDE_INBOUND_PORTS));
    assert_eq!(annotations[crate::annotations::ISTIO_EXCLUDE_OUTBOUND_PORTS], "5432,8200");
}

#[test]
fn conflicts_leave_the_pod_untouched() {
    let (mut meta, mut spec) = pod(&["app"]);
    meta.annotations = Some(BTreeMap::from([(crate::annotations::INIT_PORT.to_string(), "9000".to_string())]));
    let (before_meta, before_spec) = (meta.clone(), spec.clone());
    let error = inject(&mut meta, &mut spec, &app(), &InjectSettings::default()).unwrap_err();
    assert!(matches!(error, Error::Conflict { .. }), "{error}");
    assert!(error.to_string().contains("says 9000 but qsec-init is set up to listen on 8099"), "{error}");
    assert_eq!((meta, spec), (before_meta, before_spec));
}

#[test]
fn an_injected_pod_without_its_annotation_is_a_conflict() {
    let (mut meta, mut spec) = pod(&["app"]);
    inject(&mut meta, &mut spec, &app(), &InjectSettings::default()).unwrap();
    meta.annotations.as_mut().unwrap().remove(crate::annotations::APPROLE);
    let error = inject(&mut meta, &mut spec, &app(), &InjectSettings::default()).unwrap_err().to_string();
    assert!(error.contains("has a qsec-init init container but no qsec.io/approle annotation"), "{error}");
}

#[test]
fn pods_adjust_settings_through_annotations() {
    let base = InjectSettings { config_from: ConfigFrom::ConfigMap, ..InjectSettings::default() };
    let annotations = BTreeMap::from([
        (crate::annotations::INIT_PORT.to_string(), "8100".to_string()),
        (crate::annotations::INIT_IMAGE.to_string(), "registry/qsec-init/app:1".to_string()),
        (crate::annotations::CONFIG_PATH.to_string(), "/etc/app".to_string()),
    ]);
    let settings = base.for_pod(&annotations).unwrap();
    assert_eq!(settings.init_port, 8100);
    assert_eq!(settings.init_image, "registry/qsec-init/app:1");
    assert_eq!(settings.config_from, ConfigFrom::Image);
    assert_eq!(settings.config_mount_path, "/etc/app");
    let bad = BTreeMap::from([(crate::annotations::CONFIG_PATH.to_string(), "/etc/../root".to_string())]);
    assert!(base.for_pod(&bad).unwrap_err().to_string().contains("absolute path without '..'"));
}

#[test]
fn settings_are_validated() {
    let cases = [
        (InjectSettings { init_port: 0, ..InjectSettings::default() }, "ports must be from 1"),
        (InjectSettings { config_mount_path: "config".into(), ..InjectSettings::default() }, "must be absolute"),
        (InjectSettings { init_image: "a b".into(), ..InjectSettings::default() }, "not an image reference"),
        (InjectSettings { vault_addr: " ".into(), ..InjectSettings::default() }, "Vault address is empty"),
        (InjectSettings { init_env: vec![("QSEC LOG".into(), "x".into())], ..Default::default() }, "letters, digits"),
        (
            InjectSettings { init_env: vec![("QSEC_APP".into(), "x".into())], ..Default::default() },
            "set by the injection",
        ),
    ];
    for (settings, message) in cases {
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains(message), "{error}");
    }
    let disabled = InjectSettings { sidecar: SidecarMode::Disabled, refresh_port: 8099, ..InjectSettings::default() };
    disabled.validate().unwrap();
}

#[test]
fn sidecar_mode_follows_the_kubernetes_version() {
    for (version, mode) in [
        ("1.28", SidecarMode::Classic),
        ("v1.28.9", SidecarMode::Classic),
        ("1.29", SidecarMode::Native),
        ("v1.33.1-gke.100", SidecarMode::Native),
        ("1.30+", SidecarMode::Native),
        ("2.0", SidecarMode::Native),
    ] {
        assert_eq!(SidecarMode::for_kubernetes_version(version).unwrap(), mode, "{version}");
    }
    assert!(SidecarMode::for_kubernetes_version("latest").is_err());
    assert_eq!("classic".parse::<SidecarMode>().unwrap(), SidecarMode::Classic);
    assert_eq!("configmap".parse::<ConfigFrom>().unwrap().to_string(), "configmap");
    assert!("sometimes".parse::<SidecarMode>().unwrap_err().to_string().contains("native, classic or none"));
}

#[test]
fn flags_make_settings() {
    use clap::Parser;
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        inject: InjectArgs,
    }
    let flags = Flags::parse_from([
        "test",
        "--vault-addr",
        "https://vault:8200",
        "--vault-ca",
        "configmap:vault-ca:ca.crt",
        "--kubernetes-version",
        "1.28",
        "--istio-exclude-outbound-port",
        "8200,5432",
        "--no-istio-exclusion",
    ]);
    let settings = flags.inject.to_settings(ConfigFrom::ConfigMap).unwrap();
    assert_eq!(settings.vault_addr, "https://vault:8200");
    assert_eq!(settings.vault_ca, Some(VaultCa::ConfigMap { name: "vault-ca".into(), key: "ca.crt".into() }));
    assert_eq!(settings.sidecar, SidecarMode::Classic);
    assert_eq!(
        settings.mesh,
        MeshExclusion { istio_exclude_init_port: false, istio_exclude_outbound_ports: vec![8200, 5432] }
    );
    let bad = Flags::parse_from(["test", "--vault-ca", "configmap:only-name"]);
    assert!(bad.inject.to_settings(ConfigFrom::Image).unwrap_err().to_string().contains("configmap:NAME:KEY"));
}
