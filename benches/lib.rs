//! qsec's benchmarks live beside this file, one per concern; run them all
//! with `cargo bench`, or one with `cargo bench -p qsec-benches --bench NAME`.
//! `docs/benchmarks.md` has the figures measured on the reference machine.
