//! The AppRole auth method (`approle.rs`), with `-` separated role names
//! as some Vault-compatible servers require, and the `SecretIdIssuer`
//! implementation on top of it (`backend.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use qsec_core::{IssuedSecretId, SecretIdIssuer, SecretIdRequest};
use qsec_vault::client::requests::AppRoleConfig;

use crate::{Harness, status_of};

const ROLE: &str = "aws-stg-myapp";

fn role() -> AppRoleConfig {
    AppRoleConfig {
        bind_secret_id: Some(true),
        secret_id_num_uses: Some(1),
        secret_id_ttl: Some(600),
        token_ttl: Some(300),
        token_max_ttl: Some(600),
        token_policies: Some(vec!["secret-api/read-aws-stg-myapp".into()]),
        token_period: Some(300),
        ..AppRoleConfig::default()
    }
}

#[tokio::test]
async fn approles_are_written_read_listed_and_deleted() {
    let harness = Harness::start();
    let root = harness.root();
    assert!(root.list_approles("approle").await.unwrap().is_empty());
    assert!(root.read_approle("approle", ROLE).await.unwrap().is_none());

    assert!(root.write_approle("approle", ROLE, &role()).await.unwrap().is_none());
    let read = root.read_approle("approle", ROLE).await.unwrap().expect("the role").into_value();
    assert_eq!(read.token_policies, role().token_policies);
    assert_eq!((read.secret_id_num_uses, read.secret_id_ttl, read.token_period), (Some(1), Some(600), Some(300)));
    assert_eq!((read.bind_secret_id, read.token_type.as_deref()), (Some(true), Some("default")));
    assert_eq!(root.list_approles("approle/").await.unwrap().value, [ROLE]);
    let role_id = root.read_role_id("approle", ROLE).await.unwrap();
    assert_eq!(role_id.expose_secret().len(), 36);

    // A role with no constraint at all is refused.
    let loose = AppRoleConfig { bind_secret_id: Some(false), ..AppRoleConfig::default() };
    assert_eq!(status_of(root.write_approle("approle", "loose", &loose).await), 400);
    assert!(root.delete_approle("approle", ROLE).await.unwrap().is_none());
    assert!(root.read_approle("approle", ROLE).await.unwrap().is_none());
    assert_eq!(status_of(root.read_role_id("approle", ROLE).await), 404);
    harness.stop().await;
}

#[tokio::test]
async fn secret_ids_are_generated_looked_up_listed_and_destroyed() {
    let harness = Harness::start();
    let root = harness.root();
    root.write_approle("approle", ROLE, &AppRoleConfig { secret_id_num_uses: Some(0), ..role() }).await.unwrap();
    let request = SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: ROLE.into(),
        metadata: BTreeMap::from([("pod".to_owned(), "myapp-0".to_owned())]),
        cidr_list: vec!["127.0.0.1/32".into()],
        token_bound_cidrs: vec!["127.0.0.1/32".into()],
        num_uses: Some(1),
        ttl: Some(Duration::from_secs(300)),
        ..SecretIdRequest::default()
    };
    let IssuedSecretId::Plain { secret_id, accessor, ttl, num_uses } =
        root.generate_secret_id(&request).await.unwrap().into_value()
    else {
        panic!("a plain SecretID without wrap_ttl");
    };
    assert_eq!((ttl, num_uses), (300, 1));
    assert_eq!(root.list_secret_id_accessors("approle", ROLE).await.unwrap().value, std::slice::from_ref(&accessor));

    let info = root.lookup_secret_id("approle", ROLE, &secret_id).await.unwrap().expect("known").into_value();
    assert_eq!(
        (info.secret_id_accessor.as_str(), info.secret_id_num_uses, info.secret_id_ttl),
        (accessor.as_str(), 1, 300)
    );
    assert_eq!(info.metadata["pod"], "myapp-0");
    assert_eq!(
        (info.cidr_list.clone(), info.token_bound_cidrs.clone()),
        (request.cidr_list.clone(), request.token_bound_cidrs.clone())
    );
    let by_accessor = root.lookup_secret_id_accessor("approle", ROLE, &accessor).await.unwrap().expect("known");
    assert_eq!(by_accessor.value, info);

    assert!(root.destroy_secret_id_by_value("approle", ROLE, &secret_id).await.unwrap().is_none());
    assert!(root.lookup_secret_id("approle", ROLE, &secret_id).await.unwrap().is_none());
    assert!(root.list_secret_id_accessors("approle", ROLE).await.unwrap().is_empty());
    assert_eq!(status_of(root.lookup_secret_id_accessor("approle", ROLE, &accessor).await), 400);

    // By accessor, directly and through `SecretIdIssuer`.
    let issued = SecretIdIssuer::issue_secret_id(&root, &request).await.unwrap();
    let accessor = issued.secret_id_accessor().unwrap().to_owned();
    assert!(root.destroy_secret_id_accessor("approle", ROLE, &accessor).await.unwrap().is_none());
    assert_eq!(harness.vault.secret_id_count("approle", ROLE), 0);
    let issued = SecretIdIssuer::issue_secret_id(&root, &request).await.unwrap();
    SecretIdIssuer::destroy_secret_id(&root, "approle", ROLE, issued.secret_id_accessor().unwrap()).await.unwrap();
    assert_eq!(harness.vault.secret_id_count("approle", ROLE), 0);
    harness.stop().await;
}
