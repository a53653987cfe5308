//! Every manifest under deploy/ parses into its Kubernetes type, loses no
//! field doing so (a typo would), and is listed by a kustomization.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

fn deploy() -> PathBuf {
    common::root().join("deploy")
}

fn yaml_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
            files.push(path);
        }
    }
}

/// Parses `document` as `T` and checks writing it back gives the same JSON.
fn typed<T: DeserializeOwned + Serialize>(document: &Value, path: &Path) -> T {
    let object: T =
        serde_yaml_ng::from_value(document.clone()).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let again = serde_json::to_value(&object).unwrap();
    let original = serde_json::to_value(document).unwrap();
    assert_eq!(again, original, "{}: a field is misspelt or misplaced", path.display());
    object
}

/// Every object under deploy/, by kind and name.
fn objects() -> BTreeMap<(String, String), (Value, PathBuf)> {
    let mut files = Vec::new();
    yaml_files(&deploy(), &mut files);
    let mut objects = BTreeMap::new();
    for path in files.into_iter().filter(|path| path.file_name().unwrap() != "kustomization.yaml") {
        let text = std::fs::read_to_string(&path).unwrap();
        for document in qsec_k8s::workloads::parse_documents(&text).unwrap() {
            let kind = document["kind"].as_str().unwrap().to_string();
            let name = document["metadata"]["name"].as_str().unwrap().to_string();
            let namespace = document["metadata"]["namespace"].as_str().unwrap_or_default();
            let key = (kind, format!("{namespace}/{name}"));
            assert!(objects.insert(key.clone(), (document, path.clone())).is_none(), "{key:?} twice");
        }
    }
    objects
}

#[test]
fn every_document_parses_into_its_kubernetes_type() {
    let objects = objects();
    assert!(objects.len() >= 20, "{}", objects.len());
    for ((kind, _), (document, path)) in &objects {
        let api_version = document["apiVersion"].as_str().unwrap();
        match (api_version, kind.as_str()) {
            ("v1", "Namespace") => drop(typed::<Namespace>(document, path)),
            ("v1", "ServiceAccount") => drop(typed::<ServiceAccount>(document, path)),
            ("v1", "Service") => drop(typed::<Service>(document, path)),
            ("v1", "ConfigMap") => drop(typed::<ConfigMap>(document, path)),
            ("v1", "Secret") => drop(typed::<Secret>(document, path)),
            ("apps/v1", "Deployment") => drop(typed::<Deployment>(document, path)),
            ("policy/v1", "PodDisruptionBudget") => drop(typed::<PodDisruptionBudget>(document, path)),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => drop(typed::<ClusterRole>(document, path)),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => drop(typed::<ClusterRoleBinding>(document, path)),
            ("rbac.authorization.k8s.io/v1", "Role") => drop(typed::<Role>(document, path)),
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => drop(typed::<RoleBinding>(document, path)),
            ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
                drop(typed::<MutatingWebhookConfiguration>(document, path))
            }
            other => panic!("{}: no Kubernetes type for {other:?}", path.display()),
        }
    }
}

#[test]
fn every_manifest_is_in_a_kustomization_and_every_resource_exists() {
    let mut files = Vec::new();
    yaml_files(&deploy(), &mut files);
    let mut listed = BTreeSet::new();
    let mut kustomizations: Vec<&PathBuf> =
        files.iter().filter(|p| p.file_name().unwrap() == "kustomization.yaml").collect();
    kustomizations.sort();
    assert!(kustomizations.len() >= 5);
    for kustomization in kustomizations {
        let document: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(kustomization).unwrap()).unwrap();
        assert_eq!(document["kind"], "Kustomization", "{}", kustomization.display());
        let dir = kustomization.parent().unwrap();
        for resource in document["resources"].as_sequence().unwrap() {
            let target = dir.join(resource.as_str().unwrap());
            if target.is_dir() {
                assert!(target.join("kustomization.yaml").exists(), "{}", target.display());
            } else {
                assert!(target.exists(), "{} lists missing {}", kustomization.display(), target.display());
                listed.insert(target);
            }
        }
    }
    for file in files.iter().filter(|p| p.file_name().unwrap() != "kustomization.yaml") {
        assert!(listed.contains(file), "{} is in no kustomization", file.display());
    }
}

