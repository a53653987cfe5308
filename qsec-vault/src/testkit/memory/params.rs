//! Reading request parameters the way Vault's `framework` does: strings
//! for numbers, comma-separated strings for lists, duration strings.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipnet::IpNet;
use rand::Rng;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::outcome::{ApiError, ApiResult};

/// A request's parameters: the body's fields, plus query parameters the
/// body does not set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub(crate) Map<String, Value>);

fn conversion_error(key: &str, value: &Value, what: &str) -> ApiError {
    ApiError::bad_request(format!("error converting input {value} for field \"{key}\": {what}"))
}

impl Params {
    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|v| !v.is_null())
    }

    pub(crate) fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A non-empty string, or the error `missing {key}`-style message.
    pub(crate) fn required_str(&self, key: &str, message: &str) -> ApiResult<String> {
        self.str(key).filter(|s| !s.is_empty()).ok_or_else(|| ApiError::bad_request(message))
    }

    pub(crate) fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        let Some(value) = self.raw(key) else { return Ok(None) };
        match value {
            Value::Bool(b) => Ok(Some(*b)),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "t" => Ok(Some(true)),
                "false" | "0" | "f" | "" => Ok(Some(false)),
                _ => Err(conversion_error(key, value, "cannot parse as bool")),
            },
            Value::Number(n) => Ok(Some(n.as_i64() != Some(0))),
            _ => Err(conversion_error(key, value, "cannot parse as bool")),
        }
    }

    pub(crate) fn i64(&self, key: &str) -> ApiResult<Option<i64>> {
        let Some(value) = self.raw(key) else { return Ok(None) };
        match value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| conversion_error(key, value, "cannot parse as int")),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => {
                s.trim().parse::<i64>().map(Some).map_err(|_| conversion_error(key, value, "cannot parse as int"))
            }
            _ => Err(conversion_error(key, value, "cannot parse as int")),
        }
    }

    /// A non-negative integer.
    pub(crate) fn u64(&self, key: &str) -> ApiResult<Option<u64>> {
        match self.i64(key)? {
            Some(n) if n < 0 => Err(ApiError::bad_request(format!("{key} cannot be negative"))),
            other => Ok(other.map(|n| n as u64)),
        }
    }

    /// A duration in whole seconds: an integer, or a string such as `"90"`,
    /// `"30s"`, `"5m"`, `"1h30m"`, `"2d"`.
    pub(crate) fn duration(&self, key: &str) -> ApiResult<Option<u64>> {
        let Some(value) = self.raw(key) else { return Ok(None) };
        match value {
            Value::Number(n) => match n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)) {
                Some(secs) if secs >= 0 => Ok(Some(secs as u64)),
                _ => Err(conversion_error(key, value, "durations cannot be negative")),
            },
            Value::String(s) if s.trim().is_empty() => Ok(Some(0)),
            Value::String(s) => parse_duration(s).map(Some).map_err(|why| conversion_error(key, value, &why)),
            _ => Err(conversion_error(key, value, "cannot parse as a duration")),
        }
    }

    /// A list of strings: a JSON array, or a comma-separated string.
    pub(crate) fn list(&self, key: &str) -> ApiResult<Option<Vec<String>>> {
        let Some(value) = self.raw(key) else { return Ok(None) };
        let items: Vec<String> = match value {
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(conversion_error(key, value, "expected a list of strings")),
                })
                .collect::<ApiResult<_>>()?,
            Value::String(s) => s.split(',').map(str::to_owned).collect(),
            _ => return Err(conversion_error(key, value, "expected a list of strings")),
        };
        Ok(Some(items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()))
    }

    /// A list of CIDR blocks (a bare address is its /32 or /128).
    pub(crate) fn cidrs(&self, key: &str) -> ApiResult<Option<Vec<IpNet>>> {
        let Some(items) = self.list(key)? else { return Ok(None) };
        items
            .iter()
            .map(|item| parse_cidr(item).ok_or_else(|| ApiError::bad_request(format!("invalid CIDR block {item:?}"))))
            .collect::<ApiResult<Vec<_>>>()
            .map(Some)
    }

    /// A map of strings to strings (non-string values are stringified).
    pub(crate) fn string_map(&self, key: &str) -> ApiResult<Option<std::collections::BTreeMap<String, String>>> {
        let Some(value) = self.raw(key) else { return Ok(None) };
        let Value::Object(map) = value else {
            return Err(conversion_error(key, value, "expected a map of strings"));
        };
        Ok(Some(
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
                .collect(),
        ))
    }
}

