//! Sprig's `semver` and `semverCompare` (Masterminds/semver v3 rules).

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

/// A semantic version as Masterminds/semver parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major part.
    pub major: u64,
    /// Minor part.
    pub minor: u64,
    /// Patch part.
    pub patch: u64,
    /// Pre-release, without the `-`.
    pub pre: String,
    /// Build metadata, without the `+`.
    pub metadata: String,
    /// The text it was parsed from.
    pub original: String,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl Version {
    /// `semver.NewVersion`: `v` prefix and missing minor/patch allowed.
    pub fn parse(s: &str) -> Result<Version, String> {
        const INVALID: &str = "Invalid Semantic Version";
        let body = s.strip_prefix('v').unwrap_or(s);
        let (rest, metadata) = match body.split_once('+') {
            Some((r, m)) if ident_ok(m) => (r, m.to_string()),
            Some(_) => return Err(INVALID.into()),
            None => (body, String::new()),
        };
        let (nums, pre) = match rest.split_once('-') {
            Some((n, p)) if ident_ok(p) => (n, p.to_string()),
            Some(_) => return Err(INVALID.into()),
            None => (rest, String::new()),
        };
        let parts: Vec<&str> = nums.split('.').collect();
        if parts.is_empty()
            || parts.len() > 3
            || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(INVALID.into());
        }
        let num = |i: usize| -> Result<u64, String> {
            parts.get(i).map_or(Ok(0), |p| p.parse::<u64>().map_err(|e| format!("Error parsing version segment: {e}")))
        };
        for p in pre.split('.').filter(|p| !p.is_empty()) {
            if p.len() > 1 && p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("Version segment starts with 0".into());
            }
        }
        Ok(Version { major: num(0)?, minor: num(1)?, patch: num(2)?, pre, metadata, original: s.to_string() })
    }

    /// Semver precedence (metadata ignored).
    pub fn compare(&self, o: &Version) -> Ordering {
        let base = (self.major, self.minor, self.patch).cmp(&(o.major, o.minor, o.patch));
        if base != Ordering::Equal {
            return base;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let (a, b): (Vec<&str>, Vec<&str>) = (self.pre.split('.').collect(), o.pre.split('.').collect());
                for (x, y) in a.iter().zip(&b) {
                    let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                        (Ok(i), Ok(j)) => i.cmp(&j),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        _ => x.cmp(y),
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                a.len().cmp(&b.len())
            }
        }
    }
}

