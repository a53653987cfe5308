//! Go's `fmt` as templates use it: `print`, `printf`, `println`, and the
//! default `%v` formatting of every printed value.

pub mod float;
mod printf;
pub mod quote;

pub use printf::sprintf;

use crate::value::Value;

/// Flags, width and precision of one `printf` verb.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Flags {
    pub plus: bool,
    pub minus: bool,
    pub sharp: bool,
    pub space: bool,
    pub zero: bool,
    pub wid: Option<usize>,
    pub prec: Option<usize>,
    pub plus_v: bool,
    pub sharp_v: bool,
}

/// Go's `fmt.Sprint(v)`.
pub fn sprint_value(v: &Value) -> String {
    let mut out = String::new();
    print_arg(&mut out, v, 'v', Flags::default());
    out
}

/// Go's `fmt.Sprint(args...)`: spaces only between operands when neither is
/// a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        print_arg(&mut out, a, 'v', Flags::default());
    }
    out
}

/// Go's `fmt.Sprintln(args...)`.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_arg(&mut out, a, 'v', Flags::default());
    }
    out.push('\n');
    out
}

/// Pads `s` to the width in `f` (in characters), as Go's `padString` does.
pub(crate) fn pad(out: &mut String, s: &str, f: Flags) {
    let n = s.chars().count();
    let w = f.wid.unwrap_or(0);
    if n >= w {
        out.push_str(s);
        return;
    }
    let fill = if f.zero && !f.minus { '0' } else { ' ' };
    if f.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', w - n));
    } else {
        out.extend(std::iter::repeat_n(fill, w - n));
        out.push_str(s);
    }
}

/// Prints one top-level argument with `verb` (Go's `printArg`).
pub(crate) fn print_arg(out: &mut String, v: &Value, verb: char, f: Flags) {
    if v.is_nil() {
        match verb {
            'T' | 'v' => pad(out, "<nil>", f),
            _ => bad_verb(out, v, verb),
        }
        return;
    }
    if verb == 'T' {
        pad(out, &v.type_name(), f);
        return;
    }
    print_value(out, v, verb, f, 0);
}

/// `%!verb(type=value)`.
pub(crate) fn bad_verb(out: &mut String, v: &Value, verb: char) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if v.is_nil() {
        out.push_str("<nil>");
    } else {
        out.push_str(&v.type_name());
        out.push('=');
        print_value(out, v, 'v', Flags::default(), 0);
    }
    out.push(')');
}

fn stringer(v: &Value) -> Option<String> {
    match v {
        Value::Time(t) => Some(t.to_go_string()),
        Value::Version(ver) => Some(ver.to_string()),
        _ => None,
    }
}

/// Prints a value at any depth (Go's `printValue`).
pub(crate) fn print_value(out: &mut String, v: &Value, verb: char, f: Flags, depth: usize) {
    if depth > 64 {
        out.push_str("<too deep>");
        return;
    }
    if !f.sharp_v
        && matches!(verb, 'v' | 's' | 'x' | 'X' | 'q')
        && let Some(s) = stringer(v)
    {
        printf::fmt_string(out, &s, verb, f);
        return;
    }
    match v {
        Value::Nil => {
            if f.sharp_v {
                out.push_str("interface {}(nil)");
            } else {
                pad(out, "<nil>", f);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, f),
            _ => bad_verb(out, v, verb),
        },
        Value::Int(i) | Value::Int64(i) => printf::fmt_integer(out, *i < 0, i.unsigned_abs(), true, v, verb, f),
        Value::Uint64(u) => printf::fmt_integer(out, false, *u, false, v, verb, f),
        Value::Float(x) => printf::fmt_float(out, *x, v, verb, f),
        Value::Str(s) => printf::fmt_string(out, s, verb, f),
        Value::List(l) => {
            if f.sharp_v {
                out.push_str(&v.type_name());
                out.push('{');
                for (i, item) in l.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    print_value(out, item, verb, f, depth + 1);
                }
                out.push('}');
                return;
            }
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_value(out, item, verb, f, depth + 1);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let entries = m.read();
            if f.sharp_v {
                out.push_str(&v.type_name());
                out.push('{');
            } else {
                out.push_str("map[");
            }
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(if f.sharp_v { ", " } else { " " });
                }
                printf::fmt_string(out, k, verb, f);
                out.push(':');
                print_value(out, item, verb, f, depth + 1);
            }
            out.push(if f.sharp_v { '}' } else { ']' });
        }
        Value::Struct(s) => {
            if f.sharp_v {
                out.push_str(s.type_name);
            }
            out.push('{');
            for (i, (name, item)) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(if f.sharp_v { ", " } else { " " });
                }
                if f.plus_v || f.sharp_v {
                    out.push_str(name);
                    out.push(':');
                }
                print_value(out, item, verb, f, depth + 1);
            }
            out.push('}');
        }
        Value::Time(_) | Value::Version(_) => {
            let s = stringer(v).unwrap_or_default();
            pad(out, &s, f);
        }
        Value::Func(_) => pad(out, "0x1", f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprint_adds_spaces_between_non_strings_only() {
        let args = [Value::Int(1), Value::str("a"), Value::Int(2)];
        assert_eq!(sprint(&args), "1a2");
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprintln(&[Value::str("a"), Value::str("b")]), "a b\n");
    }

    #[test]
    fn prints_nested_values_like_fmt() {
        let v = Value::from_json(&serde_json::json!({"b": [1, {"c": null}], "a": true}));
        assert_eq!(sprint_value(&v), "map[a:true b:[1 map[c:<nil>]]]");
        assert_eq!(sprint_value(&Value::Nil), "<nil>");
    }
}
