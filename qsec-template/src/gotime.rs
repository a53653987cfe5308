//! Go's `time.Time` as templates see it: Go's reference-time layouts
//! (`2006-01-02 15:04:05`), `Time.String()`, and Go durations.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

/// A Go `time.Time`: an instant and the zone it is shown in.
#[derive(Debug, Clone)]
pub struct GoTime {
    /// The instant.
    pub ts: Timestamp,
    /// The location (Go's `*time.Location`).
    pub tz: TimeZone,
    /// Whether it carries a monotonic reading (`time.Now()` does).
    pub mono: bool,
    /// A zone abbreviation Go keeps from parsing (`PST`), when the location
    /// does not know it.
    pub zone_name: Option<String>,
}

impl PartialEq for GoTime {
    fn eq(&self, other: &Self) -> bool {
        self.ts == other.ts && self.tz.to_offset(self.ts) == other.tz.to_offset(other.ts)
    }
}

/// Go's zero `time.Time`: January 1, year 1, 00:00:00 UTC.
pub fn zero_time() -> GoTime {
    let ts = TimeZone::UTC.to_timestamp(DateTime::constant(1, 1, 1, 0, 0, 0, 0)).unwrap_or(Timestamp::UNIX_EPOCH);
    GoTime { ts, tz: TimeZone::UTC, mono: false, zone_name: None }
}

/// Loads a location like Go's `time.LoadLocation`: `""`/`UTC` is UTC,
/// `Local` is `local`, anything else an IANA name.
pub fn load_location(name: &str, local: &TimeZone) -> Option<TimeZone> {
    match name {
        "" | "UTC" => Some(TimeZone::UTC),
        "Local" => Some(local.clone()),
        other => TimeZone::get(other).ok(),
    }
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// One chunk of a Go layout.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    /// ISO (`Z`) flag, colons, seconds, hours-only.
    Offset(bool, bool, bool, bool),
    /// Fixed (`0`) or trimmed (`9`) fraction with n digits; separator.
    Frac(bool, usize, char),
}

