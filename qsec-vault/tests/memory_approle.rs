//! MemoryVault: the AppRole auth method, in-process and through the backend.

use std::collections::BTreeMap;
use std::time::Duration;

use qsec_core::{IssuedSecretId, RoleId, SecretId, SecretIdIssuer, SecretIdRequest, VaultBackend, WrappingToken};
use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::memory::{VaultReply, VaultRequest};
use serde_json::{Value, json};

mod common;

use common::memory::{frozen_dev_vault, get, post};

/// The seed's AppRole: periodic tokens, single-use SecretIDs.
fn app_role(vault: &MemoryVault) -> String {
    let reply = post(
        vault,
        "root",
        "auth/approle/role/aws.stg.myapp",
        json!({
            "token_policies": ["default", "secret-api/read-aws.stg.myapp"],
            "token_period": 300,
            "secret_id_num_uses": 1,
            "secret_id_ttl": 300,
            "token_ttl": 300,
            "token_max_ttl": 300,
        }),
    );
    assert_eq!(reply.status, 204, "{reply:?}");
    get(vault, "root", "auth/approle/role/aws.stg.myapp/role-id").data().unwrap()["role_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn secret_id(vault: &MemoryVault, body: Value) -> Value {
    let reply = post(vault, "root", "auth/approle/role/aws.stg.myapp/secret-id", body);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.data().unwrap().clone()
}

fn login(vault: &MemoryVault, role_id: &str, secret_id: &str) -> VaultReply {
    vault.handle(VaultRequest::post("auth/approle/login", json!({"role_id": role_id, "secret_id": secret_id})))
}

#[test]
fn role_crud_reads_back_the_documented_fields() {
    let vault = frozen_dev_vault();
    app_role(&vault);
    let data = get(&vault, "root", "auth/approle/role/aws.stg.myapp").data().unwrap().clone();
    assert_eq!(data["token_policies"], json!(["default", "secret-api/read-aws.stg.myapp"]));
    assert_eq!(data["token_period"], 300);
    assert_eq!(data["period"], 300);
    assert_eq!(data["secret_id_num_uses"], 1);
    assert_eq!(data["secret_id_ttl"], 300);
    assert_eq!(data["bind_secret_id"], true);
    assert_eq!(data["secret_id_bound_cidrs"], json!([]));
    // An update changes only what it names.
    post(&vault, "root", "auth/approle/role/aws.stg.myapp", json!({"token_ttl": "4m"}));
    let data = get(&vault, "root", "auth/approle/role/aws.stg.myapp").data().unwrap().clone();
    assert_eq!(data["token_ttl"], 240);
    assert_eq!(data["secret_id_num_uses"], 1);
    let list = vault.handle(VaultRequest::list("auth/approle/role").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["aws.stg.myapp"]));
    let field = get(&vault, "root", "auth/approle/role/aws.stg.myapp/policies");
    assert_eq!(field.data().unwrap()["token_policies"], json!(["default", "secret-api/read-aws.stg.myapp"]));
    assert_eq!(vault.handle(VaultRequest::delete("auth/approle/role/aws.stg.myapp").with_token("root")).status, 204);
    assert_eq!(get(&vault, "root", "auth/approle/role/aws.stg.myapp").status, 404);
}

#[test]
fn a_role_needs_a_constraint() {
    let vault = frozen_dev_vault();
    let reply = post(&vault, "root", "auth/approle/role/loose", json!({"bind_secret_id": false}));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.errors(), ["at least one constraint should be enabled on the role"]);
    let ok = post(
        &vault,
        "root",
        "auth/approle/role/loose",
        json!({"bind_secret_id": false, "secret_id_bound_cidrs": "127.0.0.0/8"}),
    );
    assert_eq!(ok.status, 204);
}

#[test]
fn role_id_can_be_set_but_not_shared() {
    let vault = frozen_dev_vault();
    app_role(&vault);
    let set = post(&vault, "root", "auth/approle/role/aws.stg.myapp/role-id", json!({"role_id": "custom"}));
    // The documented sample answers the new RoleID (Vault itself says 204).
    assert_eq!((set.status, &set.data().unwrap()["role_id"]), (200, &json!("custom")));
    assert_eq!(get(&vault, "root", "auth/approle/role/aws.stg.myapp/role-id").data().unwrap()["role_id"], "custom");
    post(&vault, "root", "auth/approle/role/other", json!({}));
    let clash = post(&vault, "root", "auth/approle/role/other/role-id", json!({"role_id": "custom"}));
    assert_eq!(clash.status, 400);
}

