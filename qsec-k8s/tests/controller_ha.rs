//! High availability: of two replicas on one Lease only the leader
//! delivers; the standby takes over when the leader stops; and even two
//! active controllers deliver exactly once per pod, thanks to the claim.

mod controller_common;

use std::time::{Duration, Instant};

use controller_common::*;
use qsec_k8s::controller::LeaseSettings;
use qsec_k8s::controller::record::DeliveryState;

const NET: u8 = 13;

fn lease() -> LeaseSettings {
    LeaseSettings { namespace: "qsec-system".into(), name: "qsec-controller".into(), duration: 3, grace: 1 }
}

#[tokio::test]
async fn one_leader_delivers_and_the_standby_takes_over() {
    let world = World::start().await;
    let a = world.controller(world.config("ctl-a")).spawn(Some(lease()));
    let b = world.controller(world.config("ctl-b")).spawn(Some(lease()));
    eventually("a leader", || a.is_leader() || b.is_leader()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(a.is_leader() != b.is_leader(), "exactly one leader");
    let (leader, standby) = if a.is_leader() { (a, b) } else { (b, a) };

    let mut inits = Vec::new();
    for n in 0..4u8 {
        let init = StubInit::start(pod_ip(NET, 10 + n)).await;
        world.kube.create_pod(annotated(&format!("web-{n}"), APP, init.port()));
        world.kube.set_init_running(NS, &format!("web-{n}"), init.ip());
        inits.push(init);
    }
    eventually("four deliveries", || inits.iter().all(|init| init.posts().len() == 1)).await;
    assert_eq!(leader.metrics().deliveries(), 4);
    assert_eq!(standby.metrics().deliveries(), 0, "the standby delivers nothing");

    // The leader stops (and releases the Lease): the standby takes over
    // within the lease duration and serves new pods, not old ones again.
    let stopped = Instant::now();
    leader.stop().await;
    eventually("the takeover", || standby.is_leader()).await;
    assert!(stopped.elapsed() < Duration::from_secs(lease().duration), "took {:?}", stopped.elapsed());
    let late = StubInit::start(pod_ip(NET, 20)).await;
    world.kube.create_pod(annotated("web-late", APP, late.port()));
    world.kube.set_init_running(NS, "web-late", late.ip());
    eventually("the late pod's delivery", || late.posts().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(inits.iter().all(|init| init.posts().len() == 1), "no pod served twice across the switch");
    assert_eq!(standby.metrics().deliveries(), 1);

    standby.stop().await;
    for init in inits {
        init.shutdown().await;
    }
    late.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_crashed_leader_is_replaced_once_its_lease_expires() {
    let world = World::start().await;
    let a = world.controller(world.config("ctl-a")).spawn(Some(lease()));
    eventually("a leads", || a.is_leader()).await;
    let b = world.controller(world.config("ctl-b")).spawn(Some(lease()));
    eventually("b synced", || b.probes().views.synced()).await;
    let init = StubInit::start(pod_ip(NET, 30)).await;
    world.kube.create_pod(annotated("before", APP, init.port()));
    world.kube.set_init_running(NS, "before", init.ip());
    eventually("a delivers", || init.posts().len() == 1).await;
    assert!(!b.is_leader());

    // a dies without releasing the Lease: b waits for it to expire.
    let crashed = Instant::now();
    a.abandon();
    eventually("b takes over", || b.is_leader()).await;
    let took = crashed.elapsed();
    assert!(took < Duration::from_secs(lease().duration + 2), "took {took:?}");
    let after = StubInit::start(pod_ip(NET, 31)).await;
    world.kube.create_pod(annotated("after", APP, after.port()));
    world.kube.set_init_running(NS, "after", after.ip());
    eventually("b delivers", || after.posts().len() == 1).await;
    assert_eq!(init.posts().len(), 1, "the pod a served is not served again");
    assert_eq!(world.record("before").unwrap().controller, "ctl-a");
    assert_eq!(world.record("after").unwrap().controller, "ctl-b");

    b.stop().await;
    init.shutdown().await;
    after.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn two_active_controllers_deliver_exactly_once_per_pod() {
    let world = World::start().await;
    let mut inits = Vec::new();
    for n in 0..12u8 {
        let init = StubInit::start(pod_ip(NET, 40 + n)).await;
        world.kube.create_pod(annotated(&format!("race-{n}"), APP, init.port()));
        inits.push(init);
    }
    // No Lease: both act, as two controllers would during a split brain.
    let a = world.controller(world.config("ctl-a")).spawn(None);
    let b = world.controller(world.config("ctl-b")).spawn(None);
    eventually("both synced", || a.probes().views.synced() && b.probes().views.synced()).await;
    for (n, init) in inits.iter().enumerate() {
        world.kube.set_init_running(NS, &format!("race-{n}"), init.ip());
    }
    eventually("every pod served", || {
        (0..12).all(|n| world.record(&format!("race-{n}")).is_some_and(|r| r.state == DeliveryState::Delivered))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(inits.iter().all(|init| init.posts().len() == 1), "one POST per pod");
    assert_eq!(a.metrics().deliveries() + b.metrics().deliveries(), 12);
    assert_eq!(world.secret_ids(), 12, "every losing SecretID was destroyed");

    a.stop().await;
    b.stop().await;
    for init in inits {
        init.shutdown().await;
    }
    world.shutdown().await;
}
