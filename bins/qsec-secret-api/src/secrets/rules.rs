//! The input rules for secrets: names, and the key/value maps stored.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The longest secret name.
pub const MAX_NAME_LEN: usize = 128;
/// The most keys one secret may hold.
pub const MAX_KEYS: usize = 256;
/// The longest key inside a secret.
pub const MAX_KEY_LEN: usize = 128;

/// The rule for secret names, as 400 answers state it.
pub const NAME_RULE: &str = "secret name: 1-128 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or \
                             digit, without '..' (no '/': secrets are not nested)";

/// Checks a secret name: `[a-z0-9][a-z0-9._-]{0,127}`, no `..`.
///
/// Names are one path segment inside the app's area, so nothing in a name
/// can climb out of it (`..`, `/`) or widen a policy glob (`*`, `+`).
pub fn check_name(name: &str) -> Result<()> {
    let bad =
        |why: String| Error::bad_request("secret name", format!("invalid secret name {name:?}: {why}; {NAME_RULE}"));
    if name.is_empty() {
        return Err(bad("it is empty".into()));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(bad(format!("it is {} characters long", name.len())));
    }
    if let Some(c) = name.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-')) {
        return Err(bad(format!("{c:?} is not allowed")));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(bad("it must start with a letter or digit".into()));
    }
    if name.contains("..") {
        return Err(bad("'..' is not allowed".into()));
    }
    Ok(())
}

/// Checks a secret's data: a JSON object of 1-256 keys, each 1-128
/// characters without control characters, with non-null values.
pub fn check_data(body: Value) -> Result<Map<String, Value>> {
    let rule = "secret data";
    let Value::Object(map) = body else {
        return Err(Error::bad_request(
            rule,
            "the body must be a JSON object of keys and values, e.g. {\"password\": \"...\"}",
        ));
    };
    if map.is_empty() {
        return Err(Error::bad_request(rule, "a secret needs at least one key"));
    }
    if map.len() > MAX_KEYS {
        return Err(Error::bad_request(rule, format!("a secret holds at most {MAX_KEYS} keys, not {}", map.len())));
    }
    for (key, value) in &map {
        if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
            return Err(Error::bad_request(
                rule,
                format!("key {key:?}: keys are 1-{MAX_KEY_LEN} characters without control characters"),
            ));
        }
        if value.is_null() {
            return Err(Error::bad_request(rule, format!("key {key:?} has no value (null)")));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_are_one_safe_segment() {
        for good in ["db", "api-key", "tls.crt", "a_b", "0", &"a".repeat(MAX_NAME_LEN)] {
            check_name(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["", "Db", "a/b", "..", "a..b", ".hidden", "-x", "_x", "a b", "a*", "é", &"a".repeat(129)] {
            let error = check_name(bad).expect_err(bad);
            assert_eq!((error.status(), error.rule()), (400, Some("secret name")), "{bad}");
        }
    }

    #[test]
    fn data_is_a_non_empty_map_of_values() {
        assert_eq!(check_data(json!({"password": "x", "port": 5432})).unwrap().len(), 2);
        for bad in [json!([]), json!("x"), json!({}), json!({"": "x"}), json!({"a\nb": "x"}), json!({"k": null})] {
            assert_eq!(check_data(bad.clone()).expect_err(&bad.to_string()).rule(), Some("secret data"));
        }
    }
}