#[test]
fn a_single_use_secret_id_logs_in_once() {
    let vault = frozen_dev_vault();
    let role_id = app_role(&vault);
    let issued = secret_id(&vault, json!({"metadata": "{\"pod\": \"myapp-7d9f\"}"}));
    assert_eq!(issued["secret_id_num_uses"], 1);
    assert_eq!(issued["secret_id_ttl"], 300);
    assert!(issued["secret_id_accessor"].is_string());
    let secret_id = issued["secret_id"].as_str().unwrap();

    let first = login(&vault, &role_id, secret_id);
    assert_eq!(first.status, 200, "{first:?}");
    let body = first.body.unwrap();
    let auth = &body["auth"];
    assert_eq!(auth["policies"], json!(["default", "secret-api/read-aws.stg.myapp"]));
    assert_eq!(auth["metadata"], json!({"pod": "myapp-7d9f", "role_name": "aws.stg.myapp"}));
    assert_eq!(auth["lease_duration"], 300);
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["orphan"], true);
    let token = auth["client_token"].as_str().unwrap();
    let lookup = get(&vault, token, "auth/token/lookup-self");
    assert_eq!(lookup.data().unwrap()["path"], "auth/approle/login");
    assert_eq!(lookup.data().unwrap()["period"], 300);

    let second = login(&vault, &role_id, secret_id);
    assert_eq!(second.status, 400);
    assert_eq!(second.body.unwrap(), json!({"errors": ["invalid secret id"]}));
    assert_eq!(vault.secret_id_count("approle", "aws.stg.myapp"), 0);
}

#[test]
fn secret_ids_expire_and_respect_the_roles_limits() {
    let vault = frozen_dev_vault();
    let role_id = app_role(&vault);
    let issued = secret_id(&vault, json!({"ttl": 60}));
    assert_eq!(issued["secret_id_ttl"], 60);
    vault.clock().advance(Duration::from_secs(61));
    assert_eq!(login(&vault, &role_id, issued["secret_id"].as_str().unwrap()).errors(), ["invalid secret id"]);

    let too_long = post(&vault, "root", "auth/approle/role/aws.stg.myapp/secret-id", json!({"ttl": "1h"}));
    assert_eq!(too_long.errors(), ["ttl cannot be longer than the role's secret_id_ttl"]);
    let too_many = post(&vault, "root", "auth/approle/role/aws.stg.myapp/secret-id", json!({"num_uses": 5}));
    assert_eq!(too_many.errors(), ["num_uses cannot be higher than the role's secret_id_num_uses"]);
    let unlimited = post(&vault, "root", "auth/approle/role/aws.stg.myapp/secret-id", json!({"num_uses": 0}));
    assert_eq!(unlimited.status, 400);
    let missing = post(&vault, "root", "auth/approle/role/nope/secret-id", json!({}));
    assert_eq!(missing.status, 400);
}

#[test]
fn cidr_bound_secret_ids_check_the_client_address() {
    let vault = frozen_dev_vault();
    let role_id = app_role(&vault);
    let issued = secret_id(&vault, json!({"cidr_list": ["10.1.2.3/32"], "token_bound_cidrs": "10.1.2.3/32"}));
    let secret_id = issued["secret_id"].as_str().unwrap();
    // In-process callers come from 127.0.0.1.
    let refused = login(&vault, &role_id, secret_id);
    assert_eq!(refused.status, 400);
    assert!(refused.errors()[0].contains("unauthorized through CIDR restrictions"), "{refused:?}");
    let from_pod = vault.handle(
        VaultRequest::post("auth/approle/login", json!({"role_id": role_id, "secret_id": secret_id}))
            .with_client_ip("10.1.2.3".parse().unwrap()),
    );
    assert_eq!(from_pod.status, 200, "{from_pod:?}");
    let token = from_pod.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned();
    // The token is bound to the pod's address too.
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 403);
    let from_pod =
        VaultRequest::get("auth/token/lookup-self").with_token(&token).with_client_ip("10.1.2.3".parse().unwrap());
    assert_eq!(vault.handle(from_pod).status, 200);
}

