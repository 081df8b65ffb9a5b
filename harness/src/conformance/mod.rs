//! Conformance of third-party KSN proxies over real loopback sockets (`ksnsim conformance`): one or more
//! checks per PX requirement, each an item of a `RunReport` with the requirement's level, a verdict and the
//! evidence behind it (what was sent, what came back, what the upstream saw).
//!
//! - `plan`: what is tested (a command, an already running proxy, the reference proxy in-process) and bounds.
//! - `command`: `--proxy-cmd` split, placeholders `{listen}`, `{upstream}`, `{ca}` checked and filled.
//! - `launch`: starting a proxy and stopping it (`process_group`: the command and every process it forks); `upstream`: ksnsim's mock KSN with a chosen certificate;
//!   `ports`: loopback ports that nothing else takes while they are briefly free.
//! - `session`: a proxy wired to its upstream; `client`, `requests`: ksnsim as the proxy's client.
//! - `checks`: the checks, one file per requirement family; `findings`: evidence and verdicts.
//! - `driver`: lanes of checks side by side; `report`: the `RunReport` and the terminal table.
//! - `certificate`: what a vendor hands a customer (verdicts, programs, digest) and `--verify`'s comparison.
//!
//! ```text
//! plan ─▶ driver ─▶ lane: Upstream (MockKsn, TLS, 127.0.0.1) ◀─HTTPS─ proxy under test ◀─HTTP─ ProxyClient
//!            │                 │ request log                                                  │ answers
//!            └──────────────── check: Findings (evidence, expectations) ◀─────────────────────┘
//!                                   └─▶ Outcome ─▶ report::build ─▶ RunReport ─▶ writers, gate, exit code
//! ```
//! Never inside turmoil: everything here is tokio on loopback, every wait bounded.

pub mod certificate;
mod checks;
mod client;
mod command;
mod driver;
mod error;
mod findings;
pub(crate) mod launch;
mod metered;
mod plan;
mod ports;
pub(crate) mod process_group;
mod report;
mod requests;
mod session;
mod streaming;
mod terminator;
pub(crate) mod upstream;

pub use checks::check_ids;
pub use command::{CommandError, PLACEHOLDERS, Placeholders, ProxyCommand, split_words};
pub use driver::{run_conformance, run_conformance_blocking};
pub use error::ConformanceError;
pub use plan::{
    Bounds, ConfigureProxy, ConformancePlan, Launcher, MAX_CAPACITY_TESTED, ProxyUnderTest, RunningProxy,
};
pub use report::{RUN_NAME, render_table};
