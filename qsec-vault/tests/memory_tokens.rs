//! MemoryVault: the token store (`auth/token/*`) and token roles.

use std::time::Duration;

use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::{Value, json};

mod common;

use common::memory::{frozen_dev_vault, get, post};

/// Creates a token as root; answers its id and accessor.
fn create(vault: &MemoryVault, parent: &str, body: Value) -> (String, String) {
    let reply = post(vault, parent, "auth/token/create", body);
    assert_eq!(reply.status, 200, "{reply:?}");
    let auth = &reply.body.unwrap()["auth"];
    (auth["client_token"].as_str().unwrap().to_owned(), auth["accessor"].as_str().unwrap().to_owned())
}

#[test]
fn create_answers_the_documented_auth_block() {
    let vault = frozen_dev_vault();
    let reply = post(
        &vault,
        "root",
        "auth/token/create",
        json!({"policies": ["web", "stage"], "meta": {"user": "armon"}, "ttl": "1h", "renewable": true}),
    );
    assert_eq!(reply.status, 200);
    let body = reply.body.unwrap();
    for key in ["request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth"] {
        assert!(body.get(key).is_some(), "missing {key} in {body}");
    }
    let auth = &body["auth"];
    assert_eq!(auth["policies"], json!(["default", "stage", "web"]));
    assert_eq!(auth["token_policies"], json!(["default", "stage", "web"]));
    assert_eq!(auth["metadata"], json!({"user": "armon"}));
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["token_type"], "service");
    assert_eq!(auth["orphan"], false);
    assert!(auth["client_token"].as_str().unwrap().starts_with("s."));
    assert_eq!(body["warnings"], json!(["Policy \"stage\" does not exist", "Policy \"web\" does not exist"]));
}

#[test]
fn lookup_self_and_accessor_describe_the_token() {
    let vault = frozen_dev_vault();
    let (token, accessor) =
        create(&vault, "root", json!({"policies": ["default"], "ttl": "30m", "display_name": "ci"}));
    let reply = get(&vault, &token, "auth/token/lookup-self");
    assert_eq!(reply.status, 200);
    let data = reply.data().unwrap();
    assert_eq!(data["id"], token);
    assert_eq!(data["accessor"], accessor);
    assert_eq!(data["ttl"], 1800);
    assert_eq!(data["creation_ttl"], 1800);
    assert_eq!(data["display_name"], "token-ci");
    assert_eq!(data["path"], "auth/token/create");
    assert_eq!(data["policies"], json!(["default"]));
    assert!(data["expire_time"].is_string());

    let by_accessor = post(&vault, "root", "auth/token/lookup-accessor", json!({"accessor": accessor}));
    assert_eq!(by_accessor.data().unwrap()["id"], "", "accessor lookups never reveal the token");
    let by_token = post(&vault, "root", "auth/token/lookup", json!({"token": token}));
    assert_eq!(by_token.data().unwrap()["accessor"], accessor);
    let bad = post(&vault, "root", "auth/token/lookup", json!({"token": "s.doesnotexist"}));
    assert_eq!(bad.status, 403);
    assert_eq!(bad.errors(), ["bad token"]);
}

#[test]
fn tokens_expire_with_the_clock() {
    let vault = frozen_dev_vault();
    let (token, _) = create(&vault, "root", json!({"ttl": "10m"}));
    vault.clock().advance(Duration::from_secs(599));
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 200);
    vault.clock().advance(Duration::from_secs(1));
    let reply = get(&vault, &token, "auth/token/lookup-self");
    assert_eq!(reply.status, 403);
    assert_eq!(reply.errors(), ["permission denied"]);
    assert!(!vault.token_is_valid(&token));
}