#[test]
fn secret_id_lookup_list_and_destroy() {
    let vault = frozen_dev_vault();
    app_role(&vault);
    post(&vault, "root", "auth/approle/role/aws.stg.myapp", json!({"secret_id_num_uses": 0}));
    let issued = secret_id(&vault, json!({"metadata": "{\"tag1\": \"production\"}"}));
    let (id, accessor) = (issued["secret_id"].as_str().unwrap(), issued["secret_id_accessor"].as_str().unwrap());
    let list = vault.handle(VaultRequest::list("auth/approle/role/aws.stg.myapp/secret-id").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!([accessor]));
    let lookup = post(&vault, "root", "auth/approle/role/aws.stg.myapp/secret-id/lookup", json!({"secret_id": id}));
    let data = lookup.data().unwrap();
    assert_eq!(data["metadata"], json!({"tag1": "production"}));
    assert_eq!(data["secret_id_accessor"], accessor);
    assert_eq!(data["cidr_list"], json!([]));
    let by_accessor = post(
        &vault,
        "root",
        "auth/approle/role/aws.stg.myapp/secret-id-accessor/lookup",
        json!({"secret_id_accessor": accessor}),
    );
    assert_eq!(by_accessor.data().unwrap()["secret_id_ttl"], 300);
    let destroy = post(
        &vault,
        "root",
        "auth/approle/role/aws.stg.myapp/secret-id-accessor/destroy",
        json!({"secret_id_accessor": accessor}),
    );
    assert_eq!(destroy.status, 204);
    let gone = vault.handle(VaultRequest::list("auth/approle/role/aws.stg.myapp/secret-id").with_token("root"));
    assert_eq!(gone.status, 404);
    let other = secret_id(&vault, json!({}));
    let destroy = post(
        &vault,
        "root",
        "auth/approle/role/aws.stg.myapp/secret-id/destroy",
        json!({"secret_id": other["secret_id"]}),
    );
    assert_eq!(destroy.status, 204);
    assert_eq!(vault.secret_id_count("approle", "aws.stg.myapp"), 0);
}

#[test]
fn a_wrapped_secret_id_unwraps_once() {
    let vault = frozen_dev_vault();
    let role_id = app_role(&vault);
    let reply = vault.handle(
        VaultRequest::post("auth/approle/role/aws.stg.myapp/secret-id", json!({}))
            .with_token("root")
            .with_wrap_ttl("60s"),
    );
    assert_eq!(reply.status, 200);
    let body = reply.body.unwrap();
    assert_eq!(body["data"], Value::Null);
    let info = &body["wrap_info"];
    assert_eq!(info["ttl"], 60);
    assert_eq!(info["creation_path"], "auth/approle/role/aws.stg.myapp/secret-id");
    let accessor = info["wrapped_accessor"].as_str().unwrap();
    let wrapping_token = info["token"].as_str().unwrap();

    let lookup = vault.handle(VaultRequest::post("sys/wrapping/lookup", json!({"token": wrapping_token})));
    assert_eq!(lookup.data().unwrap()["creation_path"], "auth/approle/role/aws.stg.myapp/secret-id");

    let unwrap = vault.handle(VaultRequest::post("sys/wrapping/unwrap", json!({})).with_token(wrapping_token));
    assert_eq!(unwrap.status, 200);
    let data = unwrap.data().unwrap().clone();
    assert_eq!(data["secret_id_accessor"], accessor, "wrapped_accessor names the SecretID");
    let again = vault.handle(VaultRequest::post("sys/wrapping/unwrap", json!({})).with_token(wrapping_token));
    assert_eq!(again.status, 400);
    assert_eq!(again.errors(), ["wrapping token is not valid or does not exist"]);
    assert_eq!(login(&vault, &role_id, data["secret_id"].as_str().unwrap()).status, 200);
}

