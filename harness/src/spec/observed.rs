//! The run as the specification reads it: every exchange at every server (request and answer paired), the
//! proxies and what they relay to, when hosts were down, and the scenario's inputs. Built once per run from
//! the trace, which is what the world observed on the wire, never from what an implementation says of itself.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::topology::{KsnKind, Topology};
use crate::trace::{AnswerSeen, SeenRequest, SimEvent, SimEventKind};
use crate::world::{ActionOutcome, EndpointAction, Fault, Input, InputKind, hostnames};

/// One request a server (KSN mock, proxy, rogue server) received, and its answer if it gave one.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// Index of the request's event in the trace.
    pub index: usize,
    pub server: &'a str,
    pub peer: &'a str,
    pub received: Duration,
    pub request: &'a SeenRequest,
    pub answer: Option<Answered<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Answered<'a> {
    pub index: usize,
    pub at: Duration,
    pub status: u16,
    /// `KSN-Cache` (hit, miss, stale).
    pub cache: Option<&'a str>,
    pub seen: &'a AnswerSeen,
    /// The answer is what the contract says it carries: its body reads as the contract's (see
    /// [`AnswerSeen::contract`]), and a lookup's verdicts name only objects the request asked for.
    pub contract: bool,
}

impl Exchange<'_> {
    pub fn status(&self) -> Option<u16> {
        self.answer.map(|a| a.status)
    }

    pub fn is_lookup(&self) -> bool {
        self.request.path.starts_with("/v1/reputation/")
    }

    pub fn is_statistics(&self) -> bool {
        self.request.path.starts_with("/v1/statistics")
    }

    /// A path the contract names, with the method it names for it.
    pub fn is_ping_or_statement(&self) -> bool {
        self.request.path.starts_with("/v1/ping") || self.request.path.starts_with("/v1/statement")
    }

    /// A lookup about `object` that its server had answered before `before` with an answer `what` accepts.
    pub fn answered_about(&self, object: &str, before: Duration, what: impl Fn(&Answered) -> bool) -> bool {
        self.is_lookup()
            && self.request.objects.iter().any(|o| o == object)
            && self.answer.is_some_and(|a| a.at < before && what(&a))
    }

    /// Answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }
}

/// A proxy of the topology and where it sends.
#[derive(Debug, Clone)]
pub struct ProxyFacts {
    /// The host it relays to: a KSN server host, or the next proxy.
    pub upstream: String,
    pub ksn: Option<KsnKind>,
    pub capacity: usize,
    pub timeout: Duration,
    pub stale_grace: Duration,
    /// Its upstream name resolves to a server that must not be trusted.
    pub untrusted_upstream: bool,
}

/// The observed run.
pub struct Observed<'a> {
    pub topology: &'a Topology,
    pub events: &'a [SimEvent],
    pub inputs: &'a [Input],
    pub exchanges: Vec<Exchange<'a>>,
    pub proxies: BTreeMap<String, ProxyFacts>,
    pub end: Duration,
}

/// The proxy's defaults, as its documentation states them (README, `ksn-proxy`): the specification names
/// them so that a topology without a value is judged against what the proxy promises.
pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_PROXY_CAPACITY: usize = 100_000;

