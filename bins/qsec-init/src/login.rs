//! Getting the app's token: AppRole with a delivered SecretID (plain or
//! response-wrapped), or Kubernetes auth with the pod's service-account token.

use std::path::PathBuf;

use qsec_core::delivery::SecretIdDelivery;
use qsec_core::{AuthInfo, Jwt, RoleId, SecretId, VaultBackend, WrappingToken};
use tracing::info;

use crate::error::{Error, one_line};

const LOGIN_HINT: &str = "the SecretID may be used up or expired, or issued for another AppRole or from another IP; \
                          deliver a new one, and check the RoleID baked into the image";
const WRAP_HINT: &str = "the wrapping token may be used up or expired; deliver a new one";

/// The AppRole half of the flow: the RoleID this pod was built with, joined
/// with each delivered SecretID.
#[derive(Debug, Clone)]
pub struct AppRoleLogin {
    /// Where the AppRole auth method is mounted, without `auth/`.
    pub mount: String,
    /// The RoleID, from the image.
    pub role_id: RoleId,
    /// The only `creation_path` a wrapped SecretID may have:
    /// `auth/{mount}/role/{name}/secret-id`.
    pub secret_id_path: String,
}

impl AppRoleLogin {
    /// Logs in with the SecretID of `delivery`, unwrapping it first if it is
    /// wrapped, and returns the app's token (now `vault`'s current token).
    ///
    /// A wrapping token is looked up before it is used: unless Vault says it
    /// was created by [`AppRoleLogin::secret_id_path`], it is refused and
    /// left unused, since a token wrapped for anything else may be an attempt
    /// to make this pod log in with credentials it should not hold.
    pub async fn redeem(&self, vault: &dyn VaultBackend, delivery: &SecretIdDelivery) -> Result<AuthInfo, Error> {
        let secret_id = match delivery {
            SecretIdDelivery::Plain { secret_id } => secret_id.clone(),
            SecretIdDelivery::Wrapped { wrapped_secret_id } => self.unwrap(vault, wrapped_secret_id).await?,
        };
        let auth = vault
            .login_approle(&self.mount, &self.role_id, &secret_id)
            .await
            .map_err(|error| Error::from_vault("AppRole login", LOGIN_HINT, &error))?;
        info!(accessor = %auth.accessor, ttl = auth.lease_duration, "logged in with AppRole");
        Ok(auth)
    }

    async fn unwrap(&self, vault: &dyn VaultBackend, token: &WrappingToken) -> Result<SecretId, Error> {
        let lookup = vault
            .lookup_wrapping(token)
            .await
            .map_err(|error| Error::from_vault("looking up the wrapping token", WRAP_HINT, &error))?;
        let found = lookup.creation_path.trim_matches('/');
        if found != self.secret_id_path.trim_matches('/') {
            return Err(Error::WrongCreationPath {
                found: found.to_owned(),
                expected: self.secret_id_path.trim_matches('/').to_owned(),
            });
        }
        let response = vault
            .unwrap(token)
            .await
            .map_err(|error| Error::from_vault("unwrapping the SecretID", WRAP_HINT, &error))?;
        response.data.as_ref().and_then(|data| data.get_str("secret_id")).map(SecretId::new).ok_or(Error::Refused {
            step: "unwrapping the SecretID",
            reason: "the wrapped answer holds no secret_id".into(),
            hint: "check what the controller wraps",
        })
    }
}

/// The tutorial's way in: Vault's Kubernetes auth with the pod's own
/// service-account token; no SecretID is awaited.
#[derive(Debug, Clone)]
pub struct KubernetesLogin {
    /// Where the Kubernetes auth method is mounted, without `auth/`.
    pub mount: String,
    /// The Kubernetes auth role.
    pub role: String,
    /// The service-account token file.
    pub jwt_path: PathBuf,
}

