//! EP-STMT-1 and EP-STMT-3: an endpoint sends nothing before it accepted the Statement, nothing after a full
//! withdrawal, and no statistics after statistics were withdrawn.

use std::collections::BTreeMap;

use super::{Invariant, Violation, WorldFacts, violation};
use crate::trace::{SimEvent, SimEventKind};

pub struct NoTrafficWithoutConsent;

/// What an endpoint may send, as its consent events say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    Nothing,
    LookupsOnly,
    Everything,
}

fn allowed_after(consent: &str) -> Allowed {
    if consent.starts_with("accepted") {
        Allowed::Everything
    } else if consent.ends_with("withdrawn for statistics") {
        Allowed::LookupsOnly
    } else {
        Allowed::Nothing
    }
}

impl Invariant for NoTrafficWithoutConsent {
    fn requirement(&self) -> &'static str {
        "EP-STMT-1"
    }

    fn name(&self) -> &'static str {
        "no KSN traffic before acceptance or after withdrawal"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let mut consent: BTreeMap<&str, Allowed> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            match &event.what {
                SimEventKind::State { host, what, to, .. } if what == "consent" => {
                    consent.insert(host, allowed_after(to));
                }
                SimEventKind::ClientRequest { host, path, .. } if facts.is_endpoint(host) => {
                    let allowed = consent.get(host.as_str()).copied().unwrap_or(Allowed::Nothing);
                    let statistics = path.starts_with("/v1/statistics");
                    let breaks = match allowed {
                        Allowed::Nothing => true,
                        Allowed::LookupsOnly => statistics,
                        Allowed::Everything => false,
                    };
                    if breaks {
                        let message = format!("{host} sent {path} while its consent allowed {allowed:?}");
                        return violation(index, event, message);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        super::any_endpoint_request(facts, events)
    }
}
