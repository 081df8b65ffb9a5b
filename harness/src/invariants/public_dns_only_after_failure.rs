//! EP-DNS-1: an endpoint asks a public DNS server only after its system DNS failed, and only while the
//! fallback is allowed.

use std::collections::BTreeMap;

use super::{Invariant, Violation, WorldFacts, violation};
use crate::trace::{SimEvent, SimEventKind};

pub struct PublicDnsOnlyAfterFailure;

/// A DNS outcome that gave addresses is printed as the address list.
fn succeeded(outcome: &str) -> bool {
    outcome.starts_with('[')
}

impl Invariant for PublicDnsOnlyAfterFailure {
    fn requirement(&self) -> &'static str {
        "EP-DNS-1"
    }

    fn name(&self) -> &'static str {
        "public DNS only after the system DNS failed, and only when allowed"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let mut allowed: BTreeMap<&str, bool> = facts
            .endpoints
            .iter()
            .map(|(n, f)| (n.as_str(), f.allow_public_dns))
            .collect();
        // The last system DNS outcome of each endpoint, and whether it failed.
        let mut system_failed: BTreeMap<&str, bool> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            match &event.what {
                SimEventKind::State { host, what, to, .. } if what == "public dns allowed" => {
                    allowed.insert(host, to == "true");
                }
                SimEventKind::Dns {
                    host,
                    public: false,
                    outcome,
                    ..
                } => {
                    system_failed.insert(host, !succeeded(outcome));
                }
                SimEventKind::Dns {
                    host,
                    server,
                    public: true,
                    ..
                } => {
                    if !allowed.get(host.as_str()).copied().unwrap_or(false) {
                        return violation(
                            index,
                            event,
                            format!("{host} asked public DNS {server} though it is not allowed"),
                        );
                    }
                    if !system_failed.get(host.as_str()).copied().unwrap_or(false) {
                        let message =
                            format!("{host} asked public DNS {server} before its system DNS failed");
                        return violation(index, event, message);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        events.iter().any(|e| match &e.what {
            SimEventKind::Dns {
                host, public: true, ..
            } => facts.is_endpoint(host),
            SimEventKind::Dns {
                host,
                public: false,
                outcome,
                ..
            } => facts.is_endpoint(host) && !succeeded(outcome),
            _ => false,
        })
    }
}
