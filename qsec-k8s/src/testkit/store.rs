//! The fake API server's object store: every object as JSON, one
//! resourceVersion counter across all of them, and a bounded history of
//! changes that watches replay from and follow.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

/// How many changes are kept for watches to resume from; older versions get
/// 410 Gone, as from a real API server whose watch cache moved on.
pub(crate) const HISTORY: usize = 200_000;

/// Which collection an object lives in: API group ("" for core), version,
/// plural resource name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Resource {
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) plural: String,
}

impl Resource {
    pub(crate) fn new(group: &str, version: &str, plural: &str) -> Self {
        Self { group: group.into(), version: version.into(), plural: plural.into() }
    }

    pub(crate) fn pods() -> Self {
        Self::new("", "v1", "pods")
    }

    pub(crate) fn events() -> Self {
        Self::new("", "v1", "events")
    }

    /// `apiVersion` of its objects.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `kind` of its objects.
    pub(crate) fn kind(&self) -> String {
        match self.plural.as_str() {
            "pods" => "Pod".into(),
            "events" => "Event".into(),
            "leases" => "Lease".into(),
            "configmaps" => "ConfigMap".into(),
            "secrets" => "Secret".into(),
            "services" => "Service".into(),
            "namespaces" => "Namespace".into(),
            other => {
                let singular = other.strip_suffix('s').unwrap_or(other);
                let mut chars = singular.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            }
        }
    }
}

/// One change, as watches see it: the object before (`None` when created)
/// and after (`None` when deleted). Shared, not copied, between the store,
/// the history and every watch.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) version: u64,
    pub(crate) resource: Resource,
    pub(crate) before: Option<Arc<Value>>,
    pub(crate) after: Option<Arc<Value>>,
}

/// Objects by resource, namespace and name.
pub(crate) struct Store {
    objects: BTreeMap<(Resource, String, String), Arc<Value>>,
    /// Server-side apply: who owns which field path of which object.
    pub(crate) owners: BTreeMap<(Resource, String, String), BTreeMap<String, String>>,
    version: u64,
    history: VecDeque<Change>,
    changes: broadcast::Sender<Change>,
}

impl Store {
    pub(crate) fn new() -> Self {
        let (changes, _) = broadcast::channel(HISTORY.min(65_536));
        Self { objects: BTreeMap::new(), owners: BTreeMap::new(), version: 1, history: VecDeque::new(), changes }
    }

    /// The newest resourceVersion.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// The oldest version a watch can still resume from.
    pub(crate) fn oldest_resumable(&self) -> u64 {
        self.history.front().map_or(self.version, |change| change.version - 1)
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Changes of `resource` after `version`, oldest first.
    pub(crate) fn changes_since(&self, resource: &Resource, version: u64) -> Vec<Change> {
        self.history.iter().filter(|c| c.version > version && &c.resource == resource).cloned().collect()
    }

    pub(crate) fn get(&self, resource: &Resource, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.objects.get(&(resource.clone(), namespace.into(), name.into()))
    }

    /// Every object of `resource`, in `namespace` if given.
    pub(crate) fn list(&self, resource: &Resource, namespace: Option<&str>) -> Vec<Arc<Value>> {
        self.objects
            .iter()
            .filter(|((r, ns, _), _)| r == resource && namespace.is_none_or(|wanted| wanted == ns))
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// Stores `object` (new or changed) with a fresh resourceVersion and
    /// tells the watches; returns it as stored (shared, not copied).
    pub(crate) fn put(&mut self, resource: &Resource, namespace: &str, name: &str, mut object: Value) -> Arc<Value> {
        self.version += 1;
        object["metadata"]["resourceVersion"] = json!(self.version.to_string());
        let key = (resource.clone(), namespace.to_owned(), name.to_owned());
        let stored = Arc::new(object);
        let before = self.objects.insert(key, stored.clone());
        self.record(resource, before, Some(stored.clone()));
        stored
    }

    /// Removes an object and tells the watches; returns it as it was last.
    pub(crate) fn remove(&mut self, resource: &Resource, namespace: &str, name: &str) -> Option<Value> {
        let key = (resource.clone(), namespace.to_owned(), name.to_owned());
        let mut gone = Arc::unwrap_or_clone(self.objects.remove(&key)?);
        self.owners.remove(&key);
        self.version += 1;
        gone["metadata"]["resourceVersion"] = json!(self.version.to_string());
        let gone = Arc::new(gone);
        self.record(resource, Some(gone.clone()), None);
        Some(Arc::unwrap_or_clone(gone))
    }

    /// Forgets every change so far, as an etcd compaction does, and moves
    /// the resourceVersion on: a watch resuming from any version handed out
    /// before gets 410 Gone and must list again.
    pub(crate) fn compact(&mut self) {
        self.version += 1;
        self.history.clear();
    }

    fn record(&mut self, resource: &Resource, before: Option<Arc<Value>>, after: Option<Arc<Value>>) {
        let change = Change { version: self.version, resource: resource.clone(), before, after };
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(change.clone());
        // No receivers is fine: nobody watches.
        let _ = self.changes.send(change);
    }
}
