//! Provisioning: make Vault hold exactly the objects an app needs (the core
//! of the Secret API), idempotently.

use std::fmt;

use qsec_core::{AppPlan, AppRef, Policy, QsecLayout, RoleId, VaultBackend};
use serde_json::{Value, json};
use tracing::info;

use crate::error::{Error, Result};

/// One object provisioning created or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A policy was written (created or updated).
    Policy(String),
    /// The AppRole was written.
    AppRole(String),
    /// The token role was written.
    TokenRole(String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Policy(name) => write!(f, "policy {name}"),
            Self::AppRole(name) => write!(f, "AppRole {name}"),
            Self::TokenRole(name) => write!(f, "token role {name}"),
        }
    }
}

/// The result of [`Provisioner::ensure_app`].
#[derive(Debug, Clone)]
pub struct ProvisionedApp {
    /// The app.
    pub app: AppRef,
    /// Its AppRole's name, e.g. `aws.stg.myapp`.
    pub role_name: String,
    /// Its RoleID: the half of the login the deployer bakes into the image.
    pub role_id: RoleId,
    /// What had to be written; empty when Vault already matched.
    pub changes: Vec<Change>,
}

/// Creates or updates an app's AppRole, read policy, get-secret-id policy
/// and token role, as a [`QsecLayout`] says, through any [`VaultBackend`]
/// whose token may manage them.
///
/// Each object is read first and written only when it differs, so running
/// `ensure_app` again changes nothing. A policy that carries another app's
/// qsec marker is never overwritten: with a `-` role separator two apps can
/// map to one name, and handing one app's policy to another would leak its
/// secrets.
pub struct Provisioner<'a> {
    vault: &'a dyn VaultBackend,
    layout: QsecLayout,
}

impl<'a> Provisioner<'a> {
    /// A provisioner for `layout`, checked up front.
    pub fn new(vault: &'a dyn VaultBackend, layout: QsecLayout) -> Result<Self> {
        layout.validate()?;
        Ok(Self { vault, layout })
    }

    /// The layout in use.
    pub fn layout(&self) -> &QsecLayout {
        &self.layout
    }

    /// Makes Vault hold `app`'s objects and returns its RoleID.
    pub async fn ensure_app(&self, app: &AppRef) -> Result<ProvisionedApp> {
        let plan = self.layout.plan(app)?;
        let mut changes = Vec::new();
        for policy in [&plan.read_policy, &plan.get_secret_id_policy] {
            if self.ensure_policy(app, policy).await? {
                changes.push(Change::Policy(policy.name.clone()));
            }
        }
        let approle_path = plan.names.approle_path();
        if self.ensure_object(&approle_path, &approle_body(&plan), APPROLE_ALIASES).await? {
            changes.push(Change::AppRole(plan.names.approle.clone()));
        }
        let token_role_path = plan.names.token_role_path();
        if self.ensure_object(&token_role_path, &token_role_body(&plan), TOKEN_ROLE_ALIASES).await? {
            changes.push(Change::TokenRole(plan.names.token_role.clone()));
        }
        let role_id = self.role_id(&plan).await?;
        for change in &changes {
            info!(app = %app, %change, "provisioned");
        }
        Ok(ProvisionedApp { app: app.clone(), role_name: plan.names.approle.clone(), role_id, changes })
    }

    /// The RoleID of an app that was provisioned before.
    pub async fn role_id(&self, plan: &AppPlan) -> Result<RoleId> {
        let path = plan.names.role_id_path();
        let response = self.vault.read(&path).await?.ok_or_else(|| Error::Provisioning {
            app: plan.app.to_string(),
            reason: format!("{path} does not exist; the AppRole was not created"),
        })?;
        response.data.as_ref().and_then(|data| data.get_str("role_id")).map(RoleId::new).ok_or_else(|| Error::Decode {
            operation: "read RoleID".into(),
            path,
            reason: "no data.role_id in the answer".into(),
        })
    }

    /// Writes `policy` unless Vault already holds exactly it. Returns whether it wrote.
    async fn ensure_policy(&self, app: &AppRef, policy: &Policy) -> Result<bool> {
        let path = format!("sys/policies/acl/{}", policy.name);
        let wanted = policy.to_hcl();
        if let Some(existing) = self.vault.read(&path).await? {
            let text = existing.data.as_ref().and_then(|data| data.get_str("policy")).unwrap_or_default();
            if text == wanted {
                return Ok(false);
            }
            if let Some(owner) = marked_owner(text)
                && owner != app.to_string()
            {
                return Err(Error::Provisioning {
                    app: app.to_string(),
                    reason: format!(
                        "policy {} belongs to {owner}; with this role separator both apps map to one name — \
                         choose a separator that cannot appear in app names (e.g. '.' or '_')",
                        policy.name
                    ),
                });
            }
        }
        self.vault.write(&path, &json!({ "policy": wanted })).await?;
        Ok(true)
    }

