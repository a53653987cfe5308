//! Label and field selectors, as the API server reads them: terms joined by
//! commas, all of which must hold.

use serde_json::Value;

/// One parsed selector (labels or fields).
#[derive(Debug, Clone, Default)]
pub(crate) struct Selector {
    terms: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Selector {
    /// Parses a label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
    /// `k notin (a,b)`, `k`, `!k`.
    pub(crate) fn labels(text: &str) -> Result<Self, String> {
        Self::parse(text, true)
    }

    /// Parses a field selector: `path=v`, `path==v`, `path!=v`.
    pub(crate) fn fields(text: &str) -> Result<Self, String> {
        Self::parse(text, false)
    }

    fn parse(text: &str, sets: bool) -> Result<Self, String> {
        let mut terms = Vec::new();
        for term in split_terms(text) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            let bad = || format!("unable to parse requirement: {term:?}");
            let parsed = if let Some((key, value)) = term.split_once("!=") {
                Term::NotEquals(key.trim().into(), value.trim().into())
            } else if let Some((key, value)) = term.split_once("==") {
                Term::Equals(key.trim().into(), value.trim().into())
            } else if let Some((key, value)) = term.split_once('=') {
                Term::Equals(key.trim().into(), value.trim().into())
            } else if sets && let Some((key, values)) = term.split_once(" notin ") {
                Term::NotIn(key.trim().into(), set(values).ok_or_else(bad)?)
            } else if sets && let Some((key, values)) = term.split_once(" in ") {
                Term::In(key.trim().into(), set(values).ok_or_else(bad)?)
            } else if sets && let Some(key) = term.strip_prefix('!') {
                Term::NotExists(key.trim().into())
            } else if sets && !term.contains(' ') {
                Term::Exists(term.into())
            } else {
                return Err(bad());
            };
            terms.push(parsed);
        }
        Ok(Self { terms })
    }

    /// Whether `object`'s labels satisfy every term.
    pub(crate) fn matches_labels(&self, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        self.matches(|key| labels.get(key).and_then(Value::as_str).map(str::to_owned))
    }

    /// Whether `object`'s fields satisfy every term; a field the object does
    /// not have reads as "".
    pub(crate) fn matches_fields(&self, object: &Value) -> bool {
        self.matches(|path| {
            let value = path.split('.').try_fold(object, |value, part| value.get(part));
            Some(match value {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
        })
    }

    fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Equals(key, value) => get(key).as_deref() == Some(value),
            Term::NotEquals(key, value) => get(key).as_deref() != Some(value),
            Term::In(key, values) => get(key).is_some_and(|v| values.contains(&v)),
            Term::NotIn(key, values) => get(key).is_none_or(|v| !values.contains(&v)),
            Term::Exists(key) => get(key).is_some(),
            Term::NotExists(key) => get(key).is_none(),
        })
    }
}

/// Splits on commas outside parentheses.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (at, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

fn set(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn label_and_field_selectors() {
        let pod =
            json!({"metadata": {"name": "a", "labels": {"app": "x", "tier": "web"}}, "status": {"phase": "Running"}});
        assert!(Selector::labels("app=x,tier in (web, db)").unwrap().matches_labels(&pod));
        assert!(!Selector::labels("app!=x").unwrap().matches_labels(&pod));
        assert!(Selector::labels("!missing,app").unwrap().matches_labels(&pod));
        assert!(Selector::fields("status.phase=Running,metadata.name!=b").unwrap().matches_fields(&pod));
        assert!(Selector::fields("spec.nodeName=").unwrap().matches_fields(&pod));
        assert!(Selector::labels("a b c").is_err());
    }
}
