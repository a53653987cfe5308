//! Go text/template's builtin functions (Go 1.19 `funcs.go`).

use crate::gofmt::{sprint, sprintf, sprintln};
use crate::registry::{FuncError, FuncResult, Function, FunctionRegistry, Param, Signature};
use crate::value::{Elem, Value};

/// Registers `and`, `or`, `not`, `len`, `index`, `slice`, `print`, `printf`,
/// `println`, `html`, `js`, `urlquery`, `call` and the comparisons.
pub(crate) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Raw, Str};
    r.insert("and", Function::short_circuit(false));
    r.insert("or", Function::short_circuit(true));
    r.add("not", Signature::fixed(&[Raw]), |a| Ok(Value::Bool(!a[0].truthy())));
    r.add("len", Signature::fixed(&[Raw]), |a| length(&a[0]));
    r.add("index", Signature::variadic(&[Raw], Raw), |a| index(&a[0], &a[1..]));
    r.add("slice", Signature::variadic(&[Raw], Raw), |a| slice(&a[0], &a[1..]));
    r.add("print", Signature::variadic(&[], Any), |a| Ok(Value::from(sprint(a))));
    r.add("printf", Signature::variadic(&[Str], Any), |a| {
        Ok(Value::from(sprintf(a[0].as_str().unwrap_or(""), &a[1..])))
    });
    r.add("println", Signature::variadic(&[], Any), |a| Ok(Value::from(sprintln(a))));
    r.add("html", Signature::variadic(&[], Any), |a| Ok(Value::from(html_escape(&eval_args(a)))));
    r.add("js", Signature::variadic(&[], Any), |a| Ok(Value::from(js_escape(&eval_args(a)))));
    r.add("urlquery", Signature::variadic(&[], Any), |a| Ok(Value::from(query_escape(&eval_args(a)))));
    r.add("call", Signature::variadic(&[Raw], Raw), |a| match &a[0] {
        Value::Nil => Err(FuncError::new("call of nil")),
        Value::Func(f) => f.call(&a[1..]),
        other => Err(FuncError::new(format!("non-function of type {}", other.type_name()))),
    });
    r.add("eq", Signature::variadic(&[Raw], Raw), |a| eq(&a[0], &a[1..]).map(Value::Bool));
    r.add("ne", Signature::fixed(&[Raw, Raw]), |a| eq(&a[0], &a[1..]).map(|b| Value::Bool(!b)));
    r.add("lt", Signature::fixed(&[Raw, Raw]), |a| lt(&a[0], &a[1]).map(Value::Bool));
    r.add("le", Signature::fixed(&[Raw, Raw]), |a| le(&a[0], &a[1]).map(Value::Bool));
    r.add("gt", Signature::fixed(&[Raw, Raw]), |a| le(&a[0], &a[1]).map(|b| Value::Bool(!b)));
    r.add("ge", Signature::fixed(&[Raw, Raw]), |a| lt(&a[0], &a[1]).map(|b| Value::Bool(!b)));
}

/// Go's `evalArgs`: one string as is, otherwise `fmt.Sprint` of the
/// arguments, with nil shown as `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    let shown: Vec<Value> =
        args.iter().map(|a| if a.is_nil() { Value::str("<no value>") } else { a.clone() }).collect();
    sprint(&shown)
}

fn length(v: &Value) -> FuncResult {
    match v {
        Value::Str(s) => Ok(Value::Int(s.len() as i64)),
        Value::List(l) => Ok(Value::Int(l.items.len() as i64)),
        Value::Map(m) => Ok(Value::Int(m.len() as i64)),
        Value::Nil => Err(FuncError::new("len of nil pointer")),
        other => Err(FuncError::new(format!("len of type {}", other.type_name()))),
    }
}