#[test]
fn the_controller_has_two_replicas_and_least_privilege() {
    let objects = objects();
    let (document, path) = &objects[&("Deployment".into(), "qsec-system/qsec-controller".into())];
    assert_eq!(typed::<Deployment>(document, path).spec.unwrap().replicas, Some(2));
    let (document, path) = &objects[&("ClusterRole".into(), "/qsec-controller".into())];
    let rules: Vec<(Vec<String>, Vec<String>, Vec<String>)> = typed::<ClusterRole>(document, path)
        .rules
        .unwrap()
        .into_iter()
        .map(|rule| (rule.api_groups.unwrap(), rule.resources.unwrap(), rule.verbs))
        .collect();
    let strings = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
    assert_eq!(
        rules,
        [
            (strings(&[""]), strings(&["pods"]), strings(&["get", "list", "watch", "patch", "delete"])),
            (strings(&["", "events.k8s.io"]), strings(&["events"]), strings(&["create"])),
        ]
    );
    let (document, path) = &objects[&("Role".into(), "qsec-system/qsec-controller-leader-election".into())];
    let role = typed::<Role>(document, path);
    assert_eq!(role.rules.unwrap()[0].resources.as_deref(), Some(&["leases".to_string()][..]));
}

#[test]
fn qsec_pods_are_hardened_and_the_webhook_points_at_its_service() {
    for ((kind, name), (document, path)) in objects() {
        if kind != "Deployment" || !name.starts_with("qsec-system/") {
            continue;
        }
        let spec = typed::<Deployment>(&document, &path).spec.unwrap().template.spec.unwrap();
        assert_eq!(spec.security_context.unwrap().run_as_non_root, Some(true), "{name}");
        for container in spec.containers {
            let security = container.security_context.unwrap();
            assert_eq!(security.allow_privilege_escalation, Some(false), "{name}");
            assert_eq!(security.read_only_root_filesystem, Some(true), "{name}");
            assert_eq!(security.capabilities.unwrap().drop.unwrap(), ["ALL"], "{name}");
        }
    }
    let objects = objects();
    let (document, path) = &objects[&("MutatingWebhookConfiguration".into(), "/qsec-webhook".into())];
    let webhook = &typed::<MutatingWebhookConfiguration>(document, path).webhooks.unwrap()[0];
    let service = webhook.client_config.service.as_ref().unwrap();
    assert_eq!(
        (service.name.as_str(), service.path.as_deref()),
        ("qsec-webhook", Some(qsec_k8s::webhook::MUTATE_PATH))
    );
    assert_eq!(webhook.side_effects, "None");
    assert_eq!(webhook.admission_review_versions, ["v1"]);
}

#[test]
fn the_example_app_matches_examples_myapp() {
    let objects = objects();
    let (document, path) = &objects[&("ConfigMap".into(), "myapp/qsec-aws-stg-myapp-config".into())];
    let data = typed::<ConfigMap>(document, path).data.unwrap();
    let config = qsec_k8s::deployer::read_config_dir(&common::example().join("config")).unwrap();
    let files: BTreeMap<String, String> =
        config.into_iter().map(|file| (file.path, String::from_utf8(file.content).unwrap())).collect();
    assert_eq!(data, files);

    // The webhook flavour of the Deployment differs only by its two annotations.
    let (document, _) = &objects[&("Deployment".into(), "myapp/myapp".into())];
    let mut webhook_flavour = document.clone();
    let annotations = webhook_flavour["spec"]["template"]["metadata"].as_mapping_mut().unwrap();
    let removed = annotations.remove("annotations").unwrap();
    assert_eq!(removed["qsec.io/inject"], "true");
    assert_eq!(removed["qsec.io/approle"], "aws.stg.myapp");
    let example = std::fs::read_to_string(common::example().join("deployment.yaml")).unwrap();
    assert_eq!(webhook_flavour, qsec_k8s::workloads::parse_documents(&example).unwrap()[0]);
}
