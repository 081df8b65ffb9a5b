//! The executable specification: the requirement catalogue split into observable clauses
//! (`features/clauses.toml`), and a judge for each, written from the seeds and the catalogue, that decides
//! from what a run observed (every exchange on the wire, DNS queries, status reads, the scenario's inputs)
//! whether the clause held. Every run goes through it: each scenario of `ksnsim run`, each seed of
//! `--seeds`, each `ksnsim explore` run, each `ksnsim sim`.
//!
//! Map:
//! - `clauses`: the clause table, read from `features/clauses.toml` at build time.
//! - `observed`: the run as the judges read it (exchanges paired, proxies, faults, quiet and down windows).
//! - `endpoint_model`: what each endpoint may do at each moment, predicted from its settings and the
//!   scenario's inputs (consent, mode and policy, task, license, proxy use, restrictions).
//! - `judges/`: one file per concern; each judge names the clauses it decides.
//!
//! The invariant checkers of `crate::invariants` stay as they are and decide the clauses listed in
//! [`INVARIANT_CLAUSES`]; the judges here decide the rest.

pub mod clauses;
mod endpoint_model;
mod judges;
pub mod observed;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::invariants::{InvariantResult, Violation, WorldFacts};
use crate::topology::Topology;
use crate::trace::SimEvent;
use crate::world::Input;
use endpoint_model::EndpointModel;
use observed::Observed;

pub use clauses::{Clause, ClauseKind, all_clauses};

/// Everything a judge may read of one run.
pub struct Run<'a> {
    pub topology: &'a Topology,
    pub facts: &'a WorldFacts,
    pub events: &'a [SimEvent],
    pub inputs: &'a [Input],
    /// Simulated time at the end of the run.
    pub end: Duration,
}

/// Clauses decided by the invariant checkers (`crate::invariants`), by the checker's name.
pub const INVARIANT_CLAUSES: &[(&str, &str)] = &[
    (
        "EP-STMT-1/nothing-before-acceptance",
        "no KSN traffic before acceptance or after withdrawal",
    ),
    (
        "EP-STAT-1/conserved",
        "no statistics record lost or counted twice",
    ),
    (
        "SRV-STAT-1/counted-once",
        "each KSN server's own count agrees with its request log",
    ),
    (
        "EP-DNS-1/public-only-after-system-failure",
        "public DNS only after the system DNS failed, and only where allowed",
    ),
    (
        "EP-RATE-1/honoured",
        "no request to a server before its Retry-After ran out",
    ),
    (
        "EP-STATUS-1/unavailable-after-15-minutes",
        "the status tells the truth",
    ),
    (
        "PX-TYPE-1/own-ksn-only",
        "Private KSN traffic never reaches the Global KSN, and the other way round",
    ),
    (
        "PX-CACHE-4/tenant-own-entries",
        "no tenant gets an answer cached for another",
    ),
];

/// What one judge found: per clause, whether the run held something to judge, and the first violation.
#[derive(Debug, Default)]
pub struct Findings {
    found: BTreeMap<&'static str, (bool, Option<Violation>)>,
}

impl Findings {
    /// The run held something that `clause` judges.
    pub fn exercised(&mut self, clause: &'static str) {
        self.found.entry(clause).or_default().0 = true;
    }

    /// `clause` broke at the event `index` (None: seen at the end of the run); the first one is kept.
    pub fn violated(&mut self, run: &Observed, clause: &'static str, index: Option<usize>, message: String) {
        let entry = self.found.entry(clause).or_default();
        entry.0 = true;
        if entry.1.is_none() {
            entry.1 = Some(Violation {
                index,
                event: index.and_then(|i| run.events.get(i).cloned()),
                message,
            });
        }
    }
}

/// A judge: decides some clauses over a whole run.
pub trait Judge {
    /// Its name in the coverage table (the file it lives in).
    fn name(&self) -> &'static str;
    /// The clauses it decides (ids of `features/clauses.toml`).
    fn clauses(&self) -> &'static [&'static str];
    /// `model` is every endpoint's predicted state, built once per run for all judges.
    fn judge(&self, run: &Observed, model: &EndpointModel, facts: &WorldFacts, findings: &mut Findings);
}

/// Runs every judge over `run`; one result per clause the judges decide, in the catalogue's order.
pub fn judge(run: &Run) -> Vec<InvariantResult> {
    let observed = Observed::new(run.topology, run.events, run.inputs, run.end);
    let model = EndpointModel::build(&observed);
    let mut findings = Findings::default();
    for judge in judges::all() {
        judge.judge(&observed, &model, run.facts, &mut findings);
    }
    all_clauses()
        .iter()
        .filter(|clause| !INVARIANT_CLAUSES.iter().any(|(id, _)| *id == clause.id))
        .map(|clause| {
            let (exercised, violation) = findings.found.remove(clause.id).unwrap_or_default();
            InvariantResult {
                requirement: clause.requirement,
                name: clause.id,
                violation,
                exercised,
            }
        })
        .collect()
}

/// Which judge decides each clause: a judge of `judges/` or an invariant checker. A clause with none is a
/// gap (COVERAGE.md shows it, and a test fails on it).
pub fn judge_of(clause: &str) -> Option<String> {
    if let Some((_, name)) = INVARIANT_CLAUSES.iter().find(|(id, _)| *id == clause) {
        return Some(format!("invariant: {name}"));
    }
    judges::all()
        .iter()
        .find(|judge| judge.clauses().contains(&clause))
        .map(|judge| format!("judge: {}", judge.name()))
}

/// The clauses a result of `check_invariants` decides: a judge's result is its clause; an invariant checker's
/// result decides the clauses of its requirement that [`INVARIANT_CLAUSES`] gives to invariants (none when
/// judges decide every clause of that requirement).
pub fn clauses_of(result: &InvariantResult) -> Vec<&'static str> {
    if let Some(clause) = all_clauses().iter().find(|c| c.id == result.name) {
        return vec![clause.id];
    }
    INVARIANT_CLAUSES
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| id.split('/').next() == Some(result.requirement))
        .collect()
}
