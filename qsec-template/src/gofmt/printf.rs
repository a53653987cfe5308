//! Go's `fmt.Sprintf`: verbs, flags, width, precision, argument indexes and
//! the `%!` error forms.

use super::float::format_float;
use super::quote::{can_backquote, quote, quote_rune};
use super::{Flags, bad_verb, pad, print_arg};
use crate::value::Value;

/// Formats an integer (Go's `fmtInteger`), `neg` with magnitude `mag`.
pub(crate) fn fmt_integer(out: &mut String, neg: bool, mag: u64, signed: bool, v: &Value, verb: char, f: Flags) {
    let (base, prefix) = match verb {
        'v' | 'd' => (10, ""),
        'b' => (2, if f.sharp { "0b" } else { "" }),
        'o' => (8, if f.sharp { "0" } else { "" }),
        'O' => (8, "0o"),
        'x' => (16, if f.sharp { "0x" } else { "" }),
        'X' => (16, if f.sharp { "0X" } else { "" }),
        'c' => {
            let c = char::from_u32(if neg { u32::MAX } else { mag as u32 }).unwrap_or('\u{FFFD}');
            pad(out, &c.to_string(), f);
            return;
        }
        'q' => {
            let c = char::from_u32(if neg { u32::MAX } else { mag as u32 }).unwrap_or('\u{FFFD}');
            pad(out, &quote_rune(c), f);
            return;
        }
        'U' => {
            let mut s = format!("U+{mag:04X}");
            if f.sharp
                && let Some(c) = char::from_u32(mag as u32)
                && super::quote::is_print(c)
            {
                s.push_str(&format!(" '{c}'"));
            }
            pad(out, &s, f);
            return;
        }
        _ => {
            bad_verb(out, v, verb);
            return;
        }
    };
    let _ = signed;
    let mut digits = match base {
        2 => format!("{mag:b}"),
        8 => format!("{mag:o}"),
        16 if verb == 'X' => format!("{mag:X}"),
        16 => format!("{mag:x}"),
        _ => mag.to_string(),
    };
    if let Some(p) = f.prec {
        if p == 0 && mag == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    } else if f.zero && !f.minus && f.wid.is_some() {
        let mut w = f.wid.unwrap_or(0);
        if neg || f.plus || f.space {
            w = w.saturating_sub(1);
        }
        w = w.saturating_sub(prefix.len());
        while digits.len() < w {
            digits.insert(0, '0');
        }
    }
    let sign = if neg {
        "-"
    } else if f.plus {
        "+"
    } else if f.space {
        " "
    } else {
        ""
    };
    let s = format!("{sign}{prefix}{digits}");
    pad(out, &s, Flags { zero: false, ..f });
}

/// Formats a float (Go's `fmtFloat`).
pub(crate) fn fmt_float(out: &mut String, x: f64, v: &Value, verb: char, f: Flags) {
    let mut s = match verb {
        'v' => format_float(x, 'g', f.prec),
        'g' | 'G' | 'e' | 'E' => format_float(x, verb, f.prec),
        'f' | 'F' => format_float(x, 'f', Some(f.prec.unwrap_or(6))),
        'x' | 'X' | 'b' if x.is_finite() => hex_or_binary_float(x, verb),
        _ => {
            bad_verb(out, v, verb);
            return;
        }
    };
    if matches!(verb, 'e' | 'E') && f.prec.is_none() {
        s = format_float(x, verb, Some(6));
    }
    if f.plus && !s.starts_with('-') && !s.starts_with('+') {
        s.insert(0, '+');
    } else if f.space && !s.starts_with('-') && !s.starts_with('+') {
        s.insert(0, ' ');
    } else if s == "+Inf" && !f.plus {
        s = "+Inf".into();
    }
    if f.zero && !f.minus && x.is_finite() {
        let w = f.wid.unwrap_or(0);
        let n = s.chars().count();
        if n < w {
            let at = usize::from(s.starts_with(['-', '+', ' ']));
            s.insert_str(at, &"0".repeat(w - n));
        }
    }
    pad(out, &s, Flags { zero: false, ..f });
}

