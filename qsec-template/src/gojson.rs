//! Go's `encoding/json` for template values: `json.Marshal` (sorted keys,
//! HTML-safe escapes, Go's float format) and `json.Unmarshal` into
//! `interface {}` (every number a `float64`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::gofmt::float::json_float;
use crate::value::Value;

fn escape(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
}

fn encode(out: &mut String, v: &Value, html: bool, indent: Option<&str>, depth: usize) -> Result<(), String> {
    if depth > 512 {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Uint64(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(
            &json_float(*f).ok_or_else(|| format!("json: unsupported value: {}", crate::gofmt::float::format_v(*f)))?,
        ),
        Value::Str(s) => escape(out, s, html),
        Value::Time(t) => escape(out, &t.format("2006-01-02T15:04:05.999999999Z07:00"), html),
        Value::Version(ver) => escape(out, &ver.to_string(), html),
        Value::List(l) => {
            out.push('[');
            for (k, item) in l.items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                encode(out, item, html, indent, depth + 1)?;
            }
            if !l.items.is_empty() {
                newline(out, indent, depth);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let entries: Vec<(Arc<str>, Value)> = m.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            write_object(out, entries.iter().map(|(k, v)| (k.as_ref(), v)), html, indent, depth)?;
        }
        Value::Struct(s) => write_object(out, s.fields.iter().map(|(k, v)| (*k, v)), html, indent, depth)?,
        Value::Func(_) => return Err(format!("json: unsupported type: {}", v.type_name())),
    }
    Ok(())
}

fn write_object<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a str, &'a Value)>,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    out.push('{');
    let mut any = false;
    for (k, (key, item)) in entries.enumerate() {
        if k > 0 {
            out.push(',');
        }
        any = true;
        newline(out, indent, depth + 1);
        escape(out, key, html);
        out.push(':');
        if indent.is_some() {
            out.push(' ');
        }
        encode(out, item, html, indent, depth + 1)?;
    }
    if any {
        newline(out, indent, depth);
    }
    out.push('}');
    Ok(())
}

/// `json.Marshal(v)` (`html`: escape `<>&`), or `json.MarshalIndent` with `indent`.
pub(crate) fn marshal(v: &Value, html: bool, indent: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    encode(&mut out, v, html, indent, 0)?;
    Ok(out)
}

fn from_serde(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::from(s),
        serde_json::Value::Array(a) => Value::list(a.into_iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Value::map(o.into_iter().map(|(k, v)| (Arc::from(k.as_str()), from_serde(v))).collect::<BTreeMap<_, _>>())
        }
    }
}

/// `json.Unmarshal` into `interface {}`.
pub(crate) fn unmarshal(text: &str) -> Result<Value, String> {
    serde_json::from_str::<serde_json::Value>(text).map(from_serde).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshals_like_encoding_json() {
        let v = Value::from_json(&serde_json::json!({"b": [1, 2.5, null, true], "a": {"z": "x", "y": ""}}));
        assert_eq!(marshal(&v, true, None).expect("encodes"), r#"{"a":{"y":"","z":"x"},"b":[1,2.5,null,true]}"#);
        assert_eq!(marshal(&Value::str("<>&'\""), true, None).expect("encodes"), r#""\u003c\u003e\u0026'\"""#);
        assert_eq!(marshal(&Value::str("<>"), false, None).expect("encodes"), r#""<>""#);
        let pretty = marshal(&Value::from_json(&serde_json::json!({"a": [1]})), true, Some("  ")).expect("encodes");
        assert_eq!(pretty, "{\n  \"a\": [\n    1\n  ]\n}");
    }

    #[test]
    fn unmarshals_numbers_as_float64() {
        assert!(matches!(unmarshal("1").expect("decodes"), Value::Float(f) if f == 1.0));
        assert!(unmarshal("not json").is_err());
    }
}
