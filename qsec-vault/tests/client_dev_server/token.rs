//! The token auth method (`token.rs`): the current token, accessors,
//! creation, token roles.

use std::collections::BTreeMap;
use std::time::Duration;

use qsec_core::VaultToken;
use qsec_vault::client::requests::{TokenCreateRequest, TokenRoleConfig};

use crate::{Harness, status_of};

#[tokio::test]
async fn the_current_token_is_looked_up_renewed_and_revoked() {
    let harness = Harness::start();
    harness.vault.clock().freeze();
    let root = harness.root();
    let request = TokenCreateRequest {
        policies: vec!["app".into()],
        meta: BTreeMap::from([("pod".to_owned(), "myapp-0".to_owned())]),
        ttl: Some(Duration::from_secs(3600)),
        display_name: Some("myapp".into()),
        ..TokenCreateRequest::default()
    };
    let created = root.create_token(&request).await.unwrap();
    assert_eq!(created.policies, ["app", "default"]);
    assert_eq!((created.lease_duration, created.renewable, created.orphan), (3600, true, false));
    // The envelope keeps Vault's warning: the policy does not exist.
    assert_eq!(created.envelope.warnings, ["Policy \"app\" does not exist"]);
    assert!(root.token().is_some_and(|t| t.expose_secret() == "root"), "the new token is returned, not made current");

    let client = harness.client();
    client.set_token(created.client_token.clone());
    let info = client.lookup_self().await.unwrap();
    assert_eq!(info.id.expose_secret(), created.client_token.expose_secret());
    assert_eq!((info.ttl, info.creation_ttl, info.path.as_str()), (3600, 3600, "auth/token/create"));
    assert_eq!(info.meta.unwrap()["pod"], "myapp-0");

    harness.vault.clock().advance(Duration::from_secs(600));
    let renewed = client.renew_self(Some(Duration::from_secs(1800))).await.unwrap();
    assert_eq!((renewed.lease_duration, renewed.renewable), (1800, true));
    let renewed = client.renew_self(None).await.unwrap();
    assert_eq!(renewed.lease_duration, 3600, "the token's default TTL");

    let by_accessor = root.lookup_accessor(&created.accessor).await.unwrap();
    assert_eq!((by_accessor.id.expose_secret(), by_accessor.accessor.as_str()), ("", created.accessor.as_str()));

    client.revoke_self().await.unwrap();
    assert!(client.token().is_none());
    assert!(!harness.vault.token_is_valid(created.client_token.expose_secret()));
    assert_eq!(status_of(root.lookup_accessor(&created.accessor).await), 400);

    let other = root.create_token(&TokenCreateRequest::default()).await.unwrap();
    root.revoke_accessor(&other.accessor).await.unwrap();
    assert!(!harness.vault.token_is_valid(other.client_token.expose_secret()));
    harness.stop().await;
}

#[tokio::test]
async fn token_roles_are_written_read_listed_used_and_deleted() {
    let harness = Harness::start();
    let root = harness.root();
    assert!(root.list_token_roles().await.unwrap().is_empty());
    assert!(root.read_token_role("getsecretid-aws-stg-myapp").await.unwrap().is_none());

    let role = TokenRoleConfig {
        allowed_policies: Some(vec!["getsecretid-aws-stg-myapp".into()]),
        orphan: Some(true),
        renewable: Some(true),
        token_period: Some(300),
        token_explicit_max_ttl: Some(86_400),
        token_no_default_policy: Some(true),
        ..TokenRoleConfig::default()
    };
    assert!(root.write_token_role("getsecretid-aws-stg-myapp", &role).await.unwrap().is_none());
    let read = root.read_token_role("getsecretid-aws-stg-myapp").await.unwrap().expect("the role");
    assert_eq!(read.name.as_deref(), Some("getsecretid-aws-stg-myapp"));
    assert_eq!(read.allowed_policies, role.allowed_policies);
    assert_eq!((read.orphan, read.token_period, read.token_explicit_max_ttl), (Some(true), Some(300), Some(86_400)));
    assert_eq!(read.token_type.as_deref(), Some("default-service"));
    assert_eq!(root.list_token_roles().await.unwrap().value, ["getsecretid-aws-stg-myapp"]);

    let token = root.create_token_with_role("getsecretid-aws-stg-myapp", &TokenCreateRequest::default()).await.unwrap();
    assert_eq!(token.policies, ["getsecretid-aws-stg-myapp"]);
    assert_eq!((token.orphan, token.lease_duration), (true, 300));
    // Without the default policy, the token may not even look itself up.
    let client = harness.client();
    client.set_token(VaultToken::new(token.client_token.expose_secret()));
    assert_eq!(status_of(client.lookup_self().await), 403);
    let info = root.lookup_accessor(&token.accessor).await.unwrap();
    assert_eq!((info.period, info.path.as_str()), (Some(300), "auth/token/create/getsecretid-aws-stg-myapp"));
    // A policy the role does not allow is refused.
    let bad = TokenCreateRequest { policies: vec!["root".into()], ..TokenCreateRequest::default() };
    assert_eq!(status_of(root.create_token_with_role("getsecretid-aws-stg-myapp", &bad).await), 400);

    assert!(root.delete_token_role("getsecretid-aws-stg-myapp").await.unwrap().is_none());
    assert!(root.read_token_role("getsecretid-aws-stg-myapp").await.unwrap().is_none());
    assert!(root.list_token_roles().await.unwrap().is_empty());
    harness.stop().await;
}
