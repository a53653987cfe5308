//! Go text/template behaviour a config author hits, checked against
//! outputs of Go 1.19 + Sprig 3.2.3.

use qsec_template::conformance::oracle_engine;
use serde_json::json;

fn render(src: &str, data: serde_json::Value) -> String {
    oracle_engine().render_json("t", src, &data).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn fails(src: &str, data: serde_json::Value) -> bool {
    oracle_engine().render_json("t", src, &data).is_err()
}

#[test]
fn numbers_print_with_go_types() {
    assert_eq!(
        render("{{ .a }} {{ .b }} {{ .c }}", json!({"a": 2.0, "b": 1e21, "c": 123456789.0})),
        "2 1e+21 1.23456789e+08"
    );
    assert_eq!(render("{{ printf \"%T %T\" (add 1 1) (len .l) }}", json!({"l": []})), "int64 int");
    assert!(fails("{{ eq 1 1.0 }}", json!(null)));
    assert!(fails("{{ eq (fromJson \"1\") 1 }}", json!(null)));
}

#[test]
fn maps_are_shared_and_mutable() {
    assert_eq!(render("{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"b\" 2 }}{{ $d }}", json!(null)), "map[a:1 b:2]");
    assert_eq!(render("{{ $_ := unset .m \"a\" }}{{ .m }}", json!({"m": {"a": 1, "b": 2}})), "map[b:2]");
    assert_eq!(render("{{ range $k, $v := . }}{{ $k }}{{ end }}", json!({"10": 1, "9": 2, "1": 3})), "1109");
}

#[test]
fn variables_scope_like_go() {
    assert_eq!(render("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", json!(null)), "2");
    assert!(fails("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}", json!(null)));
    assert_eq!(
        render(
            "{{ define \"i\" }}{{ $x := \"in\" }}{{ $x }}{{ end }}{{ $x := \"out\" }}{{ template \"i\" }}{{ $x }}",
            json!(null)
        ),
        "inout"
    );
}

#[test]
fn nil_values_follow_go() {
    assert_eq!(render("{{ .z }}|{{ .z.x }}|{{ print .z }}", json!({})), "<no value>|<no value>|<nil>");
    assert!(fails("{{ .z.x }}", json!({"z": null})));
    assert!(fails("{{ range .l }}{{ .x }}{{ end }}", json!({"l": [null]})));
    assert!(fails("{{ upper .missing }}", json!({})));
}

#[test]
fn whitespace_trimming_and_comments() {
    assert_eq!(render("a\n\n\t {{- \"x\" }}\n\n b", json!(null)), "ax\n\n b");
    assert_eq!(render("a{{/* c */}}b {{- /* d */ -}} c", json!(null)), "abc");
    assert!(fails("{{ /* c */ }}", json!(null)));
}
