//! Sprig's string functions.

use super::conversion::{byte_slice, i, s, strval};
use crate::gofmt::quote::quote;
use crate::gofmt::sprint_value;
use crate::registry::{FuncError, FuncResult, FunctionRegistry, Param, Signature};
use crate::value::{Elem, Value};

/// Go's `unicode.ToUpper`/`ToLower`: one rune to one rune (no `ß` → `SS`).
fn map_case(text: &str, upper: bool) -> String {
    text.chars()
        .map(|c| {
            let mut m = if upper { c.to_uppercase().collect::<Vec<_>>() } else { c.to_lowercase().collect::<Vec<_>>() };
            if m.len() == 1 { m.remove(0) } else { c }
        })
        .collect()
}

fn to_title(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        c => map_case(&c.to_string(), true).chars().next().unwrap_or(c),
    }
}

/// Go's `strings.Title`.
fn title(text: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    text.chars()
        .map(|c| {
            let out = if is_sep(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// goutils `AbbreviateFull`.
fn abbreviate_full(text: &str, mut offset: i64, max: i64) -> String {
    let len = text.len() as i64;
    if text.is_empty() || max < 4 || len <= max {
        return text.to_string();
    }
    let sub = |a: i64, b: i64| byte_slice(text, a.max(0) as usize, b.clamp(0, len) as usize).unwrap_or_default();
    offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    if offset <= 4 {
        return sub(0, max - 3) + "...";
    }
    if max < 7 {
        return text.to_string();
    }
    if offset + max - 3 < len {
        return "...".to_string() + &abbreviate_full(&sub(offset, len), 0, max - 3);
    }
    "...".to_string() + &sub(len - (max - 3), len)
}

/// goutils `WrapCustom`.
fn wrap(text: &str, width: i64, nl: &str, long_words: bool) -> String {
    if text.is_empty() {
        return String::new();
    }
    let width = width.max(1) as usize;
    let b = text.as_bytes();
    let (len, mut off) = (b.len(), 0usize);
    let mut out = String::new();
    let sub = |a: usize, z: usize| text.get(a..z.min(len)).unwrap_or("");
    while len - off > width {
        if b[off] == b' ' {
            off += 1;
            continue;
        }
        let end = (width + off + 1).min(len);
        match sub(off, end).rfind(' ') {
            Some(sp) => {
                out.push_str(sub(off, off + sp));
                out.push_str(nl);
                off += sp + 1;
            }
            None if long_words => {
                out.push_str(sub(off, off + width));
                out.push_str(nl);
                off += width;
            }
            None => match sub(off + width, len).find(' ') {
                None => {
                    out.push_str(sub(off, len));
                    off = len;
                }
                Some(idx) => {
                    let at = idx + width + off;
                    out.push_str(sub(off, at));
                    out.push_str(nl);
                    off = at + 1;
                }
            },
        }
    }
    out.push_str(sub(off, len));
    out
}

/// Splits into lower-cased words for snake/kebab case.
fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (k, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c.is_whitespace() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = if k > 0 { chars[k - 1] } else { ' ' };
        let next = chars.get(k + 1).copied().unwrap_or(' ');
        let boundary = c.is_uppercase()
            && (prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next.is_lowercase()));
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.into_iter().map(|w| map_case(&w, false)).collect()
}

/// xstrings `ToCamelCase`.
fn camel(text: &str) -> String {
    let conn = |c: char| c == '-' || c == '_' || c.is_whitespace();
    let mut out = String::new();
    let mut it = text.chars().peekable();
    let mut r0 = None;
    for c in it.by_ref() {
        if !conn(c) {
            r0 = Some(map_case(&c.to_string(), true).chars().next().unwrap_or(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = r0 else { return out };
    for c in it {
        let r1 = r0;
        r0 = c;
        if conn(r0) && conn(r1) {
            out.push(r1);
            continue;
        }
        if conn(r1) {
            r0 = to_title(r0);
        } else {
            r0 = map_case(&r0.to_string(), false).chars().next().unwrap_or(r0);
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

fn each_word(text: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut at_start = true;
    for c in text.chars() {
        if c.is_whitespace() {
            at_start = true;
            out.push(c);
        } else if at_start {
            out.push_str(&f(&c.to_string()));
            at_start = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Sprig's `strslice`: a list as `[]string`, nils dropped.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.items.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

fn split_map(parts: Vec<&str>) -> Value {
    let entries = parts.into_iter().enumerate().map(|(k, p)| (format!("_{k}").into(), Value::from(p))).collect();
    Value::Map(crate::value::Map::typed(Elem::Str, entries))
}

fn go_split<'a>(text: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let mut parts: Vec<&str> = text.char_indices().map(|(k, c)| &text[k..k + c.len_utf8()]).collect();
        if n > 0 && parts.len() > n as usize {
            let k = parts[..n as usize - 1].iter().map(|p| p.len()).sum::<usize>();
            parts.truncate(n as usize - 1);
            parts.push(&text[k..]);
        }
        return parts;
    }
    if n < 0 { text.split(sep).collect() } else { text.splitn(n as usize, sep).collect() }
}

fn repeat(text: &str, n: i64) -> FuncResult {
    if n < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    Ok(Value::from(text.repeat(n as usize)))
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Int, Str};
    let f = Signature::fixed;
    r.add("trim", f(&[Str]), |a| Ok(Value::from(s(&a[0]).trim())));
    r.add("upper", f(&[Str]), |a| Ok(Value::from(map_case(s(&a[0]), true))));
    r.add("lower", f(&[Str]), |a| Ok(Value::from(map_case(s(&a[0]), false))));
    r.add("title", f(&[Str]), |a| Ok(Value::from(title(s(&a[0])))));
    r.add("untitle", f(&[Str]), |a| Ok(Value::from(each_word(s(&a[0]), |w| map_case(w, false)))));
    r.add("abbrev", f(&[Int, Str]), |a| {
        Ok(Value::from(if i(&a[0]) < 4 { s(&a[1]).to_string() } else { abbreviate_full(s(&a[1]), 0, i(&a[0])) }))
    });
    r.add("abbrevboth", f(&[Int, Int, Str]), |a| {
        let (l, rt, t) = (i(&a[0]), i(&a[1]), s(&a[2]));
        Ok(Value::from(if rt < 4 || (l > 0 && rt < 7) { t.to_string() } else { abbreviate_full(t, l, rt) }))
    });
    r.add("trunc", f(&[Int, Str]), |a| {
        let (c, t) = (i(&a[0]), s(&a[1]));
        let n = t.len() as i64;
        let out = if c < 0 && n + c > 0 {
            byte_slice(t, (n + c) as usize, t.len())
        } else if c >= 0 && n > c {
            byte_slice(t, 0, c as usize)
        } else {
            Some(t.to_string())
        };
        out.map(Value::from).ok_or_else(|| FuncError::new("runtime error: slice bounds out of range"))
    });
    r.add("substr", f(&[Int, Int, Str]), |a| {
        let (st, en, t) = (i(&a[0]), i(&a[1]), s(&a[2]));
        let n = t.len() as i64;
        let out = if st < 0 {
            usize::try_from(en).ok().and_then(|e| byte_slice(t, 0, e))
        } else if en < 0 || en > n {
            byte_slice(t, st as usize, t.len())
        } else if st <= en {
            byte_slice(t, st as usize, en as usize)
        } else {
            None
        };
        out.map(Value::from).ok_or_else(|| {
            FuncError::new(format!("runtime error: slice bounds out of range [{st}:{en}] with length {n}"))
        })
    });
    r.add("repeat", f(&[Int, Str]), |a| repeat(s(&a[1]), i(&a[0])));
    for name in ["trimall", "trimAll"] {
        r.add(name, f(&[Str, Str]), |a| Ok(Value::from(s(&a[1]).trim_matches(|c| s(&a[0]).contains(c)))));
    }
    r.add("trimSuffix", f(&[Str, Str]), |a| Ok(Value::from(s(&a[1]).strip_suffix(s(&a[0])).unwrap_or(s(&a[1])))));
    r.add("trimPrefix", f(&[Str, Str]), |a| Ok(Value::from(s(&a[1]).strip_prefix(s(&a[0])).unwrap_or(s(&a[1])))));
    // goutils walks bytes as Latin-1 runes, so non-ASCII text is mangled.
    r.add("nospace", f(&[Str]), |a| {
        Ok(Value::from(s(&a[0]).bytes().map(char::from).filter(|c| !c.is_whitespace()).collect::<String>()))
    });
    r.add("initials", f(&[Str]), |a| {
        Ok(Value::from(s(&a[0]).split_whitespace().filter_map(|w| w.chars().next()).collect::<String>()))
    });
    r.add("swapcase", f(&[Str]), |a| {
        Ok(Value::from(
            s(&a[0])
                .chars()
                .map(|c| {
                    let flipped = if matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ') || c.is_uppercase() {
                        map_case(&c.to_string(), false)
                    } else if c.is_lowercase() {
                        map_case(&c.to_string(), true)
                    } else {
                        c.to_string()
                    };
                    flipped.chars().next().unwrap_or(c)
                })
                .collect::<String>(),
        ))
    });
    r.add("snakecase", f(&[Str]), |a| Ok(Value::from(words(s(&a[0])).join("_"))));
    r.add("kebabcase", f(&[Str]), |a| Ok(Value::from(words(s(&a[0])).join("-"))));
    r.add("camelcase", f(&[Str]), |a| Ok(Value::from(camel(s(&a[0])))));
    r.add("wrap", f(&[Int, Str]), |a| Ok(Value::from(wrap(s(&a[1]), i(&a[0]), "\n", false))));
    r.add("wrapWith", f(&[Int, Str, Str]), |a| Ok(Value::from(wrap(s(&a[2]), i(&a[0]), s(&a[1]), true))));
    r.add("contains", f(&[Str, Str]), |a| Ok(Value::Bool(s(&a[1]).contains(s(&a[0])))));
    r.add("hasPrefix", f(&[Str, Str]), |a| Ok(Value::Bool(s(&a[1]).starts_with(s(&a[0])))));
    r.add("hasSuffix", f(&[Str, Str]), |a| Ok(Value::Bool(s(&a[1]).ends_with(s(&a[0])))));
    r.add("quote", Signature::variadic(&[], Any), |a| {
        Ok(Value::from(a.iter().filter(|v| !v.is_nil()).map(|v| quote(&strval(v))).collect::<Vec<_>>().join(" ")))
    });
    r.add("squote", Signature::variadic(&[], Any), |a| {
        Ok(Value::from(
            a.iter().filter(|v| !v.is_nil()).map(|v| format!("'{}'", sprint_value(v))).collect::<Vec<_>>().join(" "),
        ))
    });
    r.add("cat", Signature::variadic(&[], Any), |a| {
        Ok(Value::from(a.iter().filter(|v| !v.is_nil()).map(sprint_value).collect::<Vec<_>>().join(" ")))
    });
    r.add("indent", f(&[Int, Str]), |a| {
        let pad = repeat(" ", i(&a[0]))?;
        let pad = pad.as_str().unwrap_or("");
        Ok(Value::from(format!("{pad}{}", s(&a[1]).replace('\n', &format!("\n{pad}")))))
    });
    r.add("nindent", f(&[Int, Str]), |a| {
        let pad = repeat(" ", i(&a[0]))?;
        let pad = pad.as_str().unwrap_or("");
        Ok(Value::from(format!("\n{pad}{}", s(&a[1]).replace('\n', &format!("\n{pad}")))))
    });
    r.add("replace", f(&[Str, Str, Str]), |a| Ok(Value::from(s(&a[2]).replace(s(&a[0]), s(&a[1])))));
    r.add("plural", f(&[Str, Str, Int]), |a| Ok(if i(&a[2]) == 1 { a[0].clone() } else { a[1].clone() }));
    r.add("split", f(&[Str, Str]), |a| Ok(split_map(go_split(s(&a[1]), s(&a[0]), -1))));
    r.add("splitn", f(&[Str, Int, Str]), |a| Ok(split_map(go_split(s(&a[2]), s(&a[0]), i(&a[1])))));
    r.add("splitList", f(&[Str, Str]), |a| {
        Ok(Value::str_list(go_split(s(&a[1]), s(&a[0]), -1).into_iter().map(String::from)))
    });
    r.add("toStrings", f(&[Any]), |a| Ok(Value::str_list(strslice(&a[0]))));
    r.add("join", f(&[Str, Any]), |a| Ok(Value::from(strslice(&a[1]).join(s(&a[0])))));
    r.add("sortAlpha", f(&[Any]), |a| {
        let mut items = match &a[0] {
            Value::List(_) => strslice(&a[0]),
            other => vec![strval(other)],
        };
        items.sort();
        Ok(Value::str_list(items))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goutils_abbreviate_and_wrap() {
        assert_eq!(abbreviate_full("hello world", 0, 5), "he...");
        assert_eq!(abbreviate_full("1234 5678 9123", 5, 10), "...5678...");
        assert_eq!(
            wrap("The quick brown fox jumps over the lazy dog", 10, "\n", false),
            "The quick\nbrown fox\njumps over\nthe lazy\ndog"
        );
        assert_eq!(wrap("Hello World", 5, "\t", true), "Hello\tWorld");
    }

    #[test]
    fn case_conversions() {
        assert_eq!(camel("http_server"), "HttpServer");
        assert_eq!(camel("alreadyCamel"), "Alreadycamel");
        assert_eq!(words("HTTPServer").join("-"), "http-server");
        assert_eq!(words("FirstName").join("_"), "first_name");
        assert_eq!(title("ǆemal hello-world"), "ǅemal Hello-World");
        assert_eq!(map_case("ß straße", true), "ß STRAßE");
    }

    #[test]
    fn splits_like_go() {
        assert_eq!(go_split("a$b$c", "$", 2), vec!["a", "b$c"]);
        assert_eq!(go_split("abc", "", -1), vec!["a", "b", "c"]);
        assert!(repeat("x", -1).is_err());
    }
}
