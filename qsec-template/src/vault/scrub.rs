//! Keeping fetched secrets out of render errors.
//!
//! A Go execution error can quote a value the template got from Vault
//! (`error calling mustToDate: parsing time "s3cr3t" ...`, or `fail` with a
//! message built from a secret), and render errors end up in logs. So before
//! an error leaves the renderer, every value Vault returned in the render's
//! scope is replaced by [`MASK`], both as it is and as Go quotes it.
//!
//! Only values Vault returned are known, so transformed secrets are caught
//! as far as they can be guessed: base64 (standard and URL-safe, as
//! `b64enc` and friends make it), upper and lower case, and any run of at
//! least [`MIN_FRAGMENT_CHARS`] characters of a longer secret (a substring,
//! a line of a PEM body, a secret inside a larger string). Hashes and other
//! one-way transforms reveal nothing and are left alone.

use std::collections::BTreeSet;

use qsec_core::VaultResponse;

use crate::gofmt::quote::quote;

/// What a secret value becomes in an error message.
pub(crate) const MASK: &str = "***";

/// Values shorter than this (in characters) are left alone: replacing every
/// `1`, `app` or `true` in a message would mangle its words, numbers and
/// line:column, and values that short are not worth guessing anyway.
pub(crate) const MIN_SECRET_CHARS: usize = 4;

/// A run of this many characters of a secret, found anywhere in a message,
/// is masked: short enough to catch substrings and PEM lines, long enough
/// that a message's own words do not match a secret by chance.
pub(crate) const MIN_FRAGMENT_CHARS: usize = 12;

/// Only secrets this long are encoded (base64) to look for: a short value's
/// encoding is a few characters a message may well contain by chance.
const MIN_ENCODED_CHARS: usize = 8;

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
/// replaced by [`MASK`]: raw, in Go's quoted form, base64-encoded, in upper
/// or lower case, and any fragment of [`MIN_FRAGMENT_CHARS`] or more.
pub(crate) fn scrub(text: &str, secrets: &BTreeSet<String>) -> String {
    let secrets: Vec<&String> = secrets.iter().filter(|s| s.chars().count() >= MIN_SECRET_CHARS).collect();
    let mut patterns: Vec<String> = Vec::new();
    for secret in &secrets {
        patterns.extend(forms(secret));
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
    for secret in &secrets {
        out = mask_fragments(&out, secret);
    }
    out
}

/// The ways `secret` may show up whole in a message.
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    // `"a\"b"` without its quotes: how Go's %q and strconv errors show it.
    let quoted = quote(secret);
    let mut forms = vec![secret.to_owned(), quoted[1..quoted.len() - 1].to_owned()];
    forms.extend([secret.to_uppercase(), secret.to_lowercase()]);
    if secret.chars().count() >= MIN_ENCODED_CHARS {
        for encoded in [STANDARD.encode(secret), URL_SAFE.encode(secret)] {
            // Unpadded too: the padding is often cut or escaped.
            forms.push(encoded.trim_end_matches('=').to_owned());
            forms.push(encoded);
        }
    }
    forms.retain(|form| form.chars().count() >= MIN_SECRET_CHARS);
    forms
}

/// `text` with every run of [`MIN_FRAGMENT_CHARS`] or more characters of
/// `secret` replaced by [`MASK`]: the secret is scanned from the start, and
/// each run found is grown as far as the message still contains it.
fn mask_fragments(text: &str, secret: &str) -> String {
    let chars: Vec<(usize, char)> = secret.char_indices().collect();
    if chars.len() < MIN_FRAGMENT_CHARS {
        return text.to_owned();
    }
    // The byte offset of character `at` (the end of the secret past its last).
    let byte = |at: usize| chars.get(at).map_or(secret.len(), |(byte, _)| *byte);
    let mut out = text.to_owned();
    let mut start = 0;
    while start + MIN_FRAGMENT_CHARS <= chars.len() {
        let seed = &secret[byte(start)..byte(start + MIN_FRAGMENT_CHARS)];
        if !out.contains(seed) {
            start += 1;
            continue;
        }
        // Grow the run while the message still contains it.
        let mut end = start + MIN_FRAGMENT_CHARS;
        while end < chars.len() && out.contains(&secret[byte(start)..byte(end + 1)]) {
            end += 1;
        }
        out = out.replace(&secret[byte(start)..byte(end)], MASK);
        start = end;
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
    fn transformed_secrets_are_masked_too() {
        let secret = "correct-horse-battery-staple";
        let secrets = set(&[secret]);
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret);
        for shown in [
            b64.clone(),
            b64.trim_end_matches('=').to_owned(),
            secret.to_uppercase(),
            "horse-battery".to_owned(),
            format!("prefix-{secret}-suffix"),
        ] {
            let message = format!("template: app.tmpl:3:7: error calling fail: got {shown} here");
            let scrubbed = scrub(&message, &secrets);
            assert!(scrubbed.starts_with("template: app.tmpl:3:7: error calling fail: got "), "{scrubbed}");
            assert!(scrubbed.contains(MASK) && !scrubbed.contains("battery"), "{shown}: {scrubbed}");
        }
        // A PEM body line, from a key that is one secret.
        let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBm0aX9fZr3QeXvPz1lD0aVtZ4kYH1xq2mC7uDd4Ho6goAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n";
        let scrubbed = scrub("bad line MHcCAQEEIBm0aX9fZr3QeXvPz1lD0aVt in key", &set(&[key]));
        assert_eq!(scrubbed, "bad line *** in key");
    }

    #[test]
    fn ordinary_words_are_not_taken_for_fragments() {
        // Short fragments of a long secret, and short secrets' encodings, stay.
        let secrets = set(&["templates-are-fine-here", "abcd"]);
        let message = "template: app.tmpl:1:2: executing \"templates\" at <.x>: map has no entry for key \"x\"";
        assert_eq!(scrub(message, &secrets), message);
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
