//! Shows a rendered config file with its secret values masked: the shape
//! and the keys stay readable, no value does.

/// `text` with every value replaced by `‹N chars›`: YAML `key: value`
/// scalars, `export NAME='value'` lines, and PEM bodies (one line saying how
/// many lines were hidden). Comments and keys are kept.
pub(crate) fn masked(text: &str) -> String {
    let mut out = Vec::new();
    let mut pem_lines = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some(count) = pem_lines.as_mut() {
            if trimmed.starts_with("-----END ") {
                out.push(format!("{indent}‹{count} lines of base64›"));
                out.push(line.to_owned());
                pem_lines = None;
            } else {
                *count += 1;
            }
            continue;
        }
        if trimmed.starts_with("-----BEGIN ") {
            out.push(line.to_owned());
            pem_lines = Some(0);
        } else if trimmed.is_empty() || trimmed.starts_with('#') {
            out.push(line.to_owned());
        } else if let Some((name, value)) = trimmed.strip_prefix("export ").and_then(|rest| rest.split_once('=')) {
            out.push(format!("{indent}export {name}={}", hide(value.trim_matches('\''))));
        } else if let Some((key, value)) = trimmed.split_once(": ") {
            let value = value.trim();
            if value.is_empty() || value == "|" || value == ">" {
                out.push(line.to_owned());
            } else {
                out.push(format!("{indent}{key}: {}", hide(value.trim_matches('"'))));
            }
        } else if trimmed.ends_with(':') {
            out.push(line.to_owned());
        } else {
            out.push(format!("{indent}{}", hide(trimmed)));
        }
    }
    out.join("\n")
}

fn hide(value: &str) -> String {
    format!("‹{} chars›", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_values_and_keeps_the_shape() {
        let rendered = "# a comment\ndb:\n  username: \"v-myapp-1\"\n  password: \"s3cr3t-pass\"\naws:\n  env: |\n    export AWS_ACCESS_KEY_ID='AKIAEXAMPLE'\ntls:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    AAAA\n    -----END CERTIFICATE-----\n";
        let shown = masked(rendered);
        for secret in ["v-myapp-1", "s3cr3t-pass", "AKIAEXAMPLE", "MIIB", "AAAA"] {
            assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
        }
        assert!(shown.contains("# a comment"));
        assert!(shown.contains("  password: ‹11 chars›"));
        assert!(shown.contains("    export AWS_ACCESS_KEY_ID=‹11 chars›"));
        assert!(shown.contains("    ‹2 lines of base64›"));
        assert!(shown.contains("-----END CERTIFICATE-----"));
    }
}
