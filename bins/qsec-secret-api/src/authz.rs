//! Authorisation: rules from the configuration file grant groups or
//! subjects verbs on app patterns. Deny by default.

use std::fmt;
use std::str::FromStr;

use qsec_core::AppRef;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::jwt::Identity;

/// What a caller asks to do with an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// Provision the app and read its RoleID (deployers).
    RoleId,
    /// Get a short-lived token that can create SecretIDs (the controller).
    SecretIdToken,
    /// Read secret values.
    SecretsRead,
    /// Set secrets and roll them back.
    SecretsWrite,
    /// See a secret's versions: when, by whom, deleted or not; no values.
    SecretsHistory,
}

impl Verb {
    /// Every verb, in the order they are documented.
    pub const ALL: [Verb; 5] =
        [Verb::RoleId, Verb::SecretIdToken, Verb::SecretsRead, Verb::SecretsWrite, Verb::SecretsHistory];

    /// The verb's name in rules and the audit log, e.g. `secrets:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoleId => "role-id",
            Self::SecretIdToken => "secret-id-token",
            Self::SecretsRead => "secrets:read",
            Self::SecretsWrite => "secrets:write",
            Self::SecretsHistory => "secrets:history",
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verb {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A verb as written in a rule: one verb, `secrets:*` or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerbSpec {
    /// Exactly this verb.
    One(Verb),
    /// `secrets:read`, `secrets:write` and `secrets:history`.
    AllSecrets,
    /// Every verb.
    All,
}

impl VerbSpec {
    fn grants(self, verb: Verb) -> bool {
        match self {
            Self::One(one) => one == verb,
            Self::AllSecrets => matches!(verb, Verb::SecretsRead | Verb::SecretsWrite | Verb::SecretsHistory),
            Self::All => true,
        }
    }
}

impl FromStr for VerbSpec {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text {
            "*" => Ok(Self::All),
            "secrets:*" => Ok(Self::AllSecrets),
            _ => Verb::ALL.into_iter().find(|verb| verb.as_str() == text).map(Self::One).ok_or_else(|| {
                format!(
                    "unknown verb {text:?}; use role-id, secret-id-token, secrets:read, secrets:write, \
                     secrets:history, secrets:* or *"
                )
            }),
        }
    }
}

impl<'de> Deserialize<'de> for VerbSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// An app pattern: `PROVIDER.CLUSTER.APP` where each part is a literal, `*`
/// or a glob with `*` inside (`team-*`); a lone `*` matches every app. A `*`
/// never matches across a `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPattern {
    parts: [String; 3],
}

impl AppPattern {
    /// Whether `app` matches.
    pub fn matches(&self, app: &AppRef) -> bool {
        let [provider, cluster, name] = &self.parts;
        glob(provider, app.provider()) && glob(cluster, app.cluster()) && glob(name, app.app())
    }
}

/// `*` matches any run of characters (a part never holds a `.`).
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(text) = text.strip_prefix(head) else { return false };
            if rest.is_empty() {
                return true;
            }
            (0..=text.len()).filter(|&at| text.is_char_boundary(at)).any(|at| glob(rest, &text[at..]))
        }
    }
}

impl FromStr for AppPattern {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        if text == "*" {
            return Ok(Self { parts: ["*".into(), "*".into(), "*".into()] });
        }
        let parts: Vec<&str> = text.split('.').collect();
        let [provider, cluster, app] = parts.as_slice() else {
            return Err(format!(
                "app pattern {text:?} must be PROVIDER.CLUSTER.APP (parts may be * or contain *), or *"
            ));
        };
        for part in [provider, cluster, app] {
            let valid = !part.is_empty() && part.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '*'));
            if !valid {
                return Err(format!("app pattern {text:?}: part {part:?} may hold only a-z, 0-9, '-' and '*'"));
            }
        }
        Ok(Self { parts: [provider.to_string(), cluster.to_string(), app.to_string()] })
    }
}

impl<'de> Deserialize<'de> for AppPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One rule: whoever is in one of `groups` or is one of `subjects` (and, if
/// `issuers` is set, was vouched for by one of them) may use `verbs` on the
/// apps matching `apps`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// For people reading the file and the audit log.
    #[serde(default)]
    pub description: Option<String>,
    /// Groups granted (from the groups claim).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Subjects granted (from the subject claim), e.g. a controller's
    /// `system:serviceaccount:qsec:qsec-controller`.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// When set, only tokens from these issuers match: pin service-account
    /// subjects to their cluster.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Verbs granted.
    pub verbs: Vec<VerbSpec>,
    /// Apps they are granted on.
    pub apps: Vec<AppPattern>,
}

