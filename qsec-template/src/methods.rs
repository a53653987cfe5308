//! Methods of Go values a template may call: `$t.Format "2006"`,
//! `$v.Major`, and so on.

use crate::registry::{Function, Param, Signature};
use crate::value::Value;

/// The method `name` of `v`, bound to `v`, if it has one.
pub(crate) fn lookup(v: &Value, name: &str) -> Option<Function> {
    let none = Signature::fixed(&[]);
    let f = match (v, name) {
        (Value::Version(ver), _) => {
            let ver = ver.clone();
            let out = match name {
                "Major" => Value::Uint64(ver.major),
                "Minor" => Value::Uint64(ver.minor),
                "Patch" => Value::Uint64(ver.patch),
                "Prerelease" => Value::str(ver.pre.as_str()),
                "Metadata" => Value::str(ver.metadata.as_str()),
                "Original" => Value::str(ver.original.as_str()),
                "String" => Value::from(ver.to_string()),
                _ => return None,
            };
            Function::new(none, move |_| Ok(out.clone()))
        }
        (Value::Time(t), "Format") => {
            let t = t.clone();
            Function::new(Signature::fixed(&[Param::Str]), move |a| {
                Ok(Value::from(t.format(a[0].as_str().unwrap_or(""))))
            })
        }
        (Value::Time(t), _) => {
            let t = t.clone();
            let dt = t.tz.to_datetime(t.ts);
            let out = match name {
                "Year" => Value::Int(dt.year().into()),
                "Month" => Value::from(t.format("January")),
                "Day" => Value::Int(dt.day().into()),
                "Hour" => Value::Int(dt.hour().into()),
                "Minute" => Value::Int(dt.minute().into()),
                "Second" => Value::Int(dt.second().into()),
                "Nanosecond" => Value::Int(dt.subsec_nanosecond().into()),
                "YearDay" => Value::Int(dt.day_of_year().into()),
                "Weekday" => Value::from(t.format("Monday")),
                "Unix" => Value::Int64(t.unix()),
                "UnixNano" => Value::Int64(t.ts.as_nanosecond() as i64),
                "UnixMilli" => Value::Int64(t.ts.as_millisecond()),
                "String" => Value::from(t.to_go_string()),
                "IsZero" => Value::Bool(*t == crate::gotime::zero_time()),
                "UTC" => Value::Time(std::sync::Arc::new(crate::gotime::GoTime::new(t.ts, jiff::tz::TimeZone::UTC))),
                _ => return None,
            };
            Function::new(none, move |_| Ok(out.clone()))
        }
        _ => return None,
    };
    Some(f)
}
