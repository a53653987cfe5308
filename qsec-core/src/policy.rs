//! Vault ACL policies for an app, rendered as HCL.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::app_ref::AppRef;
use crate::error::{Error, Result};
use crate::naming::{AppNames, check_mount};

/// A Vault ACL capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Capability {
    /// Create a value at a path that does not exist yet (POST/PUT).
    Create,
    /// Read a value (GET).
    Read,
    /// Change a value that exists (POST/PUT).
    Update,
    /// Partially update a value (PATCH).
    Patch,
    /// Delete a value (DELETE).
    Delete,
    /// List the keys under a path (LIST).
    List,
    /// Use root-protected paths.
    Sudo,
    /// Deny, overriding every other capability.
    Deny,
}

impl Capability {
    /// The capability's name in HCL, e.g. `read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::Update => "update",
            Self::Patch => "patch",
            Self::Delete => "delete",
            Self::List => "list",
            Self::Sudo => "sudo",
            Self::Deny => "deny",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `path "..." { capabilities = [...] }` stanza.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRule {
    /// The path, with Vault's `*` (suffix) and `+` (segment) globs.
    pub path: String,
    /// The capabilities granted on it, in the order they are written.
    pub capabilities: Vec<Capability>,
}

/// A named Vault ACL policy, rendered with [`Policy::to_hcl`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The policy's name, e.g. `secret-api/read-aws.stg.myapp`.
    pub name: String,
    /// The app this policy was made for; written as the first line of the
    /// HCL so provisioning can tell whose policy an existing one is.
    pub owner: AppRef,
    /// The stanzas, in order.
    pub rules: Vec<PolicyRule>,
}

impl Policy {
    /// The first line of every policy qsec writes; it names the owning app.
    pub fn owner_marker(owner: &AppRef) -> String {
        format!("# qsec: managed policy of {owner}; edits are overwritten")
    }

    /// The policy document in Vault HCL, one stanza a line.
    pub fn to_hcl(&self) -> String {
        let mut hcl = Self::owner_marker(&self.owner);
        hcl.push('\n');
        for rule in &self.rules {
            let capabilities: Vec<String> = rule.capabilities.iter().map(|c| format!("\"{c}\"")).collect();
            // Paths are built from validated parts and configuration checked
            // for quotes, so no escaping can be needed here.
            hcl.push_str(&format!("path \"{}\" {{ capabilities = [{}] }}\n", rule.path, capabilities.join(", ")));
        }
        hcl
    }
}

/// The version of a kv secrets engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KvVersion {
    /// kv v1: a secret lives at `MOUNT/PATH`.
    V1,
    /// kv v2: versions at `MOUNT/data/PATH`, metadata at `MOUNT/metadata/PATH`.
    V2,
}

/// A kv secrets engine mount, so policies and reads use the right paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvMount {
    /// The mount path without slashes at either end, e.g. `secret`.
    pub path: String,
    /// Its engine version.
    pub version: KvVersion,
}

impl KvMount {
    /// The mount among `mounts` that `path` lies in (the longest match wins,
    /// so `kv/apps` beats `kv`).
    pub fn containing<'a>(mounts: &'a [KvMount], path: &str) -> Option<&'a KvMount> {
        mounts.iter().filter(|mount| mount.relative(path).is_some()).max_by_key(|mount| mount.path.len())
    }

    /// The API path to read or write the secret at `relative` (no leading `/`).
    pub fn data_path(&self, relative: &str) -> String {
        match self.version {
            KvVersion::V1 => format!("{}/{relative}", self.path),
            KvVersion::V2 => format!("{}/data/{relative}", self.path),
        }
    }

    /// The API path to list keys under `relative`.
    pub fn list_path(&self, relative: &str) -> String {
        match self.version {
            KvVersion::V1 => format!("{}/{relative}", self.path),
            KvVersion::V2 => format!("{}/metadata/{relative}", self.path),
        }
    }

    /// The part of `path` inside this mount, if `path` is inside it.
    pub fn relative<'a>(&self, path: &'a str) -> Option<&'a str> {
        path.strip_prefix(self.path.as_str())?.strip_prefix('/')
    }
}

