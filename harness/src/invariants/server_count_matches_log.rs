//! SRV-STAT-1 from the server's own side: at the end of a run, what each KSN server says it counted equals
//! what its request log supports: the records of every statistics upload it acknowledged with 202, each
//! Idempotency-Key once. The scenario checks and EP-STAT-1 deduplicate by key themselves; this one catches a
//! server that counts a repeated key twice (or forgets to count) while answering as if it did not.

use std::collections::BTreeMap;

use super::uploads::acknowledged_uploads;
use super::{Invariant, Violation, WorldFacts, at_end};
use crate::trace::{SimEvent, SimEventKind};

pub struct ServerCountMatchesLog;

/// Records each KSN server acknowledged in the trace (see [`acknowledged_uploads`]).
fn acknowledged_per_server(events: &[SimEvent]) -> BTreeMap<&str, u64> {
    let mut acknowledged: BTreeMap<&str, u64> = BTreeMap::new();
    for upload in acknowledged_uploads(events) {
        *acknowledged.entry(upload.server).or_default() += upload.records as u64;
    }
    acknowledged
}

impl Invariant for ServerCountMatchesLog {
    fn requirement(&self) -> &'static str {
        "SRV-STAT-1"
    }

    fn name(&self) -> &'static str {
        "each KSN server's own count agrees with its request log"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let acknowledged = acknowledged_per_server(events);
        for (server, counted) in &facts.server_counted {
            let logged = acknowledged.get(server.as_str()).copied().unwrap_or(0);
            if logged != *counted {
                let message = format!(
                    "{server} says it counted {counted} statistics records, but its log shows {logged} acknowledged \
                     (each Idempotency-Key once)"
                );
                return at_end(message);
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        let _ = facts;
        events.iter().any(|e| {
            matches!(&e.what, SimEventKind::ServerRequest { request, .. } if request.path.starts_with("/v1/statistics"))
        })
    }
}
