//! PX-CACHE-4: one tenant never gets another's answer. Two ways to see that one did:
//! - a lookup a proxy answered 200 to an endpoint whose license the Private KSN has never registered can only
//!   have come from someone else's cache entry;
//! - a lookup a proxy answered 200 to tenant T asks about an object that no answer from the proxy's upstream
//!   ever gave the proxy for T: whatever the proxy served, it had it from another tenant's request (a cache or
//!   a coalescing key without the tenant). Followed object by object, so that batches count too.
//!
//! Only proxies' answers are judged: a KSN server answers from no cache, and its own 200 to an unregistered
//! tenant (the mock's `garbage` fault answers 200 to everyone) is no cross-tenant answer. Found by
//! `ksnsim explore`, kept in `features/regressions/13-garbage-is-not-a-cross-tenant-answer.feature`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Invariant, Violation, WorldFacts, violation};
use crate::trace::{SeenRequest, SimEvent, SimEventKind};

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
        // Each request in flight at each server, by exchange number.
        let mut asked: BTreeMap<(&str, u64), &SeenRequest> = BTreeMap::new();
        // (proxy, tenant, object) a proxy's upstream answered 200 for: what the proxy may serve that tenant.
        let mut fetched: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
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
                } if request.tenant.is_some() && !request.objects.is_empty() => {
                    asked.insert((server.as_str(), *exchange), request);
                }
                SimEventKind::ServerAnswer {
                    server,
                    peer,
                    exchange,
                    status,
                    path,
                    ..
                } => {
                    let Some(request) = asked.remove(&(server.as_str(), *exchange)) else {
                        continue;
                    };
                    let Some(tenant) = request.tenant.as_deref() else {
                        continue;
                    };
                    if *status != 200 {
                        continue;
                    }
                    if facts.proxies.contains_key(peer) {
                        for object in &request.objects {
                            fetched.insert((peer.as_str(), tenant, object.as_str()));
                        }
                    }
                    if !facts.proxies.contains_key(server) || !facts.is_endpoint(peer) {
                        continue;
                    }
                    if !ever_registered.contains(tenant) {
                        let message = format!(
                            "{server} answered 200 to {peer} for {path}, but tenant {tenant} was never registered: \
                             the answer came from another tenant's cache"
                        );
                        return violation(index, event, message);
                    }
                    let never_fetched = request
                        .objects
                        .iter()
                        .find(|object| !fetched.contains(&(server.as_str(), tenant, object.as_str())));
                    if let Some(object) = never_fetched {
                        let message = format!(
                            "{server} answered 200 to {peer} (tenant {tenant}) about {object}, but its upstream never \
                             answered {server} about it for tenant {tenant}: the answer came from another tenant's \
                             request"
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
