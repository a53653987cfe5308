//! The pod watch outlives its resourceVersion: when the API server has
//! compacted past it (410 Gone), the controller lists again and misses
//! nothing that changed in between — new pods are served, deleted pods
//! forgotten, served pods not served twice.

mod controller_common;

use controller_common::*;
use qsec_k8s::controller::record::DeliveryState;

const NET: u8 = 14;

#[tokio::test]
async fn an_expired_watch_lists_again_and_misses_nothing() {
    let world = World::start().await;
    let served = StubInit::start(pod_ip(NET, 1)).await;
    let newcomer = StubInit::start(pod_ip(NET, 2)).await;
    world.kube.create_pod(annotated("served", APP, served.port()));
    world.kube.create_pod(annotated("doomed", APP, 8099));
    let running = world.controller(world.config("ctl-a")).spawn(None);
    world.kube.set_init_running(NS, "served", served.ip());
    eventually("the first delivery", || world.record("served").is_some_and(|r| r.state == DeliveryState::Delivered))
        .await;
    assert_eq!(running.probes().views.len(), 2);

    // The watch ends and its version is compacted away; what happens next
    // reaches the controller only through the list it has to make again.
    world.kube.expire_watches();
    world.kube.delete_pod(NS, "doomed");
    world.kube.create_pod(annotated("newcomer", APP, newcomer.port()));
    world.kube.set_init_running(NS, "newcomer", newcomer.ip());

    eventually("the 410 Gone answer", || world.kube.expired_watch_answers() >= 1).await;
    eventually("the newcomer's delivery", || newcomer.posts().len() == 1).await;
    eventually("the deleted pod forgotten", || running.probes().views.len() == 2).await;
    assert_eq!(served.posts().len(), 1, "the relist does not serve a served run again");
    assert_eq!(running.metrics().deliveries(), 2);
    assert_eq!(world.secret_ids(), 2);

    running.stop().await;
    served.shutdown().await;
    newcomer.shutdown().await;
    world.shutdown().await;
}
