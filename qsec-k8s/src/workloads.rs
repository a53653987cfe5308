//! Workload manifests: multi-document YAML in and out, and the pod template
//! inside each Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob
//! or Pod, mutated by [`inject`](crate::inject::inject).
//!
//! Documents are rewritten with a patch computed from the typed mutation,
//! so everything qsec does not add (key order, fields its types do not
//! know, other kinds of objects) comes out as it went in.

use std::fmt;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use qsec_core::AppRef;
use serde_yaml_ng::Value;

use crate::error::{Error, Result};
use crate::inject::{self, InjectSettings, Injection, SidecarMode};
use crate::patch;

/// A kind of object with a pod template qsec can inject into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkloadKind {
    /// `v1` Pod: the object is its own template.
    Pod,
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `batch/v1` Job.
    Job,
    /// `batch/v1` CronJob.
    CronJob,
}

impl WorkloadKind {
    /// The workload kind of an object, from its `apiVersion` and `kind`;
    /// `None` for objects without a pod template (and for look-alikes in
    /// other API groups).
    pub fn of(api_version: &str, kind: &str) -> Option<Self> {
        match (api_version, kind) {
            ("v1", "Pod") => Some(Self::Pod),
            ("apps/v1", "Deployment") => Some(Self::Deployment),
            ("apps/v1", "StatefulSet") => Some(Self::StatefulSet),
            ("apps/v1", "DaemonSet") => Some(Self::DaemonSet),
            ("apps/v1", "ReplicaSet") => Some(Self::ReplicaSet),
            ("batch/v1", "Job") => Some(Self::Job),
            ("batch/v1", "CronJob") => Some(Self::CronJob),
            _ => None,
        }
    }

    /// Where the pod template is in the object.
    pub fn template_path(self) -> &'static [&'static str] {
        match self {
            Self::Pod => &[],
            Self::CronJob => &["spec", "jobTemplate", "spec", "template"],
            _ => &["spec", "template"],
        }
    }

    /// Whether its pods are meant to run to completion.
    pub fn runs_to_completion(self) -> bool {
        matches!(self, Self::Job | Self::CronJob)
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One workload [`inject_manifests`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedWorkload {
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its `metadata.name` (empty when it has none).
    pub name: String,
    /// What was done to its pod template.
    pub injection: Injection,
}

/// The result of [`inject_manifests`].
#[derive(Debug, Clone)]
pub struct InjectedManifests {
    /// Every document, workloads mutated, others unchanged.
    pub documents: Vec<Value>,
    /// The workloads found, in order.
    pub workloads: Vec<InjectedWorkload>,
    /// Things that work but probably not as wanted.
    pub warnings: Vec<String>,
}

/// Splits a multi-document YAML stream into documents, skipping empty ones.
pub fn parse_documents(yaml: &str) -> Result<Vec<Value>> {
    let mut documents = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
        let value = serde::Deserialize::deserialize(document)
            .map_err(|error: serde_yaml_ng::Error| manifest(index, format!("not valid YAML: {error}")))?;
        if !matches!(value, Value::Null) {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// Writes documents as one YAML stream, separated by `---`.
pub fn to_yaml(documents: &[Value]) -> Result<String> {
    let mut out = String::new();
    for (index, document) in documents.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_yaml_ng::to_string(document).map_err(|error| manifest(index, error.to_string()))?);
    }
    Ok(out)
}

/// Injects qsec for `app` into every workload of a YAML stream; other
/// objects pass through. Fails on the first workload that cannot be
/// injected, naming its document.
pub fn inject_manifests(yaml: &str, app: &AppRef, settings: &InjectSettings) -> Result<InjectedManifests> {
    let mut documents = parse_documents(yaml)?;
    let mut workloads = Vec::new();
    let mut warnings = Vec::new();
    for (index, document) in documents.iter_mut().enumerate() {
        let Some(workload) = inject_document(document, app, settings).map_err(|reason| manifest(index, reason))? else {
            continue;
        };
        if workload.kind.runs_to_completion() && settings.sidecar == SidecarMode::Classic {
            warnings.push(format!(
                "{} {}: with a classic refresh sidecar its pods never complete; \
                 use native sidecars (Kubernetes 1.29+) or no sidecar",
                workload.kind, workload.name
            ));
        }
        workloads.push(workload);
    }
    if workloads.is_empty() {
        return Err(Error::Manifest {
            document: 0,
            reason: "no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob found".into(),
        });
    }
    Ok(InjectedManifests { documents, workloads, warnings })
}

/// Injects qsec into one object's pod template; `None` if the object has
/// none. Errors say which object, for [`manifest`] to say which document.
fn inject_document(
    document: &mut Value,
    app: &AppRef,
    settings: &InjectSettings,
) -> std::result::Result<Option<InjectedWorkload>, String> {
    let text = |key: &str| document.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let Some(kind) = WorkloadKind::of(&text("apiVersion"), &text("kind")) else {
        return Ok(None);
    };
    let name = document.get("metadata").and_then(|meta| meta.get("name")).and_then(Value::as_str);
    let name = name.unwrap_or_default().to_string();
    let mut template_value = &mut *document;
    for key in kind.template_path() {
        template_value = template_value
            .get_mut(*key)
            .ok_or_else(|| format!("{kind} {name} has no {}", kind.template_path().join(".")))?;
    }
    let injection = typed_template(template_value)
        .and_then(|template| inject_template(template_value, template, app, settings).map_err(|e| e.to_string()))
        .map_err(|reason| format!("{kind} {name}: {reason}"))?;
    Ok(Some(InjectedWorkload { kind, name, injection }))
}

/// The pod template as Kubernetes types: the `metadata` and `spec` keys
/// (which is also how a Pod reads).
fn typed_template(value: &Value) -> std::result::Result<PodTemplateSpec, String> {
    let mut template = serde_yaml_ng::Mapping::new();
    for key in ["metadata", "spec"] {
        if let Some(part) = value.get(key) {
            template.insert(key.into(), part.clone());
        }
    }
    serde_yaml_ng::from_value(Value::Mapping(template)).map_err(|error| format!("invalid pod template: {error}"))
}

fn inject_template(
    target: &mut Value,
    mut template: PodTemplateSpec,
    app: &AppRef,
    settings: &InjectSettings,
) -> Result<Injection> {
    let before = serde_json::to_value(&template).map_err(|error| Error::InvalidPod { reason: error.to_string() })?;
    let metadata = template.metadata.get_or_insert_with(Default::default);
    let spec = template.spec.as_mut().ok_or_else(|| Error::InvalidPod { reason: "it has no spec".into() })?;
    let settings = settings.for_pod(metadata.annotations.as_ref().unwrap_or(&Default::default()))?;
    let injection = inject::inject(metadata, spec, app, &settings)?;
    let after = serde_json::to_value(&template).map_err(|error| Error::InvalidPod { reason: error.to_string() })?;
    patch::apply_to_yaml(target, &patch::diff(&before, &after))?;
    Ok(injection)
}

fn manifest(index: usize, reason: String) -> Error {
    Error::Manifest { document: index + 1, reason }
}
