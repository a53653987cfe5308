//! Sprig's list functions. Go's non-`must` variants panic where the `must`
//! ones return an error; a template sees an error either way.

use super::conversion::{empty, i, to_int64};
use crate::registry::{FuncError, FuncResult, FunctionRegistry, Param, Signature};
use crate::value::{Elem, Value};

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

/// The items of a slice argument, or Sprig's `Cannot <what> on type <kind>`.
fn items<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], FuncError> {
    match v {
        Value::List(l) => Ok(&l.items),
        Value::Nil => Err(FuncError::new(NIL_DEREF)),
        other => Err(FuncError::new(format!("Cannot {what} on type {}", other.kind_name()))),
    }
}

fn contains(haystack: &[Value], needle: &Value) -> bool {
    haystack.iter().any(|h| h.deep_equal(needle))
}

fn chunk(size: i64, list: &Value) -> FuncResult {
    let xs = match list {
        Value::List(l) => &l.items,
        Value::Nil => return Err(FuncError::new(NIL_DEREF)),
        other => return Err(FuncError::new(format!("Cannot chunk type {}", other.kind_name()))),
    };
    if size <= 0 {
        return Err(FuncError::new("runtime error: integer divide by zero"));
    }
    let chunks = xs.chunks(size as usize).map(|c| Value::list(c.to_vec())).collect();
    Ok(Value::typed_list(Elem::AnyList, chunks))
}

fn slice(list: &Value, idx: &[Value]) -> FuncResult {
    let l = match list {
        Value::List(l) => l,
        Value::Nil => return Err(FuncError::new(NIL_DEREF)),
        other => {
            return Err(FuncError::new(format!("list should be type of slice or array but {}", other.kind_name())));
        }
    };
    if l.items.is_empty() {
        return Ok(Value::Nil);
    }
    let start = idx.first().map_or(0, to_int64);
    let end = if idx.len() < 2 { l.items.len() as i64 } else { to_int64(&idx[1]) };
    if start < 0 || end < start || end as usize > l.items.len() {
        return Err(FuncError::new("reflect.Value.Slice: slice index out of bounds"));
    }
    Ok(Value::typed_list(l.elem, l.items[start as usize..end as usize].to_vec()))
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Int};
    let f = Signature::fixed;
    for name in ["list", "tuple"] {
        r.add(name, Signature::variadic(&[], Any), |a| Ok(Value::list(a.to_vec())));
    }
    for name in ["append", "push", "mustAppend", "mustPush"] {
        r.add(name, f(&[Any, Any]), |a| {
            let mut v = items(&a[0], "push")?.to_vec();
            v.push(a[1].clone());
            Ok(Value::list(v))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        r.add(name, f(&[Any, Any]), |a| {
            let mut v = vec![a[1].clone()];
            v.extend_from_slice(items(&a[0], "prepend")?);
            Ok(Value::list(v))
        });
    }
    for name in ["first", "mustFirst"] {
        r.add(name, f(&[Any]), |a| Ok(items(&a[0], "find first")?.first().cloned().unwrap_or_default()));
    }
    for name in ["last", "mustLast"] {
        r.add(name, f(&[Any]), |a| Ok(items(&a[0], "find last")?.last().cloned().unwrap_or_default()));
    }
    for name in ["rest", "mustRest"] {
        r.add(name, f(&[Any]), |a| {
            let xs = items(&a[0], "find rest")?;
            Ok(Value::list(xs.get(1..).unwrap_or_default().to_vec()))
        });
    }
    for name in ["initial", "mustInitial"] {
        r.add(name, f(&[Any]), |a| {
            let xs = items(&a[0], "find initial")?;
            Ok(Value::list(xs[..xs.len().saturating_sub(1)].to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        r.add(name, f(&[Any]), |a| Ok(Value::list(items(&a[0], "find reverse")?.iter().rev().cloned().collect())));
    }
    for name in ["compact", "mustCompact"] {
        r.add(name, f(&[Any]), |a| {
            Ok(Value::list(items(&a[0], "compact")?.iter().filter(|v| !empty(v)).cloned().collect()))
        });
    }
    for name in ["uniq", "mustUniq"] {
        r.add(name, f(&[Any]), |a| {
            let mut out: Vec<Value> = Vec::new();
            for v in items(&a[0], "find uniq")? {
                if !contains(&out, v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        });
    }
    for name in ["without", "mustWithout"] {
        r.add(name, Signature::variadic(&[Any], Any), |a| {
            let omit = &a[1..];
            Ok(Value::list(items(&a[0], "find without")?.iter().filter(|v| !contains(omit, v)).cloned().collect()))
        });
    }
    for name in ["has", "mustHas"] {
        r.add(name, f(&[Any, Any]), |a| {
            if a[1].is_nil() {
                return Ok(Value::Bool(false));
            }
            Ok(Value::Bool(contains(items(&a[1], "find has")?, &a[0])))
        });
    }
    for name in ["slice", "mustSlice"] {
        r.add(name, Signature::variadic(&[Any], Any), |a| slice(&a[0], &a[1..]));
    }
    for name in ["chunk", "mustChunk"] {
        r.add(name, f(&[Int, Any]), |a| chunk(i(&a[0]), &a[1]));
    }
    r.add("concat", Signature::variadic(&[], Any), |a| {
        let mut out = Vec::new();
        for l in a {
            match l {
                Value::List(l) => out.extend(l.items.iter().cloned()),
                Value::Nil => return Err(FuncError::new(NIL_DEREF)),
                other => return Err(FuncError::new(format!("Cannot concat type {} as list", other.kind_name()))),
            }
        }
        Ok(Value::list(out))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_errors_name_the_go_kind() {
        assert_eq!(items(&Value::str("abc"), "find first").unwrap_err().0, "Cannot find first on type string");
        assert_eq!(items(&Value::Nil, "find first").unwrap_err().0, NIL_DEREF);
        assert!(slice(&Value::list(vec![Value::Int(1)]), &[Value::Int(0), Value::Int(9)]).is_err());
        let chunks = chunk(2, &Value::list(vec![Value::Int(1), Value::Int(2), Value::Int(3)])).expect("chunks");
        assert_eq!(crate::gofmt::sprint_value(&chunks), "[[1 2] [3]]");
    }
}