impl<'a> Observed<'a> {
    pub fn new(topology: &'a Topology, events: &'a [SimEvent], inputs: &'a [Input], end: Duration) -> Self {
        let mut exchanges: Vec<Exchange<'a>> = Vec::new();
        // A restarted server numbers its exchanges from 0 again: the latest request with a number is the one
        // an answer with that number belongs to.
        let mut open: BTreeMap<(&str, &str, u64), usize> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            match &event.what {
                SimEventKind::ServerRequest {
                    server,
                    peer,
                    exchange,
                    request,
                } => {
                    open.insert((server, peer, *exchange), exchanges.len());
                    exchanges.push(Exchange {
                        index,
                        server,
                        peer,
                        received: event.at,
                        request,
                        answer: None,
                    });
                }
                SimEventKind::ServerAnswer {
                    server,
                    peer,
                    exchange,
                    status,
                    cache,
                    seen,
                    ..
                } => {
                    // An answer broken off mid-way never reached the peer: to it, the exchange went unanswered.
                    let key = (server.as_str(), peer.as_str(), *exchange);
                    if seen.cut {
                        open.remove(&key);
                        continue;
                    }
                    if let Some(i) = open.remove(&key) {
                        let asked = &exchanges[i].request.objects;
                        let contract =
                            seen.contract && seen.verdicts.iter().all(|v| asked.contains(&v.object));
                        exchanges[i].answer = Some(Answered {
                            index,
                            at: event.at,
                            status: *status,
                            cache: cache.as_deref(),
                            seen,
                            contract,
                        });
                    }
                }
                _ => {}
            }
        }
        let proxies = topology
            .proxies
            .iter()
            .map(|p| {
                let upstream = match (&p.upstream, p.ksn) {
                    (Some(next), _) => next.clone(),
                    (None, Some(KsnKind::Private)) => hostnames::PRIVATE_KSN.to_owned(),
                    (None, _) => hostnames::GLOBAL_KSN.to_owned(),
                };
                let facts = ProxyFacts {
                    upstream,
                    ksn: topology.proxy_kind(p),
                    capacity: p.cache_capacity.unwrap_or(DEFAULT_PROXY_CAPACITY),
                    timeout: p
                        .upstream_timeout_ms
                        .map_or(DEFAULT_PROXY_TIMEOUT, Duration::from_millis),
                    stale_grace: Duration::from_secs(p.stale_grace_seconds.unwrap_or(0)),
                    untrusted_upstream: p.poisoned_upstream || p.impostor_upstream,
                };
                (p.name.clone(), facts)
            })
            .collect();
        Self {
            topology,
            events,
            inputs,
            exchanges,
            proxies,
            end,
        }
    }

    /// Exchanges at `server`.
    pub fn at<'s>(&'s self, server: &'s str) -> impl Iterator<Item = &'s Exchange<'a>> + 's {
        self.exchanges.iter().filter(move |e| e.server == server)
    }

    /// The faults applied, with when.
    pub fn faults(&self) -> impl Iterator<Item = (Duration, &'a Fault)> + '_ {
        self.inputs.iter().filter_map(|input| match &input.what {
            InputKind::Fault(fault) => Some((input.started, fault)),
            _ => None,
        })
    }

    /// Every lookup (single or batch) the scenario made an endpoint do: the input (its start and end), the
    /// endpoint, the action and what the agent said came of it.
    pub fn lookups(
        &self,
    ) -> impl Iterator<Item = (&'a Input, &'a str, &'a EndpointAction, &'a ActionOutcome)> + '_ {
        self.inputs.iter().filter_map(|input| match &input.what {
            InputKind::Action {
                host,
                action: action @ (EndpointAction::Lookup(_) | EndpointAction::LookupBatch(_)),
                outcome,
            } => Some((input, host.as_str(), action, outcome.as_ref())),
            _ => None,
        })
    }

    /// Whether `host` was crashed or restarted at any time in `from..=to` (or was down through it).
    pub fn down_between(&self, host: &str, from: Duration, to: Duration) -> bool {
        let mut down = false;
        for (at, fault) in self.faults() {
            let (hit, crash) = match fault {
                Fault::Crash(h) => (h == host, true),
                Fault::Restart(h) => (h == host, false),
                _ => (false, false),
            };
            if !hit {
                continue;
            }
            if at <= from {
                down = crash;
            } else if at <= to {
                return true;
            }
        }
        down
    }

    /// A fault that can stop an exchange (anything but license, Statement and reputation changes) was
    /// applied at or before `at`: a world that is no longer healthy, whose failures need no other reason.
    pub fn any_disturbance_until(&self, at: Duration) -> bool {
        self.faults().any(|(when, fault)| when <= at && disturbs(fault))
    }

    /// A fault of the network or of a host (not of a KSN server's answers) was applied at or before `at`:
    /// an answer a server gave may then never have reached its peer.
    pub fn network_disturbance_until(&self, at: Duration) -> bool {
        self.faults()
            .any(|(when, fault)| when <= at && disturbs(fault) && !matches!(fault, Fault::Ksn { .. }))
    }

    /// The last disturbing fault at or before `at`.
    pub fn last_disturbance_until(&self, at: Duration) -> Option<Duration> {
        self.faults()
            .filter(|(when, fault)| *when <= at && disturbs(fault))
            .map(|(when, _)| when)
            .last()
    }

    pub fn is_ksn_server(host: &str) -> bool {
        host == hostnames::GLOBAL_KSN || host == hostnames::PRIVATE_KSN
    }

    pub fn is_untrusted_server(host: &str) -> bool {
        host == hostnames::ROGUE || host == hostnames::IMPOSTOR
    }

    /// The KSN kind of a server host.
    pub fn ksn_of_server(host: &str) -> Option<KsnKind> {
        match host {
            hostnames::GLOBAL_KSN => Some(KsnKind::Global),
            hostnames::PRIVATE_KSN => Some(KsnKind::Private),
            _ => None,
        }
    }

    /// Which KSN a request to `server` ends at: a KSN server's own kind, or a proxy's.
    pub fn ksn_behind(&self, server: &str) -> Option<KsnKind> {
        Self::ksn_of_server(server).or_else(|| self.proxies.get(server).and_then(|p| p.ksn))
    }
}

/// Faults that can make an exchange fail without any implementation being wrong.
fn disturbs(fault: &Fault) -> bool {
    !matches!(
        fault,
        Fault::License { .. } | Fault::PublishStatement { .. } | Fault::Repair { .. } | Fault::Release { .. }
    )
}

/// A short form of an event for a violation message.
pub fn at_ms(at: Duration) -> String {
    format!("{} ms", at.as_millis())
}
