//! Delivery: a ready pod gets one wrapped, pod-bound SecretID and a record;
//! unready, unreachable, refusing, foreign and vanishing pods do not, and
//! every SecretID that was not delivered is destroyed.

mod controller_common;

use std::sync::Arc;

use async_trait::async_trait;
use controller_common::*;
use qsec_k8s::controller::Failure;
use qsec_k8s::controller::pod_view::PodKey;
use qsec_k8s::controller::pods::{EventType, Guarded, KubePods, PodApi};
use qsec_k8s::controller::record::DeliveryState;
use qsec_k8s::controller::slim_pod::SlimPod;

const NET: u8 = 11;

#[tokio::test]
async fn a_ready_pod_gets_one_wrapped_pod_bound_secret_id() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 1)).await;
    let created = world.kube.create_pod(annotated("web-0", APP, init.port()));
    let running = world.controller(world.config("ctl-a")).spawn(None);

    world.kube.set_init_running(NS, "web-0", init.ip());
    eventually("the delivery", || world.record("web-0").is_some_and(|r| r.state == DeliveryState::Delivered)).await;
    assert_eq!(init.posts().len(), 1, "exactly one POST");
    let record = world.record("web-0").unwrap();
    assert_eq!(record.controller, "ctl-a");

    // The SecretID: single use, bound to the pod IP, naming the pod.
    let secret_id = world.secret_id(&record.accessor).expect("Vault knows the accessor");
    let cidr = format!("{}/32", init.ip());
    assert_eq!(secret_id["cidr_list"], serde_json::json!([cidr]));
    assert_eq!(secret_id["token_bound_cidrs"], serde_json::json!([cidr]));
    assert_eq!(secret_id["secret_id_num_uses"], 1);
    assert_eq!(secret_id["metadata"]["pod_name"], "web-0");
    assert_eq!(secret_id["metadata"]["pod_namespace"], NS);
    assert_eq!(secret_id["metadata"]["pod_uid"], created.metadata.uid.clone().unwrap().as_str());
    // Only the wrapping token travelled, and it is on neither pod nor Event.
    let token = &init.posts()[0];
    assert!(!token.is_empty());
    assert!(!leaked(&world, "web-0", token));
    assert!(world.event_reasons("web-0").is_empty(), "no failure, no Event");
    assert_eq!(running.metrics().deliveries(), 1);
    let metrics = running.metrics().render(0);
    assert!(metrics.contains("qsec_controller_delivery_seconds_count 1"), "{metrics}");

    running.stop().await;
    init.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn unready_and_unreachable_pods_wait_and_are_retried() {
    let world = World::start().await;
    let busy = StubInit::start(pod_ip(NET, 2)).await;
    busy.set_busy(true);
    world.kube.create_pod(annotated("busy", APP, busy.port()));
    world.kube.create_pod(annotated("not-started", APP, 8099));
    // Nobody listens here yet: connection refused.
    let later = StubInit::start(pod_ip(NET, 3)).await;
    let (later_ip, later_port) = (later.ip(), later.port());
    later.shutdown().await;
    world.kube.create_pod(annotated("refusing", APP, later_port));

    let running = world.controller(world.config("ctl-a")).spawn(None);
    world.kube.set_init_running(NS, "busy", busy.ip());
    world.kube.set_init_running(NS, "refusing", later_ip);

    eventually("InitNotReady and InitUnreachable", || {
        world.event_reasons("busy").contains(&"InitNotReady".to_owned())
            && world.event_reasons("refusing").contains(&"InitUnreachable".to_owned())
    })
    .await;
    // Retried with backoff, reported once per kind of problem.
    eventually("retries", || running.metrics().failures(Failure::InitUnreachable) >= 3).await;
    assert_eq!(world.event_reasons("refusing").iter().filter(|r| *r == "InitUnreachable").count(), 1);
    assert!(busy.posts().is_empty(), "a busy qsec-init gets nothing");
    assert!(world.record("busy").is_none() && world.record("not-started").is_none());
    assert_eq!(world.secret_ids(), 0, "no SecretID was issued for a pod not waiting");

    // Both become ready: both are served, neither blocked the other.
    busy.set_busy(false);
    let back = StubInit::start_on(std::net::SocketAddr::new(later_ip, later_port)).await;
    eventually("both deliveries", || busy.posts().len() == 1 && back.posts().len() == 1).await;
    assert!(world.record("not-started").is_none());

    running.stop().await;
    busy.shutdown().await;
    back.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_refused_delivery_is_destroyed_and_retried() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 4)).await;
    init.refuse(1);
    world.kube.create_pod(annotated("web-1", APP, init.port()));
    let running = world.controller(world.config("ctl-a")).spawn(None);
    world.kube.set_init_running(NS, "web-1", init.ip());

    eventually("the second attempt", || world.record("web-1").is_some_and(|r| r.state == DeliveryState::Delivered))
        .await;
    assert_eq!(init.posts().len(), 2);
    assert_eq!(world.secret_ids(), 1, "the refused SecretID was destroyed");
    assert!(world.event_reasons("web-1").contains(&"DeliveryFailed".to_owned()));
    assert_eq!(running.metrics().failures(Failure::DeliveryFailed), 1);

    running.stop().await;
    init.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn pods_of_other_clusters_and_bad_annotations_get_an_event_only() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 5)).await;
    world.kube.create_pod(annotated("foreign", "aws.prd.myapp", init.port()));
    world.kube.create_pod(annotated("broken", "aws.stg.My_App", init.port()));
    let running = world.controller(world.config("ctl-a")).spawn(None);
    world.kube.set_init_running(NS, "foreign", init.ip());

    eventually("the events", || {
        world.event_reasons("foreign") == ["WrongCluster"] && world.event_reasons("broken") == ["InvalidAnnotation"]
    })
    .await;
    assert!(init.posts().is_empty());
    assert_eq!(world.secret_ids(), 0);

    running.stop().await;
    init.shutdown().await;
    world.shutdown().await;
}

