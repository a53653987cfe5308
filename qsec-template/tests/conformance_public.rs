//! The public conformance cases (`../shared/conformance`), when present:
//! at least 97% of the Go-ok and 90% of the Go-error cases must pass.

use std::path::PathBuf;

fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    dir.join("expected").is_dir().then_some(dir)
}

#[test]
fn public_cases_meet_the_acceptance_bar() {
    let Some(dir) = shared() else {
        eprintln!("shared/conformance not found; nothing to compare against");
        return;
    };
    let (mut ok_pass, mut ok_total, mut err_pass, mut err_total) = (0, 0, 0, 0);
    for name in ["go-core.jsonl", "sprig.jsonl"] {
        let cases = std::fs::read_to_string(dir.join("cases").join(name)).expect("case file");
        let expected = std::fs::read_to_string(dir.join("expected").join(name)).expect("expected file");
        let mut out = Vec::new();
        qsec_template::conformance::run(cases.as_bytes(), &mut out, 1).expect("runs");
        let got: Vec<serde_json::Value> =
            String::from_utf8(out).expect("utf-8").lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        for line in expected.lines() {
            let e: serde_json::Value = serde_json::from_str(line).expect("json");
            let g = got.iter().find(|g| g["id"] == e["id"]).expect("a result per case");
            if e["error"].is_null() {
                ok_total += 1;
                ok_pass += usize::from(g["error"].is_null() && g["output"] == e["output"]);
            } else {
                err_total += 1;
                err_pass += usize::from(!g["error"].is_null());
            }
        }
    }
    assert!(ok_pass * 100 >= ok_total * 97, "Go-ok {ok_pass}/{ok_total}");
    assert!(err_pass * 100 >= err_total * 90, "Go-error {err_pass}/{err_total}");
}
