//! Benchmarks behind `ksnsim bench`; speed is measured here, never by timed tests.
//!
//! - [`sim`]: `ksnsim bench sim`, a large simulation beside bare turmoil carrying the same exchanges.

pub mod sim;

pub use sim::{BenchResult, BenchSpec, bench_sim, bench_topology};
