//! AppRole roles, RoleIDs and SecretIDs, and token roles, through
//! `VaultClient`, against wiremock with the documented requests and sample
//! responses (api_auth_approle.mdx, api_auth_token.mdx).

use std::collections::BTreeMap;
use std::time::Duration;

use qsec_core::{IssuedSecretId, SecretId, SecretIdIssuer, SecretIdRequest};
use qsec_vault::client::requests::{AppRoleConfig, TokenRoleConfig};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, Request, ResponseTemplate};

mod common;

use common::{expect, mock_vault, ok};

const TOKEN: &str = "s.provisioner-token";

/// Matches requests without `X-Vault-Wrap-TTL`.
struct NotWrapped;

impl Match for NotWrapped {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key("x-vault-wrap-ttl")
    }
}

fn envelope(data: Value) -> Value {
    json!({ "auth": null, "warnings": null, "wrap_info": null, "data": data, "lease_duration": 0, "renewable": false, "lease_id": "" })
}

#[tokio::test]
async fn approles_are_listed_written_read_and_deleted() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    expect(
        &server,
        TOKEN,
        "LIST",
        "/v1/auth/approle/role",
        None,
        ok(envelope(json!({ "keys": ["dev", "prod", "test"] }))),
    )
    .await;
    let payload = json!({ "token_ttl": 600, "token_max_ttl": 900, "token_policies": ["default"], "token_period": 0, "bind_secret_id": true });
    expect(&server, TOKEN, "POST", "/v1/auth/approle/role/application1", Some(payload), ResponseTemplate::new(204))
        .await;
    let read = envelope(json!({
        "token_ttl": 1200, "token_max_ttl": 1800, "secret_id_ttl": 600, "secret_id_num_uses": 40,
        "token_policies": ["default"], "period": 0, "bind_secret_id": true, "secret_id_bound_cidrs": []
    }));
    expect(&server, TOKEN, "GET", "/v1/auth/approle/role/application1", None, ok(read)).await;
    expect(&server, TOKEN, "DELETE", "/v1/auth/approle/role/application1", None, ResponseTemplate::new(204)).await;

    assert_eq!(*client.list_approles("approle").await.unwrap(), ["dev", "prod", "test"]);
    let role = AppRoleConfig {
        token_ttl: Some(600),
        token_max_ttl: Some(900),
        token_policies: Some(vec!["default".into()]),
        token_period: Some(0),
        bind_secret_id: Some(true),
        ..AppRoleConfig::default()
    };
    assert!(client.write_approle("approle", "application1", &role).await.unwrap().is_none());
    let read = client.read_approle("approle", "application1").await.unwrap().unwrap();
    assert_eq!((read.token_ttl, read.secret_id_num_uses, read.bind_secret_id), (Some(1200), Some(40), Some(true)));
    assert_eq!(read.secret_id_bound_cidrs.as_deref(), Some(&[][..]));
    assert!(client.delete_approle("approle", "application1").await.unwrap().is_none());
}

#[tokio::test]
async fn reads_the_role_id() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let answer = ok(envelope(json!({ "role_id": "e5a7b66e-5d08-da9c-7075-71984634b882" })));
    expect(&server, TOKEN, "GET", "/v1/auth/approle/role/application1/role-id", None, answer).await;
    let role_id = client.read_role_id("approle", "application1").await.unwrap();
    assert_eq!(role_id.expose_secret(), "e5a7b66e-5d08-da9c-7075-71984634b882");
}

fn pod_request(wrap_ttl: Option<Duration>) -> SecretIdRequest {
    SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: "aws.stg.myapp".into(),
        metadata: BTreeMap::from([("tag1".to_owned(), "production".to_owned())]),
        cidr_list: vec!["10.1.2.3/32".into()],
        token_bound_cidrs: vec!["10.1.2.3/32".into()],
        num_uses: Some(1),
        ttl: Some(Duration::from_secs(600)),
        wrap_ttl,
    }
}

fn pod_body() -> Value {
    json!({ "metadata": "{\"tag1\":\"production\"}", "cidr_list": ["10.1.2.3/32"], "token_bound_cidrs": ["10.1.2.3/32"], "num_uses": 1, "ttl": 600 })
}

