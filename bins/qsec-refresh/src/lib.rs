//! qsec-refresh: its logic, unit-tested here; `main.rs` only parses settings and calls it.
