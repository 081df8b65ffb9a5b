//! PX-CACHE-4: one tenant never gets another's answer. A lookup a proxy answered 200 to an endpoint whose
//! license the Private KSN has never registered can only have come from someone else's cache entry.
//!
//! Only proxies' answers are judged: a KSN server answers from no cache, and its own 200 to an unregistered
//! tenant (the mock's `garbage` fault answers 200 to everyone) is no cross-tenant answer. Found by
//! `ksnsim explore`, kept in `features/regressions/13-garbage-is-not-a-cross-tenant-answer.feature`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Invariant, Violation, WorldFacts, violation};
use crate::trace::{SimEvent, SimEventKind};

pub struct NoCrossTenantAnswers;

impl Invariant for NoCrossTenantAnswers {
    fn requirement(&self) -> &'static str {
        "PX-CACHE-4"
    }

    fn name(&self) -> &'static str {
        "no answer served across tenants"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let mut ever_registered: BTreeSet<String> = facts.registered_at_start.clone();
        // Tenant of each request in flight at each server, by exchange number.
        let mut asked: BTreeMap<(&str, u64), Option<&str>> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            match &event.what {
                SimEventKind::Fault { description, .. } => {
                    if let Some(tenant) = description.strip_prefix("license registered for tenant ") {
                        ever_registered.insert(tenant.to_owned());
                    }
                }
                SimEventKind::ServerRequest {
                    server,
                    peer,
                    exchange,
                    request,
                } if facts.proxies.contains_key(server)
                    && facts.is_endpoint(peer)
                    && request.path.starts_with("/v1/reputation") =>
                {
                    asked.insert((server.as_str(), *exchange), request.tenant.as_deref());
                }
                SimEventKind::ServerAnswer {
                    server,
                    peer,
                    exchange,
                    status,
                    path,
                    ..
                } => {
                    let Some(tenant) = asked.remove(&(server.as_str(), *exchange)) else {
                        continue;
                    };
                    let Some(tenant) = tenant else { continue };
                    if *status == 200 && !ever_registered.contains(tenant) {
                        let message = format!(
                            "{server} answered 200 to {peer} for {path}, but tenant {tenant} was never registered: \
                             the answer came from another tenant's cache"
                        );
                        return violation(index, event, message);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        events.iter().any(|e| {
            matches!(&e.what, SimEventKind::ServerRequest { server, peer, request, .. }
                if facts.proxies.contains_key(server) && facts.is_endpoint(peer) && request.tenant.is_some())
        })
    }
}
