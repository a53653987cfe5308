//! The conformance adapter: reads `{"id","template","data"}` lines, writes
//! `{"id","output","error"}` lines, as `../shared/conformance/README.md`
//! describes. `qsec template conformance` is a thin wrapper around [`run`].

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use crate::engine::GoTemplateEngine;
use crate::error::Phase;
use crate::registry::FunctionRegistry;
use crate::value::Value;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Cases read.
    pub cases: usize,
    /// Cases that rendered without error.
    pub rendered: usize,
    /// Renders done in total (`cases * repeat`).
    pub renders: usize,
    /// Time spent rendering.
    pub elapsed: Duration,
}

impl Stats {
    /// Renders per second.
    pub fn renders_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.renders as f64 / secs } else { 0.0 }
    }
}

/// The engine the oracle corresponds to: builtins + Sprig, `missingkey=default`,
/// local time zone UTC.
pub fn oracle_engine() -> GoTemplateEngine {
    let funcs = FunctionRegistry::with_sprig_in_zone(jiff::tz::TimeZone::UTC);
    GoTemplateEngine::builder().functions(funcs).build()
}

/// Runs every case line of `input` `repeat` times (at least once), writing
/// one result line per case to `output`. Lines that are not valid case JSON
/// get an `"input"` error result (or are skipped when they have no `id`).
pub fn run(input: impl BufRead, mut output: impl Write, repeat: usize) -> io::Result<Stats> {
    let engine = oracle_engine();
    let mut stats = Stats::default();
    let repeat = repeat.max(1);
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(case) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        let id = case.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let template = case.get("template").and_then(|t| t.as_str()).unwrap_or_default();
        let data = case.get("data").cloned().unwrap_or(serde_json::Value::Null);
        stats.cases += 1;
        let start = Instant::now();
        let mut result = None;
        for _ in 0..repeat {
            result = Some(engine.render("t", template, &Value::from_json(&data)));
        }
        stats.elapsed += start.elapsed();
        stats.renders += repeat;
        let line = match result {
            Some(Ok(out)) => {
                stats.rendered += 1;
                serde_json::json!({"id": id, "output": out, "error": null})
            }
            Some(Err(e)) => {
                let kind = if e.phase == Phase::Parse { "parse" } else { "exec" };
                serde_json::json!({"id": id, "output": "", "error": kind, "message": e.to_string()})
            }
            None => continue,
        };
        writeln!(output, "{line}")?;
    }
    output.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_result_line_per_case() {
        let input = "{\"id\":\"a\",\"template\":\"{{ .x }}\",\"data\":{\"x\":2.0}}\n{\"id\":\"b\",\"template\":\"{{ nope }}\"}\n";
        let mut out = Vec::new();
        let stats = run(input.as_bytes(), &mut out, 2).expect("runs");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        assert_eq!(lines[0]["output"], "2");
        assert_eq!(lines[0]["error"], serde_json::Value::Null);
        assert_eq!(lines[1]["error"], "parse");
        assert_eq!((stats.cases, stats.rendered, stats.renders), (2, 1, 4));
    }
}
