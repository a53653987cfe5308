//! [`QsecLayout`]: the whole configuration of what qsec creates in Vault,
//! and [`AppPlan`]: what it comes to for one app.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::app_ref::AppRef;
use crate::error::{Error, Result};
use crate::naming::{AppNames, NamingScheme};
use crate::policy::{KvMount, Policy, PolicyLayout, check_template, fill_template};

/// Settings of every app's AppRole. Field names and units (seconds) are
/// Vault's own AppRole parameters; the defaults are the seed's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppRoleSettings {
    /// Tokens are periodic: renewable forever, each renewal for this long.
    /// The seed's `period 300`.
    pub token_period: u64,
    /// How many logins a SecretID allows. 1: a SecretID works once.
    pub secret_id_num_uses: u64,
    /// How long a SecretID lives.
    pub secret_id_ttl: u64,
    /// The initial TTL of a token issued at login.
    pub token_ttl: u64,
    /// The longest a non-periodic token may live.
    pub token_max_ttl: u64,
    /// How many requests a token may make; 0 is unlimited.
    pub token_num_uses: u64,
    /// Policies every app token gets besides the app's read policy.
    pub extra_token_policies: Vec<String>,
}

impl Default for AppRoleSettings {
    fn default() -> Self {
        Self {
            token_period: 300,
            secret_id_num_uses: 1,
            secret_id_ttl: 300,
            token_ttl: 300,
            token_max_ttl: 300,
            token_num_uses: 0,
            extra_token_policies: vec!["default".into()],
        }
    }
}

/// Settings of every app's token role (the one the Secret API mints the
/// controller's get-secret-id tokens through). Defaults are the seed's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenRoleSettings {
    /// Policies tokens of this role may never carry.
    pub disallowed_policies: Vec<String>,
    /// Hard cap on token lifetime in seconds; 0 defers to the system's.
    pub explicit_max_ttl: u64,
    /// Whether tokens are orphans (outlive their parent).
    pub orphan: bool,
    /// Appended to the token's creation path, for audit.
    pub path_suffix: String,
    /// Renewal period in seconds; 0 makes tokens non-periodic.
    pub token_period: u64,
    /// Whether tokens may be renewed.
    pub renewable: bool,
}

impl Default for TokenRoleSettings {
    fn default() -> Self {
        Self {
            disallowed_policies: vec!["root".into()],
            explicit_max_ttl: 0,
            orphan: false,
            path_suffix: String::new(),
            token_period: 0,
            renewable: true,
        }
    }
}

/// Where an app's static secrets live, as logical kv paths (the mount then
/// the path inside it, as in the seed's policy), with the same placeholders
/// as policy templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretAreaTemplates {
    /// The app's own area, read by the `lookup` template function.
    pub app: String,
    /// Shared by every app.
    pub global: String,
    /// Shared by the apps of one provider.
    pub project: String,
    /// Shared by the apps of one cluster.
    pub cluster: String,
}

impl Default for SecretAreaTemplates {
    fn default() -> Self {
        Self {
            app: "secret/{app}".into(),
            global: "secret/global".into(),
            project: "secret/project/{provider}".into(),
            cluster: "secret/cluster/{provider}/{cluster}".into(),
        }
    }
}

/// The secret areas of one app, as logical kv paths without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAreas {
    /// e.g. `secret/myapp`.
    pub app: String,
    /// e.g. `secret/global`.
    pub global: String,
    /// e.g. `secret/project/aws`.
    pub project: String,
    /// e.g. `secret/cluster/aws/stg`.
    pub cluster: String,
}

/// Everything qsec needs to know to create an app's Vault objects. The
/// default reproduces the seed; deserialize it from a config file to change
/// any part, and call [`QsecLayout::validate`] before use.
///
/// ```
/// use qsec_core::{AppRef, QsecLayout};
///
/// let plan = QsecLayout::default().plan(&"aws.stg.myapp".parse::<AppRef>()?)?;
/// assert_eq!(plan.names.read_policy, "secret-api/read-aws.stg.myapp");
/// assert_eq!(plan.approle.token_policies, ["default", "secret-api/read-aws.stg.myapp"]);
/// assert_eq!(plan.kv_read_path("secret/myapp/db"), "secret/myapp/db");
/// # Ok::<(), qsec_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QsecLayout {
    /// How objects are named.
    pub naming: NamingScheme,
    /// What the read policy grants.
    pub policies: PolicyLayout,
    /// Where static secrets live.
    pub secret_areas: SecretAreaTemplates,
    /// The AppRole's settings.
    pub approle: AppRoleSettings,
    /// The token role's settings.
    pub token_role: TokenRoleSettings,
}