#[test]
fn renewal_is_capped_by_the_max_ttl_and_explicit_max_ttl() {
    let vault = frozen_dev_vault();
    post(&vault, "root", "sys/auth/token/tune", json!({"max_lease_ttl": "2h"}));
    let (token, _) = create(&vault, "root", json!({"ttl": "1h"}));
    vault.clock().advance(Duration::from_secs(1800));
    let reply = post(&vault, &token, "auth/token/renew-self", json!({"increment": "2h"}));
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.body.unwrap();
    assert_eq!(body["auth"]["lease_duration"], 5400, "capped at 2h from creation");
    assert!(body["warnings"][0].as_str().unwrap().contains("capped"));

    let (limited, _) = create(&vault, "root", json!({"ttl": "1h", "explicit_max_ttl": "90m"}));
    vault.clock().advance(Duration::from_secs(3000));
    let reply = post(&vault, &limited, "auth/token/renew-self", json!({"increment": "1h"}));
    assert_eq!(reply.body.unwrap()["auth"]["lease_duration"], 2400);
    vault.clock().advance(Duration::from_secs(2400));
    assert_eq!(get(&vault, &limited, "auth/token/lookup-self").status, 403);
}

#[test]
fn periodic_tokens_renew_to_their_period_forever() {
    let vault = frozen_dev_vault();
    let (token, _) = create(&vault, "root", json!({"period": "5m", "policies": ["app"]}));
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").data().unwrap()["period"], 300);
    for _ in 0..40 {
        // Well past the 32-day system max in total.
        vault.clock().advance(Duration::from_secs(240));
        let reply = post(&vault, &token, "auth/token/renew-self", json!({"increment": "1h"}));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.unwrap()["auth"]["lease_duration"], 300, "the increment is ignored");
    }
    vault.clock().advance(Duration::from_secs(301));
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 403, "unrenewed, it expires");
}

#[test]
fn only_sudo_may_create_periodic_tokens() {
    let vault = frozen_dev_vault();
    let (plain, _) = create(&vault, "root", json!({"policies": ["default"]}));
    let reply = post(&vault, &plain, "auth/token/create", json!({"period": "5m"}));
    assert_eq!(reply.status, 403, "default policy has no create rights at all");
    post(
        &vault,
        "root",
        "sys/policies/acl/creator",
        json!({"policy": r#"path "auth/token/create" { capabilities = ["update"] }"#}),
    );
    let (creator, _) = create(&vault, "root", json!({"policies": ["creator"]}));
    let reply = post(&vault, &creator, "auth/token/create", json!({"period": "5m"}));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.errors(), ["root or sudo privileges required to create periodic token"]);
    let reply = post(&vault, &creator, "auth/token/create", json!({"policies": ["secret-reader"]}));
    assert_eq!(reply.errors(), ["child policies must be subset of parent"]);
    assert_eq!(post(&vault, &creator, "auth/token/create", json!({})).status, 200);
}

#[test]
fn num_uses_are_counted_and_the_last_use_revokes() {
    let vault = frozen_dev_vault();
    let (token, _) = create(&vault, "root", json!({"num_uses": 3}));
    let first = get(&vault, &token, "auth/token/lookup-self");
    assert_eq!(first.data().unwrap()["num_uses"], 2);
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 200);
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 200, "the third use still works");
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 403, "then it is gone");
    assert!(!vault.token_is_valid(&token));
    let negative = post(&vault, "root", "auth/token/create", json!({"num_uses": -1}));
    assert_eq!(negative.status, 400);
}

#[test]
fn revoking_a_parent_revokes_its_children_but_not_orphans() {
    let vault = frozen_dev_vault();
    post(
        &vault,
        "root",
        "sys/policies/acl/parent",
        json!({"policy": r#"path "auth/token/create*" { capabilities = ["update"] }"#}),
    );
    let (parent, _) = create(&vault, "root", json!({"policies": ["parent"]}));
    let (child, _) = create(&vault, &parent, json!({}));
    let (grandchild, _) = create(&vault, &child, json!({}));
    let orphan = post(&vault, &parent, "auth/token/create-orphan", json!({}));
    let orphan = orphan.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&vault, &orphan, "auth/token/lookup-self").data().unwrap()["orphan"], true);

    assert_eq!(post(&vault, "root", "auth/token/revoke", json!({"token": parent})).status, 204);
    for token in [&parent, &child, &grandchild] {
        assert!(!vault.token_is_valid(token));
    }
    assert!(vault.token_is_valid(&orphan));
}

