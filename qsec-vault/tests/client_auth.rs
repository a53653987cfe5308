//! `VaultClient` logins and the current token's lifecycle, against wiremock,
//! checked against the documented requests and sample responses
//! (api_auth_approle.mdx, api_auth_kubernetes.mdx, api_auth_token.mdx).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qsec_core::{Jwt, RoleId, SecretId, VaultBackend, WrappingToken};
use qsec_vault::client::requests::TokenCreateRequest;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

mod common;

use common::{NoBody, NoToken, mock_vault, ok};

const TOKEN: &str = "s.caller-token";

fn approle_login_sample() -> Value {
    json!({
      "auth": {
        "renewable": true,
        "lease_duration": 1200,
        "metadata": null,
        "token_policies": ["default"],
        "accessor": "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374",
        "client_token": "5b1a0318-679c-9c45-e5c6-d1b9a9035d49"
      },
      "warnings": null, "wrap_info": null, "data": null, "lease_duration": 0, "renewable": false, "lease_id": ""
    })
}

fn token_lookup_sample(id: &str) -> Value {
    json!({ "data": {
        "accessor": "8609694a-cdbc-db9b-d345-e782dbb562ed", "creation_time": 1523979354, "creation_ttl": 2764800,
        "display_name": "ldap2-tesla", "entity_id": "7d2e3179-f69b-450c-7179-ac8ee8bd8ca9",
        "expire_time": "2018-05-19T11:35:54.466476215-04:00", "explicit_max_ttl": 0, "id": id,
        "identity_policies": ["dev-group-policy"], "issue_time": "2018-04-17T11:35:54.466476078-04:00",
        "meta": { "username": "tesla" }, "num_uses": 0, "orphan": true, "path": "auth/ldap2/login/tesla",
        "policies": ["default", "testgroup2-policy"], "renewable": true, "ttl": 2764790
    } })
}

fn renew_sample() -> Value {
    json!({ "auth": {
        "client_token": "ABCD", "policies": ["web", "stage"], "metadata": { "user": "armon" },
        "lease_duration": 3600, "renewable": true
    } })
}

#[tokio::test]
async fn approle_login_posts_both_halves_without_a_token_and_makes_the_new_token_current() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle/login"))
        .and(NoToken)
        .and(body_json(json!({ "role_id": "59d6d1ca-47bb-4e7e-a40b-8be3bc5a0ba8", "secret_id": "84896a0c-1347-aa90-a4f6-aca8b7558780" })))
        .respond_with(ok(approle_login_sample()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("x-vault-token", "5b1a0318-679c-9c45-e5c6-d1b9a9035d49"))
        .respond_with(ok(token_lookup_sample("5b1a0318-679c-9c45-e5c6-d1b9a9035d49")))
        .expect(1)
        .mount(&server)
        .await;

    let role_id = RoleId::new("59d6d1ca-47bb-4e7e-a40b-8be3bc5a0ba8");
    let secret_id = SecretId::new("84896a0c-1347-aa90-a4f6-aca8b7558780");
    let auth = client.login_approle("approle", &role_id, &secret_id).await.unwrap();
    assert_eq!(auth.accessor, "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374");
    assert_eq!(auth.lease_duration, 1200);
    assert!(auth.renewable);
    assert_eq!(client.token().unwrap().expose_secret(), "5b1a0318-679c-9c45-e5c6-d1b9a9035d49");
    // The next call carries the new token.
    let info = client.lookup_self().await.unwrap();
    assert_eq!(info.policies, ["default", "testgroup2-policy"]);
    assert_eq!(info.ttl, 2764790);
}

fn kubernetes_login_sample() -> Value {
    json!({ "auth": {
        "client_token": "62b858f9-529c-6b26-e0b8-0457b6aacdb4",
        "accessor": "afa306d0-be3d-c8d2-b0d7-2676e1c0d9b4",
        "policies": ["default"],
        "metadata": {
          "role": "test", "service_account_name": "openbao-auth", "service_account_namespace": "default",
          "service_account_secret_name": "openbao-auth-token-pd21c",
          "service_account_uid": "aa9aa8ff-98d0-11e7-9bb7-0800276d99bf"
        },
        "lease_duration": 2764800,
        "renewable": true
    } })
}

