//! Names and the servers they lead to (EP-DNS-1, EP-DNS-2, PX-TLS-1): public DNS only where allowed and in
//! the product's order, a fallback that happens when the system DNS fails, and no request ever reaching a
//! server that a poisoned answer pointed to.

use ksnsim_reference::agent::PUBLIC_DNS;

use super::super::endpoint_model::EndpointModel;
use super::super::observed::{Observed, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;
use crate::trace::SimEventKind;
use crate::world::{DnsTarget, Fault};

pub struct NameResolution;

const CLAUSES: &[&str] = &[
    "EP-DNS-1/public-only-when-allowed",
    "EP-DNS-1/public-in-order",
    "EP-DNS-1/falls-back",
    "EP-DNS-2/no-data-to-wrong-server",
    "PX-TLS-1/no-data-to-untrusted",
];

impl Judge for NameResolution {
    fn name(&self) -> &'static str {
        "name_resolution"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, model: &EndpointModel, _facts: &WorldFacts, findings: &mut Findings) {
        public_dns(run, model, findings);
        falls_back(run, model, findings);
        untrusted_servers(run, findings);
    }
}

fn public_index(server: &str) -> Option<usize> {
    PUBLIC_DNS.iter().position(|ip| ip.to_string() == server)
}

/// Each public DNS query: allowed at that moment, and in order: a resolution starts at the first public
/// server and moves to the next only after the one before it was asked.
fn public_dns(run: &Observed, model: &EndpointModel, findings: &mut Findings) {
    // Per endpoint: the highest position asked in the current fallback (None: none since the system DNS).
    let mut reached: std::collections::BTreeMap<&str, Option<usize>> = Default::default();
    for (index, event) in run.events.iter().enumerate() {
        let SimEventKind::Dns {
            host,
            server,
            public,
            name,
            ..
        } = &event.what
        else {
            continue;
        };
        if !model.follows(host) {
            continue;
        }
        if !public {
            reached.insert(host, None);
            continue;
        }
        findings.exercised("EP-DNS-1/public-only-when-allowed");
        findings.exercised("EP-DNS-1/public-in-order");
        if model.allows(host, event.at, |s| s.public_dns_allowed()) == Some(false) {
            let message = format!(
                "{host} asked the public DNS server {server} for {name} at {}, where public DNS is not allowed",
                at_ms(event.at)
            );
            findings.violated(run, "EP-DNS-1/public-only-when-allowed", Some(index), message);
        }
        let Some(position) = public_index(server) else {
            continue;
        };
        let last = reached.get(host.as_str()).copied().flatten();
        let in_order = match last {
            None => position == 0,
            Some(last) => position <= last + 1,
        };
        if !in_order {
            let expected = last.map_or(0, |l| l + 1);
            let message = format!(
                "{host} asked the public DNS server {server} (number {} of the product's list) at {}, but the next in \
                 order was {} ({})",
                position + 1,
                at_ms(event.at),
                expected + 1,
                PUBLIC_DNS
                    .get(expected)
                    .map_or("none".into(), |ip| ip.to_string())
            );
            findings.violated(run, "EP-DNS-1/public-in-order", Some(index), message);
        }
        reached.insert(host, Some(last.map_or(position, |l| l.max(position))));
    }
}

/// A lookup made while the system DNS fails (and the public servers answer), by an endpoint allowed public
/// DNS, asks a public server before it gives up.
fn falls_back(run: &Observed, model: &EndpointModel, findings: &mut Findings) {
    for (input, host, action, outcome) in run.lookups() {
        let (start, end) = (input.started, input.ended);
        let allowed =
            |s: &super::super::endpoint_model::EndpointState| s.lookups_allowed() && s.public_dns_allowed();
        if model.allows(host, start, |s| !allowed(s)) != Some(false)
            || model.allows(host, end, |s| !allowed(s)) != Some(false)
        {
            continue;
        }
        let mut system_fails = false;
        let mut other = false;
        for (when, fault) in run.faults() {
            if when > start {
                continue;
            }
            match fault {
                Fault::Dns {
                    target: DnsTarget::System,
                    mode,
                } => {
                    // A poisoned answer is an answer (EP-DNS-2), not a failure that calls for the fallback.
                    system_fails = !matches!(
                        mode,
                        ksnsim_mocks::DnsMode::Answer | ksnsim_mocks::DnsMode::WrongAddress { .. }
                    );
                }
                Fault::License { .. } | Fault::PublishStatement { .. } => {}
                _ => other = true,
            }
        }
        if !system_fails || other {
            continue;
        }
        // Only a lookup that had to resolve: one whose endpoint asked the system DNS during it.
        let resolved = run.events.iter().any(|e| {
            e.at >= start
                && e.at <= end
                && matches!(&e.what, SimEventKind::Dns { host: h, public: false, .. } if h == host)
        });
        if !resolved {
            continue;
        }
        findings.exercised("EP-DNS-1/falls-back");
        let asked_public = run.events.iter().any(|e| {
            e.at >= start
                && e.at <= end
                && matches!(&e.what, SimEventKind::Dns { host: h, public: true, .. } if h == host)
        });
        if !asked_public && !outcome.ok() {
            let message = format!(
                "{host}'s {} at {} failed ({}) after the system DNS failed, without asking the public DNS servers, \
                 which it is allowed to use",
                action.describe(),
                at_ms(start),
                outcome.summary()
            );
            findings.violated(run, "EP-DNS-1/falls-back", None, message);
        }
    }
}

/// The rogue server (a certificate from an untrusted CA) and the impostor (a trusted certificate for another
/// name) never receive a request: TLS must fail before any data is sent.
fn untrusted_servers(run: &Observed, findings: &mut Findings) {
    let poisoned = run.faults().any(|(_, f)| {
        matches!(
            f,
            Fault::Dns {
                mode: ksnsim_mocks::DnsMode::WrongAddress { .. },
                ..
            }
        )
    });
    if poisoned {
        findings.exercised("EP-DNS-2/no-data-to-wrong-server");
    }
    if run.proxies.values().any(|p| p.untrusted_upstream) {
        findings.exercised("PX-TLS-1/no-data-to-untrusted");
    }
    for exchange in &run.exchanges {
        if !Observed::is_untrusted_server(exchange.server) {
            continue;
        }
        let clause = if run.proxies.contains_key(exchange.peer) {
            "PX-TLS-1/no-data-to-untrusted"
        } else {
            "EP-DNS-2/no-data-to-wrong-server"
        };
        let message = format!(
            "{} sent {} {} to {} at {}: a server whose certificate it must not trust received request data",
            exchange.peer,
            exchange.request.method,
            exchange.request.path,
            exchange.server,
            at_ms(exchange.received)
        );
        findings.violated(run, clause, Some(exchange.index), message);
    }
}