#[tokio::test]
async fn generates_a_plain_secret_id_with_every_documented_parameter() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let answer = envelope(json!({
        "secret_id_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780", "secret_id": "841771dc-11c9-bbc7-bcac-6a3945a69cd9",
        "secret_id_ttl": 600, "secret_id_num_uses": 50
    }));
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle/role/aws.stg.myapp/secret-id"))
        .and(header("x-vault-token", TOKEN))
        .and(NotWrapped)
        .and(body_json(pod_body()))
        .respond_with(ok(answer))
        .expect(1)
        .mount(&server)
        .await;

    let issued = client.generate_secret_id(&pod_request(None)).await.unwrap();
    match &issued.value {
        IssuedSecretId::Plain { secret_id, accessor, ttl, num_uses } => {
            assert_eq!(secret_id.expose_secret(), "841771dc-11c9-bbc7-bcac-6a3945a69cd9");
            assert_eq!((accessor.as_str(), *ttl, *num_uses), ("84896a0c-1347-aa90-a4f6-aca8b7558780", 600, 50));
        }
        other => panic!("expected a plain SecretID, got {other:?}"),
    }
    assert_eq!(issued.secret_id_accessor(), Some("84896a0c-1347-aa90-a4f6-aca8b7558780"));
}

#[tokio::test]
async fn the_issuer_asks_vault_to_wrap_and_destroys_by_accessor() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let wrapped = json!({
        "request_id": "", "lease_id": "", "renewable": false, "lease_duration": 0, "data": null, "warnings": null, "auth": null,
        "wrap_info": {
            "token": "s.wrapping-token", "accessor": "wrap-accessor", "ttl": 300,
            "creation_time": "2024-01-01T00:00:00Z", "creation_path": "auth/approle/role/aws.stg.myapp/secret-id",
            "wrapped_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780"
        }
    });
    Mock::given(method("POST"))
        .and(path("/v1/auth/approle/role/aws.stg.myapp/secret-id"))
        .and(header("x-vault-token", TOKEN))
        .and(header("x-vault-wrap-ttl", "300"))
        .and(body_json(pod_body()))
        .respond_with(ok(wrapped))
        .expect(1)
        .mount(&server)
        .await;
    let destroy = json!({ "secret_id_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780" });
    let path_ = "/v1/auth/approle/role/aws.stg.myapp/secret-id-accessor/destroy";
    expect(&server, TOKEN, "POST", path_, Some(destroy), ResponseTemplate::new(204)).await;

    let issuer: &dyn SecretIdIssuer = &client;
    let issued = issuer.issue_secret_id(&pod_request(Some(Duration::from_secs(300)))).await.unwrap();
    let IssuedSecretId::Wrapped(info) = &issued else { panic!("expected a wrapped SecretID, got {issued:?}") };
    assert_eq!(info.token.expose_secret(), "s.wrapping-token");
    assert_eq!(info.creation_path, "auth/approle/role/aws.stg.myapp/secret-id");
    let accessor = issued.secret_id_accessor().unwrap();
    issuer.destroy_secret_id("approle", "aws.stg.myapp", accessor).await.unwrap();
}

fn secret_id_lookup_sample() -> Value {
    json!({
      "request_id": "74752925-f309-6859-3d2d-0fcded95150e", "lease_id": "", "renewable": false, "lease_duration": 0,
      "data": {
        "cidr_list": [], "creation_time": "2023-02-10T18:17:27.089757383Z", "expiration_time": "0001-01-01T00:00:00Z",
        "last_updated_time": "2023-02-10T18:17:27.089757383Z", "metadata": { "tag1": "production" },
        "secret_id_accessor": "2be760a4-86bb-2fa9-1637-1b7fa9ba2896", "secret_id_num_uses": 0, "secret_id_ttl": 0,
        "token_bound_cidrs": []
      },
      "wrap_info": null, "warnings": null, "auth": null
    })
}

