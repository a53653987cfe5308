//! The two front ends agree: the webhook's patch applied to the example
//! app's pod gives the pod `qsec deploy render` writes.

mod common;

use base64::Engine as _;
use common::{example, example_request};
use qsec_k8s::deployer;
use qsec_k8s::inject::{ConfigFrom, InjectSettings};
use qsec_k8s::webhook::review;
use serde_json::{Value, json};

/// The example Deployment's pod template, from a manifest stream, as JSON.
fn template(manifests: &str) -> Value {
    let documents = qsec_k8s::workloads::parse_documents(manifests).unwrap();
    let deployment: Value = serde_json::to_value(&documents[0]).unwrap();
    deployment["spec"]["template"].clone()
}

/// A review of the pod the example Deployment's ReplicaSet would create.
fn review_of(template: &Value) -> Vec<u8> {
    let mut pod =
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": template["metadata"], "spec": template["spec"] });
    pod["metadata"]["namespace"] = json!("myapp");
    pod["metadata"]["generateName"] = json!("myapp-5f7c9d8b6-");
    let annotations = pod["metadata"]["annotations"].as_object().cloned().unwrap_or_default();
    let mut annotations = serde_json::Map::from_iter(annotations);
    annotations.insert("qsec.io/inject".into(), json!("true"));
    annotations.insert("qsec.io/approle".into(), json!("aws.stg.myapp"));
    pod["metadata"]["annotations"] = Value::Object(annotations);
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "7c1d4e6f-2a3b-4c5d-8e9f-0a1b2c3d4e5f",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "myapp",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod,
            "oldObject": null,
            "dryRun": false,
        },
    }))
    .unwrap()
}

fn patched(body: &[u8], settings: &InjectSettings) -> Value {
    let answer = review(body, settings);
    let request: Value = serde_json::from_slice(body).unwrap();
    let mut pod = request["request"]["object"].clone();
    if let Some(encoded) = answer.review["response"]["patch"].as_str() {
        let patch = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
        json_patch::patch(&mut pod, &serde_json::from_slice::<json_patch::Patch>(&patch).unwrap()).unwrap();
    }
    pod
}

#[test]
fn webhook_and_deployer_give_the_same_pod() {
    let request = example_request(ConfigFrom::ConfigMap);
    let rendered = deployer::render(&request).unwrap();
    let golden = std::fs::read_to_string(example().join("golden/configmap/manifests.yaml")).unwrap();
    assert_eq!(rendered.manifests, golden, "the deployer's golden file is current");

    let original = template(&request.manifests);
    let pod = patched(&review_of(&original), &request.settings);
    let mut annotations = pod["metadata"]["annotations"].clone();
    annotations.as_object_mut().unwrap().remove("qsec.io/inject");
    let expected = template(&golden);
    assert_eq!(annotations, expected["metadata"]["annotations"]);
    assert_eq!(pod["spec"], expected["spec"]);
}

#[test]
fn the_webhook_leaves_deployer_rendered_pods_alone() {
    let rendered = deployer::render(&example_request(ConfigFrom::Image)).unwrap();
    let body = review_of(&template(&rendered.manifests));
    let answer = review(&body, &InjectSettings { config_from: ConfigFrom::ConfigMap, ..InjectSettings::default() });
    assert_eq!(answer.review["response"]["allowed"], true);
    assert!(answer.review["response"].get("patch").is_none(), "{}", answer.review);
}