#[tokio::test]
async fn kubernetes_login_posts_role_and_jwt_to_the_given_mount() {
    let (server, client) = mock_vault(None).await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/k8s-prod/login"))
        .and(NoToken)
        .and(body_json(json!({ "role": "dev-role", "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..." })))
        .respond_with(ok(kubernetes_login_sample()))
        .expect(1)
        .mount(&server)
        .await;

    let jwt = Jwt::new("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...");
    let auth = client.login_kubernetes("/k8s-prod/", "dev-role", &jwt).await.unwrap();
    assert_eq!(auth.metadata.unwrap()["service_account_name"], "openbao-auth");
    assert_eq!(client.token().unwrap().expose_secret(), "62b858f9-529c-6b26-e0b8-0457b6aacdb4");
}

#[tokio::test]
async fn kubernetes_login_reads_the_service_account_token_file() {
    let (server, client) = mock_vault(None).await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/kubernetes/login"))
        .and(body_json(json!({ "role": "dev-role", "jwt": "eyJ.file.token" })))
        .respond_with(ok(kubernetes_login_sample()))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "eyJ.file.token\n").unwrap();

    client.login_kubernetes_from_file("kubernetes", "dev-role", &file).await.unwrap();
    assert_eq!(client.token().unwrap().expose_secret(), "62b858f9-529c-6b26-e0b8-0457b6aacdb4");

    let missing = client.login_kubernetes_from_file("kubernetes", "dev-role", dir.path().join("nope")).await;
    let message = missing.unwrap_err().to_string();
    assert!(message.contains("service account token") && message.contains("nope"), "{message}");
    assert_eq!(
        qsec_vault::client::DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH,
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    );
}

#[tokio::test]
async fn login_token_checks_the_token_before_making_it_current() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("x-vault-token", "s.good"))
        .respond_with(ok(token_lookup_sample("s.good")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/token/lookup-self"))
        .and(header("x-vault-token", "s.bad"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "errors": ["permission denied"] })))
        .expect(1)
        .mount(&server)
        .await;

    let error = client.login_token("s.bad".into()).await.unwrap_err();
    assert!(error.is_permission_denied());
    assert_eq!(client.token().unwrap().expose_secret(), TOKEN, "a rejected token is not kept");
    let info = client.login_token("s.good".into()).await.unwrap();
    assert_eq!(info.accessor, "8609694a-cdbc-db9b-d345-e782dbb562ed");
    assert_eq!(client.token().unwrap().expose_secret(), "s.good");
}

#[tokio::test]
async fn renew_self_sends_the_increment_as_a_duration_string() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/renew-self"))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(json!({ "increment": "3600s" })))
        .respond_with(ok(renew_sample()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/renew-self"))
        .and(NoBody)
        .respond_with(ok(renew_sample()))
        .expect(1)
        .mount(&server)
        .await;

    let auth = client.renew_self(Some(Duration::from_secs(3600))).await.unwrap();
    assert_eq!((auth.lease_duration, auth.renewable), (3600, true));
    let backend: &dyn VaultBackend = &client;
    assert_eq!(backend.renew_self(None).await.unwrap().policies, ["web", "stage"]);
}

#[tokio::test]
async fn revoke_self_posts_and_forgets_the_token() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/revoke-self"))
        .and(header("x-vault-token", TOKEN))
        .and(NoBody)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client.revoke_self().await.unwrap();
    assert!(client.token().is_none());
}

