//! The `qsec-init` binary.

fn main() {}