#[test]
fn revoke_orphan_keeps_the_children_and_needs_sudo() {
    let vault = frozen_dev_vault();
    post(
        &vault,
        "root",
        "sys/policies/acl/maker",
        json!({"policy": r#"path "auth/token/create" { capabilities = ["update"] }"#}),
    );
    let (parent, _) = create(&vault, "root", json!({"policies": ["maker"]}));
    let (child, _) = create(&vault, &parent, json!({}));
    let refused = post(&vault, &parent, "auth/token/revoke-orphan", json!({"token": parent}));
    assert_eq!(refused.status, 403);
    assert_eq!(post(&vault, "root", "auth/token/revoke-orphan", json!({"token": parent})).status, 204);
    assert!(!vault.token_is_valid(&parent));
    assert_eq!(get(&vault, &child, "auth/token/lookup-self").data().unwrap()["orphan"], true);
}

#[test]
fn accessors_renew_and_revoke() {
    let vault = frozen_dev_vault();
    let (token, accessor) = create(&vault, "root", json!({"ttl": "1h"}));
    vault.clock().advance(Duration::from_secs(600));
    let renewed = post(&vault, "root", "auth/token/renew-accessor", json!({"accessor": accessor, "increment": 7200}));
    let auth = renewed.body.unwrap()["auth"].clone();
    assert_eq!(auth["client_token"], "");
    assert_eq!(auth["lease_duration"], 7200);
    let list = vault.handle(VaultRequest::list("auth/token/accessors").with_token("root"));
    assert!(list.data().unwrap()["keys"].as_array().unwrap().contains(&json!(accessor)));
    assert_eq!(post(&vault, "root", "auth/token/revoke-accessor", json!({"accessor": accessor})).status, 204);
    assert!(!vault.token_is_valid(&token));
    let again = post(&vault, "root", "auth/token/revoke-accessor", json!({"accessor": accessor}));
    assert_eq!(again.status, 400);
}

#[test]
fn revoke_self_ends_the_token() {
    let vault = frozen_dev_vault();
    let (token, _) = create(&vault, "root", json!({}));
    assert_eq!(post(&vault, &token, "auth/token/revoke-self", json!({})).status, 204);
    assert_eq!(get(&vault, &token, "auth/token/lookup-self").status, 403);
}

#[test]
fn non_renewable_tokens_refuse_renewal() {
    let vault = frozen_dev_vault();
    let (token, _) = create(&vault, "root", json!({"renewable": false}));
    let reply = post(&vault, &token, "auth/token/renew-self", json!({}));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.errors(), ["lease is not renewable"]);
}

#[test]
fn token_roles_are_crud_and_listed() {
    let vault = frozen_dev_vault();
    let role = json!({
        "allowed_policies": ["getsecretid-app"],
        "disallowed_policies": "root",
        "orphan": false,
        "renewable": true,
        "path_suffix": "v1",
        "token_period": "10m",
        "token_explicit_max_ttl": "1h",
    });
    assert_eq!(post(&vault, "root", "auth/token/roles/getsecretid-app", role).status, 204);
    let data = get(&vault, "root", "auth/token/roles/getsecretid-app").data().unwrap().clone();
    assert_eq!(data["allowed_policies"], json!(["getsecretid-app"]));
    assert_eq!(data["disallowed_policies"], json!(["root"]));
    assert_eq!(data["token_period"], 600);
    assert_eq!(data["period"], 600);
    assert_eq!(data["explicit_max_ttl"], 3600);
    assert_eq!(data["path_suffix"], "v1");
    assert_eq!(data["name"], "getsecretid-app");
    let list = vault.handle(VaultRequest::list("auth/token/roles").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["getsecretid-app"]));
    assert_eq!(vault.handle(VaultRequest::delete("auth/token/roles/getsecretid-app").with_token("root")).status, 204);
    assert_eq!(get(&vault, "root", "auth/token/roles/getsecretid-app").status, 404);
}