/// The paths an app's read policy grants, as templates, and the kv mounts
/// that change how they are written.
///
/// Templates may use `{provider}`, `{cluster}`, `{app}` (the parts of the
/// app reference) and `{role}` (the AppRole name). A rule inside a kv v2
/// mount is written in its `data/` form (every capability but `list`) and
/// its `metadata/` form (`list`), because that is where kv v2 checks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyLayout {
    /// The read policy's stanzas, as templates.
    pub read_rules: Vec<PolicyRule>,
    /// The kv mounts in use. Default: `secret` as kv v1, as in the seed.
    pub kv_mounts: Vec<KvMount>,
}

impl Default for PolicyLayout {
    /// The seed's read policy, exactly.
    fn default() -> Self {
        use Capability::{Create, List, Read, Update};
        let rule = |path: &str, capabilities: &[Capability]| PolicyRule {
            path: path.into(),
            capabilities: capabilities.to_vec(),
        };
        Self {
            read_rules: vec![
                rule("secret/{app}/*", &[Read, List]),
                rule("secret/global/*", &[Read, List]),
                rule("secret/project/{provider}/*", &[Read, List]),
                rule("secret/cluster/{provider}/{cluster}/*", &[Read, List]),
                rule("pki/cluster/{cluster}/*", &[Read, List]),
                rule("pki/cluster/{provider}/{cluster}/issue", &[Create, Update]),
                rule("aws/creds/{role}", &[Read, List]),
            ],
            kv_mounts: vec![KvMount { path: "secret".into(), version: KvVersion::V1 }],
        }
    }
}

const PLACEHOLDERS: &[&str] = &["provider", "cluster", "app", "role"];

impl PolicyLayout {
    /// Checks every template and mount, naming the first one at fault.
    pub fn validate(&self) -> Result<()> {
        for (index, rule) in self.read_rules.iter().enumerate() {
            let field = format!("policies.read_rules[{index}]");
            check_template(&field, &rule.path)?;
            if rule.capabilities.is_empty() {
                return Err(Error::InvalidConfig { field, reason: "grants no capabilities".into() });
            }
        }
        for (index, mount) in self.kv_mounts.iter().enumerate() {
            check_mount(&format!("policies.kv_mounts[{index}].path"), &mount.path)?;
        }
        Ok(())
    }

    /// The kv mount that `path` lies in, if any (the longest match wins).
    pub fn kv_mount_of(&self, path: &str) -> Option<&KvMount> {
        KvMount::containing(&self.kv_mounts, path)
    }

    /// The read policy of `app`.
    pub fn read_policy(&self, app: &AppRef, names: &AppNames) -> Policy {
        let mut rules = Vec::new();
        for template in &self.read_rules {
            let path = fill_template(&template.path, app, names);
            match self.kv_mount_of(&path) {
                Some(mount) if mount.version == KvVersion::V2 => {
                    let relative = mount.relative(&path).unwrap_or_default();
                    let data: Vec<Capability> =
                        template.capabilities.iter().copied().filter(|&c| c != Capability::List).collect();
                    if !data.is_empty() {
                        rules.push(PolicyRule { path: mount.data_path(relative), capabilities: data });
                    }
                    if template.capabilities.contains(&Capability::List) {
                        rules
                            .push(PolicyRule { path: mount.list_path(relative), capabilities: vec![Capability::List] });
                    }
                }
                _ => rules.push(PolicyRule { path, capabilities: template.capabilities.clone() }),
            }
        }
        Policy { name: names.read_policy.clone(), owner: app.clone(), rules }
    }

    /// The get-secret-id policy of `app`: it may only create SecretIDs for
    /// the app's own AppRole, and destroy them by accessor (a SecretID
    /// whose pod went away before delivery). The controller's tokens carry it.
    pub fn get_secret_id_policy(&self, app: &AppRef, names: &AppNames) -> Policy {
        Policy {
            name: names.get_secret_id_policy.clone(),
            owner: app.clone(),
            rules: vec![
                PolicyRule { path: names.secret_id_path(), capabilities: vec![Capability::Create, Capability::Update] },
                PolicyRule { path: names.secret_id_accessor_destroy_path(), capabilities: vec![Capability::Update] },
            ],
        }
    }
}

