//! The `qsec-secret-api` binary.

fn main() {}