impl Rule {
    fn grants(&self, who: &Identity, verb: Verb, app: &AppRef) -> bool {
        let issuer_ok = self.issuers.is_empty() || self.issuers.contains(&who.issuer);
        let who_ok = self.subjects.contains(&who.subject) || self.groups.iter().any(|group| who.groups.contains(group));
        issuer_ok
            && who_ok
            && self.verbs.iter().any(|spec| spec.grants(verb))
            && self.apps.iter().any(|pattern| pattern.matches(app))
    }
}

/// The rules in force: a request is allowed when any rule grants it.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// Why a request was allowed or denied, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Rule number `index` (0-based, in file order) grants it.
    Allowed {
        /// Which rule.
        index: usize,
    },
    /// No rule grants it.
    Denied,
}

impl Rules {
    /// Checks the rules and keeps them.
    pub fn new(rules: Vec<Rule>) -> Result<Self> {
        for (index, rule) in rules.iter().enumerate() {
            let field = format!("rules[{index}]");
            if rule.groups.is_empty() && rule.subjects.is_empty() {
                return Err(Error::config(field, "grants no one: give it groups or subjects"));
            }
            if rule.verbs.is_empty() {
                return Err(Error::config(format!("{field}.verbs"), "is empty"));
            }
            if rule.apps.is_empty() {
                return Err(Error::config(format!("{field}.apps"), "is empty; use \"*\" for every app"));
            }
        }
        Ok(Self { rules })
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none (so everything is denied).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `who` may use `verb` on `app`.
    pub fn decide(&self, who: &Identity, verb: Verb, app: &AppRef) -> Decision {
        match self.rules.iter().position(|rule| rule.grants(who, verb, app)) {
            Some(index) => Decision::Allowed { index },
            None => Decision::Denied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(text: &str) -> AppRef {
        text.parse().unwrap()
    }

    fn pattern(text: &str) -> AppPattern {
        text.parse().unwrap()
    }

    #[test]
    fn patterns_match_per_part() {
        assert!(pattern("aws.stg.*").matches(&app("aws.stg.myapp")));
        assert!(!pattern("aws.stg.*").matches(&app("aws.prod.myapp")));
        assert!(pattern("*.*.myapp").matches(&app("gcp.prod.myapp")));
        assert!(!pattern("*.*.myapp").matches(&app("gcp.prod.myapp2")));
        assert!(pattern("*").matches(&app("a.b.c")));
        assert!(pattern("aws.*.team-*").matches(&app("aws.x.team-a")));
        assert!(!pattern("aws.*.team-*").matches(&app("aws.x.other")));
        assert!(pattern("a*c.b.c").matches(&app("abbc.b.c")));
        for bad in ["aws.stg", "aws.stg.*.x", "AWS.stg.x", "aws..x", "aws.st/g.x", "**/"] {
            assert!(bad.parse::<AppPattern>().is_err(), "{bad}");
        }
    }

    #[test]
    fn verbs_parse_with_wildcards() {
        assert_eq!("secrets:read".parse::<VerbSpec>().unwrap(), VerbSpec::One(Verb::SecretsRead));
        assert!(VerbSpec::AllSecrets.grants(Verb::SecretsHistory));
        assert!(!VerbSpec::AllSecrets.grants(Verb::RoleId));
        assert!(VerbSpec::All.grants(Verb::SecretIdToken));
        assert!("secrets:delete".parse::<VerbSpec>().unwrap_err().contains("unknown verb"));
    }

    #[test]
    fn deny_by_default_and_rules_need_someone() {
        let who = Identity { issuer: "i".into(), subject: "alice".into(), groups: vec!["dev".into()] };
        assert_eq!(Rules::default().decide(&who, Verb::RoleId, &app("a.b.c")), Decision::Denied);
        let nobody = Rule {
            description: None,
            groups: vec![],
            subjects: vec![],
            issuers: vec![],
            verbs: vec![VerbSpec::All],
            apps: vec![pattern("*")],
        };
        assert!(Rules::new(vec![nobody]).unwrap_err().to_string().contains("rules[0]"));
    }
}
