//! EP-STAT-1 (and SRV-STAT-1 from the trace's side): every statistics record an endpoint accepted is, at the
//! end, counted once by the KSN server, still queued, or accounted for (overflow counted, deleted on
//! withdrawal); it may be both counted and queued while the server's answer was lost (its retry carries the
//! same key). A record sent again under a new key, or lost in an outage, breaks the balance.

use std::collections::BTreeMap;

use super::uploads::acknowledged_uploads;
use super::{Invariant, Violation, WorldFacts, at_end};
use crate::trace::SimEvent;

pub struct StatisticsConserved;

/// Records the KSN servers accepted, per endpoint, each Idempotency-Key counted once (uploads that name
/// their endpoint and carry a key: the agent's always do).
pub(crate) fn accepted_per_endpoint(events: &[SimEvent]) -> BTreeMap<String, u64> {
    let mut accepted: BTreeMap<String, u64> = BTreeMap::new();
    for upload in acknowledged_uploads(events) {
        if let (Some(client), Some(_)) = (upload.client, upload.key) {
            *accepted.entry(client.to_owned()).or_default() += upload.records as u64;
        }
    }
    accepted
}

impl Invariant for StatisticsConserved {
    fn requirement(&self) -> &'static str {
        "EP-STAT-1"
    }

    fn name(&self) -> &'static str {
        "no statistics record lost or counted twice"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let accepted = accepted_per_endpoint(events);
        for (endpoint, recorded) in &facts.recorded {
            let Some((queued, overflowed, deleted)) = facts.held_at_end.get(endpoint) else {
                continue;
            };
            let counted = accepted.get(endpoint).copied().unwrap_or(0);
            let accounted = counted + queued + deleted;
            // Overflowed records were refused when recorded (the agent said so), so they are not in `recorded`.
            let _ = overflowed;
            // A record can be both counted and still queued: the server's 202 was lost on the way back, and the
            // agent will send it again under the same Idempotency-Key, which the server counts once. So the
            // balance is two inequalities: nothing lost (counted, queued or deleted covers every record), and
            // nothing counted twice (the server, deduplicating by key, counted no more than were recorded).
            let problem = if accounted < *recorded {
                Some(format!("{} lost", recorded - accounted))
            } else if counted > *recorded {
                Some(format!("{} counted twice", counted - recorded))
            } else {
                None
            };
            if let Some(problem) = problem {
                let message = format!(
                    "{endpoint} accepted {recorded} records; the server counted {counted}, {queued} are queued and \
                     {deleted} were deleted on withdrawal: {problem}"
                );
                return at_end(message);
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        let _ = events;
        facts.recorded.values().any(|n| *n > 0)
    }
}
