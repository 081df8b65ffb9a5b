//! What `ksnsim bench proxy` measures: the proxies (commands with `{listen} {upstream} {ca}`), connection
//! counts, workloads, duration and rounds, and where ksnsim's CA file goes.

use std::path::PathBuf;
use std::time::Duration;

use crate::conformance::ProxyCommand;

use super::workloads::Workload;

/// A proxy to benchmark: the name it has in the table, and the command that starts it.
#[derive(Debug, Clone)]
pub struct BenchedProxy {
    pub name: String,
    pub command: ProxyCommand,
}

/// Everything a proxy benchmark needs.
#[derive(Debug, Clone)]
pub struct ProxyBenchPlan {
    pub proxies: Vec<BenchedProxy>,
    /// Each workload runs at each of these connection counts.
    pub connections: Vec<usize>,
    /// How long each measurement loads its target.
    pub duration: Duration,
    /// Rounds: each runs every target in turn, so that machine noise hits all of them alike; the table gives
    /// each figure's median over the rounds.
    pub rounds: usize,
    pub workloads: Vec<Workload>,
    /// Objects of the warm set (`warm`, `batch`, `private` per tenant).
    pub warm_objects: usize,
    /// Where ksnsim writes its CA (`ca.pem`), the `{ca}` of the proxy commands.
    pub pki_dir: PathBuf,
    /// How long a started proxy gets to accept connections.
    pub startup: Duration,
    /// How long one exchange may take before it counts as an error.
    pub request_timeout: Duration,
}

impl ProxyBenchPlan {
    /// The workloads in the order they run against one started proxy: the hot object first (a cache otherwise
    /// empty), then the warm set (a full cache), and the misses last, so that they cannot evict what the
    /// workloads before them measure; `private` runs against a Private KSN, in a start of its own.
    pub(crate) fn ordered_workloads(&self) -> Vec<Workload> {
        let mut workloads = self.workloads.clone();
        workloads.sort_by_key(|w| match w {
            Workload::Hits => 0,
            Workload::Warm => 1,
            Workload::Batch => 2,
            Workload::Misses => 3,
            Workload::Private => 4,
        });
        workloads.dedup();
        workloads
    }
}