impl QsecLayout {
    /// Checks the whole configuration, naming the first setting at fault.
    pub fn validate(&self) -> Result<()> {
        self.naming.validate()?;
        self.policies.validate()?;
        let areas = &self.secret_areas;
        for (field, template) in [
            ("secret_areas.app", &areas.app),
            ("secret_areas.global", &areas.global),
            ("secret_areas.project", &areas.project),
            ("secret_areas.cluster", &areas.cluster),
        ] {
            check_template(field, template)?;
            if template.contains(['*', '+']) || template.ends_with('/') {
                return Err(Error::InvalidConfig {
                    field: field.into(),
                    reason: format!("{template:?} must be a plain path: no globs, no trailing '/'"),
                });
            }
        }
        if self.approle.secret_id_num_uses == 0 {
            return Err(Error::InvalidConfig {
                field: "approle.secret_id_num_uses".into(),
                reason: "0 would let one SecretID log in any number of times; the design needs single use (1)".into(),
            });
        }
        Ok(())
    }

    /// The Vault objects of `app` under this layout.
    pub fn plan(&self, app: &AppRef) -> Result<AppPlan> {
        self.validate()?;
        let names = self.naming.names(app);
        let mut token_policies = self.approle.extra_token_policies.clone();
        token_policies.push(names.read_policy.clone());
        let fill = |template: &str| fill_template(template, app, &names);
        Ok(AppPlan {
            app: app.clone(),
            read_policy: self.policies.read_policy(app, &names),
            get_secret_id_policy: self.policies.get_secret_id_policy(app, &names),
            approle: AppRoleSpec { token_policies, settings: self.approle.clone() },
            token_role: TokenRoleSpec {
                allowed_policies: vec![names.get_secret_id_policy.clone()],
                settings: self.token_role.clone(),
            },
            secret_areas: SecretAreas {
                app: fill(&self.secret_areas.app),
                global: fill(&self.secret_areas.global),
                project: fill(&self.secret_areas.project),
                cluster: fill(&self.secret_areas.cluster),
            },
            kv_mounts: self.policies.kv_mounts.clone(),
            names,
        })
    }
}

/// The AppRole to create for an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRoleSpec {
    /// Policies on its tokens: the extra ones, then the read policy.
    pub token_policies: Vec<String>,
    /// The shared settings.
    pub settings: AppRoleSettings,
}

/// The token role to create for an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRoleSpec {
    /// Exactly the app's get-secret-id policy.
    pub allowed_policies: Vec<String>,
    /// The shared settings.
    pub settings: TokenRoleSettings,
}

/// Everything qsec creates in Vault for one app: what the Secret API
/// provisions and `qsec app plan` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPlan {
    /// The app.
    pub app: AppRef,
    /// The names of its objects.
    pub names: AppNames,
    /// Its AppRole.
    pub approle: AppRoleSpec,
    /// The policy on its tokens.
    pub read_policy: Policy,
    /// The policy on the controller's tokens for it.
    pub get_secret_id_policy: Policy,
    /// The token role that mints those.
    pub token_role: TokenRoleSpec,
    /// Where its static secrets live.
    pub secret_areas: SecretAreas,
    /// The kv mounts, to turn logical paths into API paths.
    pub kv_mounts: Vec<KvMount>,
}

impl AppPlan {
    /// The API path that reads the secret at a logical kv path, e.g.
    /// `secret/myapp/db` → `secret/data/myapp/db` on a kv v2 mount. Paths
    /// outside every kv mount are returned unchanged.
    pub fn kv_read_path(&self, logical: &str) -> String {
        match KvMount::containing(&self.kv_mounts, logical) {
            Some(mount) => mount.data_path(mount.relative(logical).unwrap_or_default()),
            None => logical.to_owned(),
        }
    }
}

