//! Go's float formatting (`strconv.FormatFloat` and `encoding/json`).

/// Decimal digits and exponent of `f` (`f` finite, not negative): the value
/// is `0.d1d2d3... * 10^point`. `sig` is the number of significant digits, or
/// `None` for the shortest digits that read back as `f`.
fn digits(f: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    let s = match sig {
        None => format!("{f:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, f),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut ds: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while ds.len() > 1 && ds.last() == Some(&b'0') {
        ds.pop();
    }
    if ds == [b'0'] {
        return (ds, 1);
    }
    (ds, exp + 1)
}

fn fmt_e(neg: bool, ds: &[u8], point: i32, prec: usize, e: char) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push(ds.first().map_or('0', |&d| d as char));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(ds.get(i).map_or('0', |&d| d as char));
        }
    }
    let exp = if ds == [b'0'] { 0 } else { point - 1 };
    out.push(e);
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

fn fmt_f(neg: bool, ds: &[u8], point: i32, prec: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if point > 0 {
        for i in 0..point as usize {
            out.push(ds.get(i).map_or('0', |&d| d as char));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            let idx = point + i;
            out.push(if idx < 0 { '0' } else { ds.get(idx as usize).map_or('0', |&d| d as char) });
        }
    }
    out
}

fn special(f: f64, plus_inf: bool) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 { if plus_inf { "+Inf" } else { "Inf" } } else { "-Inf" }.into())
    } else {
        None
    }
}

/// `strconv.FormatFloat(f, verb, prec, 64)` for verbs `e E f F g G`;
/// `prec = None` is Go's `-1` (shortest).
pub fn format_float(f: f64, verb: char, prec: Option<usize>) -> String {
    if let Some(s) = special(f, true) {
        return s;
    }
    let neg = f.is_sign_negative();
    let a = f.abs();
    match verb {
        'e' | 'E' => {
            let (ds, point) = digits(a, prec.map(|p| p + 1));
            let p = prec.unwrap_or(ds.len().saturating_sub(1));
            fmt_e(neg, &ds, point, p, verb)
        }
        'f' | 'F' => match prec {
            Some(p) => {
                let s = format!("{:.*}", p, a);
                if neg { format!("-{s}") } else { s }
            }
            None => {
                let (ds, point) = digits(a, None);
                let p = (ds.len() as i32 - point).max(0) as usize;
                fmt_f(neg, &ds, point, p)
            }
        },
        _ => {
            let e = if verb == 'G' { 'E' } else { 'e' };
            let (ds, point) = digits(a, prec.map(|p| p.max(1)));
            let mut eprec = prec.map_or(6, |p| p.max(1)) as i32;
            if prec.is_some() && eprec > ds.len() as i32 && ds.len() as i32 >= point {
                eprec = ds.len() as i32;
            }
            if prec.is_none() {
                eprec = 6;
            }
            let exp = point - 1;
            if ds != [b'0'] && (exp < -4 || exp >= eprec) {
                fmt_e(neg, &ds, point, ds.len() - 1, e)
            } else {
                let p = (ds.len() as i32 - point).max(0) as usize;
                fmt_f(neg, &ds, point, p)
            }
        }
    }
}

/// Go's `%v` of a `float64`.
pub fn format_v(f: f64) -> String {
    format_float(f, 'g', None)
}

/// How Go's `encoding/json` writes a `float64` (`None` for NaN/Inf, which
/// it refuses).
pub fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = format_float(f, 'e', None);
        // Go cleans e-07 to e-7.
        let cleaned = match s.find('e') {
            Some(i) if s[i + 2..].starts_with('0') && s.len() - i == 4 => format!("{}{}", &s[..i + 2], &s[i + 3..]),
            _ => s,
        };
        return Some(cleaned);
    }
    Some(format_float(f, 'f', None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_g_switches_to_exponent_like_go() {
        assert_eq!(format_v(0.1), "0.1");
        assert_eq!(format_v(1e21), "1e+21");
        assert_eq!(format_v(1e20), "1e+20");
        assert_eq!(format_v(123456789.0), "1.23456789e+08");
        assert_eq!(format_v(123456.0), "123456");
        assert_eq!(format_v(2.0), "2");
        assert_eq!(format_v(0.00001), "1e-05");
        assert_eq!(format_v(-0.0), "-0");
        assert_eq!(format_v(f64::INFINITY), "+Inf");
    }

    #[test]
    fn fixed_precision_rounds_half_to_even_on_the_exact_value() {
        assert_eq!(format_float(0.5, 'f', Some(0)), "0");
        assert_eq!(format_float(1.5, 'f', Some(0)), "2");
        assert_eq!(format_float(2.5, 'f', Some(0)), "2");
        assert_eq!(format_float(-0.5, 'f', Some(0)), "-0");
        assert_eq!(format_float(1234.5678, 'e', Some(6)), "1.234568e+03");
        assert_eq!(format_float(0.000012345, 'g', None), "1.2345e-05");
        assert_eq!(format_float(1e21, 'G', None), "1E+21");
        assert_eq!(format_float(1.23456, 'g', Some(3)), "1.23");
    }

    #[test]
    fn json_floats_match_encoding_json() {
        assert_eq!(json_float(1e-7).as_deref(), Some("1e-7"));
        assert_eq!(json_float(1e20).as_deref(), Some("100000000000000000000"));
        assert_eq!(json_float(1e21).as_deref(), Some("1e+21"));
        assert_eq!(json_float(-0.0).as_deref(), Some("-0"));
        assert_eq!(json_float(2.5).as_deref(), Some("2.5"));
        assert_eq!(json_float(f64::NAN), None);
    }
}
