//! One AdmissionReview (`admission.k8s.io/v1`) in, its answer out: the
//! JSON Patch of [`inject`](crate::inject::inject) for pods annotated
//! `qsec.io/inject: "true"`. Pure and total: any input gets an answer.

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use crate::annotations;
use crate::error::Error;
use crate::inject::{self, InjectSettings, Injection};
use crate::patch;

/// The answer to one review: the HTTP status and the AdmissionReview to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// 200 for every review that could be read (allowed or denied); 400
    /// when the body is not an AdmissionReview at all.
    pub http_status: u16,
    /// The AdmissionReview carrying the `response`.
    pub review: Value,
}

impl Answer {
    /// The review as the bytes of the HTTP body.
    pub fn body(&self) -> Vec<u8> {
        // Serializing a `Value` cannot fail.
        serde_json::to_vec(&self.review).unwrap_or_default()
    }
}

/// Answers an AdmissionReview given as its raw JSON body.
///
/// - not JSON, not an AdmissionReview, no `request.uid`: HTTP 400 with a
///   review whose response denies (`allowed: false`) and says why;
/// - anything but the creation of a Pod, or a pod not asking for injection:
///   allowed, unchanged;
/// - a pod asking for injection: allowed with a JSON Patch, or unchanged if
///   it already has qsec, or denied with the reason when its annotations are
///   invalid or it conflicts with what qsec adds.
///
/// ```
/// use qsec_k8s::inject::InjectSettings;
/// use qsec_k8s::webhook::review;
///
/// let body = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
///     "uid": "42", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
///     "object": {"metadata": {"annotations": {"qsec.io/inject": "true", "qsec.io/approle": "aws.stg.myapp"}},
///                "spec": {"containers": [{"name": "app", "image": "app:1"}]}}}}"#;
/// let answer = review(body, &InjectSettings::default());
/// assert_eq!(answer.http_status, 200);
/// assert_eq!(answer.review["response"]["uid"], "42");
/// assert_eq!(answer.review["response"]["allowed"], true);
/// assert_eq!(answer.review["response"]["patchType"], "JSONPatch");
/// ```
pub fn review(body: &[u8], settings: &InjectSettings) -> Answer {
    let document: Value = match serde_json::from_slice(body) {
        Ok(document) => document,
        Err(error) => return malformed(None, "", format!("the body is not JSON: {error}")),
    };
    let api_version = match document.get("apiVersion").and_then(Value::as_str) {
        Some(version @ ("admission.k8s.io/v1" | "admission.k8s.io/v1beta1")) => Some(version),
        _ => None,
    };
    if document.get("kind").and_then(Value::as_str).is_some_and(|kind| kind != "AdmissionReview") {
        return malformed(api_version, "", "the body is not an AdmissionReview".into());
    }
    let Some(request) = document.get("request").filter(|request| request.is_object()) else {
        return malformed(api_version, "", "the AdmissionReview has no request".into());
    };
    let uid = match request.get("uid").and_then(Value::as_str) {
        Some(uid) if !uid.is_empty() => uid,
        _ => return malformed(api_version, "", "the request has no uid".into()),
    };
    let respond = |response: Value| {
        let mut response = response;
        response["uid"] = json!(uid);
        Answer { http_status: 200, review: review_of(api_version, response) }
    };
    if !is_pod_creation(request) {
        return respond(json!({ "allowed": true }));
    }
    let Some(object) = request.get("object").filter(|object| object.is_object()) else {
        return malformed(api_version, uid, "the request creates a Pod but has no object".into());
    };
    match mutate(object, settings) {
        Ok(None) => respond(json!({ "allowed": true })),
        Ok(Some(patch)) => {
            let patch =
                base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&patch).unwrap_or_default());
            respond(json!({ "allowed": true, "patchType": "JSONPatch", "patch": patch }))
        }
        Err(error) => {
            let code = if matches!(error, Error::Conflict { .. }) { 409 } else { 400 };
            respond(json!({ "allowed": false, "status": status(code, &format!("qsec: {error}")) }))
        }
    }
}

/// The patch for one pod object, `None` when it is to be left alone.
fn mutate(object: &Value, settings: &InjectSettings) -> Result<Option<json_patch::Patch>, Error> {
    // Read the annotations before parsing the pod: a pod that does not ask
    // for qsec is never refused, however unusual its spec.
    let pod_annotations: BTreeMap<String, String> = object
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|map| map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    if !annotations::inject_requested(&pod_annotations)? {
        return Ok(None);
    }
    let app = annotations::app_of(&pod_annotations)?.ok_or_else(|| Error::InvalidAnnotation {
        name: annotations::APPROLE,
        value: String::new(),
        reason: format!("{} asks for injection, so the pod must name its app, e.g. aws.stg.myapp", annotations::INJECT),
    })?;
    let settings = settings.for_pod(&pod_annotations)?;
    // Deserialized from the borrowed value: no copy of the object.
    let mut pod = <Pod as serde::Deserialize>::deserialize(object)
        .map_err(|error| Error::InvalidPod { reason: format!("the object is not a valid Pod: {error}") })?;
    let before = serde_json::to_value(&pod).map_err(|error| Error::InvalidPod { reason: error.to_string() })?;
    let spec = pod.spec.as_mut().ok_or_else(|| Error::InvalidPod { reason: "it has no spec".into() })?;
    match inject::inject(&mut pod.metadata, spec, &app, &settings)? {
        Injection::AlreadyInjected => Ok(None),
        Injection::Injected => {
            let after = serde_json::to_value(&pod).map_err(|error| Error::InvalidPod { reason: error.to_string() })?;
            Ok(Some(patch::diff(&before, &after)))
        }
    }
}

/// Pods being created, the one thing the webhook changes: other kinds,
/// other operations and subresources (e.g. `pods/ephemeralcontainers`) pass.
fn is_pod_creation(request: &Value) -> bool {
    let text = |pointer: &str| request.pointer(pointer).and_then(Value::as_str);
    let operation = text("/operation").unwrap_or("CREATE");
    let kind = text("/kind/kind").or_else(|| text("/object/kind"));
    let group = text("/kind/group").unwrap_or("");
    let sub_resource = text("/subResource").unwrap_or("");
    operation == "CREATE" && kind == Some("Pod") && group.is_empty() && sub_resource.is_empty()
}

fn malformed(api_version: Option<&str>, uid: &str, reason: String) -> Answer {
    let response = json!({ "uid": uid, "allowed": false, "status": status(400, &format!("qsec: {reason}")) });
    Answer { http_status: 400, review: review_of(api_version, response) }
}

fn status(code: u16, message: &str) -> Value {
    let reason = if code == 409 { "Conflict" } else { "BadRequest" };
    json!({ "status": "Failure", "code": code, "reason": reason, "message": message })
}

fn review_of(api_version: Option<&str>, response: Value) -> Value {
    json!({
        "apiVersion": api_version.unwrap_or("admission.k8s.io/v1"),
        "kind": "AdmissionReview",
        "response": response,
    })
}
