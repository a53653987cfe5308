//! Response wrapping (`wrapping.rs`): a wrapped SecretID, as the Secret
//! Controller gets one and `qsec-init` unwraps it.

use std::time::Duration;

use qsec_core::{IssuedSecretId, SecretIdRequest, WrappingToken};
use qsec_vault::client::requests::AppRoleConfig;

use crate::{Harness, status_of};

const ROLE: &str = "aws-stg-myapp";

/// A wrapped single-use SecretID of `ROLE`.
async fn wrapped_secret_id(harness: &Harness) -> WrappingToken {
    let request = SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: ROLE.into(),
        num_uses: Some(1),
        wrap_ttl: Some(Duration::from_secs(120)),
        ..SecretIdRequest::default()
    };
    match harness.root().generate_secret_id(&request).await.unwrap().into_value() {
        IssuedSecretId::Wrapped(info) => {
            assert_eq!((info.ttl, info.creation_path.as_str()), (120, "auth/approle/role/aws-stg-myapp/secret-id"));
            assert!(!info.wrapped_accessor.is_empty(), "the SecretID's accessor is shown");
            info.token
        }
        other => panic!("expected a wrapped SecretID, got {other:?}"),
    }
}

#[tokio::test]
async fn wrapped_secret_ids_are_looked_up_and_unwrapped_every_way() {
    let harness = Harness::start();
    let root = harness.root();
    root.write_approle(
        "approle",
        ROLE,
        &AppRoleConfig { token_policies: Some(vec!["app".into()]), ..AppRoleConfig::default() },
    )
    .await
    .unwrap();
    let role_id = root.read_role_id("approle", ROLE).await.unwrap().into_value();

    // qsec-init's way: look, check the creation path, unwrap with no token,
    // log in.
    let token = wrapped_secret_id(&harness).await;
    let pod = harness.client();
    let lookup = pod.lookup_wrapping(&token).await.unwrap();
    assert_eq!(
        (lookup.creation_path.as_str(), lookup.creation_ttl),
        ("auth/approle/role/aws-stg-myapp/secret-id", 120)
    );
    assert!(!lookup.creation_time.is_empty());
    let unwrapped = pod.unwrap_secret_id(&token).await.unwrap();
    assert_eq!(unwrapped.secret_id_num_uses, 1);
    assert!(pod.token().is_none(), "unwrapping logs nobody in");
    let auth = pod.login_approle("approle", &role_id, &unwrapped.value.secret_id).await.unwrap();
    assert_eq!(auth.policies, ["app", "default"]);
    // Single use: the token is gone, and so is its SecretID after the login.
    assert_eq!(status_of(harness.client().unwrap(&token).await), 400);
    assert_eq!(status_of(harness.client().lookup_wrapping(&token).await), 400);
    assert_eq!(harness.vault.secret_id_count("approle", ROLE), 0);

    // With no current token, `unwrap` sends the wrapping token as the
    // client token; with one, in the body.
    let token = wrapped_secret_id(&harness).await;
    let answer = harness.client().unwrap(&token).await.unwrap();
    assert!(answer.data.unwrap().expose_secret()["secret_id"].is_string());
    let token = wrapped_secret_id(&harness).await;
    let answer = root.unwrap(&token).await.unwrap();
    assert!(answer.data.unwrap().expose_secret()["secret_id_accessor"].is_string());

    let token = wrapped_secret_id(&harness).await;
    let answer = harness.client().unwrap_with_header(&token).await.unwrap();
    assert_eq!(answer.data.unwrap().expose_secret()["secret_id_num_uses"], 1);
    let token = wrapped_secret_id(&harness).await;
    let answer = root.unwrap_with_body(&token).await.unwrap();
    assert_eq!(answer.data.unwrap().expose_secret()["secret_id_ttl"], 0);
    assert_eq!(harness.vault.wrapping_token_count(), 0);
    harness.stop().await;
}
