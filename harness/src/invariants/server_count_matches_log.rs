//! SRV-STAT-1 from the server's own side: at the end of a run, what each KSN server says it counted equals
//! what its request log supports: the statistics uploads it acknowledged with 202 and their records, each
//! Idempotency-Key once. The scenario checks and EP-STAT-1 deduplicate by key themselves; this one catches a
//! server that counts a repeated key twice (or forgets to count, records or uploads) while answering as if it
//! did not.

use std::collections::BTreeMap;

use ksnsim_mocks::StatisticsTotals;

use super::uploads::acknowledged_uploads;
use super::{Invariant, Violation, WorldFacts, at_end};
use crate::trace::{SimEvent, SimEventKind};

pub struct ServerCountMatchesLog;

/// What each KSN server acknowledged in the trace (see [`acknowledged_uploads`]), as the server would count it.
fn acknowledged_per_server(events: &[SimEvent]) -> BTreeMap<&str, StatisticsTotals> {
    let mut acknowledged: BTreeMap<&str, StatisticsTotals> = BTreeMap::new();
    for upload in acknowledged_uploads(events) {
        let totals = acknowledged.entry(upload.server).or_default();
        totals.records += upload.records as u64;
        totals.uploads += 1;
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
            let logged = acknowledged.get(server.as_str()).copied().unwrap_or_default();
            if logged != *counted {
                let message = format!(
                    "{server} says it counted {} statistics records in {} uploads, but its log shows {} records in {} \
                     uploads acknowledged (each Idempotency-Key once)",
                    counted.records, counted.uploads, logged.records, logged.uploads
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
