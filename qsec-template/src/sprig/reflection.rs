//! Sprig's reflection: `typeOf`, `typeIs`, `typeIsLike`, `kindOf`,
//! `kindIs`, `deepEqual`.

use super::conversion::s;
use crate::registry::{FunctionRegistry, Param, Signature};
use crate::value::Value;

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Str};
    let f = Signature::fixed;
    r.add("typeOf", f(&[Any]), |a| Ok(Value::from(a[0].type_name())));
    r.add("typeIs", f(&[Str, Any]), |a| Ok(Value::Bool(s(&a[0]) == a[1].type_name())));
    r.add("typeIsLike", f(&[Str, Any]), |a| {
        let t = a[1].type_name();
        Ok(Value::Bool(s(&a[0]) == t || format!("*{}", s(&a[0])) == t))
    });
    r.add("kindOf", f(&[Any]), |a| Ok(Value::from(a[0].kind_name())));
    r.add("kindIs", f(&[Str, Any]), |a| Ok(Value::Bool(s(&a[0]) == a[1].kind_name())));
    r.add("deepEqual", f(&[Any, Any]), |a| Ok(Value::Bool(a[0].deep_equal(&a[1]))));
}

#[cfg(test)]
mod tests {
    use crate::conformance::oracle_engine;

    #[test]
    fn type_and_kind_names_match_go() {
        let out = oracle_engine()
            .render_json("t", "{{ typeOf (list) }} {{ kindOf (dict) }} {{ typeIsLike \"semver.Version\" (semver \"1.0.0\") }} {{ kindIs \"invalid\" nil }} {{ deepEqual (list 1) (list 1) }}", &serde_json::json!(null))
            .expect("renders");
        assert_eq!(out, "[]interface {} map true true true");
    }
}
