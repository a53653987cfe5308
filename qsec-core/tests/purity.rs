//! qsec-core stays pure: no item in it does I/O or needs a runtime. This
//! test reads the crate's own sources and its manifest to hold that line.

use std::path::Path;

/// Paths whose use means I/O, process control, clocks or an async runtime.
const FORBIDDEN: &[&str] = &[
    "std::fs",
    "std::net",
    "std::io",
    "std::process",
    "std::env",
    "std::thread",
    "SystemTime::now",
    "Instant::now",
    "tokio",
    "reqwest",
    "println!",
    "eprintln!",
];

#[test]
fn sources_use_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offences = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests beside the code may use what they like.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in code.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for forbidden in FORBIDDEN {
                if line.contains(forbidden) {
                    offences.push(format!("{}:{}: {forbidden}", path.display(), number + 1));
                }
            }
        }
    }
    assert!(offences.is_empty(), "qsec-core must do no I/O:\n{}", offences.join("\n"));
}

#[test]
fn manifest_has_no_runtime_or_io_dependency() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table");
    for crate_name in ["tokio", "reqwest", "hyper", "kube", "axum", "async-std"] {
        assert!(
            !dependencies.lines().any(|line| line.trim_start().starts_with(crate_name)),
            "qsec-core must not depend on {crate_name}"
        );
    }
}