#[test]
fn creating_against_a_role_enforces_it() {
    let vault = frozen_dev_vault();
    post(
        &vault,
        "root",
        "auth/token/roles/getsecretid-app",
        json!({"allowed_policies": ["getsecretid-app"], "disallowed_policies": ["root"], "orphan": true, "path_suffix": "v2", "token_period": 600, "token_explicit_max_ttl": 1800}),
    );
    // A token that may only create tokens through the role.
    post(
        &vault,
        "root",
        "sys/policies/acl/secret-api",
        json!({"policy": r#"path "auth/token/create/getsecretid-app" { capabilities = ["update"] }"#}),
    );
    let (api, _) = create(&vault, "root", json!({"policies": ["secret-api"]}));

    let reply = post(&vault, &api, "auth/token/create/getsecretid-app", json!({}));
    assert_eq!(reply.status, 200, "{reply:?}");
    let auth = reply.body.unwrap()["auth"].clone();
    assert_eq!(auth["policies"], json!(["default", "getsecretid-app"]));
    assert_eq!(auth["orphan"], true);
    assert_eq!(auth["lease_duration"], 600);
    let token = auth["client_token"].as_str().unwrap();
    let data = get(&vault, token, "auth/token/lookup-self").data().unwrap().clone();
    assert_eq!(data["path"], "auth/token/create/getsecretid-app/v2");
    assert_eq!(data["role"], "getsecretid-app");
    assert_eq!(data["period"], 600);
    assert_eq!(data["explicit_max_ttl"], 1800);

    let beyond = post(&vault, &api, "auth/token/create/getsecretid-app", json!({"policies": ["admin"]}));
    assert_eq!(beyond.status, 400);
    assert!(beyond.errors()[0].contains("must be subset of the role's allowed policies"), "{beyond:?}");
    let root_policy = post(&vault, "root", "auth/token/create/getsecretid-app", json!({"policies": ["root"]}));
    assert_eq!(root_policy.status, 400);
    let unknown = post(&vault, "root", "auth/token/create/nope", json!({}));
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.errors(), ["unknown role nope"]);
    let no_right = post(&vault, &api, "auth/token/create", json!({}));
    assert_eq!(no_right.status, 403, "the policy covers the role path only");
}

#[test]
fn role_disallowing_default_keeps_it_off() {
    let vault = frozen_dev_vault();
    post(&vault, "root", "auth/token/roles/bare", json!({"disallowed_policies": ["default", "root"]}));
    let reply = post(&vault, "root", "auth/token/create/bare", json!({"policies": ["app"]}));
    assert_eq!(reply.body.unwrap()["auth"]["policies"], json!(["app"]));
}

#[test]
fn batch_tokens_are_refused_clearly() {
    let vault = frozen_dev_vault();
    let reply = post(&vault, "root", "auth/token/create", json!({"type": "batch"}));
    assert_eq!(reply.status, 400);
    assert!(reply.errors()[0].contains("batch tokens are not supported"));
}

#[test]
fn the_root_token_never_expires() {
    let vault = frozen_dev_vault();
    let data = get(&vault, "root", "auth/token/lookup-self").data().unwrap().clone();
    assert_eq!(data["policies"], json!(["root"]));
    assert_eq!(data["ttl"], 0);
    assert_eq!(data["expire_time"], Value::Null);
    assert_eq!(data["path"], "auth/token/root");
    vault.clock().advance(Duration::from_secs(400 * 24 * 3600));
    assert_eq!(get(&vault, "root", "auth/token/lookup-self").status, 200);
    let generated = MemoryVault::new();
    assert!(generated.root_token().starts_with("s."));
    assert!(generated.token_is_valid(generated.root_token()));
}

#[test]
fn wrong_methods_are_405() {
    let vault = frozen_dev_vault();
    assert_eq!(get(&vault, "root", "auth/token/create").status, 405);
    assert_eq!(vault.handle(VaultRequest::delete("auth/token/lookup-self").with_token("root")).status, 405);
}