/// What a test does to the pod just before the controller claims it.
#[derive(Clone, Copy, PartialEq)]
enum Interference {
    /// Deletes the pod, before every claim.
    Delete,
    /// Changes a label, before the first claim only.
    RelabelOnce,
}

/// The controller's Kubernetes operations, with an [`Interference`] first.
struct BeforeClaim {
    inner: KubePods,
    kube_url: String,
    interference: Interference,
    relabelled: std::sync::atomic::AtomicBool,
}

impl BeforeClaim {
    fn new(world: &World, interference: Interference) -> Arc<Self> {
        Arc::new(Self {
            inner: KubePods::new(world.kube.client(), "ctl-a"),
            kube_url: world.kube.url(),
            interference,
            relabelled: std::sync::atomic::AtomicBool::new(false),
        })
    }

    async fn interfere(&self, key: &PodKey) {
        let url = format!("{}/api/v1/namespaces/{}/pods/{}", self.kube_url, key.namespace, key.name);
        match self.interference {
            Interference::Delete => {
                let deleted = reqwest::Client::new().delete(url).send().await.unwrap();
                assert!(deleted.status().is_success() || deleted.status() == 404);
            }
            Interference::RelabelOnce => {
                if !self.relabelled.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    let patched = reqwest::Client::new()
                        .patch(url)
                        .header("content-type", "application/merge-patch+json")
                        .body(r#"{"metadata":{"labels":{"touched":"yes"}}}"#)
                        .send()
                        .await
                        .unwrap();
                    assert!(patched.status().is_success());
                }
            }
        }
    }
}

#[async_trait]
impl PodApi for BeforeClaim {
    async fn get(&self, key: &PodKey) -> qsec_k8s::Result<Option<SlimPod>> {
        self.inner.get(key).await
    }
    async fn annotate(
        &self,
        key: &PodKey,
        version: &str,
        name: &str,
        value: &str,
    ) -> qsec_k8s::Result<Guarded<SlimPod>> {
        self.interfere(key).await;
        self.inner.annotate(key, version, name, value).await
    }
    async fn delete(&self, key: &PodKey, uid: &str) -> qsec_k8s::Result<Guarded<()>> {
        self.inner.delete(key, uid).await
    }
    async fn event(
        &self,
        key: &PodKey,
        uid: &str,
        kind: EventType,
        reason: &str,
        message: &str,
    ) -> qsec_k8s::Result<()> {
        self.inner.event(key, uid, kind, reason, message).await
    }
}

#[tokio::test]
async fn a_pod_deleted_mid_flight_gets_nothing_and_its_secret_id_is_destroyed() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 6)).await;
    world.kube.create_pod(annotated("doomed", APP, init.port()));
    let pods = BeforeClaim::new(&world, Interference::Delete);
    let controller = world.controller(world.config("ctl-a")).with_pod_api(pods);
    let running = controller.spawn(None);
    world.kube.set_init_running(NS, "doomed", init.ip());

    eventually("the lost claim", || running.metrics().failures(Failure::PodChanged) == 1).await;
    assert!(world.kube.pod(NS, "doomed").is_none());
    assert!(init.posts().is_empty(), "nothing was POSTed");
    assert_eq!(world.secret_ids(), 0, "the SecretID issued for it was destroyed through its accessor");
    assert_eq!(running.metrics().deliveries(), 0);

    running.stop().await;
    init.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_pod_changed_after_the_view_loses_the_claim_then_gets_one_secret_id() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 7)).await;
    world.kube.create_pod(annotated("touched", APP, init.port()));
    let pods = BeforeClaim::new(&world, Interference::RelabelOnce);
    let controller = world.controller(world.config("ctl-a")).with_pod_api(pods);
    let running = controller.spawn(None);
    world.kube.set_init_running(NS, "touched", init.ip());

    // The claim on the stale view is refused and its SecretID destroyed; the
    // watch brings the changed pod, which is then served once.
    eventually("the delivery", || world.record("touched").is_some_and(|r| r.state == DeliveryState::Delivered)).await;
    assert_eq!(running.metrics().failures(Failure::PodChanged), 1);
    assert_eq!(init.posts().len(), 1, "exactly one POST");
    assert_eq!(world.secret_ids(), 1, "only the delivered SecretID is left");
    assert_eq!(running.metrics().deliveries(), 1);

    running.stop().await;
    init.shutdown().await;
    world.shutdown().await;
}