    /// Writes `body` to `path` unless every field already has that value.
    async fn ensure_object(&self, path: &str, body: &Value, aliases: &[(&str, &str)]) -> Result<bool> {
        let existing = self.vault.read(path).await?;
        let current = existing.as_ref().and_then(|r| r.data.as_ref()).map(|d| d.expose_secret());
        if let Some(current) = current
            && matches(body, current, aliases)
        {
            return Ok(false);
        }
        self.vault.write(path, body).await?;
        Ok(true)
    }
}

/// Parameter names Vault also reports under an older name, and the value a
/// field has when a server leaves it out of a read.
const APPROLE_ALIASES: &[(&str, &str)] = &[("token_period", "period"), ("token_policies", "policies")];
const TOKEN_ROLE_ALIASES: &[(&str, &str)] =
    &[("token_period", "period"), ("token_explicit_max_ttl", "explicit_max_ttl")];

fn approle_body(plan: &AppPlan) -> Value {
    let settings = &plan.approle.settings;
    json!({
        "token_policies": plan.approle.token_policies,
        "token_period": settings.token_period,
        "secret_id_num_uses": settings.secret_id_num_uses,
        "secret_id_ttl": settings.secret_id_ttl,
        "token_ttl": settings.token_ttl,
        "token_max_ttl": settings.token_max_ttl,
        "token_num_uses": settings.token_num_uses,
    })
}

fn token_role_body(plan: &AppPlan) -> Value {
    let settings = &plan.token_role.settings;
    json!({
        "allowed_policies": plan.token_role.allowed_policies,
        "disallowed_policies": settings.disallowed_policies,
        "orphan": settings.orphan,
        "renewable": settings.renewable,
        "path_suffix": settings.path_suffix,
        "token_period": settings.token_period,
        "token_explicit_max_ttl": settings.explicit_max_ttl,
    })
}

/// True when every field of `wanted` has the same value in `current`, under
/// its name or its alias. A field the server does not report counts as its
/// Vault default (0, false, "" or an empty list), which is how Vault omits
/// unset fields.
fn matches(wanted: &Value, current: &Value, aliases: &[(&str, &str)]) -> bool {
    let Some(wanted) = wanted.as_object() else { return false };
    wanted.iter().all(|(field, value)| {
        let alias = aliases.iter().find(|(name, _)| name == field).map(|(_, alias)| *alias);
        let reported = current.get(field).or_else(|| alias.and_then(|a| current.get(a)));
        match reported {
            Some(reported) => same_value(value, reported),
            None => is_default(value),
        }
    })
}

/// Equality that ignores list order (Vault may sort policies) and number
/// representation (`300` vs `300.0`).
fn same_value(wanted: &Value, reported: &Value) -> bool {
    match (wanted, reported) {
        (Value::Array(a), Value::Array(b)) => {
            let mut a: Vec<String> = a.iter().map(Value::to_string).collect();
            let mut b: Vec<String> = b.iter().map(Value::to_string).collect();
            a.sort();
            b.sort();
            a == b
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The app named in a qsec policy marker on the first line, if any.
fn marked_owner(policy_text: &str) -> Option<String> {
    let first = policy_text.lines().next()?;
    let rest = first.strip_prefix("# qsec: managed policy of ")?;
    Some(rest.split(';').next()?.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_names_the_owner() {
        let app: AppRef = "aws.stg.myapp".parse().unwrap();
        let text = Policy::owner_marker(&app);
        assert_eq!(marked_owner(&text).as_deref(), Some("aws.stg.myapp"));
        assert_eq!(marked_owner("path \"x\" {}"), None);
    }

    #[test]
    fn matching_tolerates_aliases_order_and_omitted_defaults() {
        let wanted = json!({ "token_period": 300, "token_policies": ["default", "read"], "token_num_uses": 0 });
        let reported = json!({ "period": 300, "policies": ["read", "default"] });
        assert!(matches(&wanted, &reported, APPROLE_ALIASES));
        let changed = json!({ "period": 600, "policies": ["read", "default"] });
        assert!(!matches(&wanted, &changed, APPROLE_ALIASES));
        let float = json!({ "token_period": 300.0, "token_policies": ["default", "read"] });
        assert!(matches(&wanted, &float, APPROLE_ALIASES));
        let missing_non_default = json!({ "token_policies": ["default", "read"] });
        assert!(!matches(&wanted, &missing_non_default, APPROLE_ALIASES));
    }
}
