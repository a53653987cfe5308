//! Render throughput on the public conformance cases, Sprig attached.
//!
//! Run: `cargo bench -p qsec-benches --bench render`. Cases come from
//! `../shared/conformance/cases` (override with `CONFORMANCE_CASES`); the
//! Go anchor is `../shared/tools/gobench` on the same files.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use qsec_template::{EngineBuilder, FunctionRegistry, GoTemplateEngine, Value};

/// The cases Go renders without error, minus the ones dominated by key
/// generation or key stretching (Go's bench times those too, but a few
/// RSA key generations would drown every other number).
fn cases() -> Vec<(String, Value)> {
    let dir = std::env::var("CONFORMANCE_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cases"));
    let engine = qsec_template::conformance::oracle_engine();
    let slow = ["genCA", "genPrivateKey", "genSelfSigned", "genSigned", "bcrypt", "htpasswd", "derivePassword"];
    let mut out = Vec::new();
    for name in ["go-core.jsonl", "sprig.jsonl"] {
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else { continue };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let template = case["template"].as_str().unwrap_or_default().to_string();
            let data = Value::from_json(&case["data"]);
            if slow.iter().any(|s| template.contains(s)) || engine.render("t", &template, &data).is_err() {
                continue;
            }
            out.push((template, data));
        }
    }
    out
}

fn render_all(engine: &GoTemplateEngine, cases: &[(String, Value)]) -> usize {
    cases.iter().map(|(t, d)| engine.render("t", t, d).map_or(0, |s| s.len())).sum()
}

fn bench(c: &mut Criterion) {
    let cases = cases();
    if cases.is_empty() {
        eprintln!("no conformance cases found; set CONFORMANCE_CASES");
        return;
    }
    let utc = || FunctionRegistry::with_sprig_in_zone(jiff::tz::TimeZone::UTC);
    let cached = EngineBuilder::new().functions(utc()).build();
    let uncached = EngineBuilder::new().functions(utc()).cache_capacity(0).build();
    let mut g = c.benchmark_group(format!("conformance_{}_cases", cases.len()));
    g.bench_function("parse_and_execute", |b| b.iter(|| black_box(render_all(&uncached, &cases))));
    g.bench_function("cached_parse_and_execute", |b| b.iter(|| black_box(render_all(&cached, &cases))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
