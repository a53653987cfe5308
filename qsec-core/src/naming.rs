//! How qsec names what it creates in Vault for an app.

use serde::{Deserialize, Serialize};

use crate::app_ref::AppRef;
use crate::error::{Error, Result};

/// The naming scheme for the Vault objects of an app.
///
/// The defaults are the seed's: for `aws.stg.myapp` the AppRole is
/// `aws.stg.myapp`, the read policy `secret-api/read-aws.stg.myapp`, the
/// get-secret-id policy `secret-api/getsecretid-aws.stg.myapp` and the token
/// role `getsecretid-aws.stg.myapp`.
///
/// Some Vault-compatible servers reject dots in role names, so the separator
/// between the parts of a role name is configurable. A separator that may
/// also appear inside a part (`-`) makes names ambiguous: `aws.a-b.c` and
/// `aws-a.b.c` both become `aws-a-b-c`. [`NamingScheme::is_ambiguous`] says
/// so; qsec marks every policy with the app it belongs to so provisioning can
/// refuse to hand one app's objects to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamingScheme {
    /// Joins the provider, cluster and app parts in role names. Default `.`.
    pub role_separator: String,
    /// Prefix of the read policy's name. Default `secret-api/read-`.
    pub read_policy_prefix: String,
    /// Prefix of the get-secret-id policy's name. Default `secret-api/getsecretid-`.
    pub get_secret_id_policy_prefix: String,
    /// Prefix of the token role's name. Default `getsecretid-`.
    pub token_role_prefix: String,
    /// Where the AppRole auth method is mounted, without `auth/`. Default `approle`.
    pub approle_mount: String,
}

impl Default for NamingScheme {
    fn default() -> Self {
        Self {
            role_separator: ".".into(),
            read_policy_prefix: "secret-api/read-".into(),
            get_secret_id_policy_prefix: "secret-api/getsecretid-".into(),
            token_role_prefix: "getsecretid-".into(),
            approle_mount: "approle".into(),
        }
    }
}

/// Characters a role-name separator may use: all are accepted in Vault role
/// names, and none has a meaning in paths or policy globs.
const SEPARATOR_CHARS: &[char] = &['.', '-', '_'];

impl NamingScheme {
    /// Checks every setting, naming the first one at fault.
    pub fn validate(&self) -> Result<()> {
        if self.role_separator.is_empty() || !self.role_separator.chars().all(|c| SEPARATOR_CHARS.contains(&c)) {
            return Err(invalid(
                "naming.role_separator",
                format!("{:?} must be one or more of '.', '-', '_'", self.role_separator),
            ));
        }
        for (field, value) in [
            ("naming.read_policy_prefix", &self.read_policy_prefix),
            ("naming.get_secret_id_policy_prefix", &self.get_secret_id_policy_prefix),
            ("naming.token_role_prefix", &self.token_role_prefix),
        ] {
            check_name_fragment(field, value, field != "naming.token_role_prefix")?;
        }
        check_mount("naming.approle_mount", &self.approle_mount)?;
        if self.read_policy_prefix == self.get_secret_id_policy_prefix {
            return Err(invalid(
                "naming.get_secret_id_policy_prefix",
                "must differ from naming.read_policy_prefix, or both policies would share one name".into(),
            ));
        }
        Ok(())
    }

    /// True when two different apps can map to the same role name, because
    /// the separator may also appear inside a part.
    pub fn is_ambiguous(&self) -> bool {
        self.role_separator.contains('-')
    }

    /// The names of every Vault object of `app`.
    pub fn names(&self, app: &AppRef) -> AppNames {
        let role = app.joined(&self.role_separator);
        AppNames {
            read_policy: format!("{}{role}", self.read_policy_prefix),
            get_secret_id_policy: format!("{}{role}", self.get_secret_id_policy_prefix),
            token_role: format!("{}{role}", self.token_role_prefix),
            approle_mount: self.approle_mount.clone(),
            approle: role,
        }
    }
}

/// The names of the Vault objects qsec creates for one app, and the API
/// paths that follow from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppNames {
    /// The AppRole's name, e.g. `aws.stg.myapp`.
    pub approle: String,
    /// The AppRole auth mount, e.g. `approle`.
    pub approle_mount: String,
    /// The read policy's name, e.g. `secret-api/read-aws.stg.myapp`.
    pub read_policy: String,
    /// The get-secret-id policy's name, e.g. `secret-api/getsecretid-aws.stg.myapp`.
    pub get_secret_id_policy: String,
    /// The token role's name, e.g. `getsecretid-aws.stg.myapp`.
    pub token_role: String,
}

impl AppNames {
    /// `auth/approle/role/NAME`: the AppRole itself.
    pub fn approle_path(&self) -> String {
        format!("auth/{}/role/{}", self.approle_mount, self.approle)
    }

    /// `auth/approle/role/NAME/role-id`: where its RoleID is read.
    pub fn role_id_path(&self) -> String {
        format!("{}/role-id", self.approle_path())
    }