/// Parses a CIDR block or a bare address.
pub(crate) fn parse_cidr(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>().ok().or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// True when `ip` is in one of `cidrs`, or `cidrs` is empty.
pub(crate) fn ip_allowed(cidrs: &[IpNet], ip: IpAddr) -> bool {
    cidrs.is_empty() || cidrs.iter().any(|net| net.contains(&ip))
}

/// Parses Vault's duration strings into whole seconds.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("invalid duration {text:?}"));
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            unit => return Err(format!("unknown unit {unit:?} in duration {text:?}")),
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    Ok(total.round() as u64)
}

/// Formats seconds as Go's `time.Duration` does: `0s`, `1h0m0s`, `3h25m19s`.
pub(crate) fn format_go_duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let (hours, minutes, seconds) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// RFC 3339 in UTC with nanoseconds, as Vault prints times.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    OffsetDateTime::from(time).format(&Rfc3339).unwrap_or_default()
}

/// Parses an RFC 3339 time, as Vault's `time` parameters take them.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok().map(SystemTime::from)
}

/// Seconds since the Unix epoch.
pub(crate) fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Whole seconds from `now` until `until` (0 once it has passed).
pub(crate) fn secs_until(now: SystemTime, until: SystemTime) -> u64 {
    until.duration_since(now).map(|d| d.as_secs()).unwrap_or(0)
}

pub(crate) fn after(time: SystemTime, secs: u64) -> SystemTime {
    time + Duration::from_secs(secs)
}

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random base62 characters.
pub(crate) fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect()
}

/// `len` random lowercase hex digits.
pub(crate) fn random_hex(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0')).collect()
}

/// A random UUID v4, as Vault uses for ids and accessors.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vault_durations() {
        assert_eq!(parse_duration("300"), Ok(300));
        assert_eq!(parse_duration("30s"), Ok(30));
        assert_eq!(parse_duration("5m"), Ok(300));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("1.5h"), Ok(5400));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn formats_go_durations() {
        assert_eq!(format_go_duration(0), "0s");
        assert_eq!(format_go_duration(12_319), "3h25m19s");
        assert_eq!(format_go_duration(3600), "1h0m0s");
        assert_eq!(format_go_duration(90), "1m30s");
    }

    #[test]
    fn reads_lists_from_arrays_and_comma_strings() {
        let params = Params(
            serde_json::json!({"a": ["x", " y "], "b": "p, q,,r", "n": "12", "t": "1h"}).as_object().unwrap().clone(),
        );
        assert_eq!(params.list("a").unwrap().unwrap(), ["x", "y"]);
        assert_eq!(params.list("b").unwrap().unwrap(), ["p", "q", "r"]);
        assert_eq!(params.u64("n").unwrap(), Some(12));
        assert_eq!(params.duration("t").unwrap(), Some(3600));
        assert!(params.list("missing").unwrap().is_none());
    }

    #[test]
    fn cidr_checks_accept_bare_addresses() {
        let nets = vec![parse_cidr("10.0.0.0/8").unwrap(), parse_cidr("192.168.1.7").unwrap()];
        assert!(ip_allowed(&nets, "10.1.2.3".parse().unwrap()));
        assert!(ip_allowed(&nets, "192.168.1.7".parse().unwrap()));
        assert!(!ip_allowed(&nets, "192.168.1.8".parse().unwrap()));
        assert!(ip_allowed(&[], "8.8.8.8".parse().unwrap()));
    }
}
