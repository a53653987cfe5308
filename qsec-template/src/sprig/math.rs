//! Sprig's integer and float math, `until`, `untilStep` and `seq`.

use super::conversion::{i, to_float64, to_int64};
use crate::registry::{FuncError, FuncResult, FunctionRegistry, Param, Signature};
use crate::value::{Elem, Value};

const DIV_ZERO: &str = "runtime error: integer divide by zero";

/// A decimal `mant * 10^exp`, as shopspring/decimal computes Sprig's
/// float math (`addf 0.1 0.2` is `0.3`, not `0.30000000000000004`).
#[derive(Clone, Copy)]
struct Dec {
    mant: i128,
    exp: i32,
}

impl Dec {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `f`.
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e')?;
        let e: i32 = e.parse().ok()?;
        let frac = m.split_once('.').map_or(0, |(_, fr)| fr.len() as i32);
        let mant: i128 = m.replace('.', "").parse().ok()?;
        Some(Dec { mant, exp: e - frac })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp).parse().unwrap_or(0.0)
    }

    fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
        let exp = a.exp.min(b.exp);
        let scale = |d: Dec| d.mant.checked_mul(10i128.checked_pow((d.exp - exp) as u32)?);
        Some((scale(a)?, scale(b)?, exp))
    }

    fn op(a: Dec, b: Dec, op: char) -> Option<Dec> {
        match op {
            '+' | '-' => {
                let (x, y, exp) = Dec::align(a, b)?;
                Some(Dec { mant: if op == '+' { x.checked_add(y)? } else { x.checked_sub(y)? }, exp })
            }
            '*' => Some(Dec { mant: a.mant.checked_mul(b.mant)?, exp: a.exp + b.exp }),
            _ => {
                // DivRound to 16 decimal places, half away from zero.
                let target = -16;
                let k = a.exp - b.exp - target;
                let q = if k >= 0 {
                    a.mant.checked_mul(10i128.checked_pow(k as u32 + 1)?)? / b.mant
                } else {
                    match 10i128.checked_pow((-k) as u32).and_then(|p| b.mant.checked_mul(p)) {
                        Some(den) => a.mant.checked_mul(10)? / den,
                        None => 0,
                    }
                };
                let rounded = if q % 10 >= 5 {
                    q / 10 + 1
                } else if q % 10 <= -5 {
                    q / 10 - 1
                } else {
                    q / 10
                };
                Some(Dec { mant: rounded, exp: target })
            }
        }
    }
}

fn decimal_op(first: &Value, rest: &[Value], op: char) -> FuncResult {
    let mut acc = to_float64(first);
    for v in rest {
        let x = to_float64(v);
        if op == '/' && x == 0.0 {
            return Err(FuncError::new("decimal division by 0"));
        }
        acc = match Dec::from_f64(acc).zip(Dec::from_f64(x)).and_then(|(a, b)| Dec::op(a, b, op)) {
            Some(d) => d.to_f64(),
            None => match op {
                '+' => acc + x,
                '-' => acc - x,
                '*' => acc * x,
                _ => acc / x,
            },
        };
    }
    Ok(Value::Float(acc))
}

/// Sprig's `untilStep`.
fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut k = start;
        while k > stop && v.len() < 10_000_000 {
            v.push(k);
            k += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut k = start;
    while k < stop && v.len() < 10_000_000 {
        v.push(k);
        k += step;
    }
    v
}

fn int_list(v: Vec<i64>) -> Value {
    Value::typed_list(Elem::Int, v.into_iter().map(Value::Int).collect())
}

fn seq(p: &[i64]) -> String {
    let join = |v: Vec<i64>| v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
    match *p {
        [end] => {
            let inc = if end < 1 { -1 } else { 1 };
            join(until_step(1, end + inc, inc))
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            join(until_step(start, end + step, step))
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if end < start && step > 0 {
                return String::new();
            }
            join(until_step(start, end + inc, step))
        }
        _ => String::new(),
    }
}