    /// `auth/approle/role/NAME/secret-id`: where SecretIDs are issued. A
    /// wrapped SecretID's `creation_path` must be exactly this.
    pub fn secret_id_path(&self) -> String {
        format!("{}/secret-id", self.approle_path())
    }

    /// `auth/approle/role/NAME/secret-id-accessor/destroy`: where the
    /// controller destroys a SecretID it could not deliver, by accessor.
    pub fn secret_id_accessor_destroy_path(&self) -> String {
        format!("{}/secret-id-accessor/destroy", self.approle_path())
    }

    /// `auth/approle/login`: where RoleID + SecretID are exchanged for a token.
    pub fn login_path(&self) -> String {
        format!("auth/{}/login", self.approle_mount)
    }

    /// `auth/token/roles/NAME`: the token role.
    pub fn token_role_path(&self) -> String {
        format!("auth/token/roles/{}", self.token_role)
    }
}

fn invalid(field: &str, reason: String) -> Error {
    Error::InvalidConfig { field: field.into(), reason }
}

/// A prefix that becomes part of a Vault object name. Policy names may hold
/// `/`; token role names may not, as they are one path segment.
fn check_name_fragment(field: &str, value: &str, slash_allowed: bool) -> Result<()> {
    let bad = value
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') || (slash_allowed && c == '/')));
    if let Some(c) = bad {
        return Err(invalid(field, format!("{value:?} contains {c:?}; use letters, digits, '-', '_', '.'")));
    }
    if value.contains("..") || value.starts_with('/') || value.contains("//") {
        return Err(invalid(field, format!("{value:?} has an empty or parent path segment")));
    }
    Ok(())
}

/// A mount path such as `approle` or `secret`: segments of safe characters,
/// no leading or trailing `/`.
pub(crate) fn check_mount(field: &str, value: &str) -> Result<()> {
    let well_formed = !value.is_empty()
        && value.split('/').all(|segment| {
            !segment.is_empty()
                && segment != ".."
                && segment != "."
                && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if well_formed {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "{value:?} must be a mount path like \"secret\" or \"kv/apps\": no leading, trailing or doubled '/'"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn myapp() -> AppRef {
        "aws.stg.myapp".parse().unwrap()
    }

    #[test]
    fn default_names_are_the_seeds() {
        let names = NamingScheme::default().names(&myapp());
        assert_eq!(names.approle, "aws.stg.myapp");
        assert_eq!(names.read_policy, "secret-api/read-aws.stg.myapp");
        assert_eq!(names.get_secret_id_policy, "secret-api/getsecretid-aws.stg.myapp");
        assert_eq!(names.token_role, "getsecretid-aws.stg.myapp");
        assert_eq!(names.approle_path(), "auth/approle/role/aws.stg.myapp");
        assert_eq!(names.role_id_path(), "auth/approle/role/aws.stg.myapp/role-id");
        assert_eq!(names.secret_id_path(), "auth/approle/role/aws.stg.myapp/secret-id");
        assert_eq!(names.login_path(), "auth/approle/login");
        assert_eq!(names.token_role_path(), "auth/token/roles/getsecretid-aws.stg.myapp");
        assert!(!NamingScheme::default().is_ambiguous());
        NamingScheme::default().validate().unwrap();
    }

    #[test]
    fn separator_is_configurable_for_servers_that_reject_dots() {
        let scheme = NamingScheme { role_separator: "-".into(), ..Default::default() };
        scheme.validate().unwrap();
        let names = scheme.names(&myapp());
        assert_eq!(names.approle, "aws-stg-myapp");
        assert_eq!(names.read_policy, "secret-api/read-aws-stg-myapp");
        assert_eq!(names.token_role, "getsecretid-aws-stg-myapp");
        assert!(scheme.is_ambiguous());
        let underscore = NamingScheme { role_separator: "_".into(), ..Default::default() };
        assert!(!underscore.is_ambiguous());
    }

    #[test]
    fn rejects_unsafe_settings() {
        let cases = [
            NamingScheme { role_separator: "".into(), ..Default::default() },
            NamingScheme { role_separator: "/".into(), ..Default::default() },
            NamingScheme { role_separator: "*".into(), ..Default::default() },
            NamingScheme { token_role_prefix: "a/b-".into(), ..Default::default() },
            NamingScheme { read_policy_prefix: "x/../y".into(), ..Default::default() },
            NamingScheme { read_policy_prefix: "has space".into(), ..Default::default() },
            NamingScheme { approle_mount: "/approle".into(), ..Default::default() },
            NamingScheme { approle_mount: "approle/".into(), ..Default::default() },
            NamingScheme { get_secret_id_policy_prefix: "secret-api/read-".into(), ..Default::default() },
        ];
        for scheme in cases {
            let error = scheme.validate().expect_err(&format!("{scheme:?} should be rejected"));
            assert!(matches!(error, Error::InvalidConfig { .. }), "{error}");
        }
    }
}
