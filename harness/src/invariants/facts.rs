//! The facts of a world that invariants need beside the trace: who is an endpoint, which KSN each endpoint
//! and proxy uses at the start, which licenses are registered at the start, and end-of-run counts.

use std::collections::{BTreeMap, BTreeSet};

use ksnsim_mocks::StatisticsTotals;

use crate::topology::{KsnKind, Mode, Topology};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointFacts {
    pub ksn: KsnKind,
    pub mode: Mode,
    pub allow_public_dns: bool,
    /// The tenant id of its license, with Private KSN.
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorldFacts {
    pub endpoints: BTreeMap<String, EndpointFacts>,
    /// Proxies and the KSN each serves (following chains).
    pub proxies: BTreeMap<String, KsnKind>,
    /// Tenants whose license the Private KSN has registered at the start.
    pub registered_at_start: BTreeSet<String>,
    /// Detection records each endpoint accepted (queued or written), filled at the end of a run.
    pub recorded: BTreeMap<String, u64>,
    /// Each endpoint's statistics still held at the end: queued, overflowed, deleted on withdrawal.
    pub held_at_end: BTreeMap<String, (u64, u64, u64)>,
    /// What each KSN server host says it counted (records, and uploads: a repeated Idempotency-Key is not a new
    /// one), read from the server at the end of a run.
    pub server_counted: BTreeMap<String, StatisticsTotals>,
    /// What each running endpoint's status said at the end of a run (what a user would see).
    pub status_at_end: BTreeMap<String, StatusSeen>,
}

/// An endpoint's status as read at the end of a run, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSeen {
    pub at: std::time::Duration,
    /// The simulated host it runs on: its own name, or its colocated group's (a fault on the group is its).
    pub sim_host: String,
    /// "running", "stopped", "authentication error", ...
    pub task: String,
    /// "Extended", "Basic", "Save to file", "Off".
    pub ksn: String,
    pub available: bool,
    /// The one line the product shows.
    pub summary: String,
}

impl WorldFacts {
    pub fn from_topology(topology: &Topology) -> Self {
        let tenant = |license: &Option<String>| {
            license
                .as_ref()
                .and_then(|key| key.parse::<ksnsim_reference::protocol::LicenseKey>().ok())
                .map(|k| k.tenant().to_string())
        };
        let mut names = topology.endpoint_names();
        // A colocated group's requests reach servers from the group's address: it speaks for its members.
        names.extend(
            topology
                .endpoints
                .iter()
                .filter(|s| s.colocated)
                .map(|s| (s.name.clone(), s)),
        );
        let endpoints = names
            .into_iter()
            .map(|(name, spec)| {
                let facts = EndpointFacts {
                    ksn: spec.ksn,
                    // With Private KSN the Global KSN's choice of basic mode is not in effect (EP-LIC-3).
                    mode: match (spec.ksn, spec.mode) {
                        (KsnKind::Private, Mode::Basic) => Mode::Extended,
                        (_, mode) => mode,
                    },
                    allow_public_dns: spec.allow_public_dns,
                    tenant: tenant(&spec.license),
                };
                (name, facts)
            })
            .collect();
        let proxies = topology
            .proxies
            .iter()
            .filter_map(|p| topology.proxy_kind(p).map(|kind| (p.name.clone(), kind)))
            .collect();
        let registered_at_start = topology
            .servers
            .licenses
            .iter()
            .filter_map(|key| tenant(&Some(key.clone())))
            .collect();
        Self {
            endpoints,
            proxies,
            registered_at_start,
            ..Self::default()
        }
    }

    pub fn is_endpoint(&self, host: &str) -> bool {
        self.endpoints.contains_key(host)
    }
}