#[tokio::test]
async fn accessor_lookup_and_revocation_post_the_accessor() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/lookup-accessor"))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(json!({ "accessor": "8609694a-cdbc-db9b-d345-e782dbb562ed" })))
        .respond_with(ok(token_lookup_sample("")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/revoke-accessor"))
        .and(body_json(json!({ "accessor": "2c84f488-2133-4ced-87b0-570f93a76830" })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let info = client.lookup_accessor("8609694a-cdbc-db9b-d345-e782dbb562ed").await.unwrap();
    assert_eq!(info.id.expose_secret(), "");
    assert_eq!(info.path, "auth/ldap2/login/tesla");
    client.revoke_accessor("2c84f488-2133-4ced-87b0-570f93a76830").await.unwrap();
}

fn token_create_sample() -> Value {
    json!({
      "request_id": "f00341c1-fad5-f6e6-13fd-235617f858a1", "lease_id": "", "renewable": false, "lease_duration": 0,
      "data": null, "wrap_info": null,
      "warnings": ["Policy \"stage\" does not exist", "Policy \"web\" does not exist"],
      "auth": {
        "client_token": "s.wOrq9dO9kzOcuvB06CMviJhZ", "accessor": "B6oixijqmeR4bsLOJH88Ska9",
        "policies": ["default", "stage", "web"], "token_policies": ["default", "stage", "web"],
        "metadata": { "user": "armon" }, "lease_duration": 3600, "renewable": true, "entity_id": "",
        "token_type": "service", "orphan": false, "num_uses": 0
      }
    })
}

#[tokio::test]
async fn token_create_against_a_role_keeps_warnings_and_leaves_the_current_token() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let expected =
        json!({ "policies": ["web", "stage"], "meta": { "user": "armon" }, "ttl": "3600s", "renewable": true });
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/create/getsecretid-aws.stg.myapp"))
        .and(header("x-vault-token", TOKEN))
        .and(body_json(expected.clone()))
        .respond_with(ok(token_create_sample()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/token/create"))
        .and(body_json(expected))
        .respond_with(ok(token_create_sample()))
        .expect(1)
        .mount(&server)
        .await;

    let request = TokenCreateRequest {
        policies: vec!["web".into(), "stage".into()],
        meta: [("user".to_owned(), "armon".to_owned())].into(),
        ttl: Some(Duration::from_secs(3600)),
        renewable: Some(true),
        ..TokenCreateRequest::default()
    };
    let created = client.create_token_with_role("getsecretid-aws.stg.myapp", &request).await.unwrap();
    assert_eq!(created.client_token.expose_secret(), "s.wOrq9dO9kzOcuvB06CMviJhZ");
    assert_eq!(created.envelope.warnings.len(), 2);
    assert_eq!(client.token().unwrap().expose_secret(), TOKEN);
    let created = client.create_token(&request).await.unwrap();
    assert_eq!(created.token_type, "service");
}

/// Records every tracing event and span field as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

impl tracing::field::Visit for Capture {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.lock().unwrap().push_str(&format!("{}={value:?}\n", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut self.clone());
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut self.clone());
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut self.clone());
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn an_approle_login_flow_never_shows_its_token_or_secret_id() {
    const WRAPPING: &str = "s.wrapping-token-0001";
    const SECRET_ID: &str = "841771dc-11c9-bbc7-bcac-6a3945a69cd9";
    const APP_TOKEN: &str = "5b1a0318-679c-9c45-e5c6-d1b9a9035d49";
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let (server, client) = mock_vault(None).await;
    let wrapped = json!({ "data": { "secret_id": SECRET_ID, "secret_id_accessor": "acc-1", "secret_id_ttl": 300, "secret_id_num_uses": 1 } });
    Mock::given(path("/v1/sys/wrapping/lookup"))
        .respond_with(ok(
            json!({ "data": { "creation_path": "auth/approle/role/app/secret-id", "creation_ttl": 300 } }),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/sys/wrapping/unwrap")).respond_with(ok(wrapped)).mount(&server).await;
    Mock::given(path("/v1/auth/approle/login")).respond_with(ok(approle_login_sample())).mount(&server).await;
    let refuse = |message: &str| ResponseTemplate::new(400).set_body_json(json!({ "errors": [message] }));
    Mock::given(path("/v1/auth/token/renew-self")).respond_with(refuse("lease is not renewable")).mount(&server).await;
    Mock::given(path("/v1/auth/token/lookup-self")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    Mock::given(path("/v1/secret/app/db")).respond_with(refuse("permission denied")).mount(&server).await;

    let mut seen = Vec::new();
    let wrapping = WrappingToken::new(WRAPPING);
    let lookup = client.lookup_wrapping(&wrapping).await.unwrap();
    seen.push(format!("{lookup:?} {wrapping:?} {wrapping}"));
    let secret_id = client.unwrap_secret_id(&wrapping).await.unwrap();
    seen.push(format!("{secret_id:?}"));
    let auth = client.login_approle("approle", &RoleId::new("role-id"), &secret_id.secret_id).await.unwrap();
    seen.push(format!("{auth:?} {auth} {client:?}"));
    let failed_login = client.login_approle("approle-missing", &RoleId::new("role-id"), &secret_id.secret_id).await;
    let renew = client.renew_self(Some(Duration::from_secs(60))).await.unwrap_err();
    let lookup = client.lookup_self().await.unwrap_err();
    let read = VaultBackend::read(&client, "secret/app/db").await.unwrap_err();
    seen.push(format!("{read} {read:?}"));
    for error in [failed_login.unwrap_err(), renew, lookup] {
        seen.push(format!("{error} {error:?}"));
        seen.push(format!("{:?}", qsec_core::Error::from(error)));
    }
    seen.push(capture.0.lock().unwrap().clone());

    let everything = seen.join("\n");
    assert!(everything.contains("lease is not renewable"), "errors keep Vault's messages: {everything}");
    assert!(everything.contains("auth/token/renew-self"), "the log names paths: {everything}");
    for secret in [WRAPPING, SECRET_ID, APP_TOKEN] {
        assert!(!everything.contains(secret), "{secret} leaked in:\n{everything}");
    }
}