impl fmt::Display for AppPlan {
    /// The plan in the seed's own notation, for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = &self.names;
        let approle = &self.approle.settings;
        let token_role = &self.token_role.settings;
        writeln!(f, "{}\n", names.approle_path())?;
        writeln!(f, "  token_period        {}", approle.token_period)?;
        writeln!(f, "  token_policies      [{}]", self.approle.token_policies.join(" "))?;
        writeln!(f, "  secret_id_num_uses  {}", approle.secret_id_num_uses)?;
        writeln!(f, "  secret_id_ttl       {}", approle.secret_id_ttl)?;
        writeln!(f, "  token_max_ttl       {}", approle.token_max_ttl)?;
        writeln!(f, "  token_num_uses      {}", approle.token_num_uses)?;
        writeln!(f, "  token_ttl           {}\n", approle.token_ttl)?;
        writeln!(f, "policy {}:\n\n{}", self.read_policy.name, self.read_policy.to_hcl())?;
        writeln!(f, "policy {}:\n\n{}", self.get_secret_id_policy.name, self.get_secret_id_policy.to_hcl())?;
        writeln!(f, "{}\n", names.token_role_path())?;
        writeln!(f, "  allowed_policies     [{}]", self.token_role.allowed_policies.join(" "))?;
        writeln!(f, "  disallowed_policies  [{}]", token_role.disallowed_policies.join(" "))?;
        writeln!(f, "  explicit_max_ttl     {}", token_role.explicit_max_ttl)?;
        writeln!(f, "  name                 {}", names.token_role)?;
        writeln!(f, "  orphan               {}", token_role.orphan)?;
        writeln!(f, "  path_suffix          {}", token_role.path_suffix)?;
        writeln!(f, "  token_period         {}", token_role.token_period)?;
        writeln!(f, "  renewable            {}\n", token_role.renewable)?;
        writeln!(f, "secret areas")?;
        writeln!(f, "  app       {}/", self.secret_areas.app)?;
        writeln!(f, "  global    {}/", self.secret_areas.global)?;
        writeln!(f, "  project   {}/", self.secret_areas.project)?;
        write!(f, "  cluster   {}/", self.secret_areas.cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::KvVersion;

    fn myapp() -> AppRef {
        "aws.stg.myapp".parse().unwrap()
    }

    #[test]
    fn default_plan_carries_the_seed_settings() {
        let plan = QsecLayout::default().plan(&myapp()).unwrap();
        let approle = &plan.approle.settings;
        assert_eq!((approle.token_period, approle.secret_id_num_uses, approle.secret_id_ttl), (300, 1, 300));
        assert_eq!((approle.token_ttl, approle.token_max_ttl, approle.token_num_uses), (300, 300, 0));
        assert_eq!(plan.approle.token_policies, ["default", "secret-api/read-aws.stg.myapp"]);
        assert_eq!(plan.token_role.allowed_policies, ["secret-api/getsecretid-aws.stg.myapp"]);
        let token_role = &plan.token_role.settings;
        assert_eq!(token_role.disallowed_policies, ["root"]);
        assert_eq!((token_role.explicit_max_ttl, token_role.orphan, token_role.token_period), (0, false, 0));
        assert!(token_role.renewable);
        assert_eq!(token_role.path_suffix, "");
        assert_eq!(
            plan.secret_areas,
            SecretAreas {
                app: "secret/myapp".into(),
                global: "secret/global".into(),
                project: "secret/project/aws".into(),
                cluster: "secret/cluster/aws/stg".into(),
            }
        );
    }

    #[test]
    fn config_file_overrides_parts_and_keeps_defaults_elsewhere() {
        let layout: QsecLayout = serde_json::from_value(serde_json::json!({
            "naming": { "role_separator": "-" },
            "policies": { "kv_mounts": [{ "path": "secret", "version": "v2" }] },
            "approle": { "token_period": 600 }
        }))
        .unwrap();
        let plan = layout.plan(&myapp()).unwrap();
        assert_eq!(plan.names.approle, "aws-stg-myapp");
        assert_eq!(plan.approle.settings.token_period, 600);
        assert_eq!(plan.approle.settings.secret_id_ttl, 300);
        assert_eq!(plan.kv_mounts[0].version, KvVersion::V2);
        assert_eq!(plan.kv_read_path("secret/myapp/db"), "secret/data/myapp/db");
        assert_eq!(plan.kv_read_path("secretive/x"), "secretive/x");
        assert_eq!(plan.kv_read_path("pki/issue/x"), "pki/issue/x");
    }

    #[test]
    fn unknown_or_unsafe_settings_are_refused() {
        let unknown = serde_json::from_value::<QsecLayout>(serde_json::json!({ "naming": { "separator": "-" } }));
        assert!(unknown.unwrap_err().to_string().contains("unknown field `separator`"));
        let multi_use = QsecLayout {
            approle: AppRoleSettings { secret_id_num_uses: 0, ..Default::default() },
            ..Default::default()
        };
        assert!(multi_use.plan(&myapp()).unwrap_err().to_string().contains("approle.secret_id_num_uses"));
        let glob_area = QsecLayout {
            secret_areas: SecretAreaTemplates { app: "secret/*".into(), ..Default::default() },
            ..Default::default()
        };
        assert!(glob_area.validate().unwrap_err().to_string().contains("secret_areas.app"));
    }

    #[test]
    fn plan_prints_in_the_seed_notation() {
        let text = QsecLayout::default().plan(&myapp()).unwrap().to_string();
        assert!(text.starts_with("auth/approle/role/aws.stg.myapp\n"), "{text}");
        assert!(text.contains("token_policies      [default secret-api/read-aws.stg.myapp]"));
        assert!(text.contains("policy secret-api/read-aws.stg.myapp:"));
        assert!(text.contains(r#"path "aws/creds/aws.stg.myapp" { capabilities = ["read", "list"] }"#));
        assert!(text.contains("auth/token/roles/getsecretid-aws.stg.myapp"));
    }
}