pub(crate) fn fill_template(template: &str, app: &AppRef, names: &AppNames) -> String {
    template
        .replace("{provider}", app.provider())
        .replace("{cluster}", app.cluster())
        .replace("{app}", app.app())
        .replace("{role}", &names.approle)
}

/// A path template may only hold path characters, Vault's globs, and known
/// placeholders: anything else could break out of the HCL string.
pub(crate) fn check_template(field: &str, template: &str) -> Result<()> {
    let invalid = |reason: String| Error::InvalidConfig { field: field.into(), reason };
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(|| invalid(format!("{template:?} has an unclosed '{{'")))?;
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(invalid(format!(
                "{template:?} uses unknown placeholder {{{name}}}; known: {{provider}}, {{cluster}}, {{app}}, {{role}}"
            )));
        }
        rest = &rest[open + close + 1..];
    }
    let literal = PLACEHOLDERS.iter().fold(template.to_owned(), |text, name| text.replace(&format!("{{{name}}}"), ""));
    if let Some(c) =
        literal.chars().find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '*' | '+')))
    {
        return Err(invalid(format!("{template:?} contains {c:?}, which is not allowed in a policy path")));
    }
    if template.is_empty() || template.starts_with('/') || template.split('/').any(|s| s == "..") {
        return Err(invalid(format!("{template:?} must be a relative path without '..' segments")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::NamingScheme;

    fn myapp() -> AppRef {
        "aws.stg.myapp".parse().unwrap()
    }

    /// The seed's two policies for aws.stg.myapp, exactly as printed there
    /// (reflowed to one stanza a line), after qsec's owner marker. One
    /// deliberate addition to the seed's get-secret-id policy: `update` on
    /// the role's `secret-id-accessor/destroy`, so the controller can take
    /// back a SecretID it issued for a pod that vanished before delivery
    /// (the seed's controller had no such clean-up; it needs nothing else).
    #[test]
    fn default_policies_reproduce_the_seed() {
        let app = myapp();
        let names = NamingScheme::default().names(&app);
        let layout = PolicyLayout::default();
        layout.validate().unwrap();

        let read = layout.read_policy(&app, &names);
        assert_eq!(read.name, "secret-api/read-aws.stg.myapp");
        assert_eq!(
            read.to_hcl(),
            r#"# qsec: managed policy of aws.stg.myapp; edits are overwritten
path "secret/myapp/*" { capabilities = ["read", "list"] }
path "secret/global/*" { capabilities = ["read", "list"] }
path "secret/project/aws/*" { capabilities = ["read", "list"] }
path "secret/cluster/aws/stg/*" { capabilities = ["read", "list"] }
path "pki/cluster/stg/*" { capabilities = ["read", "list"] }
path "pki/cluster/aws/stg/issue" { capabilities = ["create", "update"] }
path "aws/creds/aws.stg.myapp" { capabilities = ["read", "list"] }
"#
        );

        let get_secret_id = layout.get_secret_id_policy(&app, &names);
        assert_eq!(get_secret_id.name, "secret-api/getsecretid-aws.stg.myapp");
        assert_eq!(
            get_secret_id.to_hcl(),
            r#"# qsec: managed policy of aws.stg.myapp; edits are overwritten
path "auth/approle/role/aws.stg.myapp/secret-id" { capabilities = ["create", "update"] }
path "auth/approle/role/aws.stg.myapp/secret-id-accessor/destroy" { capabilities = ["update"] }
"#
        );
    }

    #[test]
    fn kv_v2_mounts_get_data_and_metadata_forms() {
        let app = myapp();
        let names = NamingScheme::default().names(&app);
        let layout = PolicyLayout {
            kv_mounts: vec![KvMount { path: "secret".into(), version: KvVersion::V2 }],
            ..Default::default()
        };
        let read = layout.read_policy(&app, &names);
        let paths: Vec<(&str, &[Capability])> =
            read.rules.iter().map(|r| (r.path.as_str(), r.capabilities.as_slice())).collect();
        use Capability::{Create, List, Read, Update};
        assert_eq!(
            paths,
            vec![
                ("secret/data/myapp/*", &[Read][..]),
                ("secret/metadata/myapp/*", &[List][..]),
                ("secret/data/global/*", &[Read][..]),
                ("secret/metadata/global/*", &[List][..]),
                ("secret/data/project/aws/*", &[Read][..]),
                ("secret/metadata/project/aws/*", &[List][..]),
                ("secret/data/cluster/aws/stg/*", &[Read][..]),
                ("secret/metadata/cluster/aws/stg/*", &[List][..]),
                ("pki/cluster/stg/*", &[Read, List][..]),
                ("pki/cluster/aws/stg/issue", &[Create, Update][..]),
                ("aws/creds/aws.stg.myapp", &[Read, List][..]),
            ]
        );
    }

    #[test]
    fn path_list_is_configuration() {
        let app = myapp();
        let names = NamingScheme { role_separator: "-".into(), ..Default::default() }.names(&app);
        let layout = PolicyLayout {
            read_rules: vec![
                PolicyRule {
                    path: "kv/apps/{provider}/{cluster}/{app}/*".into(),
                    capabilities: vec![Capability::Read],
                },
                PolicyRule { path: "database/creds/{role}".into(), capabilities: vec![Capability::Read] },
                PolicyRule { path: "secret/+/shared".into(), capabilities: vec![Capability::Read] },
            ],
            kv_mounts: vec![
                KvMount { path: "kv".into(), version: KvVersion::V1 },
                KvMount { path: "kv/apps".into(), version: KvVersion::V2 },
            ],
        };
        layout.validate().unwrap();
        let read = layout.read_policy(&app, &names);
        assert_eq!(read.name, "secret-api/read-aws-stg-myapp");
        let paths: Vec<&str> = read.rules.iter().map(|r| r.path.as_str()).collect();
        // The longest mount wins: kv/apps is v2 even though kv is v1.
        assert_eq!(paths, ["kv/apps/data/aws/stg/myapp/*", "database/creds/aws-stg-myapp", "secret/+/shared"]);
    }

    #[test]
    fn bad_templates_are_rejected_with_the_field_named() {
        for (template, expected) in [
            ("secret/{tenant}/*", "unknown placeholder {tenant}"),
            ("secret/{app/*", "unclosed"),
            ("secret/x\" ]\npath \"sys/*", "not allowed in a policy path"),
            ("secret/../sys/*", "without '..'"),
            ("/secret/*", "relative path"),
        ] {
            let layout = PolicyLayout {
                read_rules: vec![PolicyRule { path: template.into(), capabilities: vec![Capability::Read] }],
                ..Default::default()
            };
            let error = layout.validate().unwrap_err().to_string();
            assert!(error.contains("policies.read_rules[0]"), "{error}");
            assert!(error.contains(expected), "{template:?}: {error}");
        }
        let no_capabilities = PolicyLayout {
            read_rules: vec![PolicyRule { path: "secret/x".into(), capabilities: vec![] }],
            ..Default::default()
        };
        assert!(no_capabilities.validate().unwrap_err().to_string().contains("grants no capabilities"));
    }

    #[test]
    fn kv_paths_for_reads_and_lists() {
        let v1 = KvMount { path: "secret".into(), version: KvVersion::V1 };
        let v2 = KvMount { path: "secret".into(), version: KvVersion::V2 };
        assert_eq!(v1.data_path("myapp/db"), "secret/myapp/db");
        assert_eq!(v2.data_path("myapp/db"), "secret/data/myapp/db");
        assert_eq!(v1.list_path("myapp"), "secret/myapp");
        assert_eq!(v2.list_path("myapp"), "secret/metadata/myapp");
    }
}
