//! The command line, as clap types only; checks that need the file system live in the commands.

use clap::{Args as ClapArgs, Parser, Subcommand};
use ksnsim_reports::GateLevel;
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
    /// Run the scenario suite in simulation (the main job): every feature by default.
    Run(RunArgs),
    /// Run one scenario again with its seed and check that its trace digest is the same; or print a trace.
    Replay(ReplayArgs),
    /// Work with report files: merge partitioned runs, compare conformance runs.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Benchmarks (speed targets are measured here, never by timed tests).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run a topology for a simulated while with generated load and faults; check every invariant.
    Sim(SimArgs),
    /// Test a KSN proxy (a command ksnsim starts, or one already running) over real loopback sockets.
    Conformance(ConformanceArgs),
    /// Search generated schedules of actions and faults for a violated requirement; write the first one,
    /// shrunk, as a feature file that `ksnsim run` fails the same way.
    Explore(ExploreArgs),
}

#[derive(Debug, ClapArgs)]
pub struct ExploreArgs {
    /// A scenario to explore around (FEATURE:LINE): its world and When steps first, generated actions and
    /// faults interleaved. Without it, worlds are generated too.
    pub around: Option<String>,
    /// Stop searching after this long, e.g. 60s, 5m (checked between batches).
    #[arg(long, default_value = "60s")]
    pub budget: String,
    /// Stop searching after this many runs (whichever of --budget and --runs comes first).
    #[arg(long)]
    pub runs: Option<u64>,
    /// The search's seed: the same seed gives the same schedules and the same finding.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where the feature file of a violation, summary.md and explore.json are written.
    #[arg(long, default_value = "reports/out/explore")]
    pub out: PathBuf,
    /// At most this many generated steps per schedule.
    #[arg(long, default_value_t = 16)]
    pub max_steps: usize,
    /// At most this many endpoints in a generated world.
    #[arg(long, default_value_t = 3)]
    pub max_endpoints: usize,
    /// Schedules run at once (each world runs on a thread of its own).
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Shrinking stops after this many runs, keeping the smallest failure so far.
    #[arg(long, default_value_t = 400)]
    pub shrink_runs: u64,
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

#[derive(Debug, ClapArgs)]
pub struct ConformanceArgs {
    /// The proxy to start, with placeholders: {listen} (ADDR to accept clients on), {upstream} (URL of
    /// ksnsim's KSN server), {ca} (PEM file of ksnsim's CA), e.g.
    /// 'ksn-proxy --listen {listen} --upstream {upstream} --ca {ca}'.
    #[arg(long, conflicts_with = "proxy")]
    pub proxy_cmd: Option<String>,
    /// The same, for a proxy of the Private KSN (tests the tenant checks); omit to report them not tested.
    #[arg(long)]
    pub private_cmd: Option<String>,
    /// A proxy that is already running (http://ADDR), pointed at --upstream-listen.
    #[arg(long, requires = "upstream_listen")]
    pub proxy: Option<String>,
    /// Where ksnsim's KSN server listens for an already running proxy (its CA goes to --pki).
    #[arg(long)]
    pub upstream_listen: Option<String>,
    /// Folder for ksnsim's CA (ca.pem), for an already running proxy to trust.
    #[arg(long, default_value = "reports/out/conformance-pki")]
    pub pki: PathBuf,
    /// A name for the implementation under test, in reports.
    #[arg(long)]
    pub name: Option<String>,
    /// Which levels block the exit code: must (default for a third-party proxy), should, or all (MAY too).
    #[arg(long, value_parser = parse_gate, default_value = "must")]
    pub gate: GateLevel,
    /// The same as --gate should (kept for existing scripts).
    #[arg(long, conflicts_with = "gate")]
    pub strict: bool,
    /// Run only the checks whose id starts with this (e.g. PX-CACHE).
    #[arg(long)]
    pub only: Option<String>,
    /// How many entries the proxy's cache holds (as it was started): enables the bound and LRU check
    /// (PX-CACHE-7), which is reported not tested otherwise.
    #[arg(long)]
    pub cache_capacity: Option<usize>,
    /// Where to write the reports and the conformance certificate (certificate.json, certificate.md).
    #[arg(long, default_value = "reports/out/conformance")]
    pub report: PathBuf,
    /// Re-run the checks of a certificate.json with its command and flags, and say per check whether the
    /// verdict is the same (exit 0: all the same, 1: one differs, 2: the certificate is invalid).
    #[arg(long, value_name = "CERT", conflicts_with_all = [
        "proxy_cmd", "private_cmd", "proxy", "upstream_listen", "name", "strict", "only", "cache_capacity",
    ])]
    pub verify: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    /// Feature files or folders to run, anywhere (default: every feature under features/).
    pub features: Vec<PathBuf>,
    /// Cucumber tag expression, e.g. '@PX-CACHE-1 or @EP-LIC-1', 'not @slow'.
    #[arg(long)]
    pub tags: Option<String>,
    /// Base seed: each scenario's seed is derived from it and the scenario's place.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run share K of N (e.g. 2/4): a stable split for a CI matrix; merge with `ksnsim report merge`.
    /// With --seeds, the seeds are shared out too.
    #[arg(long)]
    pub partition: Option<String>,
    /// Run every scenario under N seeds (jitter, loss draws and orderings change); each failing seed is
    /// reported with its replay command. The first seed is the plain run's.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Scenarios run at once (each on its own thread).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Which levels block the exit code. The suite judges the reference, which implements every SHOULD and
    /// MAY it claims, so every level gates by default (all); must or should relax it.
    #[arg(long, value_parser = parse_gate, default_value = "all")]
    pub gate: GateLevel,
    /// Where to write the reports (JSON, JUnit, Markdown, HTML).
    #[arg(long, default_value = "reports/out/run")]
    pub report: PathBuf,
}

