//! Engine options: missingkey, delimiters, denylist, custom functions,
//! error locations.

use qsec_template::{FuncError, Function, GoTemplateEngine, MissingKey, Param, Phase, Signature, Value};
use serde_json::json;

#[test]
fn missing_keys_print_no_value_by_default_and_fail_when_asked() {
    let data = json!({"a": {"b": 1}});
    let engine = GoTemplateEngine::new();
    assert_eq!(engine.render_json("t", "{{ .a.x }}|{{ .x.y }}", &data).expect("renders"), "<no value>|<no value>");
    let strict = GoTemplateEngine::builder().missing_key(MissingKey::Error).build();
    let err = strict.render_json("cfg.tmpl", "ok\n  {{ .a.x }}", &data).expect_err("fails");
    assert_eq!(err.phase, Phase::Exec);
    assert_eq!((err.template.as_str(), err.line, err.column), ("cfg.tmpl", 2, Some(6)));
    assert!(err.message.contains(r#"map has no entry for key "x""#), "{}", err.message);
}

#[test]
fn custom_delimiters() {
    let engine = GoTemplateEngine::builder().delimiters("[[", "]]").build();
    let out = engine
        .render_json("t", "{{ keep }} [[ .name | upper ]] [[- \" x\" ]]", &json!({"name": "db"}))
        .expect("renders");
    assert_eq!(out, "{{ keep }} DB x");
}

#[test]
fn denied_functions_are_undefined_at_parse_time() {
    let engine = GoTemplateEngine::builder().deny(["env", "expandenv"]).build();
    let err =
        engine.render_json("app.tmpl", "{{ if false }}{{ env \"HOME\" }}{{ end }}", &json!(null)).expect_err("fails");
    assert_eq!(err.phase, Phase::Parse);
    assert!(err.message.contains(r#"function "env" not defined"#));
    assert!(GoTemplateEngine::new().functions().contains("env"));
}

#[test]
fn custom_functions_get_go_argument_checks() {
    let shout = Function::new(Signature::fixed(&[Param::Str]), |a| {
        Ok(Value::from(format!("{}!", a[0].as_str().unwrap_or(""))))
    });
    let boom = Function::new(Signature::fixed(&[]), |_| Err(FuncError::new("vault is sealed")));
    let engine = GoTemplateEngine::builder().function("shout", shout).function("boom", boom).build();
    assert_eq!(engine.render_json("t", "{{ \"hi\" | shout }}", &json!(null)).expect("renders"), "hi!");
    let wrong = engine.render_json("t", "{{ shout .n }}", &json!({"n": 1})).expect_err("int is not a string");
    assert!(wrong.message.contains("wrong type for value; expected string; got int"), "{}", wrong.message);
    let failed = engine.render_json("t", "{{ boom }}", &json!(null)).expect_err("fails");
    assert!(failed.message.ends_with("error calling boom: vault is sealed"), "{}", failed.message);
}

#[test]
fn parse_errors_name_file_line_and_column() {
    let err = GoTemplateEngine::new()
        .render_json("config/local.yml.tmpl", "a: 1\nb: {{ lokup \"x\" }}", &json!(null))
        .expect_err("fails");
    assert_eq!(err.phase, Phase::Parse);
    assert_eq!(err.line, 2);
    assert!(err.column.is_some());
    let core: qsec_core::Error = err.into();
    assert!(core.to_string().starts_with("template config/local.yml.tmpl:2:"), "{core}");
}

#[test]
fn unclosed_blocks_and_stray_ends_are_parse_errors() {
    let engine = GoTemplateEngine::new();
    for src in ["{{ range .x }}", "{{ end }}", "{{ if true }}a{{ end }}{{ end }}", "{{ else }}", "{{ .x"] {
        let err = engine.render_json("t", src, &json!({})).expect_err(src);
        assert_eq!(err.phase, Phase::Parse, "{src}");
    }
}

#[test]
fn parsed_templates_are_reused() {
    let engine = GoTemplateEngine::new();
    let a = engine.parse("t", "{{ . }}").expect("parses");
    let b = engine.parse("t", "{{ . }}").expect("parses");
    assert_eq!(a.execute(&Value::Int(1)).expect("renders"), b.execute(&Value::Int(1)).expect("renders"));
}
