//! The app side of the Secret API: provisioning an app and reading its
//! RoleID (road 1), minting get-secret-id tokens for the controller
//! (road 2), and telling whether an app exists.
//!
//! # The provisioning cache
//!
//! A full [`Provisioner::ensure_app`] reads four objects and the RoleID.
//! After one succeeds, the app is remembered for `provision_cache_ttl`
//! seconds; a `role-id` call within that time reads only the RoleID, which
//! also proves the AppRole still exists. If someone deleted the AppRole, that
//! read fails, the app is forgotten and fully provisioned again in the same
//! call, so the answer is always a RoleID that works. What the cache can
//! miss, for at most its TTL, is a policy or token role edited or deleted
//! behind qsec's back; the next full check repairs it. A TTL of 0 turns the
//! cache off. The cache is per replica: replicas need not agree.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use qsec_core::{AppPlan, AppRef, QsecLayout, RoleId, VaultToken};
use qsec_vault::Provisioner;
use qsec_vault::client::requests::TokenCreateRequest;

use crate::error::{Error, Result};
use crate::vault::Metered;

/// Apps remembered at most; past it the cache is emptied (it only saves reads).
const CACHE_LIMIT: usize = 100_000;

/// The answer to `role-id`.
#[derive(Debug)]
pub struct RoleIdAnswer {
    /// The RoleID.
    pub role_id: RoleId,
    /// The AppRole's name.
    pub role_name: String,
    /// What provisioning wrote, e.g. `policy secret-api/read-aws.stg.myapp`;
    /// empty when Vault already held everything.
    pub changes: Vec<String>,
}

/// The answer to `secret-id-token`.
#[derive(Debug)]
pub struct SecretIdToken {
    /// The token: it can create SecretIDs for this one app, for `ttl` seconds.
    pub token: VaultToken,
    /// Its accessor, to look it up or revoke it.
    pub accessor: String,
    /// Seconds it lives.
    pub ttl: u64,
    /// Its policies: exactly the app's get-secret-id policy.
    pub policies: Vec<String>,
    /// The AppRole's name.
    pub role_name: String,
    /// Where the token creates SecretIDs, e.g. `auth/approle/role/aws.stg.myapp/secret-id`.
    pub secret_id_path: String,
}

/// Provisioning and token minting for apps, under one layout.
pub struct Apps {
    vault: Metered,
    layout: QsecLayout,
    cache_ttl: Duration,
    token_ttl: Duration,
    ensured: Mutex<HashMap<AppRef, Instant>>,
}

impl Apps {
    /// Apps laid out by `layout`, provisioned through `vault`.
    pub fn new(vault: Metered, layout: QsecLayout, cache_ttl: Duration, token_ttl: Duration) -> Self {
        Self { vault, layout, cache_ttl, token_ttl, ensured: Mutex::new(HashMap::new()) }
    }

    /// The layout in use.
    pub fn layout(&self) -> &QsecLayout {
        &self.layout
    }

    /// The Vault objects of `app`.
    pub fn plan(&self, app: &AppRef) -> Result<AppPlan> {
        Ok(self.layout.plan(app)?)
    }

    /// Makes sure `app`'s AppRole, policies and token role exist as the
    /// layout says (idempotent) and returns its RoleID.
    pub async fn role_id(&self, app: &AppRef) -> Result<RoleIdAnswer> {
        if self.recently_ensured(app) {
            let plan = self.plan(app)?;
            let read = self.vault.timed("read", self.vault.client().read(&plan.names.role_id_path())).await?;
            match read.as_ref().and_then(|found| found.data.as_ref()).and_then(|data| data.get_str("role_id")) {
                Some(role_id) => {
                    let role_id = RoleId::new(role_id);
                    return Ok(RoleIdAnswer { role_id, role_name: plan.names.approle, changes: Vec::new() });
                }
                // Deleted behind our back: provision it again below.
                None => self.forget(app),
            }
        }
        let provisioner = Provisioner::new(&self.vault, self.layout.clone())?;
        let provisioned = provisioner.ensure_app(app).await?;
        self.remember(app);
        Ok(RoleIdAnswer {
            role_id: provisioned.role_id,
            role_name: provisioned.role_name,
            changes: provisioned.changes.iter().map(ToString::to_string).collect(),
        })
    }

    /// Whether `app` has been provisioned: its AppRole exists.
    pub async fn exists(&self, app: &AppRef) -> Result<bool> {
        if self.recently_ensured(app) {
            return Ok(true);
        }
        let path = self.plan(app)?.names.approle_path();
        let found = self.vault.timed("read", self.vault.client().read(&path)).await?;
        Ok(found.is_some())
    }

    /// Fails with 404 unless `app` has been provisioned.
    pub async fn require(&self, app: &AppRef) -> Result<()> {
        if self.exists(app).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("app {app} is not provisioned; ask for its role-id first")))
        }
    }

    /// A short-lived token, made through the app's token role, carrying only
    /// its get-secret-id policy. `requested_by` is recorded in the token's
    /// metadata, which Vault's audit log shows.
    pub async fn secret_id_token(&self, app: &AppRef, requested_by: &str) -> Result<SecretIdToken> {
        self.require(app).await?;
        let plan = self.plan(app)?;
        let request = TokenCreateRequest {
            policies: vec![plan.names.get_secret_id_policy.clone()],
            meta: BTreeMap::from([
                ("qsec_app".to_owned(), app.to_string()),
                ("qsec_requested_by".to_owned(), requested_by.to_owned()),
            ]),
            no_default_policy: Some(true),
            renewable: Some(false),
            ttl: Some(self.token_ttl),
            display_name: Some(format!("qsec-{}", plan.names.token_role)),
            ..TokenCreateRequest::default()
        };
        let client = self.vault.client();
        let created =
            self.vault.timed("token create", client.create_token_with_role(&plan.names.token_role, &request)).await?;
        let auth = created.into_value();
        let policies = if auth.token_policies.is_empty() { auth.policies } else { auth.token_policies };
        Ok(SecretIdToken {
            token: auth.client_token,
            accessor: auth.accessor,
            ttl: auth.lease_duration,
            policies,
            secret_id_path: plan.names.secret_id_path(),
            role_name: plan.names.approle,
        })
    }

    fn recently_ensured(&self, app: &AppRef) -> bool {
        !self.cache_ttl.is_zero()
            && self.cache().get(app).is_some_and(|ensured_at| ensured_at.elapsed() < self.cache_ttl)
    }

    fn remember(&self, app: &AppRef) {
        if self.cache_ttl.is_zero() {
            return;
        }
        let mut cache = self.cache();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(app.clone(), Instant::now());
    }

    fn forget(&self, app: &AppRef) {
        self.cache().remove(app);
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<AppRef, Instant>> {
        self.ensured.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