#[test]
fn login_errors_have_vaults_shape() {
    let vault = frozen_dev_vault();
    let role_id = app_role(&vault);
    assert_eq!(login(&vault, "nope", "x").errors(), ["invalid role ID"]);
    let missing = vault.handle(VaultRequest::post("auth/approle/login", json!({"role_id": role_id})));
    assert_eq!(missing.errors(), ["missing secret_id"]);
    assert_eq!(vault.handle(VaultRequest::post("auth/approle/login", json!({}))).errors(), ["missing role_id"]);
}

#[test]
fn approle_can_be_mounted_elsewhere() {
    let vault = frozen_dev_vault();
    assert_eq!(post(&vault, "root", "sys/auth/apps", json!({"type": "approle"})).status, 204);
    post(&vault, "root", "auth/apps/role/web", json!({"token_policies": "web"}));
    let role_id =
        get(&vault, "root", "auth/apps/role/web/role-id").data().unwrap()["role_id"].as_str().unwrap().to_owned();
    let secret_id =
        post(&vault, "root", "auth/apps/role/web/secret-id", json!({})).data().unwrap()["secret_id"].clone();
    let reply =
        vault.handle(VaultRequest::post("auth/apps/login", json!({"role_id": role_id, "secret_id": secret_id})));
    assert_eq!(reply.status, 200);
    let token = reply.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").data().unwrap()["path"], "auth/apps/login");
}

#[tokio::test]
async fn the_backend_logs_in_and_issues_secret_ids() {
    let vault = frozen_dev_vault();
    let role_id = app_role(&vault);
    let controller = vault.backend().with_token("root");
    let mut request = SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: "aws.stg.myapp".into(),
        metadata: BTreeMap::from([("pod".to_owned(), "myapp-1".to_owned())]),
        cidr_list: vec!["127.0.0.1/32".into()],
        num_uses: Some(1),
        ttl: Some(Duration::from_secs(120)),
        ..SecretIdRequest::default()
    };
    let IssuedSecretId::Plain { secret_id, accessor, ttl, num_uses } =
        controller.issue_secret_id(&request).await.unwrap()
    else {
        panic!("expected a plain SecretID");
    };
    assert_eq!((ttl, num_uses), (120, 1));
    assert!(!accessor.is_empty());

    let pod = vault.backend();
    let auth = pod.login_approle("approle", &RoleId::new(&role_id), &secret_id).await.unwrap();
    assert_eq!(auth.metadata.unwrap()["pod"], "myapp-1");
    assert_eq!(pod.lookup_self().await.unwrap().accessor, auth.accessor, "the login made the token current");
    let again = pod.login_approle("approle", &RoleId::new(&role_id), &secret_id).await.unwrap_err();
    assert_eq!(again.vault_status(), Some(400));
    assert!(again.to_string().contains("invalid secret id"));

    request.wrap_ttl = Some(Duration::from_secs(60));
    let wrapped = controller.issue_secret_id(&request).await.unwrap();
    let IssuedSecretId::Wrapped(info) = &wrapped else { panic!("expected a wrapped SecretID") };
    assert_eq!(info.creation_path, "auth/approle/role/aws.stg.myapp/secret-id");
    let accessor = wrapped.secret_id_accessor().unwrap().to_owned();
    let fresh = vault.backend();
    let token = WrappingToken::new(info.token.expose_secret());
    assert_eq!(fresh.lookup_wrapping(&token).await.unwrap().creation_ttl, 60);
    let unwrapped = fresh.unwrap(&token).await.unwrap();
    let secret_id = SecretId::new(unwrapped.data.unwrap().get_str("secret_id").unwrap());
    controller.destroy_secret_id("approle", "aws.stg.myapp", &accessor).await.unwrap();
    let destroyed = fresh.login_approle("approle", &RoleId::new(&role_id), &secret_id).await.unwrap_err();
    assert_eq!(destroyed.vault_status(), Some(400));
}

#[test]
fn missing_roles_and_bad_names_answer_like_vault() {
    let vault = frozen_dev_vault();
    assert_eq!(get(&vault, "root", "auth/approle/role/ghost/role-id").body.unwrap(), json!({"errors": []}));
    assert_eq!(
        post(&vault, "root", "auth/approle/role/ghost/secret-id", json!({})).errors(),
        ["role \"ghost\" does not exist"]
    );
    assert_eq!(post(&vault, "root", "auth/approle/role/bad.", json!({})).status, 404);
}