fn round(a: &Value, places: i64, on: f64) -> f64 {
    let pow = 10f64.powf(places as f64);
    let digit = pow * to_float64(a);
    let div = digit.fract();
    (if div >= on { digit.ceil() } else { digit.floor() }) / pow
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Float, Int};
    let f = Signature::fixed;
    let va = Signature::variadic;
    r.add("add1", f(&[Any]), |a| Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1))));
    r.add("add", va(&[], Any), |a| Ok(Value::Int64(a.iter().fold(0i64, |s, v| s.wrapping_add(to_int64(v))))));
    r.add("sub", f(&[Any, Any]), |a| Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1])))));
    r.add("mul", va(&[Any], Any), |a| {
        Ok(Value::Int64(a[1..].iter().fold(to_int64(&a[0]), |s, v| s.wrapping_mul(to_int64(v)))))
    });
    r.add("div", f(&[Any, Any]), |a| match to_int64(&a[1]) {
        0 => Err(FuncError::new(DIV_ZERO)),
        d => Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d))),
    });
    r.add("mod", f(&[Any, Any]), |a| match to_int64(&a[1]) {
        0 => Err(FuncError::new(DIV_ZERO)),
        d => Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d))),
    });
    for name in ["max", "biggest"] {
        r.add(name, va(&[Any], Any), |a| Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0))));
    }
    r.add("min", va(&[Any], Any), |a| Ok(Value::Int64(a.iter().map(to_int64).min().unwrap_or(0))));
    r.add("maxf", va(&[Any], Any), |a| {
        Ok(Value::Float(a[1..].iter().map(to_float64).fold(to_float64(&a[0]), f64::max)))
    });
    r.add("minf", va(&[Any], Any), |a| {
        Ok(Value::Float(a[1..].iter().map(to_float64).fold(to_float64(&a[0]), f64::min)))
    });
    r.add("add1f", f(&[Any]), |a| decimal_op(&a[0], &[Value::Int(1)], '+'));
    r.add("addf", va(&[], Any), |a| decimal_op(&Value::Float(0.0), a, '+'));
    r.add("subf", va(&[Any], Any), |a| decimal_op(&a[0], &a[1..], '-'));
    r.add("mulf", va(&[Any], Any), |a| decimal_op(&a[0], &a[1..], '*'));
    r.add("divf", va(&[Any], Any), |a| decimal_op(&a[0], &a[1..], '/'));
    r.add("ceil", f(&[Any]), |a| Ok(Value::Float(to_float64(&a[0]).ceil())));
    r.add("floor", f(&[Any]), |a| Ok(Value::Float(to_float64(&a[0]).floor())));
    r.add("round", va(&[Any, Int], Float), |a| {
        let on = a.get(2).and_then(|v| if let Value::Float(x) = v { Some(*x) } else { None }).unwrap_or(0.5);
        Ok(Value::Float(round(&a[0], i(&a[1]), on)))
    });
    r.add("until", f(&[Int]), |a| {
        let n = i(&a[0]);
        Ok(int_list(until_step(0, n, if n < 0 { -1 } else { 1 })))
    });
    r.add("untilStep", f(&[Int, Int, Int]), |a| Ok(int_list(until_step(i(&a[0]), i(&a[1]), i(&a[2])))));
    r.add("seq", va(&[], Int), |a| Ok(Value::from(seq(&a.iter().map(i).collect::<Vec<_>>()))));
    r.add("randInt", f(&[Int, Int]), |a| {
        let (lo, hi) = (i(&a[0]), i(&a[1]));
        if hi <= lo {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        Ok(Value::Int(lo + rand::random_range(0..hi - lo)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fl(v: FuncResult) -> f64 {
        match v {
            Ok(Value::Float(f)) => f,
            other => panic!("expected a float, got {other:?}"),
        }
    }

    #[test]
    fn decimal_math_like_shopspring() {
        assert_eq!(fl(decimal_op(&Value::Float(0.1), &[Value::Float(0.2)], '+')), 0.3);
        assert_eq!(fl(decimal_op(&Value::Float(0.3), &[Value::Float(0.1)], '-')), 0.2);
        assert_eq!(fl(decimal_op(&Value::Float(1e20), &[Value::Int(1)], '+')), 1e20);
        assert_eq!(fl(decimal_op(&Value::Int(1), &[Value::Int(3)], '/')), 0.3333333333333333);
        assert!(decimal_op(&Value::Int(1), &[Value::Int(0)], '/').is_err());
        assert_eq!(fl(decimal_op(&Value::Float(1e-20), &[Value::Int(3)], '/')), 0.0);
    }

    #[test]
    fn sequences() {
        assert_eq!(until_step(0, 10, 3), vec![0, 3, 6, 9]);
        assert_eq!(until_step(10, 0, -4), vec![10, 6, 2]);
        assert!(until_step(0, 5, 0).is_empty());
        assert_eq!(seq(&[5]), "1 2 3 4 5");
        assert_eq!(seq(&[0]), "1 0");
        assert_eq!(seq(&[]), "");
        assert_eq!(round(&Value::Float(1.4), 0, 0.4), 1.0);
        assert_eq!(round(&Value::Float(1.45), 1, 0.5), 1.5);
    }
}
