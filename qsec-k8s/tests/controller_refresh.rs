//! The seed's open problem: a pod whose refresh sidecar failed is deleted
//! (or, if so configured, only reported) so Kubernetes replaces it.

mod controller_common;

use controller_common::*;
use qsec_k8s::controller::{Failure, RefreshAction};

#[tokio::test]
async fn a_failed_refresh_sidecar_gets_its_pod_deleted() {
    let world = World::start().await;
    world.kube.create_pod(annotated("sick", APP, 8099));
    world.kube.create_pod(annotated("healthy", APP, 8099));
    let running = world.controller(world.config("ctl-a")).spawn(None);
    eventually("sync", || running.probes().views.synced()).await;

    world.kube.set_refresh_terminated(NS, "sick", 3);
    eventually("the deletion", || world.kube.pod(NS, "sick").is_none()).await;
    assert!(world.kube.pod(NS, "healthy").is_some());
    assert!(world.event_reasons("sick").contains(&"RefreshSidecarFailed".to_owned()));
    assert_eq!(running.metrics().failures(Failure::RefreshFailed), 1);

    running.stop().await;
    world.shutdown().await;
}

#[tokio::test]
async fn an_unready_refresh_sidecar_counts_after_the_grace_period_and_event_mode_keeps_the_pod() {
    let world = World::start().await;
    world.kube.create_pod(annotated("expiring", APP, 8099));
    let mut config = world.config("ctl-a");
    config.refresh_action = RefreshAction::Event;
    let running = world.controller(config).spawn(None);
    eventually("sync", || running.probes().views.synced()).await;

    // Running, started, not ready: its /healthz says the token will expire.
    world.kube.set_refresh_terminated(NS, "expiring", 0);
    world.kube.update_pod(NS, "expiring", |pod| {
        let statuses = pod.status.as_mut().unwrap().init_container_statuses.as_mut().unwrap();
        statuses.iter_mut().for_each(|s| s.last_state = None);
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(world.event_reasons("expiring").is_empty(), "within the grace period");
    eventually("the event", || world.event_reasons("expiring") == ["RefreshSidecarFailed"]).await;
    assert!(world.kube.pod(NS, "expiring").is_some(), "event mode never deletes");

    running.stop().await;
    world.shutdown().await;
}
