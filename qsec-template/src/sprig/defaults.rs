//! Sprig's defaults and JSON functions: `default`, `empty`, `coalesce`,
//! `all`, `any`, `ternary`, `fromJson`, `toJson`, `toPrettyJson`,
//! `toRawJson` and their `must` forms.

use super::conversion::{empty, s};
use crate::gojson::{marshal, unmarshal};
use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Any, Bool, Str};
    let f = Signature::fixed;
    r.add("default", Signature::variadic(&[Any], Any), |a| {
        Ok(match a.get(1) {
            Some(g) if !empty(g) => g.clone(),
            _ => a[0].clone(),
        })
    });
    r.add("empty", f(&[Any]), |a| Ok(Value::Bool(empty(&a[0]))));
    r.add("coalesce", Signature::variadic(&[], Any), |a| Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or_default()));
    r.add("all", Signature::variadic(&[], Any), |a| Ok(Value::Bool(a.iter().all(|v| !empty(v)))));
    r.add("any", Signature::variadic(&[], Any), |a| Ok(Value::Bool(a.iter().any(|v| !empty(v)))));
    r.add("ternary", f(&[Any, Any, Bool]), |a| {
        Ok(if matches!(a[2], Value::Bool(true)) { a[0].clone() } else { a[1].clone() })
    });
    r.add("fromJson", f(&[Str]), |a| Ok(unmarshal(s(&a[0])).unwrap_or_default()));
    r.add("mustFromJson", f(&[Str]), |a| unmarshal(s(&a[0])).map_err(FuncError::new));
    let encoders: [(&str, &str, bool, Option<&'static str>); 3] = [
        ("toJson", "mustToJson", true, None),
        ("toPrettyJson", "mustToPrettyJson", true, Some("  ")),
        ("toRawJson", "mustToRawJson", false, None),
    ];
    for (plain, must, html, indent) in encoders {
        r.add(plain, f(&[Any]), move |a| Ok(Value::from(marshal(&a[0], html, indent).unwrap_or_default())));
        r.add(must, f(&[Any]), move |a| marshal(&a[0], html, indent).map(Value::from).map_err(FuncError::new));
    }
}

#[cfg(test)]
mod tests {
    use crate::conformance::oracle_engine;

    fn render(src: &str) -> String {
        oracle_engine().render_json("t", src, &serde_json::json!({"z": 0, "s": "x"})).expect("renders")
    }

    #[test]
    fn defaults_and_emptiness() {
        assert_eq!(
            render(
                "{{ default \"d\" .z }}|{{ default \"d\" .s }}|{{ .missing | default 5 }}|{{ coalesce 0 \"\" \"c\" }}"
            ),
            "d|x|5|c"
        );
        assert_eq!(
            render("{{ empty (list) }} {{ all 1 \"\" }} {{ any 0 1 }} {{ ternary \"y\" \"n\" false }}"),
            "true false true n"
        );
    }

    #[test]
    fn json_round_trip() {
        assert_eq!(
            render("{{ toJson (fromJson \"{\\\"b\\\":[1,2.5],\\\"a\\\":null}\") }}"),
            r#"{"a":null,"b":[1,2.5]}"#
        );
        assert_eq!(render("{{ toRawJson \"<&>\" }}|{{ fromJson \"bad\" }}"), "\"<&>\"|<no value>");
        assert!(oracle_engine().render_json("t", "{{ mustFromJson \"bad\" }}", &serde_json::json!(null)).is_err());
    }
}
