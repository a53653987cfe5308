//! The `qsec-refresh` binary.

fn main() {}
