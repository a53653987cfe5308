//! Sprig's `urlParse` and `urlJoin`, following Go's `net/url`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::conversion::s;
use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

fn unescape(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = text.get(i + 1..i + 3).filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
            let Some(h) = hex else {
                let bad = text.get(i..(i + 3).min(text.len())).unwrap_or("%");
                return Err(format!("invalid URL escape {bad:?}"));
            };
            out.push(u8::from_str_radix(h, 16).unwrap_or(0));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn escape_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `url.Parse`, as the fields Sprig returns.
fn parse(raw: &str) -> Result<BTreeMap<&'static str, String>, String> {
    let wrap = |e: String| format!("parse {raw:?}: {e}");
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(wrap("net/url: invalid control character in URL".into()));
    }
    let (rest, frag) = raw.split_once('#').map_or((raw, ""), |(r, f)| (r, f));
    let fragment = unescape(frag).map_err(wrap)?;
    let mut scheme = String::new();
    let mut rest = rest.to_string();
    if let Some(i) = rest.find(':') {
        let cand = &rest[..i];
        if i == 0 {
            return Err(wrap("missing protocol scheme".into()));
        }
        if cand.starts_with(|c: char| c.is_ascii_alphabetic())
            && cand.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = cand.to_ascii_lowercase();
            rest = rest[i + 1..].to_string();
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r.to_string(), q.to_string()),
        None => (rest, String::new()),
    };
    let mut m = BTreeMap::from([("scheme", scheme.clone()), ("query", query), ("fragment", fragment)]);
    for k in ["host", "hostname", "path", "opaque", "userinfo"] {
        m.insert(k, String::new());
    }
    if !rest.starts_with('/') && !scheme.is_empty() {
        m.insert("opaque", rest);
        return Ok(m);
    }
    if scheme.is_empty() && rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
        return Err(wrap("first path segment in URL cannot contain colon".into()));
    }
    let mut path = rest.as_str();
    if let Some(after) = rest.strip_prefix("//").filter(|_| !scheme.is_empty() || !rest.starts_with("///")) {
        let (auth, p) = after.find('/').map_or((after, ""), |i| (&after[..i], &after[i..]));
        let (user, host) = auth.rsplit_once('@').map_or(("", auth), |(u, h)| (u, h));
        if !user.is_empty() || auth.contains('@') {
            m.insert("userinfo", unescape(user).map_err(wrap)?);
        }
        let host = unescape(host).map_err(wrap)?;
        let hostname = if let Some(h) = host.strip_prefix('[') {
            h.split(']').next().unwrap_or(h).to_string()
        } else {
            host.rsplit_once(':').map_or(host.clone(), |(h, _)| h.to_string())
        };
        m.insert("hostname", hostname);
        m.insert("host", host);
        path = p;
    }
    m.insert("path", unescape(path).map_err(wrap)?);
    Ok(m)
}

fn join(d: &crate::value::Map) -> Result<String, FuncError> {
    let get = |k: &str| -> Result<String, FuncError> {
        match d.get(k) {
            None => Ok(String::new()),
            Some(Value::Str(v)) => Ok(v.to_string()),
            Some(other) => Err(FuncError::new(format!(
                "unable to parse {k} key, must be of type string, but {} found",
                other.kind_name()
            ))),
        }
    };
    let (scheme, host, path, query, opaque, fragment, user) =
        (get("scheme")?, get("host")?, get("path")?, get("query")?, get("opaque")?, get("fragment")?, get("userinfo")?);
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if (!scheme.is_empty() || !host.is_empty() || !user.is_empty())
            && (!host.is_empty() || !path.is_empty() || !user.is_empty())
        {
            out.push_str("//");
        }
        if !user.is_empty() {
            out.push_str(&user);
            out.push('@');
        }
        out.push_str(&host);
        let p = escape_path(&path);
        if !p.is_empty() && !p.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        if out.is_empty() && p.split('/').next().is_some_and(|seg| seg.contains(':')) {
            out.push_str("./");
        }
        out.push_str(&p);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape_path(&fragment));
    }
    Ok(out)
}

pub(super) fn register(r: &mut FunctionRegistry) {
    r.add("urlParse", Signature::fixed(&[Param::Str]), |a| {
        let m = parse(s(&a[0])).map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
        Ok(Value::map(m.into_iter().map(|(k, v)| (Arc::from(k), Value::from(v))).collect()))
    });
    r.add("urlJoin", Signature::fixed(&[Param::Map]), |a| match &a[0] {
        Value::Map(m) => join(m).map(Value::from),
        _ => Ok(Value::str("")),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_net_url() {
        let m = parse("https://user:pw@example.com:8443/a%20b?x=1#frag").expect("parses");
        assert_eq!(m["host"], "example.com:8443");
        assert_eq!(m["hostname"], "example.com");
        assert_eq!(m["path"], "/a b");
        assert_eq!(m["userinfo"], "user:pw");
        assert_eq!(parse("mailto:a@b.c").expect("parses")["opaque"], "a@b.c");
        assert_eq!(parse("%zz").unwrap_err(), "parse \"%zz\": invalid URL escape \"%zz\"");
    }
}
