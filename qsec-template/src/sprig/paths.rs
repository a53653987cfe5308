//! Sprig's `path` and `filepath` functions (Unix semantics for both).

use super::conversion::s;
use crate::registry::{FunctionRegistry, Param, Signature};
use crate::value::Value;

/// Go's `path.Clean`.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn dir(p: &str) -> String {
    let d = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(d)
}

fn ext(p: &str) -> String {
    let last = p.rsplit('/').next().unwrap_or(p);
    last.rfind('.').map_or(String::new(), |i| last[i..].to_string())
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::Str;
    let f = Signature::fixed;
    for (plain, os) in
        [("base", "osBase"), ("dir", "osDir"), ("clean", "osClean"), ("ext", "osExt"), ("isAbs", "osIsAbs")]
    {
        let op: fn(&str) -> Value = match plain {
            "base" => |p| Value::from(base(p)),
            "dir" => |p| Value::from(dir(p)),
            "clean" => |p| Value::from(clean(p)),
            "ext" => |p| Value::from(ext(p)),
            _ => |p| Value::Bool(p.starts_with('/')),
        };
        r.add(plain, f(&[Str]), move |a| Ok(op(s(&a[0]))));
        r.add(os, f(&[Str]), move |a| Ok(op(s(&a[0]))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_like_go() {
        assert_eq!([base("/a/b.txt"), base("a/b/"), base(""), base("/")], ["b.txt", "b", ".", "/"]);
        assert_eq!([dir("/a/b"), dir("a"), dir(""), dir("/a/b/")], ["/a", ".", ".", "/a/b"]);
        assert_eq!([clean("a//b/../c/."), clean(""), clean("/../x"), clean("../../y")], ["a/c", ".", "/x", "../../y"]);
        assert_eq!(ext("y.z"), ".z");
    }
}
