//! The webhook answering real AdmissionReview documents (tests/reviews/),
//! each against its golden answer, and through the HTTP router.

mod common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine as _;
use common::assert_golden;
use qsec_k8s::inject::{ConfigFrom, InjectSettings};
use qsec_k8s::webhook::{self, review};
use serde_json::{Value, json};
use tower::ServiceExt;

fn reviews() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reviews")
}

/// How the example webhook deployment is configured, images pinned.
fn settings() -> InjectSettings {
    InjectSettings {
        init_image: "ghcr.io/qsec/qsec-init:test".into(),
        refresh_image: "ghcr.io/qsec/qsec-refresh:test".into(),
        config_from: ConfigFrom::ConfigMap,
        ..InjectSettings::default()
    }
}

fn decoded_patch(answer: &Value) -> Option<json_patch::Patch> {
    let encoded = answer["response"]["patch"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).expect("the patch is base64");
    Some(serde_json::from_slice(&bytes).expect("the patch is a JSON Patch"))
}

#[test]
fn every_review_document_gets_its_golden_answer() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(reviews())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 17);
    for path in names {
        let body = std::fs::read(&path).unwrap();
        let answer = review(&body, &settings());
        let mut shown = answer.review.clone();
        if let Some(patch) = decoded_patch(&answer.review) {
            shown["response"]["patch"] = serde_json::to_value(&patch).unwrap();
        }
        let golden = json!({ "httpStatus": answer.http_status, "review": shown });
        let text = serde_json::to_string_pretty(&golden).unwrap() + "\n";
        assert_golden(&reviews().join("answers").join(path.file_name().unwrap()), &text);

        // Every answer, good or bad, is a well-formed AdmissionReview.
        let response = &answer.review["response"];
        assert_eq!(answer.review["kind"], "AdmissionReview");
        assert!(response["allowed"].is_boolean(), "{path:?}");
        assert!(response["uid"].is_string(), "{path:?}");
        if response["allowed"] == false {
            assert!(response["status"]["message"].as_str().unwrap().starts_with("qsec: "), "{path:?}");
        }
    }
}

#[test]
fn the_patch_applies_to_the_object_and_a_second_review_changes_nothing() {
    let body = std::fs::read(reviews().join("annotated.json")).unwrap();
    let request: Value = serde_json::from_slice(&body).unwrap();
    let answer = review(&body, &settings());
    assert_eq!(answer.review["response"]["uid"], request["request"]["uid"]);
    assert_eq!(answer.review["response"]["patchType"], "JSONPatch");
    let mut pod = request["request"]["object"].clone();
    json_patch::patch(&mut pod, &decoded_patch(&answer.review).unwrap()).unwrap();

    // Fields qsec's types do not model and everything it does not add stay.
    assert_eq!(pod["metadata"]["managedFields"], request["request"]["object"]["metadata"]["managedFields"]);
    assert_eq!(pod["spec"]["containers"][0]["terminationMessagePath"], "/dev/termination-log");
    let init: Vec<&str> =
        pod["spec"]["initContainers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(init, ["qsec-init", "qsec-refresh"]);
    let mounts = pod["spec"]["containers"][0]["volumeMounts"].as_array().unwrap();
    assert_eq!(mounts.len(), 3);
    assert_eq!(mounts[2], json!({"name": "qsec-config", "mountPath": "/qsec/config", "readOnly": true}));

    let mut again = request.clone();
    again["request"]["object"] = pod;
    let second = review(&serde_json::to_vec(&again).unwrap(), &settings());
    assert_eq!(second.review["response"], json!({"uid": request["request"]["uid"], "allowed": true}));
}

#[tokio::test]
async fn the_router_serves_reviews_and_health() {
    let router = webhook::router(settings()).unwrap();
    let body = std::fs::read(reviews().join("annotated.json")).unwrap();
    let response = router
        .clone()
        .oneshot(
            Request::post(webhook::MUTATE_PATH)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(answer["response"]["allowed"], true);

    let malformed =
        router.clone().oneshot(Request::post(webhook::MUTATE_PATH).body(Body::from("{")).unwrap()).await.unwrap();
    assert_eq!(malformed.status(), 400);
    let bytes = axum::body::to_bytes(malformed.into_body(), usize::MAX).await.unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(answer["response"]["allowed"], false);

    let health = router.oneshot(Request::get(webhook::HEALTH_PATH).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(health.status(), 200);
}

#[test]
fn invalid_settings_are_refused_up_front() {
    let settings = InjectSettings { refresh_port: 8099, ..settings() };
    let error = webhook::router(settings).unwrap_err().to_string();
    assert!(error.contains("cannot both use port 8099"), "{error}");
}
