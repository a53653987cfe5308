//! Sprig's dictionary functions. Maps are shared references, as in Go:
//! `set`, `unset` and `merge` change the map every holder sees.

use std::sync::Arc;

use super::conversion::{empty, s, strval};
use crate::registry::{FuncError, FuncResult, FunctionRegistry, Param, Signature};
use crate::value::{Map, Value};

fn map_of(v: &Value) -> Option<&Map> {
    if let Value::Map(m) = v { Some(m) } else { None }
}

/// mergo's `Merge` (`overwrite = false`) / `MergeWithOverwrite` on maps.
fn merge_into(dst: &Map, src: &Map, overwrite: bool) {
    if dst.same(src) {
        return;
    }
    let entries: Vec<(Arc<str>, Value)> = src.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, sv) in entries {
        let dv = dst.get(&k);
        if sv.is_nil() {
            if overwrite {
                dst.write().insert(k, Value::Nil);
            }
            continue;
        }
        if let (Value::Map(sm), Some(Value::Map(dm))) = (&sv, &dv) {
            merge_into(dm, sm, overwrite);
        }
        if let Some(d) = &dv
            && !empty(d)
            && matches!(sv, Value::Map(_) | Value::List(_))
            && !(overwrite && matches!(sv, Value::List(_)))
        {
            continue;
        }
        if overwrite || dv.as_ref().is_none_or(empty) {
            dst.write().insert(k, sv);
        }
    }
}

fn merge(a: &[Value], overwrite: bool) -> FuncResult {
    let Some(dst) = map_of(&a[0]) else {
        return Ok(a[0].clone());
    };
    for src in &a[1..] {
        if let Some(src) = map_of(src) {
            merge_into(dst, src, overwrite);
        }
    }
    Ok(a[0].clone())
}

fn assert_map(v: &Value) -> Result<&Map, FuncError> {
    match v {
        Value::Map(m) if m.elem() == crate::value::Elem::Any => Ok(m),
        Value::Nil => Err(FuncError::new("interface conversion: interface {} is nil, not map[string]interface {}")),
        other => Err(FuncError::new(format!(
            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
            other.type_name()
        ))),
    }
}

fn dig(a: &[Value]) -> FuncResult {
    if a.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let mut dict = assert_map(&a[a.len() - 1])?.clone();
    let default = &a[a.len() - 2];
    let keys = &a[..a.len() - 2];
    for (n, k) in keys.iter().enumerate() {
        let Value::Str(k) = k else {
            return Err(FuncError::new(format!(
                "interface conversion: interface {{}} is {}, not string",
                k.type_name()
            )));
        };
        let Some(step) = dict.get(k) else { return Ok(default.clone()) };
        if n + 1 == keys.len() {
            return Ok(step);
        }
        dict = assert_map(&step)?.clone();
    }
    Ok(default.clone())
}

fn nil_map_write() -> FuncError {
    FuncError::new("assignment to entry in nil map")
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Map as M, Str};
    let f = Signature::fixed;
    r.add("dict", Signature::variadic(&[], Any), |a| {
        let mut entries = std::collections::BTreeMap::new();
        for pair in a.chunks(2) {
            entries.insert(Arc::from(strval(&pair[0])), pair.get(1).cloned().unwrap_or_else(|| Value::str("")));
        }
        Ok(Value::map(entries))
    });
    r.add("get", f(&[M, Str]), |a| Ok(map_of(&a[0]).and_then(|m| m.get(s(&a[1]))).unwrap_or_else(|| Value::str(""))));
    r.add("set", f(&[M, Str, Any]), |a| {
        map_of(&a[0]).ok_or_else(nil_map_write)?.write().insert(Arc::from(s(&a[1])), a[2].clone());
        Ok(a[0].clone())
    });
    r.add("unset", f(&[M, Str]), |a| {
        if let Some(m) = map_of(&a[0]) {
            m.write().remove(s(&a[1]));
        }
        Ok(a[0].clone())
    });
    r.add("hasKey", f(&[M, Str]), |a| Ok(Value::Bool(map_of(&a[0]).is_some_and(|m| m.read().contains_key(s(&a[1]))))));
    r.add("pluck", Signature::variadic(&[Str], M), |a| {
        Ok(Value::list(a[1..].iter().filter_map(map_of).filter_map(|m| m.get(s(&a[0]))).collect()))
    });
    r.add("keys", Signature::variadic(&[], M), |a| {
        // Go lists each map's keys in random order; we use key order.
        let keys: Vec<String> = a
            .iter()
            .filter_map(map_of)
            .flat_map(|m| m.read().keys().map(|k| k.to_string()).collect::<Vec<_>>())
            .collect();
        Ok(Value::str_list(keys))
    });
    r.add("values", f(&[M]), |a| {
        Ok(Value::list(map_of(&a[0]).map(|m| m.read().values().cloned().collect()).unwrap_or_default()))
    });
    r.add("pick", Signature::variadic(&[M], Str), |a| {
        let src = map_of(&a[0]);
        let entries =
            a[1..].iter().filter_map(|k| src.and_then(|m| m.get(s(k))).map(|v| (Arc::from(s(k)), v))).collect();
        Ok(Value::map(entries))
    });
    r.add("omit", Signature::variadic(&[M], Str), |a| {
        let omit: Vec<&str> = a[1..].iter().map(s).collect();
        let entries = map_of(&a[0])
            .map(|m| {
                m.read()
                    .iter()
                    .filter(|(k, _)| !omit.contains(&k.as_ref()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Value::map(entries))
    });
    for (name, overwrite) in
        [("merge", false), ("mustMerge", false), ("mergeOverwrite", true), ("mustMergeOverwrite", true)]
    {
        r.add(name, Signature::variadic(&[M], M), move |a| merge(a, overwrite));
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        r.add(name, f(&[Any]), |a| {
            if a[0].is_nil() {
                return Err(FuncError::new("reflect: call of reflect.Value.Type on zero Value"));
            }
            Ok(a[0].deep_copy())
        });
    }
    r.add("dig", Signature::variadic(&[], Any), dig);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }

    #[test]
    fn merge_keeps_dst_and_overwrite_replaces() {
        let dst = json(serde_json::json!({"a": 1, "n": {"x": 1}}));
        let src = json(serde_json::json!({"a": 2, "b": 3, "n": {"x": 5, "y": 2}}));
        merge(&[dst.clone(), src.clone()], false).expect("merges");
        assert_eq!(crate::gofmt::sprint_value(&dst), "map[a:1 b:3 n:map[x:1 y:2]]");
        merge(&[dst.clone(), src], true).expect("merges");
        assert_eq!(crate::gofmt::sprint_value(&dst), "map[a:2 b:3 n:map[x:5 y:2]]");
    }

    #[test]
    fn dig_walks_nested_maps() {
        let d = json(serde_json::json!({"a": {"b": 5}}));
        assert_eq!(
            crate::gofmt::sprint_value(
                &dig(&[Value::str("a"), Value::str("b"), Value::str("d"), d.clone()]).expect("digs")
            ),
            "5"
        );
        assert!(dig(&[Value::str("a"), Value::str("b"), Value::str("c"), Value::str("d"), d]).is_err());
    }
}
