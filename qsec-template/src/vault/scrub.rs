//! Keeping fetched secrets out of render errors.
//!
//! A Go execution error can quote a value the template got from Vault
//! (`error calling mustToDate: parsing time "s3cr3t" ...`, or `fail` with a
//! message built from a secret), and render errors end up in logs. So before
//! an error leaves the renderer, every value Vault returned in the render's
//! scope is replaced by [`MASK`], both as it is and as Go quotes it.
//!
//! Only values Vault returned are known: a secret the template transformed
//! first (`b64enc`, `upper`, a substring) is not recognised.

use std::collections::BTreeSet;

use qsec_core::VaultResponse;

use crate::gofmt::quote::quote;

/// What a secret value becomes in an error message.
pub(crate) const MASK: &str = "***";

/// Values shorter than this (in characters) are left alone: replacing every
/// `1`, `app` or `true` in a message would mangle its words, numbers and
/// line:column, and values that short are not worth guessing anyway.
pub(crate) const MIN_SECRET_CHARS: usize = 4;

/// Adds the values of `response` a template could see: every string and
/// number in `data`, and the tokens of `auth` and `wrap_info` (`secret`
/// exposes those).
pub(crate) fn collect(response: &VaultResponse, into: &mut BTreeSet<String>) {
    if let Some(data) = &response.data {
        leaves(data.expose_secret(), into);
    }
    if let Some(auth) = &response.auth {
        into.insert(auth.client_token.expose_secret().to_owned());
    }
    if let Some(wrap) = &response.wrap_info {
        into.insert(wrap.token.expose_secret().to_owned());
    }
}

fn leaves(value: &serde_json::Value, into: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(text) => {
            into.insert(text.clone());
        }
        serde_json::Value::Number(number) => {
            into.insert(number.to_string());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| leaves(item, into)),
        serde_json::Value::Object(map) => map.values().for_each(|item| leaves(item, into)),
        serde_json::Value::Null | serde_json::Value::Bool(_) => {}
    }
}

/// `text` with every secret of `secrets` (of at least [`MIN_SECRET_CHARS`])
/// replaced by [`MASK`], raw or in Go's quoted form.
pub(crate) fn scrub(text: &str, secrets: &BTreeSet<String>) -> String {
    let mut patterns: Vec<String> = Vec::new();
    for secret in secrets.iter().filter(|s| s.chars().count() >= MIN_SECRET_CHARS) {
        // `"a\"b"` without its quotes: how Go's %q and strconv errors show it.
        let quoted = quote(secret);
        let inner = &quoted[1..quoted.len() - 1];
        if inner != secret {
            patterns.push(inner.to_owned());
        }
        patterns.push(secret.clone());
    }
    // Longest first, so a secret that contains another is masked whole.
    patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    patterns.dedup();
    let mut out = text.to_owned();
    for pattern in &patterns {
        if out.contains(pattern.as_str()) {
            out = out.replace(pattern.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn secrets_are_masked_raw_and_go_quoted() {
        let secrets = set(&["s3cr3t", "pa\"ss\\wd"]);
        assert_eq!(scrub(r#"parsing time "s3cr3t" as "2006""#, &secrets), r#"parsing time "***" as "2006""#);
        assert_eq!(scrub(r#"bad "pa\"ss\\wd" here"#, &secrets), r#"bad "***" here"#);
        assert_eq!(scrub("raw pa\"ss\\wd", &secrets), "raw ***");
    }

    #[test]
    fn short_values_are_left_alone_and_longer_secrets_win() {
        let secrets = set(&["app", "1", "token", "token-2"]);
        assert_eq!(scrub("template: app.tmpl:1:2: token-2 and token", &secrets), "template: app.tmpl:1:2: *** and ***");
    }

    #[test]
    fn every_value_a_template_could_see_is_collected() {
        let response: VaultResponse = serde_json::from_value(serde_json::json!({
            "data": { "password": "pw-123", "port": 54321, "list": ["item-1", { "deep": "deep-1" }], "on": true },
            "auth": { "client_token": "hvs.tok", "accessor": "acc", "lease_duration": 1, "renewable": false },
        }))
        .unwrap();
        let mut secrets = BTreeSet::new();
        collect(&response, &mut secrets);
        assert_eq!(secrets, set(&["54321", "deep-1", "hvs.tok", "item-1", "pw-123"]));
    }
}
