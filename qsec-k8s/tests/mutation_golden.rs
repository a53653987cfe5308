//! Golden tests of the pod mutation over manifests: every workload kind, with
//! native and classic sidecars, already-mutated input and conflicting input.

mod common;

use std::path::{Path, PathBuf};

use common::assert_golden;
use qsec_core::AppRef;
use qsec_k8s::inject::{InjectSettings, Injection, SidecarMode};
use qsec_k8s::workloads::{self, WorkloadKind};

fn golden(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(dir)
}

/// The YAML inputs of a golden directory, sorted.
fn inputs(dir: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(golden(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
}

fn app() -> AppRef {
    "aws.stg.shop".parse().unwrap()
}

/// Pinned images, so the goldens do not change with qsec's version.
fn settings(sidecar: SidecarMode) -> InjectSettings {
    InjectSettings {
        init_image: "ghcr.io/qsec/qsec-init:test".into(),
        refresh_image: "ghcr.io/qsec/qsec-refresh:test".into(),
        sidecar,
        ..InjectSettings::default()
    }
}

fn render(input: &str, settings: &InjectSettings) -> (String, Vec<Injection>) {
    let injected = workloads::inject_manifests(input, &app(), settings).unwrap();
    let yaml = workloads::to_yaml(&injected.documents).unwrap();
    (yaml, injected.workloads.iter().map(|workload| workload.injection).collect())
}

#[test]
fn every_workload_kind_with_native_and_classic_sidecars() {
    let cases = inputs("mutation");
    assert_eq!(cases.len(), 6, "deployment, statefulset, daemonset, job, cronjob, pod");
    for input_path in cases {
        let input = std::fs::read_to_string(&input_path).unwrap();
        let name = input_path.file_name().unwrap();
        for (mode, dir) in [(SidecarMode::Native, "mutation/native"), (SidecarMode::Classic, "mutation/classic")] {
            let (output, injections) = render(&input, &settings(mode));
            assert!(injections.iter().all(|injection| *injection == Injection::Injected), "{name:?}");
            assert_golden(&golden(dir).join(name), &output);
        }
    }
}

#[test]
fn mutating_mutated_manifests_changes_nothing() {
    for input_path in inputs("mutation") {
        let input = std::fs::read_to_string(&input_path).unwrap();
        for mode in [SidecarMode::Native, SidecarMode::Classic] {
            let (once, _) = render(&input, &settings(mode));
            // Also with the other mode: a pod that has qsec keeps the qsec it has.
            for again_mode in [SidecarMode::Native, SidecarMode::Classic] {
                let (twice, injections) = render(&once, &settings(again_mode));
                assert_eq!(twice, once, "{input_path:?} {mode} then {again_mode}");
                assert!(injections.iter().all(|injection| *injection == Injection::AlreadyInjected));
            }
        }
    }
}

#[test]
fn native_sidecars_start_after_init_and_classic_ones_run_beside_the_app() {
    let input = std::fs::read_to_string(golden("mutation").join("deployment.yaml")).unwrap();
    let (native, _) = render(&input, &settings(SidecarMode::Native));
    let native = &workloads::parse_documents(&native).unwrap()[0]["spec"]["template"]["spec"];
    let names = |list: &serde_yaml_ng::Value| -> Vec<String> {
        list.as_sequence().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&native["initContainers"]), ["qsec-init", "qsec-refresh", "migrate"]);
    assert_eq!(names(&native["containers"]), ["web", "worker"]);
    assert_eq!(native["initContainers"][1]["restartPolicy"], "Always");

    let (classic, _) = render(&input, &settings(SidecarMode::Classic));
    let classic = &workloads::parse_documents(&classic).unwrap()[0]["spec"]["template"]["spec"];
    assert_eq!(names(&classic["initContainers"]), ["qsec-init", "migrate"]);
    assert_eq!(names(&classic["containers"]), ["web", "worker", "qsec-refresh"]);
    assert!(classic["containers"][2].get("restartPolicy").is_none());
    assert!(classic["containers"][2].get("startupProbe").is_none());
}

#[test]
fn jobs_with_classic_sidecars_are_warned_about() {
    let input = std::fs::read_to_string(golden("mutation").join("cronjob.yaml")).unwrap();
    let classic = workloads::inject_manifests(&input, &app(), &settings(SidecarMode::Classic)).unwrap();
    assert_eq!(classic.workloads[0].kind, WorkloadKind::CronJob);
    assert_eq!(classic.warnings.len(), 1);
    assert!(classic.warnings[0].contains("never complete"), "{:?}", classic.warnings);
    let native = workloads::inject_manifests(&input, &app(), &settings(SidecarMode::Native)).unwrap();
    assert!(native.warnings.is_empty());
}

#[test]
fn conflicting_manifests_are_refused_with_a_clear_error() {
    let cases = inputs("conflicts");
    assert!(cases.len() >= 8);
    for input_path in cases {
        let input = std::fs::read_to_string(&input_path).unwrap();
        let error = workloads::inject_manifests(&input, &app(), &settings(SidecarMode::Native)).unwrap_err();
        assert_golden(&input_path.with_extension("error"), &format!("{error}\n"));
    }
}

#[test]
fn manifests_without_workloads_are_refused() {
    let error = workloads::inject_manifests(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
        &app(),
        &settings(SidecarMode::Native),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("no Pod, Deployment"), "{error}");
    let error = workloads::inject_manifests("a: [", &app(), &settings(SidecarMode::Native)).unwrap_err().to_string();
    assert!(error.starts_with("manifest document 1: not valid YAML"), "{error}");
}
