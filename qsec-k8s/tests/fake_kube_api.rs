//! FakeKubeApi on its own, through kube::Client and raw HTTP: the API
//! semantics the controller and kube-runtime rely on.

use std::time::Duration;

use futures_util::StreamExt as _;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, Preconditions, WatchEvent, WatchParams};
use qsec_k8s::testkit::{FakeKubeApi, pod};
use serde_json::{Value, json};

fn status_code(error: kube::Error) -> u16 {
    match error {
        kube::Error::Api(status) => status.code,
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test]
async fn crud_with_preconditions_and_status_bodies() {
    let fake = FakeKubeApi::start().await.unwrap();
    let pods: Api<Pod> = Api::namespaced(fake.client(), "team");
    let created = pods.create(&PostParams::default(), &pod("team", "a", &[("k", "v")])).await.unwrap();
    let uid = created.metadata.uid.clone().unwrap();
    assert_eq!(status_code(pods.create(&PostParams::default(), &pod("team", "a", &[])).await.unwrap_err()), 409);
    assert_eq!(status_code(pods.get("missing").await.unwrap_err()), 404);

    // A merge patch carrying a stale resourceVersion is refused with 409.
    let stale = created.metadata.resource_version.clone().unwrap();
    let patched = pods
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"resourceVersion": stale, "annotations": {"x": "1"}}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.metadata.annotations.unwrap()["x"], "1");
    let again = Patch::Merge(json!({"metadata": {"resourceVersion": stale, "annotations": {"x": "2"}}}));
    assert_eq!(status_code(pods.patch("a", &PatchParams::default(), &again).await.unwrap_err()), 409);
    let json_patch: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/metadata/labels", "value": {"l": "1"}}])).unwrap();
    let labelled = pods.patch("a", &PatchParams::default(), &Patch::<()>::Json(json_patch)).await.unwrap();
    assert_eq!(labelled.metadata.labels.unwrap()["l"], "1");
    assert_eq!(labelled.metadata.uid.as_deref(), Some(uid.as_str()), "identity is kept");

    // Delete honours a uid precondition.
    let wrong = DeleteParams {
        preconditions: Some(Preconditions { uid: Some("other".into()), resource_version: None }),
        ..Default::default()
    };
    assert_eq!(status_code(pods.delete("a", &wrong).await.unwrap_err()), 409);
    let right = DeleteParams {
        preconditions: Some(Preconditions { uid: Some(uid), resource_version: None }),
        ..Default::default()
    };
    pods.delete("a", &right).await.unwrap();
    assert!(fake.pod("team", "a").is_none());

    // Unknown patch types and garbage bodies get Status answers, not crashes.
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/namespaces/team/pods", fake.url());
    let garbage = http.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(garbage.status(), 400);
    let body: Value = garbage.json().await.unwrap();
    assert_eq!((body["kind"].as_str(), body["code"].as_u64()), (Some("Status"), Some(400)));
    fake.create_pod(pod("team", "b", &[]));
    let odd = http.patch(format!("{url}/b")).header("content-type", "text/plain").body("x").send().await.unwrap();
    assert_eq!(odd.status(), 415);
    for (method, path, content_type, body) in [
        ("POST", url.clone(), "application/json", r#"{"metadata": 5}"#),
        ("PUT", format!("{url}/b"), "application/json", r#"{"metadata": "x"}"#),
        ("PATCH", format!("{url}/b"), "application/merge-patch+json", r#"{"metadata": [1]}"#),
        (
            "PATCH",
            format!("{url}/b"),
            "application/json-patch+json",
            r#"[{"op": "replace", "path": "/metadata", "value": 1}]"#,
        ),
        ("PATCH", format!("{url}/b"), "application/merge-patch+json", "[]"),
        ("DELETE", format!("{url}/b"), "application/json", "{bad"),
    ] {
        let answer = http
            .request(method.parse().unwrap(), &path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error(), "{method} {body}: {}", answer.status());
    }
    assert!(fake.pod("team", "b").is_some(), "still served after bad input");
    fake.shutdown().await;
}

#[tokio::test]
async fn lists_filter_and_watches_resume() {
    let fake = FakeKubeApi::start().await.unwrap();
    let mut labelled = pod("team", "l1", &[]);
    labelled.metadata.labels = Some([("app".to_owned(), "web".to_owned())].into());
    fake.create_pod(labelled);
    fake.create_pod(pod("team", "plain", &[]));
    fake.create_pod(pod("other", "elsewhere", &[]));
    let all: Api<Pod> = Api::all(fake.client());
    assert_eq!(all.list(&ListParams::default()).await.unwrap().items.len(), 3);
    let web = all.list(&ListParams::default().labels("app=web")).await.unwrap();
    assert_eq!(web.items.len(), 1);
    let by_name = all.list(&ListParams::default().fields("metadata.name=plain")).await.unwrap();
    assert_eq!(by_name.items.len(), 1);
    let team: Api<Pod> = Api::namespaced(fake.client(), "team");
    let listed = team.list(&ListParams::default().limit(1)).await.unwrap();
    assert_eq!(listed.items.len(), 2, "limit is ignored, never breaks");
    let version = listed.metadata.resource_version.unwrap();

    // A watch from the list's version sees later changes only, in order.
    let stream = team.watch(&WatchParams::default().timeout(10), &version).await.unwrap();
    futures_util::pin_mut!(stream);
    fake.set_init_running("team", "plain", "127.0.0.9".parse().unwrap());
    fake.delete_pod("team", "l1");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap() {
            WatchEvent::Modified(pod) => seen.push(format!("MODIFIED {}", pod.metadata.name.unwrap())),
            WatchEvent::Deleted(pod) => seen.push(format!("DELETED {}", pod.metadata.name.unwrap())),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["MODIFIED plain", "DELETED l1"]);
    fake.shutdown().await;
}

#[tokio::test]
async fn expired_watches_end_and_old_versions_get_410_gone() {
    let fake = FakeKubeApi::start().await.unwrap();
    fake.create_pod(pod("team", "a", &[]));
    let team: Api<Pod> = Api::namespaced(fake.client(), "team");
    let version = team.list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let stream = team.watch(&WatchParams::default().timeout(30), &version).await.unwrap();
    futures_util::pin_mut!(stream);

    fake.expire_watches();
    // The open watch ends (bookmarks aside) instead of running to its timeout.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("the watch ends") {
            None => break,
            Some(Ok(WatchEvent::Bookmark(_))) => {}
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
    // Resuming from before the compaction: 410 Gone, as an ERROR event.
    let stale = team.watch(&WatchParams::default().timeout(5), &version).await.unwrap();
    futures_util::pin_mut!(stale);
    match tokio::time::timeout(Duration::from_secs(5), stale.next()).await.unwrap().unwrap().unwrap() {
        WatchEvent::Error(status) => assert_eq!((status.code, status.reason.as_str()), (410, "Expired")),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    assert_eq!(fake.expired_watch_answers(), 1);
    // A fresh list's version is resumable again and sees later changes.
    let relisted = team.list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let fresh = team.watch(&WatchParams::default().timeout(10), &relisted).await.unwrap();
    futures_util::pin_mut!(fresh);
    fake.delete_pod("team", "a");
    loop {
        match tokio::time::timeout(Duration::from_secs(5), fresh.next()).await.unwrap().unwrap().unwrap() {
            WatchEvent::Deleted(pod) => break assert_eq!(pod.metadata.name.as_deref(), Some("a")),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fake.expired_watch_answers(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn leases_conflict_under_server_side_apply() {
    let fake = FakeKubeApi::start().await.unwrap();
    let leases: Api<Lease> = Api::namespaced(fake.client(), "qsec-system");
    let lease: Lease = serde_json::from_value(json!({"metadata": {"name": "l"}, "spec": {}})).unwrap();
    leases.create(&PostParams::default(), &lease).await.unwrap();
    let take = |who: &str| {
        Patch::Apply(json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {"holderIdentity": who}}))
    };
    leases.patch("l", &PatchParams::apply("m-a"), &take("a")).await.unwrap();
    let refused = leases.patch("l", &PatchParams::apply("m-b"), &take("b")).await.unwrap_err();
    assert_eq!(status_code(refused), 409, "another manager's holder is not taken over");
    let release = Patch::Strategic(json!({"spec": {"holderIdentity": null}}));
    leases.patch("l", &PatchParams::default(), &release).await.unwrap();
    leases.patch("l", &PatchParams::apply("m-b"), &take("b")).await.unwrap();
    assert_eq!(fake.lease("qsec-system", "l").unwrap().spec.unwrap().holder_identity.as_deref(), Some("b"));
    fake.shutdown().await;
}

async fn client_from_kubeconfig(fake: &FakeKubeApi) -> kube::Client {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    fake.write_kubeconfig(&path).unwrap();
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.unwrap();
    kube::Client::try_from(config).unwrap()
}

#[tokio::test]
async fn the_kubeconfig_works_for_a_standard_client() {
    let fake = FakeKubeApi::start().await.unwrap();
    fake.create_pod(pod("default", "p", &[]));
    let pods: Api<Pod> = Api::default_namespaced(client_from_kubeconfig(&fake).await);
    assert_eq!(pods.get("p").await.unwrap().metadata.name.as_deref(), Some("p"));
    fake.shutdown().await;
}

#[tokio::test]
async fn over_tls_it_is_reached_like_a_real_api_server() {
    let fake = FakeKubeApi::start_tls().await.unwrap();
    assert!(fake.url().starts_with("https://127.0.0.1:"), "{}", fake.url());
    fake.create_pod(pod("default", "p", &[]));
    // The kubeconfig carries the CA and the token; so does client().
    let pods: Api<Pod> = Api::default_namespaced(client_from_kubeconfig(&fake).await);
    assert_eq!(pods.get("p").await.unwrap().metadata.name.as_deref(), Some("p"));
    let pods: Api<Pod> = Api::default_namespaced(fake.client());
    let stream = pods.watch(&WatchParams::default().timeout(5), "0").await.unwrap();
    futures_util::pin_mut!(stream);
    fake.delete_pod("default", "p");
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap() {
            WatchEvent::Deleted(pod) => break assert_eq!(pod.metadata.name.as_deref(), Some("p")),
            WatchEvent::Added(_) | WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // Without the token: 401, as a Status.
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(&fake)).unwrap()])
        .build()
        .unwrap();
    let anonymous = http.get(format!("{}/api/v1/namespaces/default/pods", fake.url())).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!((body["kind"].as_str(), body["reason"].as_str()), (Some("Status"), Some("Unauthorized")));
    fake.shutdown().await;
}

/// The CA certificate, from the kubeconfig as any client would take it.
fn ca_pem(fake: &FakeKubeApi) -> Vec<u8> {
    use base64::Engine as _;
    let kubeconfig = fake.kubeconfig();
    let data = kubeconfig
        .lines()
        .find_map(|line| line.trim().strip_prefix("certificate-authority-data: "))
        .expect("a TLS kubeconfig has the CA");
    base64::engine::general_purpose::STANDARD.decode(data).unwrap()
}