impl KubernetesLogin {
    /// Reads the service-account token and logs in with it.
    pub async fn login(&self, vault: &dyn VaultBackend) -> Result<AuthInfo, Error> {
        let jwt = tokio::fs::read_to_string(&self.jwt_path)
            .await
            .map_err(|error| Error::Jwt { path: self.jwt_path.clone(), reason: one_line(error) })?;
        let jwt = jwt.trim();
        if jwt.is_empty() {
            return Err(Error::Jwt { path: self.jwt_path.clone(), reason: "the file is empty".into() });
        }
        let auth = vault.login_kubernetes(&self.mount, &self.role, &Jwt::new(jwt)).await.map_err(|error| {
            match Error::from_vault("Kubernetes login", "", &error) {
                Error::Refused { reason, .. } => Error::Refused {
                    step: "Kubernetes login",
                    reason,
                    hint: "check the role's bound_service_account_names and bound_service_account_namespaces, \
                           the pod's service account and the auth method's config",
                },
                other => other,
            }
        })?;
        info!(accessor = %auth.accessor, role = %self.role, ttl = auth.lease_duration, "logged in with Kubernetes auth");
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use qsec_core::{AppRef, IssuedSecretId, KvMount, KvVersion, QsecLayout, SecretIdIssuer, SecretIdRequest};
    use qsec_vault::Provisioner;
    use qsec_vault::testkit::MemoryVault;
    use qsec_vault::testkit::memory::VaultRequest;
    use serde_json::json;

    use super::*;

    struct Fixture {
        vault: MemoryVault,
        login: AppRoleLogin,
        request: SecretIdRequest,
    }

    async fn fixture() -> Fixture {
        let vault = MemoryVault::builder().root_token("root").dev_mounts().build();
        let root = vault.backend().with_token("root");
        let app: AppRef = "aws.stg.myapp".parse().unwrap();
        let mut layout = QsecLayout::default();
        layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
        let provisioned = Provisioner::new(&root, layout.clone()).unwrap().ensure_app(&app).await.unwrap();
        let names = layout.plan(&app).unwrap().names;
        let login = AppRoleLogin {
            mount: "approle".into(),
            role_id: provisioned.role_id,
            secret_id_path: names.secret_id_path(),
        };
        let request = SecretIdRequest {
            approle_mount: "approle".into(),
            role_name: names.approle,
            num_uses: Some(1),
            ..Default::default()
        };
        Fixture { vault, login, request }
    }

    impl Fixture {
        async fn issue(&self, wrapped: bool) -> SecretIdDelivery {
            let request = SecretIdRequest {
                wrap_ttl: wrapped.then(|| std::time::Duration::from_secs(60)),
                ..self.request.clone()
            };
            match self.vault.backend().with_token("root").issue_secret_id(&request).await.unwrap() {
                IssuedSecretId::Plain { secret_id, .. } => SecretIdDelivery::Plain { secret_id },
                IssuedSecretId::Wrapped(info) => SecretIdDelivery::Wrapped { wrapped_secret_id: info.token },
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn plain_and_wrapped_secret_ids_log_in_once() {
        let f = fixture().await;
        for wrapped in [false, true] {
            let delivery = f.issue(wrapped).await;
            let backend = f.vault.backend();
            let auth = f.login.redeem(&backend, &delivery).await.unwrap();
            assert!(f.vault.token_is_valid(auth.client_token.expose_secret()));
            assert!(auth.token_policies.contains(&"secret-api/read-aws.stg.myapp".to_owned()));
            let again = f.login.redeem(&f.vault.backend(), &delivery).await.unwrap_err();
            assert!(again.is_refusal(), "{again}");
        }
    }

    #[tokio::test]
    async fn a_token_wrapped_elsewhere_is_refused_and_left_unused() {
        let f = fixture().await;
        let wrapped = f.vault.handle(
            VaultRequest::post("sys/wrapping/wrap", json!({ "secret_id": "not-for-you" }))
                .with_token("root")
                .with_wrap_ttl("60s"),
        );
        let token = wrapped.body.as_ref().unwrap()["wrap_info"]["token"].as_str().unwrap().to_owned();
        let delivery = SecretIdDelivery::Wrapped { wrapped_secret_id: token.into() };
        let error = f.login.redeem(&f.vault.backend(), &delivery).await.unwrap_err();
        assert!(matches!(&error, Error::WrongCreationPath { found, .. } if found == "sys/wrapping/wrap"), "{error}");
        assert!(error.is_refusal());
        assert_eq!(f.vault.wrapping_token_count(), 1, "looked up, never unwrapped");
        assert!(!f.vault.request_log().iter().any(|r| r.path == "sys/wrapping/unwrap"));
    }

    #[tokio::test]
    async fn unknown_wrapping_tokens_are_refused_and_a_sealed_vault_is_unavailable() {
        let f = fixture().await;
        let bogus = SecretIdDelivery::Wrapped { wrapped_secret_id: "hvs.bogus".into() };
        let error = f.login.redeem(&f.vault.backend(), &bogus).await.unwrap_err();
        assert!(error.to_string().starts_with("looking up the wrapping token was refused"), "{error}");
        let delivery = f.issue(false).await;
        f.vault.faults().seal();
        let error = f.login.redeem(&f.vault.backend().with_retries(0), &delivery).await.unwrap_err();
        assert!(matches!(error, Error::VaultUnavailable { step: "AppRole login", .. }), "{error}");
    }

    #[tokio::test]
    async fn a_missing_service_account_token_names_the_file() {
        let f = fixture().await;
        let login = KubernetesLogin { mount: "kubernetes".into(), role: "r".into(), jwt_path: "/nonexistent/t".into() };
        let error = login.login(&f.vault.backend()).await.unwrap_err();
        assert!(error.to_string().starts_with("could not read the service-account token /nonexistent/t"), "{error}");
    }
}
