//! The `resilience-hub` binary's crate: the command line ([`args`] and [`cli`]) and the two data
//! generators, [`demo`] (the organisations of the source committee papers, loaded on the first
//! start of `cargo run`) and [`bench_data`] (the benchmark's national-scale world).
//!
//! They are kept out of the service library: the generators load rows through the owner's
//! connection, outside any request and its tenant boundary, which the service itself never
//! does.
pub mod args;
pub mod bench_data;
pub mod cli;
pub mod demo;
