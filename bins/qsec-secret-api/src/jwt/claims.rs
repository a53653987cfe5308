//! [`Identity`]: who a verified token names, read from its claims.

use serde::Serialize;
use serde_json::{Map, Value};

/// The caller, as a verified token names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The token's issuer.
    pub issuer: String,
    /// The subject claim, e.g. `alice@example.com` or
    /// `system:serviceaccount:qsec:qsec-controller`.
    pub subject: String,
    /// The groups claim; empty when the token has none.
    pub groups: Vec<String>,
}

impl Identity {
    /// Reads the subject and groups from `claims`. A claim name starting
    /// with `/` is a JSON pointer into nested claims, e.g.
    /// `/realm_access/roles`.
    pub(crate) fn from_claims(
        issuer: &str,
        claims: &Map<String, Value>,
        subject_claim: &str,
        groups_claim: &str,
    ) -> Result<Self, String> {
        let subject = match claim(claims, subject_claim) {
            Some(Value::String(subject)) if !subject.is_empty() => subject.clone(),
            Some(_) => return Err(format!("the token's {subject_claim} claim is not a non-empty string")),
            None => return Err(format!("the token has no {subject_claim} claim to name the caller")),
        };
        let groups = match claim(claims, groups_claim) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(group)) => vec![group.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(_) => return Err(format!("the token's {groups_claim} claim is not a list of strings")),
        };
        Ok(Self { issuer: issuer.to_owned(), subject, groups })
    }
}

fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(pointer) = name.strip_prefix('/') {
        // A JSON pointer: its first segment picks the claim, the rest walks inside it.
        let (first, rest) = pointer.split_once('/').unwrap_or((pointer, ""));
        let top = claims.get(first)?;
        if rest.is_empty() { Some(top) } else { top.pointer(&format!("/{rest}")) }
    } else {
        claims.get(name)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn reads_subject_and_groups_in_their_usual_shapes() {
        let list = claims(json!({"sub": "alice", "groups": ["dev", "ops", 3]}));
        let who = Identity::from_claims("iss", &list, "sub", "groups").unwrap();
        assert_eq!((who.subject.as_str(), who.groups.clone()), ("alice", vec!["dev".to_owned(), "ops".to_owned()]));
        let single = claims(json!({"sub": "bob", "groups": "dev"}));
        assert_eq!(Identity::from_claims("iss", &single, "sub", "groups").unwrap().groups, ["dev"]);
        let none = claims(json!({"sub": "carol"}));
        assert!(Identity::from_claims("iss", &none, "sub", "groups").unwrap().groups.is_empty());
        let nested = claims(json!({"email": "d@x", "realm_access": {"roles": ["admin"]}}));
        let who = Identity::from_claims("iss", &nested, "email", "/realm_access/roles").unwrap();
        assert_eq!((who.subject.as_str(), who.groups.clone()), ("d@x", vec!["admin".to_owned()]));
    }

    #[test]
    fn a_token_must_name_its_bearer() {
        assert!(Identity::from_claims("i", &claims(json!({})), "sub", "groups").unwrap_err().contains("no sub"));
        assert!(Identity::from_claims("i", &claims(json!({"sub": ""})), "sub", "groups").is_err());
        assert!(Identity::from_claims("i", &claims(json!({"sub": "a", "groups": 1})), "sub", "groups").is_err());
    }
}
