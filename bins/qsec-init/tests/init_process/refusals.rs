//! Bad deliveries are refused with the documented status, the server keeps
//! waiting, and a good SecretID afterwards still works.

use qsec_core::delivery::MAX_DELIVERY_BYTES;
use qsec_core::{RoleId, SecretId, VaultBackend};
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::json;

use crate::support::{self, Harness, Init};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_deliveries_get_their_status_and_the_wait_goes_on() {
    let h = Harness::start().await;
    let mut init = Init::spawn(h.command(&h.server.url()));
    let addr = init.listening().await;
    let client = support::http();
    let json = "application/json";

    // A SecretID already used for a login.
    let (_, used) = h.secret_id(false).await;
    let role_id = RoleId::new(h.role_id.expose_secret());
    h.vault.backend().login_approle("approle", &role_id, &SecretId::new(used.as_str())).await.unwrap();
    // A token wrapped by another path: wrapped for something else entirely.
    let foreign = h.vault.handle(
        VaultRequest::post("sys/wrapping/wrap", json!({ "secret_id": "not-for-this-pod" }))
            .with_token("root")
            .with_wrap_ttl("120s"),
    );
    let foreign = foreign.body.unwrap()["wrap_info"]["token"].as_str().unwrap().to_owned();

    let cases = [
        ("malformed JSON", json, format!(r#"{{"secret_id": "{used}""#), 400),
        ("missing field", json, "{}".to_owned(), 400),
        ("unknown field", json, json!({ "secret_id": used, "pod": "x" }).to_string(), 400),
        ("wrong content type", "text/plain", json!({ "secret_id": used }).to_string(), 400),
        ("oversized", json, json!({ "secret_id": "x".repeat(MAX_DELIVERY_BYTES) }).to_string(), 413),
        ("used SecretID", json, json!({ "secret_id": used }).to_string(), 403),
        ("foreign wrapping token", json, json!({ "wrapped_secret_id": foreign }).to_string(), 403),
        ("unknown wrapping token", json, json!({ "wrapped_secret_id": "hvs.not-a-token" }).to_string(), 403),
    ];
    for (case, content_type, body, expected) in cases {
        let (status, answer) = support::post(&client, addr, content_type, body).await;
        assert_eq!(status, expected, "{case}: {answer}");
        let message = answer["error"].as_str().unwrap_or_else(|| panic!("{case}: no error message in {answer}"));
        assert!(!message.contains(&used) && !message.contains(&foreign), "{case} echoed a secret: {message}");
        assert_eq!(support::health(&client, addr).await.0, 200, "still waiting after the {case}");
    }
    // The foreign token was looked at, never used: its owner can still unwrap it.
    let unwrapped = h.vault.handle(VaultRequest::post("sys/wrapping/unwrap", json!({})).with_token(foreign.as_str()));
    assert_eq!(unwrapped.data().unwrap()["secret_id"], "not-for-this-pod");

    let (body, fresh) = h.secret_id(true).await;
    let (status, answer) = support::post(&client, addr, json, body).await;
    assert_eq!(status, 200, "{answer}");
    let (status, stderr) = init.finish().await;
    assert!(status.success(), "{status}; stderr:\n{stderr}");
    assert_eq!(h.published(), ["app.yml", "local.yml"]);
    for secret in [&used, &foreign, &fresh] {
        assert!(!stderr.contains(secret.as_str()), "a SecretID reached the logs:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_paths_and_methods_get_json_errors() {
    let h = Harness::start().await;
    let mut init = Init::spawn(h.command(&h.server.url()));
    let addr = init.listening().await;
    let client = support::http();
    let missing = client.get(format!("http://{addr}/v1/other")).send().await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    assert!(missing.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    let wrong_method = client.get(format!("http://{addr}/v1/secret-id")).send().await.unwrap();
    assert_eq!(wrong_method.status().as_u16(), 405);
    assert!(wrong_method.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    let (body, _) = h.secret_id(false).await;
    assert_eq!(support::post(&client, addr, "application/json", body).await.0, 200);
    assert!(init.finish().await.0.success());
}
