//! The JSON diff behind the webhook's patches and the deployer's rewrites.

use qsec_k8s::patch::{apply_to_yaml, diff};
use serde_json::{Value, json};

fn round_trip(before: Value, after: Value) -> Value {
    let patch = diff(&before, &after);
    let mut patched = before;
    json_patch::patch(&mut patched, &patch).unwrap();
    assert_eq!(patched, after);
    serde_json::to_value(&patch).unwrap()
}

#[test]
fn insertions_anywhere_become_adds_at_their_index() {
    let patch = round_trip(
        json!({"list": [{"name": "b"}, {"name": "d"}]}),
        json!({"list": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d", "x": 1}, {"name": "e"}]}),
    );
    assert_eq!(
        patch,
        json!([
            {"op": "add", "path": "/list/0", "value": {"name": "a"}},
            {"op": "add", "path": "/list/2", "value": {"name": "c"}},
            {"op": "add", "path": "/list/4", "value": {"name": "e"}},
            {"op": "add", "path": "/list/3/x", "value": 1},
        ])
    );
}

#[test]
fn keys_are_escaped_and_removals_and_reorders_still_round_trip() {
    let patch = round_trip(json!({"a": {}}), json!({"a": {"qsec.io/approle": "x", "t~1": 1}}));
    assert_eq!(patch[0]["path"], "/a/qsec.io~1approle");
    assert_eq!(patch[1]["path"], "/a/t~01");
    round_trip(json!({"a": 1, "b": [1, 2, 3]}), json!({"b": [1, 3]}));
    round_trip(json!({"l": [{"name": "a"}, {"name": "b"}]}), json!({"l": [{"name": "b"}, {"name": "a"}]}));
    round_trip(json!({"l": [1, 1, 2]}), json!({"l": [1, 0, 1, 2, 2]}));
    round_trip(json!([1]), json!({"now": "an object"}));
    assert_eq!(diff(&json!({"same": [1]}), &json!({"same": [1]})).0.len(), 0);
}

#[test]
fn yaml_documents_keep_their_order_and_unknown_fields() {
    let mut document: serde_yaml_ng::Value =
        serde_yaml_ng::from_str("zeta: 1\nalpha:\n  list: [a, c]\n  keep: {x: 1}\n").unwrap();
    let before = json!({"alpha": {"list": ["a", "c"]}});
    let after = json!({"alpha": {"list": ["a", "b", "c"], "new": true}});
    apply_to_yaml(&mut document, &diff(&before, &after)).unwrap();
    assert_eq!(
        serde_yaml_ng::to_string(&document).unwrap(),
        "zeta: 1\nalpha:\n  list:\n  - a\n  - b\n  - c\n  keep:\n    x: 1\n  new: true\n"
    );
    let missing = diff(&json!({"a": {"b": 1}}), &json!({"a": {"b": 2}}));
    let error = apply_to_yaml(&mut document, &missing).unwrap_err().to_string();
    assert!(error.contains("path /a/b does not exist"), "{error}");
}
