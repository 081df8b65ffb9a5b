//! The command line, as clap types only; checks that need the file system live in the commands.

use clap::{Args as ClapArgs, Parser, Subcommand};
use std::path::PathBuf;

/// Deterministic simulation and conformance harness for KSN-style reputation infrastructure.
#[derive(Debug, Parser)]
#[command(name = "ksnsim", version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a topology for a simulated while with generated load and faults; check every invariant.
    Sim(SimArgs),
}

#[derive(Debug, ClapArgs)]
pub struct SimArgs {
    /// The topology file (TOML); see the README for an example.
    pub topology: PathBuf,
    /// Seed of the simulation: the same seed gives the same trace, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated time to run, e.g. 30m, 2h, 1d.
    #[arg(long = "for", default_value = "1h")]
    pub duration: String,
    /// Faults at simulated times (TOML); see the README.
    #[arg(long)]
    pub faults: Option<PathBuf>,
    /// Write the whole trace here, as JSON lines.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Lookups each endpoint makes over the run.
    #[arg(long, default_value_t = 100)]
    pub lookups: u32,
    /// Message loss on each endpoint's first link, e.g. 0.01 for 1%.
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Where to write the reports (JSON, JUnit, Markdown, HTML).
    #[arg(long, default_value = "reports/out/sim")]
    pub report: PathBuf,
}