/// Splits `layout` at its first chunk: (literal prefix, chunk, rest).
fn next_std(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let starts = |i: usize, s: &str| layout[i..].starts_with(s);
    for i in 0..b.len() {
        let hit: Option<(Std, usize)> = match b[i] {
            b'J' if starts(i, "January") => Some((Std::LongMonth, 7)),
            b'J' if starts(i, "Jan") => Some((Std::Month, 3)),
            b'M' if starts(i, "Monday") => Some((Std::LongWeekDay, 6)),
            b'M' if starts(i, "Mon") => Some((Std::WeekDay, 3)),
            b'M' if starts(i, "MST") => Some((Std::Tz, 3)),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                [Std::ZeroMonth, Std::ZeroDay, Std::ZeroHour12, Std::ZeroMinute, Std::ZeroSecond, Std::Year]
                    [(b[i + 1] - b'1') as usize],
                2,
            )),
            b'1' if starts(i, "15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if starts(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if starts(i, "_2") && !starts(i, "_2006") => Some((Std::UnderDay, 2)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if starts(i, "PM") => Some((Std::PM, 2)),
            b'p' if starts(i, "pm") => Some((Std::Pm, 2)),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                [("070000", false, true, false), ("07:00:00", true, true, false), ("0700", false, false, false)]
                    .into_iter()
                    .chain([("07:00", true, false, false), ("07", false, false, true)])
                    .find(|(s, ..)| starts(i + 1, s))
                    .map(|(s, colon, secs, hours)| (Std::Offset(z, colon, secs, hours), s.len() + 1))
            }
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    Some((Std::Frac(ch == b'0', j - i - 1, b[i] as char), j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = hit {
            return (&layout[..i], Some(std), &layout[i + len..]);
        }
    }
    (layout, None, "")
}

fn offset_string(secs: i32, z: bool, colon: bool, with_secs: bool, hours_only: bool) -> String {
    if z && secs == 0 {
        return "Z".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let sep = if colon { ":" } else { "" };
    let mut out = format!("{sign}{h:02}");
    if !hours_only {
        out.push_str(&format!("{sep}{m:02}"));
    }
    if with_secs {
        out.push_str(&format!("{sep}{s:02}"));
    }
    out
}

impl GoTime {
    /// A time at `ts` in `tz`.
    pub fn new(ts: Timestamp, tz: TimeZone) -> Self {
        GoTime { ts, tz, mono: false, zone_name: None }
    }

    fn abbreviation(&self) -> String {
        if let Some(name) = &self.zone_name {
            return name.clone();
        }
        let info = self.tz.to_offset_info(self.ts);
        let abbr = info.abbreviation();
        if abbr.starts_with(['+', '-']) || abbr.is_empty() {
            offset_string(info.offset().seconds(), false, false, false, false)
        } else {
            abbr.to_string()
        }
    }

    /// Go's `Time.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let dt = self.tz.to_datetime(self.ts);
        let off = self.tz.to_offset(self.ts).seconds();
        let mut out = String::new();
        let mut rest = layout;
        loop {
            let (prefix, std, tail) = next_std(rest);
            out.push_str(prefix);
            let Some(std) = std else { break };
            rest = tail;
            let h12 = match dt.hour() % 12 {
                0 => 12,
                h => h,
            };
            match std {
                Std::LongMonth => out.push_str(LONG_MONTHS[dt.month() as usize - 1]),
                Std::Month => out.push_str(&LONG_MONTHS[dt.month() as usize - 1][..3]),
                Std::NumMonth => out.push_str(&dt.month().to_string()),
                Std::ZeroMonth => out.push_str(&format!("{:02}", dt.month())),
                Std::LongWeekDay => out.push_str(LONG_DAYS[dt.weekday().to_sunday_zero_offset() as usize]),
                Std::WeekDay => out.push_str(&LONG_DAYS[dt.weekday().to_sunday_zero_offset() as usize][..3]),
                Std::Day => out.push_str(&dt.day().to_string()),
                Std::UnderDay => out.push_str(&format!("{:>2}", dt.day())),
                Std::ZeroDay => out.push_str(&format!("{:02}", dt.day())),
                Std::Hour => out.push_str(&format!("{:02}", dt.hour())),
                Std::Hour12 => out.push_str(&h12.to_string()),
                Std::ZeroHour12 => out.push_str(&format!("{h12:02}")),
                Std::Minute => out.push_str(&dt.minute().to_string()),
                Std::ZeroMinute => out.push_str(&format!("{:02}", dt.minute())),
                Std::Second => out.push_str(&dt.second().to_string()),
                Std::ZeroSecond => out.push_str(&format!("{:02}", dt.second())),
                Std::LongYear => out.push_str(&format!("{:04}", dt.year())),
                Std::Year => out.push_str(&format!("{:02}", dt.year().rem_euclid(100))),
                Std::PM => out.push_str(if dt.hour() >= 12 { "PM" } else { "AM" }),
                Std::Pm => out.push_str(if dt.hour() >= 12 { "pm" } else { "am" }),
                Std::Tz => out.push_str(&self.abbreviation()),
                Std::Offset(z, colon, secs, hours) => out.push_str(&offset_string(off, z, colon, secs, hours)),
                Std::Frac(fixed, n, sep) => {
                    let digits = format!("{:09}", dt.subsec_nanosecond());
                    let mut d = digits[..n.min(9)].to_string();
                    if !fixed {
                        d = d.trim_end_matches('0').to_string();
                    }
                    if fixed || !d.is_empty() {
                        out.push(sep);
                        out.push_str(&d);
                    }
                }
            }
        }
        out
    }

    /// Go's `Time.String()`.
    pub fn to_go_string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if self.mono {
            s.push_str(" m=+0.000000001");
        }
        s
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.ts.as_second()
    }

    /// Adds nanoseconds (Go's `Time.Add`).
    pub fn add_nanos(&self, nanos: i128) -> GoTime {
        let total = self.ts.as_nanosecond() + nanos;
        let ts = Timestamp::from_nanosecond(total).unwrap_or(self.ts);
        GoTime { ts, tz: self.tz.clone(), mono: false, zone_name: self.zone_name.clone() }
    }
}

fn take_num(s: &str, min: usize, max: usize) -> Option<(i64, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

fn take_name<'a>(s: &'a str, names: &[&str], short: bool) -> Option<(usize, &'a str)> {
    names.iter().enumerate().find_map(|(i, n)| {
        let n = if short { &n[..3] } else { n };
        (s.len() >= n.len() && s[..n.len()].eq_ignore_ascii_case(n)).then(|| (i, &s[n.len()..]))
    })
}