/// Go's `%x`/`%X` (hex mantissa, binary exponent) and `%b` of a float.
fn hex_or_binary_float(x: f64, verb: char) -> String {
    let bits = x.to_bits();
    let neg = if x.is_sign_negative() { "-" } else { "" };
    let raw_exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if verb == 'b' {
        let (m, e) = if raw_exp == 0 { (mant, -1074) } else { (mant | (1 << 52), raw_exp - 1075) };
        return format!("{neg}{m}p{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    if x == 0.0 {
        return format!("{neg}0x0p+00");
    }
    let mut exp = raw_exp - 1023;
    if raw_exp == 0 {
        // Subnormal: normalise the mantissa.
        let shift = mant.leading_zeros() as i64 - 11;
        mant = (mant << shift) & ((1u64 << 52) - 1);
        exp = -1022 - shift;
    }
    let mut digits = format!("{mant:013x}");
    while digits.ends_with('0') {
        digits.pop();
    }
    let frac = if digits.is_empty() { String::new() } else { format!(".{digits}") };
    let s = format!("{neg}0x1{frac}p{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    if verb == 'X' { s.to_uppercase() } else { s }
}

/// Formats a string (Go's `fmtString`).
pub(crate) fn fmt_string(out: &mut String, s: &str, verb: char, f: Flags) {
    match verb {
        'v' if f.sharp_v => pad(out, &quote(s), f),
        'v' | 's' => match f.prec {
            Some(p) => pad(out, &s.chars().take(p).collect::<String>(), f),
            None => pad(out, s, f),
        },
        'q' => {
            let q = if f.sharp && can_backquote(s) {
                format!("`{s}`")
            } else if f.plus {
                super::quote::quote_ascii(s)
            } else {
                quote(s)
            };
            pad(out, &q, f);
        }
        'x' | 'X' => {
            let mut h = String::new();
            for (i, b) in s.bytes().enumerate() {
                if f.space && i > 0 {
                    h.push(' ');
                }
                if f.sharp && (f.space || i == 0) {
                    h.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                h.push_str(&if verb == 'x' { format!("{b:02x}") } else { format!("{b:02X}") });
            }
            pad(out, &h, f);
        }
        _ => bad_verb(out, &Value::str(s), verb),
    }
}

fn parse_num(fmt: &[char], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while i < fmt.len() && fmt[i].is_ascii_digit() {
        n = n.saturating_mul(10).saturating_add(fmt[i] as usize - '0' as usize);
        i += 1;
    }
    if i == start { (None, i) } else { (Some(n), i) }
}

/// Parses `[n]` at `i`: (Some(index) or None, next position, ok).
fn parse_arg_index(fmt: &[char], i: usize, argnum: usize, nargs: usize) -> (usize, usize, bool) {
    if i >= fmt.len() || fmt[i] != '[' {
        return (argnum, i, true);
    }
    let mut j = i + 1;
    while j < fmt.len() && fmt[j] != ']' {
        j += 1;
    }
    if j >= fmt.len() {
        return (argnum, i + 1, false);
    }
    let (n, end) = parse_num(fmt, i + 1);
    match n {
        Some(n) if end == j && n >= 1 && n <= nargs => (n - 1, j + 1, true),
        _ => (argnum, j + 1, false),
    }
}

fn int_arg(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Int(i) | Value::Int64(i)) => Some(*i),
        Some(Value::Uint64(u)) => i64::try_from(*u).ok(),
        _ => None,
    }
}

/// Go's `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let fmt: Vec<char> = format.chars().collect();
    let mut out = String::with_capacity(format.len() + 8);
    let mut argnum = 0usize;
    let mut reordered = false;
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != '%' {
            out.push(fmt[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut f = Flags::default();
        while i < fmt.len() {
            match fmt[i] {
                '#' => f.sharp = true,
                '0' => f.zero = !f.minus,
                '+' => f.plus = true,
                '-' => {
                    f.minus = true;
                    f.zero = false;
                }
                ' ' => f.space = true,
                _ => break,
            }
            i += 1;
        }
        let mut good = true;
        let (a, ni, ok) = parse_arg_index(&fmt, i, argnum, args.len());
        reordered |= ni != i || !ok;
        (argnum, i) = (a, ni);
        good &= ok;
        if i < fmt.len() && fmt[i] == '*' {
            i += 1;
            match int_arg(args.get(argnum)) {
                Some(w) => {
                    if w < 0 {
                        f.minus = true;
                        f.zero = false;
                    }
                    f.wid = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            argnum += 1;
        } else {
            let (w, ni) = parse_num(&fmt, i);
            f.wid = w;
            i = ni;
        }
        if i < fmt.len() && fmt[i] == '.' {
            i += 1;
            let (a, ni, ok) = parse_arg_index(&fmt, i, argnum, args.len());
            reordered |= ni != i || !ok;
            (argnum, i) = (a, ni);
            good &= ok;
            if i < fmt.len() && fmt[i] == '*' {
                i += 1;
                match int_arg(args.get(argnum)) {
                    Some(p) if p >= 0 => f.prec = Some(p as usize),
                    Some(_) => f.prec = None,
                    None => out.push_str("%!(BADPREC)"),
                }
                argnum += 1;
            } else {
                let (p, ni) = parse_num(&fmt, i);
                f.prec = Some(p.unwrap_or(0));
                i = ni;
            }
        }
        let (a, ni, ok) = parse_arg_index(&fmt, i, argnum, args.len());
        reordered |= ni != i || !ok;
        (argnum, i) = (a, ni);
        good &= ok;
        if i >= fmt.len() {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = fmt[i];
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        let Some(arg) = args.get(argnum) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argnum += 1;
        if verb == 'v' {
            f.sharp_v = f.sharp;
            f.plus_v = f.plus;
            f.plus = false;
            if f.sharp_v {
                f.sharp = false;
            }
        }
        print_arg(&mut out, arg, verb, f);
    }
    if !reordered && argnum < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[argnum..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if a.is_nil() {
                out.push_str("<nil>");
            } else {
                out.push_str(&a.type_name());
                out.push('=');
                print_arg(&mut out, a, 'v', Flags::default());
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Vec<Value> {
        v.iter().map(|&i| Value::Int(i)).collect()
    }

    #[test]
    fn integer_verbs_and_flags() {
        assert_eq!(sprintf("%d|%5d|%-5d|%05d|%+d", &ints(&[42, 42, 42, 42, 42])), "42|   42|42   |00042|+42");
        assert_eq!(sprintf("%x %X %o %b %c %U", &ints(&[255, 255, 8, 5, 65, 9731])), "ff FF 10 101 A U+2603");
        assert_eq!(sprintf("%#x %#o", &ints(&[255, 8])), "0xff 010");
    }

    #[test]
    fn errors_are_inline_like_go() {
        assert_eq!(sprintf("%!", &[]), "%!!(MISSING)");
        assert_eq!(sprintf("%d", &[Value::str("hi")]), "%!d(string=hi)");
        assert_eq!(sprintf("%d", &[Value::Nil]), "%!d(<nil>)");
        assert_eq!(sprintf("a", &ints(&[1])), "a%!(EXTRA int=1)");
        assert_eq!(sprintf("100%%", &[]), "100%");
    }

    #[test]
    fn floats_and_strings() {
        let args = [Value::Float(1234.5678), Value::Float(1.23456)];
        assert_eq!(sprintf("%e %5.2f", &args), "1.234568e+03  1.23");
        assert_eq!(
            sprintf("%q %10s|%-4s|%.2s", &[Value::str("hi\n"), Value::str("hi"), Value::str("a"), Value::str("hello")]),
            "\"hi\\n\"         hi|a   |he"
        );
        assert_eq!(sprintf("%x % x", &[Value::str("hi"), Value::str("hi")]), "6869 68 69");
        assert_eq!(sprintf("%T %T", &[Value::Int(1), Value::Float(1.0)]), "int float64");
    }
}
