//! Benchmarks behind `ksnsim bench`; speed is measured here, never by timed tests.
//!
//! - [`sim`]: `ksnsim bench sim`, a large simulation beside bare turmoil carrying the same exchanges.
//! - `bench proxy`, a KSN-aware load generator against proxies on loopback:
//!   `plan` (what to measure), `workloads` (what is asked), `wire` and `connection` (keep-alive HTTP/1.1),
//!   `proxy_load` (closed-loop load, warming), `latency` (the histogram), `static_answer` (the generator's
//!   ceiling), `rss` and `cpu` (memory and CPU time of a process group), `run` (rounds over the targets),
//!   `results` (samples, medians, `bench.json`), `table` (terminal and Markdown).
//!
//! ```text
//! plan ─▶ run: mock KSN (TLS) ◀─HTTPS─ proxy (process group) ◀─HTTP keep-alive─ proxy_load ─▶ latency
//!            │  static answer ◀──────────────────────────────────────────────────┘             │
//!            └──────────── samples (mock's log, /proc RSS and CPU) ─▶ results ─▶ table, bench.json
//! ```

mod connection;
mod cpu;
mod error;
pub mod latency;
mod plan;
mod proxy_load;
mod results;
mod rss;
mod run;
pub mod sim;
mod static_answer;
mod table;
mod wire;
mod workloads;

pub use error::ProxyBenchError;
pub use latency::LatencyHistogram;
pub use plan::{BenchedProxy, ProxyBenchPlan};
pub use results::{BENCH_FORMAT_VERSION, BenchRow, Measured, ProxyBenchReport, Sample, TargetKind, median};
pub use run::{CEILING_NAME, UPSTREAM_NAME, run_proxy_bench, run_proxy_bench_blocking};
pub use sim::{BenchResult, BenchSpec, bench_sim, bench_topology};
pub use table::{render_bench_markdown, render_bench_table};
pub use workloads::{UnknownWorkload, Workload};