fn int_index(i: &Value, cap: usize, what: &str) -> Result<usize, FuncError> {
    let x = match i {
        Value::Int(x) | Value::Int64(x) => *x,
        Value::Uint64(u) => *u as i64,
        Value::Nil => return Err(FuncError::new(format!("cannot index {what} with nil"))),
        other => return Err(FuncError::new(format!("cannot index {what} with type {}", other.type_name()))),
    };
    if x < 0 || x as usize > cap {
        return Err(FuncError::new(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> FuncResult {
    if item.is_nil() {
        return Err(FuncError::new("index of untyped nil"));
    }
    let mut cur = item.clone();
    for i in indexes {
        cur = match &cur {
            Value::List(l) => {
                let x = int_index(i, l.items.len(), "slice/array")?;
                l.items.get(x).cloned().ok_or_else(|| FuncError::new("reflect: slice index out of range"))?
            }
            Value::Str(s) => {
                let x = int_index(i, s.len(), "slice/array")?;
                Value::Int(
                    *s.as_bytes().get(x).ok_or_else(|| FuncError::new("reflect: string index out of range"))? as i64
                )
            }
            Value::Map(m) => match i {
                Value::Str(k) => m.get(k).unwrap_or(if m.elem() == Elem::Str { Value::str("") } else { Value::Nil }),
                Value::Nil => return Err(FuncError::new("value is nil; should be of type string")),
                other => return Err(FuncError::new(format!("value has type {}; should be string", other.type_name()))),
            },
            Value::Nil => return Err(FuncError::new("index of nil pointer")),
            other => return Err(FuncError::new(format!("can't index item of type {}", other.type_name()))),
        };
    }
    Ok(cur)
}

fn slice(item: &Value, idx: &[Value]) -> FuncResult {
    let len = match item {
        Value::Str(s) => s.len(),
        Value::List(l) => l.items.len(),
        Value::Nil => return Err(FuncError::new("slice of untyped nil")),
        other => return Err(FuncError::new(format!("can't slice item of type {}", other.type_name()))),
    };
    if idx.len() > 3 || (idx.len() == 3 && matches!(item, Value::Str(_))) {
        return Err(FuncError::new(format!("too many slice indexes: {}", idx.len())));
    }
    let mut bounds = [0usize, len, len];
    for (k, i) in idx.iter().enumerate() {
        bounds[k] = int_index(i, len, "slice/array")?;
    }
    if bounds[0] > bounds[1] || (idx.len() == 3 && bounds[1] > bounds[2]) {
        return Err(FuncError::new(format!("invalid slice index: {} > {}", bounds[0], bounds[1])));
    }
    match item {
        Value::Str(s) => s
            .get(bounds[0]..bounds[1])
            .map(Value::from)
            .ok_or_else(|| FuncError::new("slice of string is not on a character boundary")),
        Value::List(l) => Ok(Value::typed_list(l.elem, l.items[bounds[0]..bounds[1]].to_vec())),
        _ => Ok(Value::Nil),
    }
}

#[derive(PartialEq)]
enum Kind {
    Bool,
    Int,
    Uint,
    Float,
    Str,
    Nil,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Uint64(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        Value::Nil => Kind::Nil,
        _ => Kind::Other,
    }
}

fn as_i(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

fn as_u(v: &Value) -> u64 {
    if let Value::Uint64(u) = v { *u } else { 0 }
}

fn eq(a: &Value, rest: &[Value]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return Err(FuncError::new("missing argument for comparison"));
    }
    let k1 = kind(a);
    for b in rest {
        let k2 = kind(b);
        let truth = if k1 != k2 {
            match (&k1, &k2) {
                (Kind::Int, Kind::Uint) => as_i(a) >= 0 && as_i(a) as u64 == as_u(b),
                (Kind::Uint, Kind::Int) => as_i(b) >= 0 && as_u(a) == as_i(b) as u64,
                (Kind::Nil, _) | (_, Kind::Nil) => false,
                _ => return Err(FuncError::new("incompatible types for comparison")),
            }
        } else {
            match (a, b) {
                (Value::List(_) | Value::Map(_), _) => {
                    return Err(FuncError::new(format!(
                        "non-comparable type {}: {}",
                        crate::gofmt::sprint_value(b),
                        b.type_name()
                    )));
                }
                (Value::Func(_), _) => return Err(FuncError::new("non-comparable type func")),
                // A *semver.Version compares as a pointer.
                (Value::Version(x), Value::Version(y)) => std::sync::Arc::ptr_eq(x, y),
                _ if k1 == Kind::Other && a.type_name() != b.type_name() => false,
                _ => a.deep_equal(b) || (as_i(a) == as_i(b) && k1 == Kind::Int),
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (k1, k2) = (kind(a), kind(b));
    if matches!(k1, Kind::Nil | Kind::Other) || matches!(k2, Kind::Nil | Kind::Other) {
        return Err(FuncError::new("invalid type for comparison"));
    }
    if k1 != k2 {
        return match (&k1, &k2) {
            (Kind::Int, Kind::Uint) => Ok(as_i(a) < 0 || (as_i(a) as u64) < as_u(b)),
            (Kind::Uint, Kind::Int) => Ok(as_i(b) >= 0 && as_u(a) < as_i(b) as u64),
            _ => Err(FuncError::new("incompatible types for comparison")),
        };
    }
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (Value::Str(x), Value::Str(y)) => Ok(x < y),
        (Value::Uint64(x), Value::Uint64(y)) => Ok(x < y),
        (Value::Bool(_), _) => Err(FuncError::new("invalid type for comparison")),
        _ => Ok(as_i(a) < as_i(b)),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, FuncError> {
    Ok(lt(a, b)? || eq(a, std::slice::from_ref(b))?)
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && !crate::gofmt::quote::is_print(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    escape(s, true)
}

/// Go's `url.PathEscape` (`query = false`) and `url.QueryEscape`.
pub(crate) fn escape(s: &str, query: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' if query => out.push('+'),
            b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@' if !query && b != b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_follows_go_kinds() {
        assert_eq!(eq(&Value::Int(1), &[Value::Int64(1)]), Ok(true));
        assert!(eq(&Value::Int(1), &[Value::Float(1.0)]).is_err());
        assert_eq!(eq(&Value::str(""), &[Value::Nil]), Ok(false));
        assert_eq!(eq(&Value::Nil, &[Value::Nil]), Ok(true));
        assert!(eq(&Value::Int(1), &[]).is_err());
        assert!(lt(&Value::Bool(true), &Value::Bool(false)).is_err());
        assert_eq!(lt(&Value::str("abc"), &Value::str("abd")), Ok(true));
    }

    #[test]
    fn escapers_match_go() {
        assert_eq!(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;");
        assert_eq!(
            js_escape("a'b\"c<d>e&f=g\\h\ni\tj"),
            "a\\'b\\\"c\\u003Cd\\u003Ee\\u0026f\\u003Dg\\\\h\\u000Ai\\u0009j"
        );
        assert_eq!(query_escape("100% sure"), "100%25+sure");
    }

    #[test]
    fn index_and_len_errors() {
        assert!(index(&Value::Nil, &[Value::Int(0)]).is_err());
        assert_eq!(index(&Value::str("abc"), &[Value::Int(1)]).ok().map(|v| format!("{v:?}")), Some("int(98)".into()));
        assert!(length(&Value::Nil).is_err());
    }
}