/// Go's `time.ParseInLocation(layout, value, loc)`; the error is Go's text.
pub fn parse(layout: &str, value: &str, loc: &TimeZone) -> Result<GoTime, String> {
    let err = |elem: &str, v: &str| format!("parsing time {value:?} as {layout:?}: cannot parse {v:?} as {elem:?}");
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (0i64, 1i64, 1i64, 0i64, 0i64, 0i64, 0i64);
    let (mut pm, mut pm_set, mut offset): (bool, bool, Option<i32>) = (false, false, None);
    let mut zone_name: Option<String> = None;
    let (mut rest, mut v) = (layout, value);
    loop {
        let (prefix, std, tail) = next_std(rest);
        let Some(stripped) = v.strip_prefix(prefix) else { return Err(err(prefix, v)) };
        v = stripped;
        let Some(std) = std else {
            if !v.is_empty() {
                return Err(format!("parsing time {value:?}: extra text: {v:?}"));
            }
            break;
        };
        let chunk = &rest[prefix.len()..rest.len() - tail.len()];
        rest = tail;
        let bad = || err(chunk, v);
        match std {
            Std::LongYear => (year, v) = take_num(v, 4, 4).ok_or_else(bad)?,
            Std::Year => {
                let (y, r) = take_num(v, 2, 2).ok_or_else(bad)?;
                (year, v) = (if y >= 69 { 1900 + y } else { 2000 + y }, r);
            }
            Std::LongMonth | Std::Month => {
                let (m, r) = take_name(v, &LONG_MONTHS, std == Std::Month).ok_or_else(bad)?;
                (month, v) = (m as i64 + 1, r);
            }
            Std::NumMonth | Std::ZeroMonth => {
                (month, v) = take_num(v, if std == Std::ZeroMonth { 2 } else { 1 }, 2).ok_or_else(bad)?
            }
            Std::LongWeekDay | Std::WeekDay => v = take_name(v, &LONG_DAYS, std == Std::WeekDay).ok_or_else(bad)?.1,
            Std::Day | Std::ZeroDay => {
                (day, v) = take_num(v, if std == Std::ZeroDay { 2 } else { 1 }, 2).ok_or_else(bad)?
            }
            Std::UnderDay => (day, v) = take_num(v.trim_start_matches(' '), 1, 2).ok_or_else(bad)?,
            Std::Hour => (hour, v) = take_num(v, 2, 2).ok_or_else(bad)?,
            Std::Hour12 | Std::ZeroHour12 => {
                (hour, v) = take_num(v, if std == Std::ZeroHour12 { 2 } else { 1 }, 2).ok_or_else(bad)?
            }
            Std::Minute | Std::ZeroMinute => {
                (min, v) = take_num(v, if std == Std::ZeroMinute { 2 } else { 1 }, 2).ok_or_else(bad)?
            }
            Std::Second | Std::ZeroSecond => {
                (sec, v) = take_num(v, if std == Std::ZeroSecond { 2 } else { 1 }, 2).ok_or_else(bad)?;
                // Go accepts a fraction after seconds even when the layout has none.
                if let Some(r) = v.strip_prefix('.')
                    && !rest.starts_with(['.', ','])
                    && let Some((n, r2)) = take_num(r, 1, 9)
                {
                    let digits = r.len() - r2.len();
                    nanos = n * 10i64.pow(9 - digits as u32);
                    v = r2;
                }
            }
            Std::PM | Std::Pm => {
                let up = v.get(..2).map(str::to_ascii_uppercase).ok_or_else(bad)?;
                (pm, pm_set, v) = (up == "PM", true, &v[2..]);
                if up != "PM" && up != "AM" {
                    return Err(bad());
                }
            }
            Std::Frac(_, n, sep) => {
                let r = v.strip_prefix(sep).ok_or_else(bad)?;
                let (f, r2) = take_num(r, n.min(1), 9).ok_or_else(bad)?;
                let digits = r.len() - r2.len();
                (nanos, v) = (f * 10i64.pow(9 - digits as u32), r2);
            }
            Std::Tz => {
                let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return Err(bad());
                }
                if &v[..n] == "UTC" || &v[..n] == "GMT" {
                    offset = Some(0);
                } else {
                    zone_name = Some(v[..n].to_string());
                }
                v = &v[n..];
            }
            Std::Offset(z, colon, secs, hours) => {
                if z && let Some(r) = v.strip_prefix('Z') {
                    (offset, v) = (Some(0), r);
                    continue;
                }
                let sign = match v.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(bad()),
                };
                let mut r = &v[1..];
                let (h, r2) = take_num(r, 2, 2).ok_or_else(bad)?;
                r = r2;
                let mut total = h * 3600;
                for (present, unit) in [(!hours, 60), (secs, 1)] {
                    if present {
                        if colon {
                            r = r.strip_prefix(':').ok_or_else(bad)?;
                        }
                        let (x, r3) = take_num(r, 2, 2).ok_or_else(bad)?;
                        (total, r) = (total + x * unit, r3);
                    }
                }
                (offset, v) = (Some(sign * total as i32), r);
            }
        }
    }
    if pm_set && pm && hour < 12 {
        hour += 12;
    } else if pm_set && !pm && hour == 12 {
        hour = 0;
    }
    let range_err = || format!("parsing time {value:?}: day out of range");
    let dt = DateTime::new(year as i16, month as i8, day as i8, hour as i8, min as i8, sec as i8, nanos as i32)
        .map_err(|_| range_err())?;
    match offset {
        Some(o) => {
            let off = Offset::from_seconds(o).map_err(|e| e.to_string())?;
            let ts = off.to_timestamp(dt).map_err(|e| e.to_string())?;
            let tz = if loc.to_offset(ts) == off { loc.clone() } else { TimeZone::fixed(off) };
            Ok(GoTime::new(ts, tz))
        }
        None => {
            let mut t =
                GoTime::new(loc.to_ambiguous_timestamp(dt).compatible().map_err(|e| e.to_string())?, loc.clone());
            // An abbreviation the location does not use at that time: Go
            // keeps the name with offset 0 (`+0000 PST`).
            if let Some(name) = zone_name
                && loc.to_offset_info(t.ts).abbreviation() != name
            {
                let ts = Offset::UTC.to_timestamp(dt).map_err(|e| e.to_string())?;
                t = GoTime { ts, tz: TimeZone::fixed(Offset::UTC), mono: false, zone_name: Some(name) };
            }
            Ok(t)
        }
    }
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut r) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if r == "0" {
        return Some(0);
    }
    if r.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !r.is_empty() {
        let n = r.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        if n == 0 {
            return None;
        }
        let num: f64 = r[..n].parse().ok()?;
        r = &r[n..];
        let u = r.bytes().take_while(|b| !b.is_ascii_digit() && *b != b'.').count();
        let unit = match &r[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        r = &r[u..];
        total += num * unit;
    }
    Some(if neg { -(total.round() as i128) } else { total.round() as i128 })
}

