//! The Kubernetes operations the controller does on pods, behind a small
//! trait so the delivery logic can be driven (and faults injected) in tests.

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::{Api, Client};
use serde_json::json;

use super::pod_view::PodKey;
use super::slim_pod::SlimPod;
use crate::error::{Error, Result};

/// The outcome of a conditional change.
#[derive(Debug)]
pub enum Guarded<T> {
    /// Done.
    Done(T),
    /// The precondition failed: the pod changed since it was read.
    Conflict,
    /// The pod does not exist (any more).
    Gone,
}

/// Normal or Warning, as Events have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Something went as it should.
    Normal,
    /// Something needs attention.
    Warning,
}

/// The pod operations of the controller.
#[async_trait]
pub trait PodApi: Send + Sync {
    /// Reads a pod; `None` when it does not exist.
    async fn get(&self, key: &PodKey) -> Result<Option<SlimPod>>;

    /// Sets annotation `name` to `value` if the pod is still at
    /// `resource_version` (a JSON merge patch carrying it as precondition);
    /// returns the pod as changed.
    async fn annotate(&self, key: &PodKey, resource_version: &str, name: &str, value: &str)
    -> Result<Guarded<SlimPod>>;

    /// Deletes the pod if it is still incarnation `uid`.
    async fn delete(&self, key: &PodKey, uid: &str) -> Result<Guarded<()>>;

    /// Records an Event on the pod.
    async fn event(&self, key: &PodKey, uid: &str, kind: EventType, reason: &str, message: &str) -> Result<()>;
}

/// [`PodApi`] through a `kube::Client`.
pub struct KubePods {
    client: Client,
    identity: String,
}

impl KubePods {
    /// Pod operations through `client`, as controller replica `identity`.
    pub fn new(client: Client, identity: &str) -> Self {
        Self { client, identity: identity.to_owned() }
    }

    fn pods(&self, key: &PodKey) -> Api<SlimPod> {
        Api::namespaced(self.client.clone(), &key.namespace)
    }
}

fn status_of(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

#[async_trait]
impl PodApi for KubePods {
    async fn get(&self, key: &PodKey) -> Result<Option<SlimPod>> {
        self.pods(key).get_opt(&key.name).await.map_err(Error::kube(format!("reading pod {key}")))
    }

    async fn annotate(
        &self,
        key: &PodKey,
        resource_version: &str,
        name: &str,
        value: &str,
    ) -> Result<Guarded<SlimPod>> {
        let patch = json!({ "metadata": { "resourceVersion": resource_version, "annotations": { name: value } } });
        let params = PatchParams { field_manager: Some("qsec-controller".into()), ..PatchParams::default() };
        match self.pods(key).patch(&key.name, &params, &Patch::Merge(&patch)).await {
            Ok(pod) => Ok(Guarded::Done(pod)),
            Err(error) if status_of(&error) == Some(409) => Ok(Guarded::Conflict),
            Err(error) if status_of(&error) == Some(404) => Ok(Guarded::Gone),
            Err(error) => Err(Error::kube(format!("annotating pod {key}"))(error)),
        }
    }

    async fn delete(&self, key: &PodKey, uid: &str) -> Result<Guarded<()>> {
        let params = DeleteParams {
            preconditions: Some(Preconditions { uid: Some(uid.to_owned()), resource_version: None }),
            ..DeleteParams::default()
        };
        match self.pods(key).delete(&key.name, &params).await {
            Ok(_) => Ok(Guarded::Done(())),
            Err(error) if status_of(&error) == Some(409) => Ok(Guarded::Conflict),
            Err(error) if status_of(&error) == Some(404) => Ok(Guarded::Gone),
            Err(error) => Err(Error::kube(format!("deleting pod {key}"))(error)),
        }
    }

    async fn event(&self, key: &PodKey, uid: &str, kind: EventType, reason: &str, message: &str) -> Result<()> {
        let now = jiff::Timestamp::now();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{}.{}", key.name, uuid::Uuid::new_v4().simple())),
                namespace: Some(key.namespace.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(key.name.clone()),
                namespace: Some(key.namespace.clone()),
                uid: Some(uid.to_owned()),
                ..ObjectReference::default()
            },
            reason: Some(reason.to_owned()),
            // Events are capped at 1 KiB of message by convention.
            message: Some(message.chars().take(1024).collect()),
            type_: Some(match kind {
                EventType::Normal => "Normal".into(),
                EventType::Warning => "Warning".into(),
            }),
            count: Some(1),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            event_time: Some(MicroTime(now)),
            action: Some("DeliverSecretId".into()),
            reporting_component: Some("qsec-controller".into()),
            reporting_instance: Some(self.identity.clone()),
            source: Some(EventSource { component: Some("qsec-controller".into()), host: None }),
            ..Event::default()
        };
        let events: Api<Event> = Api::namespaced(self.client.clone(), &key.namespace);
        events
            .create(&PostParams::default(), &event)
            .await
            .map_err(Error::kube(format!("recording an event on pod {key}")))?;
        Ok(())
    }
}