#[tokio::test]
async fn secret_ids_are_listed_looked_up_and_destroyed_by_value_and_by_accessor() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    let base = "/v1/auth/approle/role/application1";
    let keys = json!({ "keys": ["ce102d2a-8253-c437-bf9a-aceed4241491", "84896a0c-1347-aa90-a4f6-aca8b7558780"] });
    expect(&server, TOKEN, "LIST", &format!("{base}/secret-id"), None, ok(envelope(keys))).await;
    let by_value = json!({ "secret_id": "84896a0c-1347-aa90-a4f6-aca8b7558780" });
    expect(
        &server,
        TOKEN,
        "POST",
        &format!("{base}/secret-id/lookup"),
        Some(by_value.clone()),
        ok(secret_id_lookup_sample()),
    )
    .await;
    expect(&server, TOKEN, "POST", &format!("{base}/secret-id/destroy"), Some(by_value), ResponseTemplate::new(204))
        .await;
    let by_accessor = json!({ "secret_id_accessor": "84896a0c-1347-aa90-a4f6-aca8b7558780" });
    let lookup = format!("{base}/secret-id-accessor/lookup");
    expect(&server, TOKEN, "POST", &lookup, Some(by_accessor.clone()), ok(secret_id_lookup_sample())).await;
    let destroy = format!("{base}/secret-id-accessor/destroy");
    expect(&server, TOKEN, "POST", &destroy, Some(by_accessor), ResponseTemplate::new(204)).await;
    let unknown = json!({ "secret_id": "unknown" });
    expect(&server, TOKEN, "POST", &format!("{base}/secret-id/lookup"), Some(unknown), ResponseTemplate::new(204))
        .await;

    let accessors = client.list_secret_id_accessors("approle", "application1").await.unwrap();
    assert_eq!(accessors.len(), 2);
    let secret_id = SecretId::new("84896a0c-1347-aa90-a4f6-aca8b7558780");
    let info = client.lookup_secret_id("approle", "application1", &secret_id).await.unwrap().unwrap();
    assert_eq!(info.secret_id_accessor, "2be760a4-86bb-2fa9-1637-1b7fa9ba2896");
    assert_eq!(info.metadata["tag1"], "production");
    assert!(info.cidr_list.is_empty());
    assert!(client.destroy_secret_id_by_value("approle", "application1", &secret_id).await.unwrap().is_none());
    let accessor = "84896a0c-1347-aa90-a4f6-aca8b7558780";
    let info = client.lookup_secret_id_accessor("approle", "application1", accessor).await.unwrap().unwrap();
    assert_eq!(info.expiration_time, "0001-01-01T00:00:00Z");
    assert!(client.destroy_secret_id_accessor("approle", "application1", accessor).await.unwrap().is_none());
    let unknown = client.lookup_secret_id("approle", "application1", &SecretId::new("unknown")).await.unwrap();
    assert!(unknown.is_none());
}

#[tokio::test]
async fn token_roles_are_listed_written_read_and_deleted() {
    let (server, client) = mock_vault(Some(TOKEN)).await;
    expect(&server, TOKEN, "LIST", "/v1/auth/token/roles", None, ok(json!({ "data": { "keys": ["role1", "role2"] } })))
        .await;
    let payload = json!({
        "allowed_policies": ["dev"], "name": "nomad", "orphan": false,
        "token_bound_cidrs": ["127.0.0.1/32", "128.252.0.0/16"], "renewable": true,
        "allowed_entity_aliases": ["web-entity-alias", "app-entity-*"]
    });
    expect(&server, TOKEN, "POST", "/v1/auth/token/roles/nomad", Some(payload), ResponseTemplate::new(204)).await;
    let read = json!({
      "request_id": "075a19cd-4e56-a3ca-d956-7609819831ec", "lease_id": "", "lease_duration": 0, "renewable": false,
      "data": {
        "allowed_entity_aliases": ["my-entity-alias"], "allowed_policies": [], "disallowed_policies": [],
        "allowed_policies_glob": [], "disallowed_policies_glob": [], "explicit_max_ttl": 0, "name": "nomad",
        "orphan": false, "path_suffix": "", "period": 0, "renewable": true, "token_explicit_max_ttl": 0,
        "token_no_default_policy": false, "token_period": 0, "token_type": "default-service"
      },
      "warnings": null
    });
    expect(&server, TOKEN, "GET", "/v1/auth/token/roles/nomad", None, ok(read)).await;
    expect(&server, TOKEN, "DELETE", "/v1/auth/token/roles/admins", None, ResponseTemplate::new(204)).await;

    assert_eq!(*client.list_token_roles().await.unwrap(), ["role1", "role2"]);
    let role = TokenRoleConfig {
        allowed_policies: Some(vec!["dev".into()]),
        name: Some("nomad".into()),
        orphan: Some(false),
        token_bound_cidrs: Some(vec!["127.0.0.1/32".into(), "128.252.0.0/16".into()]),
        renewable: Some(true),
        allowed_entity_aliases: Some(vec!["web-entity-alias".into(), "app-entity-*".into()]),
        ..TokenRoleConfig::default()
    };
    assert!(client.write_token_role("nomad", &role).await.unwrap().is_none());
    let read = client.read_token_role("nomad").await.unwrap().unwrap();
    assert_eq!(read.token_type.as_deref(), Some("default-service"));
    assert_eq!(read.allowed_entity_aliases.as_deref(), Some(&["my-entity-alias".to_owned()][..]));
    assert!(client.delete_token_role("admins").await.unwrap().is_none());
}
