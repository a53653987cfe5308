//! Road 1: the deployer asking the Secret API for the RoleID.

use qsec_core::{AppRef, Jwt};
use qsec_k8s::deployer::fetch_role_id;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn app() -> AppRef {
    "aws.stg.myapp".parse().unwrap()
}

#[tokio::test]
async fn posts_with_the_token_and_reads_the_role_id() {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/apps/aws/stg/myapp/role-id"))
        .and(header("authorization", "Bearer jwt-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "role_id": "4f6b1e2a-9c3d-4a7e-8b1f-2d5c6e7f8a90",
            "role_name": "aws.stg.myapp",
        })))
        .expect(1)
        .mount(&api)
        .await;
    let answer = fetch_role_id(&format!("{}/", api.uri()), &Jwt::new("jwt-1"), &app()).await.unwrap();
    assert_eq!(answer.role_id.expose_secret(), "4f6b1e2a-9c3d-4a7e-8b1f-2d5c6e7f8a90");
    assert_eq!(answer.role_name, "aws.stg.myapp");
    assert_eq!(format!("{answer:?}").matches("4f6b1e2a").count(), 0, "the RoleID is redacted");
}

#[tokio::test]
async fn refusals_say_what_to_check() {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_string("caller not in group deployers-myapp"))
        .mount(&api)
        .await;
    let error = fetch_role_id(&api.uri(), &Jwt::new("jwt-1"), &app()).await.unwrap_err().to_string();
    assert!(error.contains("403 Forbidden (is the caller in a group allowed to deploy this app?)"), "{error}");
    assert!(error.ends_with("caller not in group deployers-myapp"), "{error}");
}
