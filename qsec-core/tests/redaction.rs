//! Debug and Display of every type that carries a credential or a secret
//! value never show it.

use qsec_core::secret::REDACTED;
use qsec_core::{
    AuthInfo, IssuedSecretId, Jwt, LeaseBundle, Password, PrivateKey, RenderedTemplate, RoleId, SecretData, SecretId,
    SecretText, StoredToken, TokenInfo, VaultResponse, VaultToken, WrapInfo, WrappingToken,
};

const VALUE: &str = "s3cr3t-VALUE-that-must-not-leak";

/// Asserts neither `{:?}` nor `{:#?}` (nor `{}` where given) shows VALUE.
fn assert_hidden(what: &str, debug: String, pretty: String, display: Option<String>) {
    for (form, text) in [("Debug", Some(debug)), ("pretty Debug", Some(pretty)), ("Display", display)] {
        if let Some(text) = text {
            assert!(!text.contains(VALUE), "{what} {form} leaks the value: {text}");
        }
    }
}

macro_rules! check {
    ($value:expr) => {{
        let value = $value;
        assert_hidden(stringify!($value), format!("{value:?}"), format!("{value:#?}"), Some(value.to_string()));
    }};
    ($value:expr, debug_only) => {{
        let value = $value;
        assert_hidden(stringify!($value), format!("{value:?}"), format!("{value:#?}"), None);
    }};
}

fn auth() -> AuthInfo {
    serde_json::from_value(serde_json::json!({
        "client_token": VALUE, "accessor": "acc-1", "lease_duration": 300, "renewable": true,
        "token_policies": ["default"], "metadata": { "role_name": "aws.stg.myapp" }
    }))
    .unwrap()
}

fn wrap_info() -> WrapInfo {
    serde_json::from_value(serde_json::json!({
        "token": VALUE, "accessor": "wacc", "ttl": 60,
        "creation_path": "auth/approle/role/aws.stg.myapp/secret-id"
    }))
    .unwrap()
}

#[test]
fn secret_newtypes_redact() {
    check!(VaultToken::new(VALUE));
    check!(SecretId::new(VALUE));
    check!(RoleId::new(VALUE));
    check!(WrappingToken::new(VALUE));
    check!(Password::new(VALUE));
    check!(PrivateKey::new(VALUE));
    check!(Jwt::new(VALUE));
    check!(SecretText::new(VALUE));
    assert_eq!(VaultToken::new(VALUE).to_string(), REDACTED);
    assert_eq!(format!("{:?}", SecretId::new(VALUE)), "SecretId([redacted])");
    // The value is still there for the places that must send it.
    assert_eq!(SecretId::new(VALUE).expose_secret(), VALUE);
}

#[test]
fn secret_data_shows_keys_only() {
    let data = SecretData::new(serde_json::json!({ "password": VALUE, "nested": { "k": VALUE } }));
    check!(data.clone());
    assert_eq!(format!("{data:?}"), r#"SecretData { keys: ["nested", "password"] }"#);
    check!(SecretData::new(serde_json::json!([VALUE])));
    check!(SecretData::new(serde_json::json!(VALUE)));
}

#[test]
fn envelopes_and_credentials_redact() {
    check!(auth());
    check!(wrap_info());
    check!(
        IssuedSecretId::Plain { secret_id: SecretId::new(VALUE), accessor: "a".into(), ttl: 1, num_uses: 1 },
        debug_only
    );
    check!(IssuedSecretId::Wrapped(wrap_info()), debug_only);
    check!(qsec_core::delivery::SecretIdDelivery::Plain { secret_id: SecretId::new(VALUE) }, debug_only);
    check!(qsec_core::delivery::SecretIdDelivery::Wrapped { wrapped_secret_id: WrappingToken::new(VALUE) }, debug_only);
    let response: VaultResponse = serde_json::from_value(serde_json::json!({
        "lease_id": "database/creds/app/1", "lease_duration": 60, "renewable": true,
        "data": { "username": "v-app", "password": VALUE },
        "auth": { "client_token": VALUE, "accessor": "acc" },
        "wrap_info": { "token": VALUE, "creation_path": "x" }
    }))
    .unwrap();
    check!(response, debug_only);
    let info: TokenInfo =
        serde_json::from_value(serde_json::json!({ "id": VALUE, "accessor": "acc", "ttl": 5 })).unwrap();
    check!(info, debug_only);
    let stored = StoredToken::from_auth(&auth(), 1_700_000_000);
    check!(stored.clone(), debug_only);
    check!(LeaseBundle::new(Some("aws.stg.myapp".parse().unwrap()), stored, vec![]), debug_only);
    check!(RenderedTemplate { content: SecretText::new(format!("password: {VALUE}\n")), leases: vec![] }, debug_only);
}

#[test]
fn errors_carry_no_values() {
    // Errors are built from paths and Vault's messages; show one that names
    // a secret's path and check the Debug form too.
    let error = qsec_core::Error::Vault {
        operation: "read".into(),
        path: "secret/myapp/db".into(),
        status: 403,
        errors: vec!["permission denied".into()],
    };
    check!(error);
}
