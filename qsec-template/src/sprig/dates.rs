//! Sprig's date functions, with Go's reference-time layouts.

use std::sync::Arc;

use jiff::tz::TimeZone;

use super::conversion::s;
use crate::gotime::{GoTime, format_duration, load_location, parse, parse_duration, zero_time};
use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

fn now(local: &TimeZone) -> GoTime {
    GoTime { ts: jiff::Timestamp::now(), tz: local.clone(), mono: true, zone_name: None }
}

/// The time a date argument stands for: a `time.Time`, Unix seconds as
/// `int`/`int64`, or (anything else) now.
fn as_time(v: &Value, local: &TimeZone) -> GoTime {
    match v {
        Value::Time(t) => (**t).clone(),
        Value::Int(n) | Value::Int64(n) => {
            GoTime::new(jiff::Timestamp::from_second(*n).unwrap_or_default(), local.clone())
        }
        _ => now(local),
    }
}

fn in_zone(layout: &str, v: &Value, zone: &str, local: &TimeZone) -> Value {
    let t = as_time(v, local);
    let tz = load_location(zone, local).unwrap_or(TimeZone::UTC);
    Value::from(GoTime::new(t.ts, tz).format(layout))
}

fn since(t: &GoTime) -> i128 {
    jiff::Timestamp::now().as_nanosecond() - t.ts.as_nanosecond()
}

fn duration_round(v: &Value) -> String {
    let d: i128 = match v {
        Value::Str(t) => parse_duration(t).unwrap_or(0),
        Value::Int64(n) => i128::from(*n),
        Value::Time(t) => since(t),
        _ => 0,
    };
    let u = d.unsigned_abs();
    let (sec, min, hour) = (1_000_000_000u128, 60_000_000_000u128, 3_600_000_000_000u128);
    let (day, month, year) = (hour * 24, hour * 24 * 30, hour * 24 * 365);
    for (unit, suffix) in [(year, "y"), (month, "mo"), (day, "d"), (hour, "h"), (min, "m"), (sec, "s")] {
        if u > unit {
            return format!("{}{suffix}", u / unit);
        }
    }
    "0s".into()
}

pub(super) fn register(r: &mut FunctionRegistry, local: &TimeZone) {
    use Param::{Any, Str, Time};
    let f = Signature::fixed;
    let l = local.clone();
    r.add("now", f(&[]), move |_| Ok(Value::Time(Arc::new(now(&l)))));
    let l = local.clone();
    r.add("date", f(&[Str, Any]), move |a| Ok(in_zone(s(&a[0]), &a[1], "Local", &l)));
    for name in ["dateInZone", "date_in_zone"] {
        let l = local.clone();
        r.add(name, f(&[Str, Any, Str]), move |a| Ok(in_zone(s(&a[0]), &a[1], s(&a[2]), &l)));
    }
    let l = local.clone();
    r.add("htmlDate", f(&[Any]), move |a| Ok(in_zone("2006-01-02", &a[0], "Local", &l)));
    let l = local.clone();
    r.add("htmlDateInZone", f(&[Any, Str]), move |a| Ok(in_zone("2006-01-02", &a[0], s(&a[1]), &l)));
    for name in ["dateModify", "date_modify"] {
        r.add(name, f(&[Str, Time]), |a| {
            let Value::Time(t) = &a[1] else { return Ok(a[1].clone()) };
            Ok(match parse_duration(s(&a[0])) {
                Some(d) => Value::Time(Arc::new(t.add_nanos(d))),
                None => a[1].clone(),
            })
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        r.add(name, f(&[Str, Time]), |a| {
            let Value::Time(t) = &a[1] else { return Ok(a[1].clone()) };
            let d = parse_duration(s(&a[0]))
                .ok_or_else(|| FuncError::new(format!("time: invalid duration {:?}", s(&a[0]))))?;
            Ok(Value::Time(Arc::new(t.add_nanos(d))))
        });
    }
    let l = local.clone();
    r.add("toDate", f(&[Str, Str]), move |a| {
        Ok(Value::Time(Arc::new(parse(s(&a[0]), s(&a[1]), &l).unwrap_or_else(|_| zero_time()))))
    });
    let l = local.clone();
    r.add("mustToDate", f(&[Str, Str]), move |a| {
        parse(s(&a[0]), s(&a[1]), &l).map(|t| Value::Time(Arc::new(t))).map_err(FuncError::new)
    });
    r.add("unixEpoch", f(&[Time]), |a| {
        Ok(Value::from(if let Value::Time(t) = &a[0] { t.unix().to_string() } else { "0".into() }))
    });
    let l = local.clone();
    r.add("ago", f(&[Any]), move |a| {
        let t = as_time(&a[0], &l);
        let secs = (since(&t) as f64 / 1e9).round() as i128;
        Ok(Value::from(format_duration(secs * 1_000_000_000)))
    });
    r.add("duration", f(&[Any]), |a| {
        let n: i64 = match &a[0] {
            Value::Str(t) => t.parse().unwrap_or(0),
            Value::Int64(n) => *n,
            _ => 0,
        };
        Ok(Value::from(format_duration(i128::from(n) * 1_000_000_000)))
    });
    r.add("durationRound", f(&[Any]), |a| Ok(Value::from(duration_round(&a[0]))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_round_buckets() {
        assert_eq!(duration_round(&Value::str("2h5m")), "2h");
        assert_eq!(duration_round(&Value::str("-3s")), "3s");
        assert_eq!(duration_round(&Value::Int(5)), "0s");
        assert_eq!(duration_round(&Value::str("800h")), "1mo");
    }

    #[test]
    fn dates_in_zones() {
        let v = in_zone("2006-01-02 15:04 MST", &Value::Int(1709596800), "America/New_York", &TimeZone::UTC);
        assert_eq!(v.as_str(), Some("2024-03-04 19:00 EST"));
        let v = in_zone("15:04 -07:00", &Value::Int(1709596800), "Asia/Kolkata", &TimeZone::UTC);
        assert_eq!(v.as_str(), Some("05:30 +05:30"));
    }
}
