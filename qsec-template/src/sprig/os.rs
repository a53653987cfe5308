//! Sprig's `env` and `expandenv` (deny them on the engine to sandbox).

use super::conversion::s;
use crate::registry::{FunctionRegistry, Param, Signature};
use crate::value::Value;

fn getenv(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// Go's `os.ExpandEnv`: `$NAME` and `${NAME}`.
fn expand(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            out.push_str(&text[last..i]);
            let rest = &text[i + 1..];
            let (name, width) = if let Some(inner) = rest.strip_prefix('{') {
                match inner.find('}') {
                    Some(0) | None => ("", 1),
                    Some(e) => (&inner[..e], e + 2),
                }
            } else if rest.starts_with(|c: char| "*#$@!?-0123456789".contains(c)) {
                (&rest[..1], 1)
            } else {
                let n = rest.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
                (&rest[..n], n)
            };
            if !name.is_empty() {
                out.push_str(&getenv(name));
            } else if width == 0 {
                out.push('$');
            }
            i += 1 + width;
            last = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last.min(text.len())..]);
    out
}

pub(super) fn register(r: &mut FunctionRegistry) {
    r.add("env", Signature::fixed(&[Param::Str]), |a| Ok(Value::from(getenv(s(&a[0])))));
    r.add("expandenv", Signature::fixed(&[Param::Str]), |a| Ok(Value::from(expand(s(&a[0])))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_variables_expand_to_nothing() {
        assert_eq!(expand("a${CONFORMANCE_SURELY_UNSET_VAR_7F3A}b$CONFORMANCE_SURELY_UNSET_VAR_7F3A-c"), "ab-c");
        assert_eq!(expand("cost: 5$"), "cost: 5$");
    }
}
