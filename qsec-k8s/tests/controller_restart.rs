//! A restarted controller never delivers twice to the same run of
//! `qsec-init`; a restarted `qsec-init` (a new container) gets a new one.

mod controller_common;

use std::time::Duration;

use controller_common::*;
use qsec_k8s::controller::record::DeliveryState;

const NET: u8 = 12;

#[tokio::test]
async fn no_second_delivery_after_a_controller_restart() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 1)).await;
    world.kube.create_pod(annotated("web-0", APP, init.port()));
    let first = world.controller(world.config("ctl-a")).spawn(None);
    world.kube.set_init_running(NS, "web-0", init.ip());
    eventually("the delivery", || world.record("web-0").is_some_and(|r| r.state == DeliveryState::Delivered)).await;
    first.stop().await;

    // A stub that would accept again: only the record stands in the way.
    let again = StubInit::start(pod_ip(NET, 2)).await;
    world.kube.update_pod(NS, "web-0", |pod| {
        let annotations = pod.metadata.annotations.get_or_insert_with(Default::default);
        annotations.insert(qsec_k8s::annotations::INIT_PORT.into(), again.port().to_string());
        pod.status.as_mut().unwrap().pod_ip = Some(again.ip().to_string());
    });
    let second = world.controller(world.config("ctl-a")).spawn(None);
    eventually("the second controller's sync", || second.probes().views.synced()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(again.posts().is_empty(), "the same qsec-init run was served already");
    assert_eq!(second.metrics().deliveries(), 0);
    assert_eq!(world.secret_ids(), 1);

    // qsec-init restarted (new container): it needs, and gets, a new SecretID.
    world.kube.set_init_running(NS, "web-0", again.ip());
    eventually("the new run's delivery", || again.posts().len() == 1).await;
    assert_eq!(second.metrics().deliveries(), 1);

    second.stop().await;
    init.shutdown().await;
    again.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_claim_left_by_a_crash_is_not_delivered_again() {
    let world = World::start().await;
    let init = StubInit::start(pod_ip(NET, 3)).await;
    world.kube.create_pod(annotated("web-1", APP, init.port()));
    let pod = world.kube.set_init_running(NS, "web-1", init.ip()).unwrap();
    // A controller claimed this run, then died before or during its POST.
    let run = pod.status.unwrap().init_container_statuses.unwrap()[0].container_id.clone().unwrap();
    let claim =
        qsec_k8s::controller::record::DeliveryRecord::new(DeliveryState::Issued, "acc-crashed", "ctl-old", &run);
    world.kube.update_pod(NS, "web-1", |pod| {
        pod.metadata.annotations.get_or_insert_with(Default::default).insert(RECORD.into(), claim.to_json());
    });
    let running = world.controller(world.config("ctl-new")).spawn(None);
    eventually("sync", || running.probes().views.synced()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(init.posts().is_empty(), "an issued claim may have been delivered: never twice");
    assert_eq!(running.probes().views.pending(), 0);

    running.stop().await;
    init.shutdown().await;
    world.shutdown().await;
}
