//! Sprig's conversions (`atoi`, `int`, `int64`, `float64`, `toString`,
//! `toDecimal`) and the spf13/cast rules the rest of Sprig relies on.

use crate::gofmt::sprint_value;
use crate::registry::{FuncResult, FunctionRegistry, Param, Signature};
use crate::value::Value;

/// The string argument `v` (already type-checked by the executor).
pub(crate) fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The `int` argument `v` (already type-checked by the executor).
pub(crate) fn i(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

/// Bytes as Go would print them: each byte of an invalid UTF-8 sequence
/// becomes U+FFFD (what Go's JSON and most terminals show).
pub(crate) fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('\u{FFFD}', chunk.invalid().len()));
    }
    out
}

/// `s[a:b]` on bytes, like Go's string slicing; `None` out of range.
pub(crate) fn byte_slice(s: &str, a: usize, b: usize) -> Option<String> {
    s.as_bytes().get(a..b).map(lossy)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: base prefixes and `_` separators.
pub(crate) fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    let digits = if radix != 10 { digits.replace('_', "") } else { digits };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let mag = i128::from_str_radix(&digits, radix).ok()?;
    let v = if neg { -mag } else { mag };
    i64::try_from(v).ok()
}

/// Drops Go's digit separators (`1_000`) when they sit between digits, as
/// `strconv` allows for base-0 integers and for floats.
fn strip_underscores(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('_') {
        return s.into();
    }
    let b = s.as_bytes();
    let ok = b.iter().enumerate().all(|(k, &c)| {
        c != b'_' || (k > 0 && k + 1 < b.len() && b[k - 1].is_ascii_alphanumeric() && b[k + 1].is_ascii_alphanumeric())
    });
    if ok { s.replace('_', "").into() } else { s.into() }
}

fn trim_zero_decimal(s: &str) -> &str {
    match s.split_once('.') {
        Some((head, tail)) if !head.is_empty() && !tail.is_empty() && tail.bytes().all(|b| b == b'0') => head,
        _ => s,
    }
}

/// spf13/cast `ToInt64`: numbers truncate, strings parse (base 0), bools are
/// 0/1, anything else is 0.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint64(u) => *u as i64,
        Value::Float(f) => *f as i64,
        Value::Str(s) => parse_int_base0(&strip_underscores(trim_zero_decimal(s))).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint64(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Str(s) => strip_underscores(s)
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() || s.to_ascii_lowercase().contains("inf"))
            .unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// Sprig's `strval`: strings as is, Stringers via `String()`, else `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => sprint_value(other),
    }
}

/// Sprig's `empty`: Go's zero values (structs are never empty).
pub(crate) fn empty(v: &Value) -> bool {
    match v {
        Value::Time(_) | Value::Struct(_) | Value::Version(_) | Value::Func(_) => false,
        other => !other.truthy(),
    }
}

/// `strconv.Atoi` with Sprig's ignored error: 0, or the clamped value when
/// out of range.
fn atoi(text: &str) -> i64 {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    text.parse::<i64>().unwrap_or(if text.starts_with('-') { i64::MIN } else { i64::MAX })
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Str};
    r.add("atoi", Signature::fixed(&[Str]), |a| Ok(Value::Int(atoi(s(&a[0])))));
    r.add("int", Signature::fixed(&[Any]), |a| Ok(Value::Int(to_int64(&a[0]))));
    r.add("int64", Signature::fixed(&[Any]), |a| Ok(Value::Int64(to_int64(&a[0]))));
    r.add("float64", Signature::fixed(&[Any]), |a| Ok(Value::Float(to_float64(&a[0]))));
    r.add("toString", Signature::fixed(&[Any]), |a| Ok(Value::from(strval(&a[0]))));
    r.add("toDecimal", Signature::fixed(&[Any]), |a| -> FuncResult {
        let text = sprint_value(&a[0]);
        let t = text.strip_prefix('+').unwrap_or(&text);
        let parsed = if t.starts_with('-') {
            i64::from_str_radix(t, 8)
        } else {
            i64::from_str_radix(t.trim_start_matches('+'), 8)
        };
        Ok(Value::Int64(parsed.ok().filter(|_| !text.contains('_')).unwrap_or(0)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_rules() {
        assert_eq!(to_int64(&Value::str("42")), 42);
        assert_eq!(to_int64(&Value::str("0x1F")), 31);
        assert_eq!(to_int64(&Value::str("3.0")), 3);
        assert_eq!(to_int64(&Value::str("3.5")), 0);
        assert_eq!(to_int64(&Value::Float(-3.9)), -3);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_int64(&Value::Nil), 0);
        assert_eq!(to_float64(&Value::str("1e3")), 1000.0);
        assert_eq!(to_float64(&Value::str("x")), 0.0);
        assert!(empty(&Value::Float(0.0)));
        assert!(!empty(&Value::list(vec![Value::Int(0)])));
    }
}
