//! Sprig's regular expressions (Go's RE2 syntax; Rust's `regex` crate
//! implements the same dialect).

use regex::{NoExpand, Regex};

use super::conversion::{i, s};
use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

/// Syntax Go's RE2 rejects but Rust's `regex` accepts: `(?<name>...)`
/// (Go 1.19 knows only `(?P<name>...)`) and repeated repetition (`a**`).
fn go_rejects(re: &str) -> Option<&'static str> {
    let b = re.as_bytes();
    // 0: no quantifier just before; 1: after `*`/`+`/`?`; 2: after a lazy `?`.
    let (mut i, mut in_class, mut rep) = (0, false, 0u8);
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' => {
                i += 2;
                rep = 0;
                continue;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class && re[i..].starts_with("(?<") => {
                return Some("invalid or unsupported Perl syntax: `(?<`");
            }
            b'*' | b'+' | b'?' if !in_class => {
                rep = match (rep, c) {
                    (0, _) => 1,
                    (1, b'?') => 2,
                    _ => return Some("invalid nested repetition operator"),
                };
                i += 1;
                continue;
            }
            _ => {}
        }
        rep = 0;
        i += 1;
    }
    None
}

/// Rewrites the bits of Go syntax Rust's `regex` reads differently:
/// `\\Q...\\E` literal runs, and `{,n}` (a literal in Go).
fn to_rust_syntax(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let mut rest = re;
    while let Some(i) = rest.find(['\\', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(q) = tail.strip_prefix("\\Q") {
            let (lit, after) = q.split_once("\\E").unwrap_or((q, ""));
            out.push_str(&regex::escape(lit));
            rest = after;
        } else if tail.starts_with("{,") {
            out.push_str("\\{");
            rest = &tail[1..];
        } else if tail.starts_with('\\') {
            let n = tail.chars().nth(1).map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&tail[..n]);
            rest = &tail[n..];
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Compiled patterns: Go recompiles on every call, but a Rust compile of a
/// Unicode class costs up to a millisecond, so patterns are kept.
static CACHE: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Regex>>> =
    std::sync::LazyLock::new(Default::default);

fn compile(re: &str) -> Result<Regex, FuncError> {
    if let Ok(cache) = CACHE.lock()
        && let Some(hit) = cache.get(re)
    {
        return Ok(hit.clone());
    }
    let compiled = compile_uncached(re)?;
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(re.to_string(), compiled.clone());
    }
    Ok(compiled)
}

fn compile_uncached(re: &str) -> Result<Regex, FuncError> {
    let fail = |e: String| FuncError::new(format!("regexp: Compile(`{re}`): error parsing regexp: {e}"));
    if let Some(e) = go_rejects(re) {
        return Err(fail(e.to_string()));
    }
    Regex::new(&to_rust_syntax(re)).map_err(|e| fail(e.to_string()))
}

/// Go's `Regexp.FindAllString(s, n)`.
fn find_all<'a>(re: &Regex, text: &'a str, n: i64) -> Vec<&'a str> {
    let limit = if n < 0 { usize::MAX } else { n as usize };
    re.find_iter(text).take(limit).map(|m| m.as_str()).collect()
}

/// Go's `Regexp.Split(s, n)`.
fn split<'a>(re: &Regex, text: &'a str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && text.is_empty() {
        return vec![""];
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(text).take(limit) {
        if n > 0 && out.len() == limit - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(&text[beg..end]);
        }
        beg = m.end();
    }
    if end != text.len() {
        out.push(&text[beg..]);
    }
    out
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Int, Str};
    let f = Signature::fixed;
    // Sprig 3.2's regexMatch ignores a bad pattern (false); the others panic.
    r.add("regexMatch", f(&[Str, Str]), |a| Ok(Value::Bool(compile(s(&a[0])).is_ok_and(|re| re.is_match(s(&a[1]))))));
    r.add("mustRegexMatch", f(&[Str, Str]), |a| Ok(Value::Bool(compile(s(&a[0]))?.is_match(s(&a[1])))));
    for name in ["regexFindAll", "mustRegexFindAll"] {
        r.add(name, f(&[Str, Str, Int]), |a| {
            Ok(Value::str_list(find_all(&compile(s(&a[0]))?, s(&a[1]), i(&a[2])).into_iter().map(String::from)))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        r.add(name, f(&[Str, Str]), |a| Ok(Value::from(compile(s(&a[0]))?.find(s(&a[1])).map_or("", |m| m.as_str()))));
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        r.add(name, f(&[Str, Str, Str]), |a| {
            Ok(Value::from(compile(s(&a[0]))?.replace_all(s(&a[1]), s(&a[2])).into_owned()))
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        r.add(name, f(&[Str, Str, Str]), |a| {
            Ok(Value::from(compile(s(&a[0]))?.replace_all(s(&a[1]), NoExpand(s(&a[2]))).into_owned()))
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        r.add(name, f(&[Str, Str, Int]), |a| {
            Ok(Value::str_list(split(&compile(s(&a[0]))?, s(&a[1]), i(&a[2])).into_iter().map(String::from)))
        });
    }
    r.add("regexQuoteMeta", f(&[Str]), |a| Ok(Value::from(quote_meta(s(&a[0])))));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> Regex {
        Regex::new(p).expect("valid regex")
    }

    #[test]
    fn find_and_split_follow_go() {
        assert_eq!(find_all(&re("a*"), "baaab", -1), vec!["", "aaa", ""]);
        assert_eq!(split(&re("z+"), "pizza", -1), vec!["pi", "a"]);
        assert_eq!(split(&re(","), "a,b,c", 2), vec!["a", "b,c"]);
        assert_eq!(split(&re(""), "abc", -1), vec!["a", "b", "c"]);
        assert_eq!(quote_meta("1.5+x"), "1\\.5\\+x");
        assert!(compile("[").is_err());
        assert!(compile("a++").is_err());
        assert!(compile("a+?").is_ok());
        assert!(compile("(?<n>a)").is_err());
        assert!(compile("\\Qa.b\\E").expect("valid").is_match("a.b"));
        assert!(compile("a{,2}").expect("valid").is_match("a{,2}"));
    }
}