/// One parsed constraint: operator, version and which parts were wildcards.
struct Constraint {
    op: String,
    con: Version,
    major_dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn parse_one(text: &str) -> Option<Constraint> {
    let t = text.trim();
    let ops = [">=", "=>", "<=", "=<", "!=", "~>", ">", "<", "=", "~", "^"];
    let op = ops.iter().find(|o| t.starts_with(**o)).copied().unwrap_or("");
    let rest = t[op.len()..].trim_start();
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    let (nums, suffix) = match rest.find(['-', '+']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let wild = |p: &str| matches!(p, "x" | "X" | "*");
    if !parts.iter().all(|p| wild(p) || (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))) {
        return None;
    }
    let minor_dirty = parts.get(1).is_none_or(|p| wild(p)) || wild(parts[0]);
    let patch_dirty = minor_dirty || parts.get(2).is_none_or(|p| wild(p));
    let num = |i: usize| parts.get(i).filter(|p| !wild(p)).map_or("0", |p| p);
    let ver = format!("{}.{}.{}{}", num(0), num(1), num(2), suffix);
    let con = Version::parse(&ver).ok()?;
    let op = match op {
        "=>" => ">=",
        "=<" => "<=",
        "~>" => "~",
        "=" => "",
        o => o,
    };
    let major_dirty = wild(parts[0]);
    Some(Constraint {
        op: op.into(),
        con,
        major_dirty,
        minor_dirty,
        patch_dirty,
        dirty: major_dirty || minor_dirty || patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let cmp = v.compare(c);
        match self.op.as_str() {
            "" if self.dirty => {
                self.major_dirty
                    || (v.major == c.major
                        && (self.minor_dirty || v.minor == c.minor)
                        && (self.patch_dirty || v.patch == c.patch))
            }
            "" => cmp == Ordering::Equal,
            "!=" if self.dirty => {
                !(self.major_dirty
                    || (v.major == c.major
                        && (self.minor_dirty || v.minor == c.minor)
                        && (self.patch_dirty || v.patch == c.patch)))
            }
            "!=" => cmp != Ordering::Equal,
            ">" if self.dirty => {
                v.major > c.major
                    || (!self.minor_dirty
                        && v.major == c.major
                        && (v.minor > c.minor || (!self.patch_dirty && v.minor == c.minor && v.patch > c.patch)))
            }
            ">" => cmp == Ordering::Greater,
            "<" => cmp == Ordering::Less,
            ">=" => cmp != Ordering::Less,
            "<=" if self.dirty => {
                v.major < c.major
                    || (v.major == c.major
                        && (self.minor_dirty
                            || v.minor < c.minor
                            || (v.minor == c.minor && (self.patch_dirty || v.patch <= c.patch))))
            }
            "<=" => cmp != Ordering::Greater,
            "~" => cmp != Ordering::Less && v.major == c.major && (self.minor_dirty || v.minor == c.minor),
            "^" => {
                if cmp == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                v.minor == 0 && v.patch == c.patch
            }
            _ => false,
        }
    }
}

/// `semver.NewConstraint(text).Check(version)`.
pub fn check_constraint(text: &str, version: &Version) -> Result<bool, String> {
    let improper = || format!("improper constraint: {text}");
    let mut any = false;
    for group in text.split("||") {
        let group = group.trim();
        let mut items: Vec<Constraint> = Vec::new();
        // Hyphen ranges: "1.2 - 1.4.5".
        let normalized = group.replace(" - ", " HYPHEN ");
        let tokens: Vec<&str> = normalized.split([',', ' ']).filter(|s| !s.is_empty()).collect();
        let mut i = 0;
        let mut pending_op: Option<&str> = None;
        while i < tokens.len() {
            let tok = tokens[i];
            if tokens.get(i + 1) == Some(&"HYPHEN") {
                let lo = parse_one(&format!(">= {tok}")).ok_or_else(improper)?;
                let hi = parse_one(&format!("<= {}", tokens.get(i + 2).ok_or_else(improper)?)).ok_or_else(improper)?;
                items.extend([lo, hi]);
                i += 3;
                continue;
            }
            if tok.bytes().all(|b| b"<>=!~^".contains(&b)) {
                pending_op = Some(tok);
                i += 1;
                continue;
            }
            let text = format!("{}{tok}", pending_op.take().unwrap_or(""));
            items.push(parse_one(&text).ok_or_else(improper)?);
            i += 1;
        }
        if items.is_empty() {
            return Err(improper());
        }
        any |= items.iter().all(|c| c.check(version));
    }
    Ok(any)
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::Str;
    r.add("semver", Signature::fixed(&[Str]), |a| {
        Version::parse(a[0].as_str().unwrap_or("")).map(|v| Value::Version(Arc::new(v))).map_err(FuncError::new)
    });
    r.add("semverCompare", Signature::fixed(&[Str, Str]), |a| {
        let version = Version::parse(a[1].as_str().unwrap_or("")).map_err(FuncError::new)?;
        check_constraint(a[0].as_str().unwrap_or(""), &version).map(Value::Bool).map_err(FuncError::new)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &str, v: &str) -> bool {
        check_constraint(c, &Version::parse(v).expect("valid version")).expect("valid constraint")
    }

    #[test]
    fn constraints_follow_masterminds_semver() {
        assert!(check(">=1.2.0", "1.3.0"));
        assert!(!check("^1.2.0", "2.0.0"));
        assert!(check("~1.2.0", "1.2.9"));
        assert!(!check("~1.2.0", "1.3.0"));
        assert!(check("1.x", "1.5.0"));
        assert!(!check("<2.0.0", "2.0.0-alpha"));
        assert!(check(">=1.0.0-0", "1.0.0-beta"));
        assert!(check("1.2.3 - 1.4.0", "1.3.9"));
        assert!(check("^0.2.3", "0.2.9"));
        assert!(!check("^0.2.3", "0.3.0"));
        assert!(check("~1", "1.9.0"));
        assert!(check(">= 1.2", "1.2.0"));
        assert!(check(">1.0 <2.0 || >=3", "3.1.0"));
        assert!(check("*", "3.0.0"));
    }

    #[test]
    fn versions_parse_and_print_like_semver_v3() {
        let v = Version::parse("1.2.3-beta.1+build.5").expect("valid");
        assert_eq!((v.major, v.minor, v.patch), (1, 2, 3));
        assert_eq!(v.to_string(), "1.2.3-beta.1+build.5");
        assert_eq!(Version::parse("v1.2").expect("valid").to_string(), "1.2.0");
        assert_eq!(Version::parse("x.y.z").expect_err("invalid"), "Invalid Semantic Version");
    }
}
