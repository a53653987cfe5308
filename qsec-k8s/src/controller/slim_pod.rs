//! A Pod as the controller reads it from the API: the metadata it needs
//! (only `qsec.io/` annotations), the pod IP and the container states.
//! The spec, managed fields and the rest are most of a pod's JSON; they are
//! skipped while decoding instead of being built and thrown away, for every
//! watch event and every patch answer.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The prefix of the annotations the controller reads.
const QSEC_PREFIX: &str = "qsec.io/";

/// A Pod, reduced to what the controller reads. Usable with `kube::Api`,
/// the watcher included: kind, group, version and plural are the Pod's.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SlimPod {
    /// Name, namespace, uid, resourceVersion, deletionTimestamp and the
    /// `qsec.io/` annotations; the other fields are left empty.
    #[serde(deserialize_with = "slim_metadata")]
    pub metadata: ObjectMeta,
    /// The parts of the status the controller reads.
    #[serde(default)]
    pub status: Option<SlimStatus>,
}

/// The parts of a PodStatus the controller reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlimStatus {
    /// The pod IP.
    #[serde(default, rename = "podIP")]
    pub pod_ip: Option<String>,
    /// Init containers' states.
    #[serde(default, deserialize_with = "null_is_default")]
    pub init_container_statuses: Vec<SlimContainerStatus>,
    /// Regular (and sidecar) containers' states.
    #[serde(default, deserialize_with = "null_is_default")]
    pub container_statuses: Vec<SlimContainerStatus>,
}

/// The parts of a ContainerStatus the controller reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlimContainerStatus {
    /// The container's name.
    pub name: String,
    /// The runtime's ID of the current run.
    #[serde(default, rename = "containerID")]
    pub container_id: Option<String>,
    /// How often it restarted.
    #[serde(default, deserialize_with = "null_is_default")]
    pub restart_count: i32,
    /// Whether its readiness probe passes.
    #[serde(default, deserialize_with = "null_is_default")]
    pub ready: bool,
    /// Whether its startup probe passed.
    #[serde(default)]
    pub started: Option<bool>,
    /// Its current state.
    #[serde(default)]
    pub state: Option<SlimContainerState>,
    /// Its previous run's state.
    #[serde(default)]
    pub last_state: Option<SlimContainerState>,
}

/// Running, or terminated with an exit code (or waiting: neither).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SlimContainerState {
    /// Present while running; its details are not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<Running>,
    /// Present once terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<Terminated>,
}

/// A running container (its start time is not read).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
pub struct Running {}

/// A terminated container's exit code.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Terminated {
    /// The exit code.
    pub exit_code: i32,
}

impl kube::Resource for SlimPod {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("Pod")
    }

    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("v1")
    }

    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("pods")
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// The metadata fields read; the rest (labels, owner references, managed
/// fields, other annotations) is skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlimMetadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    resource_version: Option<String>,
    #[serde(default)]
    deletion_timestamp: Option<Time>,
    #[serde(default, deserialize_with = "qsec_annotations")]
    annotations: Option<BTreeMap<String, String>>,
}

/// `null` read as the field's default, like an absent field: Kubernetes
/// omits empty fields, but API emulators and proxies may send `null`, and
/// one such pod must not fail the whole watch.
fn null_is_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn slim_metadata<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let slim = SlimMetadata::deserialize(deserializer)?;
    Ok(ObjectMeta {
        name: slim.name,
        namespace: slim.namespace,
        uid: slim.uid,
        resource_version: slim.resource_version,
        deletion_timestamp: slim.deletion_timestamp,
        annotations: slim.annotations,
        ..ObjectMeta::default()
    })
}

/// Keeps only the `qsec.io/` annotations (others, such as
/// `kubectl.kubernetes.io/last-applied-configuration`, can be large).
fn qsec_annotations<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    struct Qsec;

    impl<'de> Visitor<'de> for Qsec {
        type Value = Option<BTreeMap<String, String>>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("a map of annotations")
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(self)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept = BTreeMap::new();
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key.starts_with(QSEC_PREFIX) {
                    kept.insert(key.into_owned(), map.next_value::<String>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Some(kept))
        }
    }

    deserializer.deserialize_option(Qsec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parts_it_needs_and_skips_the_rest() {
        let pod: SlimPod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "web-0", "namespace": "team", "uid": "u-1", "resourceVersion": "7",
                "labels": {"app": "web"},
                "annotations": {"qsec.io/approle": "aws.stg.web", "kubectl.kubernetes.io/last-applied-configuration": "{...}"},
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:metadata": {}}}]
            },
            "spec": {"containers": [{"name": "web", "image": "web:1"}]},
            "status": {
                "podIP": "10.1.2.3",
                "initContainerStatuses": [{"name": "qsec-init", "image": "i", "imageID": "", "ready": false,
                    "restartCount": 0, "containerID": "c://1", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}],
                "containerStatuses": [{"name": "qsec-refresh", "image": "r", "imageID": "", "ready": false,
                    "restartCount": 1, "started": true, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}}]
            }
        }))
        .unwrap();
        let meta = &pod.metadata;
        assert_eq!((meta.name.as_deref(), meta.namespace.as_deref()), (Some("web-0"), Some("team")));
        assert_eq!((meta.uid.as_deref(), meta.resource_version.as_deref()), (Some("u-1"), Some("7")));
        let annotations = meta.annotations.as_ref().unwrap();
        assert_eq!(annotations.keys().collect::<Vec<_>>(), ["qsec.io/approle"], "only qsec.io/ annotations kept");
        assert!(meta.labels.is_none() && meta.managed_fields.is_none());
        let status = pod.status.unwrap();
        assert_eq!(status.pod_ip.as_deref(), Some("10.1.2.3"));
        let init = &status.init_container_statuses[0];
        assert!(init.state.as_ref().unwrap().running.is_some());
        assert_eq!(init.container_id.as_deref(), Some("c://1"));
        let refresh = &status.container_statuses[0];
        assert_eq!(refresh.last_state.as_ref().unwrap().terminated.unwrap().exit_code, 3);
        assert!(refresh.state.as_ref().unwrap().running.is_none());
        assert_eq!(<SlimPod as kube::Resource>::url_path(&(), Some("team")), "/api/v1/namespaces/team/pods");
    }

    #[test]
    fn a_pod_without_annotations_or_status_decodes() {
        let pod: SlimPod =
            serde_json::from_str(r#"{"metadata": {"name": "bare", "annotations": null}, "status": null}"#).unwrap();
        assert_eq!(pod.metadata.name.as_deref(), Some("bare"));
        assert!(pod.metadata.annotations.is_none() && pod.status.is_none());
        // Nulls where Kubernetes would omit the field.
        let pod: SlimPod = serde_json::from_str(
            r#"{"metadata": {"name": "nulls"}, "status": {"podIP": null, "initContainerStatuses": null,
                "containerStatuses": [{"name": "qsec-refresh", "containerID": null, "restartCount": null,
                    "ready": null, "started": null, "state": null, "lastState": null}]}}"#,
        )
        .unwrap();
        let status = pod.status.unwrap();
        assert!(status.init_container_statuses.is_empty());
        let refresh = &status.container_statuses[0];
        assert_eq!((refresh.restart_count, refresh.ready, refresh.state.is_none()), (0, false, true));
    }
}
