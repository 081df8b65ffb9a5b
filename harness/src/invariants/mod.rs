//! Invariant checkers over a trace: each is named by the requirement it guards and reports the first event
//! that breaks it. They read only the trace and the facts of the world (who is an endpoint, who uses which
//! KSN), so that the same checks judge every scenario and every `ksnsim sim` run.

mod facts;
mod ksn_type_isolation;
mod no_cross_tenant;
mod no_statistics_outside_extended;
mod no_traffic_without_consent;
mod public_dns_only_after_failure;
mod retry_after_honoured;
mod server_count_matches_log;
mod statistics_conserved;
mod status_tells_the_truth;
#[cfg(test)]
mod tests;
mod uploads;

pub use facts::{EndpointFacts, StatusSeen, WorldFacts};

use crate::trace::{SimEvent, SimEventKind};

/// The first event that broke an invariant, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index of the event in the trace (None for end-of-run checks).
    pub index: Option<usize>,
    pub event: Option<SimEvent>,
    pub message: String,
}

/// One invariant's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantResult {
    pub requirement: &'static str,
    pub name: &'static str,
    pub violation: Option<Violation>,
    /// The trace held something this invariant judges (see [`Invariant::exercised`]).
    pub exercised: bool,
}

/// A property every trace must have.
pub trait Invariant {
    /// The requirement id it guards, e.g. `EP-STMT-1`.
    fn requirement(&self) -> &'static str;
    /// What it checks, in a few words.
    fn name(&self) -> &'static str;
    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation>;
    /// Whether the trace held anything this invariant judges: a run where it passes without having had
    /// anything to judge proves nothing about it (`ksnsim explore`'s requirement x fault coverage).
    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool;
}

/// Every invariant, in a fixed order.
pub fn all() -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(no_traffic_without_consent::NoTrafficWithoutConsent),
        Box::new(no_statistics_outside_extended::NoStatisticsOutsideExtended),
        Box::new(no_statistics_outside_extended::NoTrafficWhenNotSending),
        Box::new(ksn_type_isolation::KsnTypeIsolation),
        Box::new(no_cross_tenant::NoCrossTenantAnswers),
        Box::new(statistics_conserved::StatisticsConserved),
        Box::new(server_count_matches_log::ServerCountMatchesLog),
        Box::new(public_dns_only_after_failure::PublicDnsOnlyAfterFailure),
        Box::new(retry_after_honoured::RetryAfterHonoured),
        Box::new(status_tells_the_truth::StatusTellsTheTruth),
    ]
}

/// Runs every invariant over `events`.
pub fn check_all(facts: &WorldFacts, events: &[SimEvent]) -> Vec<InvariantResult> {
    all()
        .iter()
        .map(|invariant| InvariantResult {
            requirement: invariant.requirement(),
            name: invariant.name(),
            violation: invariant.check(facts, events),
            exercised: invariant.exercised(facts, events),
        })
        .collect()
}

/// Any endpoint sent a request to KSN (directly or through a proxy).
pub(crate) fn any_endpoint_request(facts: &WorldFacts, events: &[SimEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(&e.what, SimEventKind::ClientRequest { host, .. } if facts.is_endpoint(host)))
}

pub(crate) fn violation(index: usize, event: &SimEvent, message: String) -> Option<Violation> {
    Some(Violation {
        index: Some(index),
        event: Some(event.clone()),
        message,
    })
}

/// A violation seen only at the end of a run (counts, the final status), with no event to point at.
pub(crate) fn at_end(message: String) -> Option<Violation> {
    Some(Violation {
        index: None,
        event: None,
        message,
    })
}