#[derive(Debug, ClapArgs)]
pub struct ReplayArgs {
    /// The scenario, as FEATURE:LINE (e.g. features/proxy_cache.feature:23).
    #[arg(required_unless_present = "trace")]
    pub scenario: Option<String>,
    /// The scenario's seed, as printed by the run that failed.
    #[arg(long, required_unless_present = "trace")]
    pub seed: Option<u64>,
    /// The digest the run recorded: the replay must give the same, byte for byte.
    #[arg(long)]
    pub digest: Option<String>,
    /// Print a trace file (JSON lines, from `ksnsim sim --trace`) as a timeline instead of running.
    #[arg(long, conflicts_with = "scenario")]
    pub trace: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the report.json files of a partitioned run into one report.
    Merge {
        /// report.json files, or folders that hold one.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, default_value = "reports/out/merged")]
        out: PathBuf,
        /// Which levels block the exit code; default: all for scenario-suite shares (the reference's gate, as
        /// `ksnsim run`), must for anything else (as `ksnsim conformance`).
        #[arg(long, value_parser = parse_gate)]
        gate: Option<GateLevel>,
    },
    /// Put several conformance runs side by side, one column per implementation.
    Compare {
        /// report.json files of conformance runs, or folders that hold one.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, default_value = "reports/out/compare")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// A large simulation beside bare turmoil carrying the same exchanges; prints wall times and the ratio.
    Sim {
        #[arg(long, default_value_t = 1000)]
        endpoints: usize,
        #[arg(long, default_value_t = 10)]
        proxies: usize,
        #[arg(long, default_value_t = 100)]
        lookups: u32,
        #[arg(long = "for", default_value = "1h")]
        duration: String,
        #[arg(long, default_value_t = 0.01)]
        loss: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// KSN load against proxies on loopback (started in turn, interleaved rounds): requests/s, latency
    /// percentiles, upstream requests per client request, memory per cached entry.
    Proxy(BenchProxyArgs),
}

#[derive(Debug, ClapArgs)]
pub struct BenchProxyArgs {
    /// A proxy to measure, as NAME=CMD with placeholders {listen}, {upstream} and {ca}, e.g.
    /// 'nginx=bash conformance/nginx/careful.sh {listen} {upstream} {ca}'; repeat for more. Default: the
    /// reference ksn-proxy found next to ksnsim or on PATH.
    #[arg(long = "proxy-cmd", value_name = "NAME=CMD")]
    pub proxy_cmds: Vec<String>,
    /// Connection counts, comma-separated: each workload runs at each.
    #[arg(long, default_value = "8,64")]
    pub connections: String,
    /// How long each measurement loads its target, e.g. 5s, 500ms.
    #[arg(long, default_value = "5s")]
    pub duration: String,
    /// Rounds over every target (the table shows medians).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Workloads, comma-separated: hits, warm, misses, batch, private.
    #[arg(long, default_value = "hits,warm,batch,misses,private")]
    pub workloads: String,
    /// Objects of the warm set (warm, batch, and private for each tenant).
    #[arg(long, default_value_t = 10_000)]
    pub warm_objects: usize,
    /// Write bench.json and bench.md into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Folder for ksnsim's CA (ca.pem), the {ca} of the proxy commands.
    #[arg(long, default_value = "reports/out/bench-pki")]
    pub pki: PathBuf,
}

/// `--gate must|should|all`.
fn parse_gate(text: &str) -> Result<GateLevel, String> {
    text.parse()
}