/// Go's `time.Duration.String()` of `nanos`.
pub fn format_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
    } else {
        let secs_total = u / 1_000_000_000;
        let (h, m) = (secs_total / 3600, secs_total / 60 % 60);
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(u % 60_000_000_000, 1_000_000_000));
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

fn frac(v: u128, div: u128) -> String {
    let (whole, rem) = (v / div, v % div);
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.ilog10() as usize;
    let digits = format!("{rem:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(layout: &str, value: &str) -> GoTime {
        parse(layout, value, &TimeZone::UTC).expect("parses")
    }

    #[test]
    fn formats_with_go_reference_layouts() {
        let t = GoTime::new(Timestamp::from_second(1709640303).expect("valid"), TimeZone::UTC);
        assert_eq!(
            t.format("02/01/06 Jan January Mon Monday 3 03 15 4 04 5 05 PM pm"),
            "05/03/24 Mar March Tue Tuesday 12 12 12 5 05 3 03 PM pm"
        );
        assert_eq!(t.format("2006-01-02T15:04:05Z07:00"), "2024-03-05T12:05:03Z");
        assert_eq!(utc("2006-01-02", "2024-03-05").to_go_string(), "2024-03-05 00:00:00 +0000 UTC");
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let t = utc("2006-01-02T15:04:05Z07:00", "2024-03-05T10:00:00+02:00");
        assert_eq!(t.unix(), 1709625600);
        let f = utc("2006-01-02 15:04:05.000", "2024-03-05 01:02:03.456");
        assert_eq!(f.format("2006-01-02T15:04:05.000Z07:00"), "2024-03-05T01:02:03.456Z");
        let e = parse("2006-01-02", "not a date", &TimeZone::UTC).expect_err("fails");
        assert_eq!(e, r#"parsing time "not a date" as "2006-01-02": cannot parse "not a date" as "2006""#);
    }

    #[test]
    fn durations_round_trip_go_syntax() {
        assert_eq!(parse_duration("1.5h"), Some(5_400_000_000_000));
        assert_eq!(parse_duration("-24h"), Some(-86_400_000_000_000));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(95_000_000_000), "1m35s");
        assert_eq!(format_duration(1_500_000), "1.5ms");
    }
}
