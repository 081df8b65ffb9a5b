//! PX-TYPE-1 and EP-LIC-3: nothing from a Private KSN endpoint or proxy reaches the Global KSN, and nothing
//! from a Global KSN one reaches the Private KSN. An endpoint's KSN may change during a run (its `ksn`
//! state events say when).

use std::collections::BTreeMap;

use super::{Invariant, Violation, WorldFacts, violation};
use crate::topology::KsnKind;
use crate::trace::{SimEvent, SimEventKind};

pub struct KsnTypeIsolation;

/// The server host of each KSN.
fn server_kind(server: &str) -> Option<KsnKind> {
    match server {
        "ksn-global" => Some(KsnKind::Global),
        "ksn-private" => Some(KsnKind::Private),
        _ => None,
    }
}

impl Invariant for KsnTypeIsolation {
    fn requirement(&self) -> &'static str {
        "PX-TYPE-1"
    }

    fn name(&self) -> &'static str {
        "Private KSN traffic never reaches the Global KSN, and the other way round"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let mut kinds: BTreeMap<&str, KsnKind> =
            facts.endpoints.iter().map(|(n, f)| (n.as_str(), f.ksn)).collect();
        kinds.extend(facts.proxies.iter().map(|(n, k)| (n.as_str(), *k)));
        for (index, event) in events.iter().enumerate() {
            match &event.what {
                SimEventKind::State { host, what, to, .. } if what == "ksn" => {
                    let kind = if to.starts_with("private") {
                        KsnKind::Private
                    } else {
                        KsnKind::Global
                    };
                    kinds.insert(host, kind);
                }
                SimEventKind::ServerRequest {
                    server,
                    peer,
                    request,
                    ..
                } => {
                    let Some(server_kind) = server_kind(server) else {
                        continue;
                    };
                    if let Some(peer_kind) = kinds.get(peer.as_str())
                        && *peer_kind != server_kind
                    {
                        let message = format!(
                            "{server} ({server_kind:?} KSN) received {} from {peer}, which uses the {peer_kind:?} KSN",
                            request.path
                        );
                        return violation(index, event, message);
                    }
                    if server_kind == KsnKind::Global && request.tenant.is_some() {
                        let message = format!("{server} received a Private KSN license from {peer}");
                        return violation(index, event, message);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        let _ = facts;
        events.iter().any(|e| {
            matches!(&e.what, SimEventKind::ServerRequest { server, .. } if server_kind(server).is_some())
        })
    }
}
