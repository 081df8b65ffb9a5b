//! The scenario suite of ksnsim: the cucumber World, the step library and the runner.
//!
//! - `world`: one `KsnWorld` per scenario: the topology being described, then the running simulation.
//! - `steps`: the step library, a file per domain concept (topology, statement, license, modes, lookups,
//!   statistics, dns, faults, checks).
//! - `params`: how steps read modes, files, URLs and KSN kinds.
//! - [`explore`]: `ksnsim explore`: generated schedules of actions and faults, judged by the invariants, the
//!   first violation shrunk and written as a feature file.
//! - [`coverage`]: which scenarios cover which requirement (`features/COVERAGE.md`).
//! - [`step_log`]: what each scenario's steps did (a cucumber writer): which step failed, and its account.
//! - [`suite`]: which scenarios run, with which seeds, and their outcomes as a `RunReport`.
//!
//! ```text
//! features/*.feature ─▶ cucumber ─▶ steps ─▶ KsnWorld ─▶ WorldThread (harness) ─▶ trace
//!                                    after hook: invariants + digest ─▶ ItemReport ─▶ RunReport
//! ```

pub mod coverage;
pub mod explore;
mod params;
pub mod step_log;
mod steps;
pub mod suite;
mod world;

pub use suite::{SuiteError, SuiteOptions, SuiteOutcome, run_suite, scenario_seed};
pub use world::KsnWorld;
