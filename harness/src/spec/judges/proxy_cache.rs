//! A proxy's cache, modelled from what it fetched (PX-CACHE-1..7, PX-STALE-1): for each proxy, the verdicts
//! it got from upstream by (tenant, object), when and with which ttl, and their recency. Each answer the
//! proxy gave without going upstream must come from a fresh verdict of the same tenant; each request it sent
//! upstream must be for something it did not hold fresh.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::endpoint_model::EndpointModel;
use super::super::observed::{Exchange, Observed, ProxyFacts, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;

pub struct ProxyCache;

const CLAUSES: &[&str] = &[
    "PX-CACHE-1/hit-within-ttl",
    "PX-CACHE-1/hit-is-the-verdict",
    "PX-CACHE-2/no-verdict-past-ttl",
    "PX-CACHE-2/ttl-left",
    "PX-CACHE-3/no-cached-garbage",
    "PX-CACHE-4/no-answer-from-another-tenant-entry",
    "PX-CACHE-5/forward-only-misses",
    "PX-CACHE-6/coalesce",
    "PX-CACHE-7/bounded-lru",
    "PX-STALE-1/only-for-outages",
    "PX-STALE-1/within-grace",
];

/// Clock tolerance between a proxy's own reading of a ttl and the trace's.
const TOLERANCE: Duration = Duration::from_secs(1);

type Key = (Option<String>, String);

#[derive(Debug, Clone)]
struct Held {
    verdict: String,
    /// When the upstream answered it.
    fetched: Duration,
    ttl: Duration,
    statement: Option<String>,
    /// False after the proxy restarted: it may or may not still hold it.
    certain: bool,
    /// Recency: the sequence number of its last use (stored or served).
    used: u64,
}

impl Held {
    fn expires(&self) -> Duration {
        self.fetched + self.ttl
    }
}

impl Judge for ProxyCache {
    fn name(&self) -> &'static str {
        "proxy_cache"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, _model: &EndpointModel, _facts: &WorldFacts, findings: &mut Findings) {
        for (name, proxy) in &run.proxies {
            judge_proxy(run, name, proxy, findings);
        }
    }
}

enum Step<'a, 'b> {
    /// The proxy's upstream answered it.
    Fetched(&'b Exchange<'a>),
    /// The proxy sent a request upstream.
    Asked(&'b Exchange<'a>),
    /// The proxy answered a client.
    Answered(&'b Exchange<'a>),
    Restarted,
}

fn judge_proxy(run: &Observed, name: &str, proxy: &ProxyFacts, findings: &mut Findings) {
    let received: Vec<&Exchange> = run.at(name).filter(|e| e.is_lookup()).collect();
    let sent: Vec<&Exchange> = run
        .exchanges
        .iter()
        .filter(|e| e.peer == name && e.is_lookup())
        .collect();
    let mut steps: Vec<(Duration, u8, usize, Step)> = Vec::new();
    for u in &sent {
        steps.push((u.received, 1, u.index, Step::Asked(u)));
        if let Some(a) = u.answer {
            steps.push((a.at, 2, a.index, Step::Fetched(u)));
        }
    }
    for c in &received {
        if let Some(a) = c.answer {
            steps.push((a.at, 3, a.index, Step::Answered(c)));
        }
    }
    for (at, fault) in run.faults() {
        if matches!(fault, crate::world::Fault::Restart(h) | crate::world::Fault::Crash(h) if h == name) {
            steps.push((at, 0, 0, Step::Restarted));
        }
    }
    steps.sort_by_key(|(at, order, index, _)| (*at, *order, *index));

    let distinct_keys: std::collections::BTreeSet<Key> = sent
        .iter()
        .flat_map(|u| {
            u.request
                .objects
                .iter()
                .map(|o| (u.request.tenant.clone(), o.clone()))
        })
        .collect();
    let may_evict = distinct_keys.len() > proxy.capacity;
    let mut held: BTreeMap<Key, Held> = BTreeMap::new();
    let mut seq: u64 = 0;
    // Keys used since `used`, for the LRU bound (only counted where eviction can happen at all). The verdicts
    // of one answer share a stamp: the order a proxy stores a batch's verdicts in is its own. So a key used in
    // the same answer counts as maybe newer where a hit is demanded (`+ 1` for the key itself below), and as
    // not newer where a hit is forbidden (`judge_local_answer`).
    let used_since = |held: &BTreeMap<Key, Held>, used: u64| held.values().filter(|h| h.used >= used).count();
    // The last upstream request per key that has not been answered yet (coalescing).
    let mut in_flight: BTreeMap<Key, &Exchange> = BTreeMap::new();
    // The last verdict fetched per key, not yet shown to have reached the proxy.
    let mut fetched: BTreeMap<Key, Held> = BTreeMap::new();

    for (_, _, _, step) in steps {
        match step {
            Step::Restarted => {
                for h in held.values_mut() {
                    h.certain = false;
                }
                in_flight.clear();
            }
            Step::Fetched(u) => {
                let a = u.answer.expect("fetched exchanges are answered");
                for o in &u.request.objects {
                    let key = (u.request.tenant.clone(), o.clone());
                    if in_flight.get(&key).is_some_and(|f| f.index == u.index) {
                        in_flight.remove(&key);
                    }
                }
                if a.status != 200 || !a.contract {
                    continue;
                }
                // Fetched, but held only once the proxy shows it has it: it passed the verdict on to a client
                // (an answer still on its way when the client left may never have reached the proxy).
                for v in &a.seen.verdicts {
                    let key = (u.request.tenant.clone(), v.object.clone());
                    let entry = Held {
                        verdict: v.verdict.clone(),
                        fetched: a.at,
                        ttl: Duration::from_secs(v.ttl),
                        statement: u.request.statement.clone(),
                        certain: true,
                        used: 0,
                    };
                    fetched.insert(key, entry);
                }
            }
            Step::Asked(u) => {
                let batch = u.request.path.starts_with("/v1/reputation/batch");
                for o in &u.request.objects {
                    let key = (u.request.tenant.clone(), o.clone());
                    if let Some(h) = held.get(&key)
                        && h.certain
                        && h.fetched < u.received
                        && h.statement == u.request.statement
                        && u.received + TOLERANCE < h.expires()
                        && (!may_evict || used_since(&held, h.used) < proxy.capacity)
                    {
                        let clause = if batch {
                            "PX-CACHE-5/forward-only-misses"
                        } else {
                            "PX-CACHE-1/hit-within-ttl"
                        };
                        let message = format!(
                            "{name} asked {} for {o} at {}, though it held that verdict, fetched at {} with a ttl of {} s",
                            u.server,
                            at_ms(u.received),
                            at_ms(h.fetched),
                            h.ttl.as_secs()
                        );
                        findings.violated(run, clause, Some(u.index), message);
                    }
                    if !batch {
                        // A request the proxy has waited on for longer than its upstream timeout is one it gave
                        // up on, whether or not it could tell its client (who may have left already).
                        if let Some(first) = in_flight.get(&key)
                            && first.request.statement == u.request.statement
                            && u.received < first.received + proxy.timeout
                        {
                            let message = format!(
                                "{name} asked {} for {o} at {} while its request for the same verdict, sent at {}, was \
                                 still unanswered: concurrent identical misses should share one upstream request",
                                u.server,
                                at_ms(u.received),
                                at_ms(first.received)
                            );
                            findings.violated(run, "PX-CACHE-6/coalesce", Some(u.index), message);
                        }
                        in_flight.insert(key, u);
                    }
                }
                if batch {
                    findings.exercised("PX-CACHE-5/forward-only-misses");
                } else {
                    findings.exercised("PX-CACHE-1/hit-within-ttl");
                }
            }
            Step::Answered(c) => {
                let a = c.answer.expect("answered");
                // The proxy answered: whatever it fetched for this client has ended, from its side.
                for o in &c.request.objects {
                    in_flight.remove(&(c.request.tenant.clone(), o.clone()));
                }
                reached(proxy, c, &held, &sent, findings);
                if a.status != 200 {
                    continue;
                }
                if !a.contract {
                    let asked = sent.iter().any(|u| {
                        u.request.tenant == c.request.tenant
                            && u.request.objects.iter().any(|o| c.request.objects.contains(o))
                            && u.received <= a.at
                            && u.answer.is_some_and(|ua| ua.at >= c.received)
                    });
                    findings.exercised("PX-CACHE-3/no-cached-garbage");
                    if !asked {
                        let message = format!(
                            "{name} answered {} {} from {} at {} with a 200 that is not a verdict, without asking \
                             upstream: an answer that breaks the contract is never cached",
                            c.request.method,
                            c.request.path,
                            c.peer,
                            at_ms(a.at)
                        );
                        findings.violated(run, "PX-CACHE-3/no-cached-garbage", Some(a.index), message);
                    }
                    continue;
                }
                // The verdict came from upstream when an upstream 200 carrying it arrived while the client
                // waited; an answer marked stale never did, whatever the upstream said.
                let stale = a.cache == Some("stale");
                let went_upstream = |o: &String| {
                    !stale
                        && sent.iter().any(|u| {
                            u.request.tenant == c.request.tenant
                                && u.request.objects.contains(o)
                                && u.received <= a.at
                                && u.answer.is_some_and(|ua| {
                                    ua.at >= c.received && ua.at <= a.at && ua.status == 200 && ua.contract
                                })
                        })
                };
                // First every verdict served locally, against the cache as it was before this answer; then
                // the answer's verdicts are stamped as used, all with one stamp.
                let local: Vec<bool> = a
                    .seen
                    .verdicts
                    .iter()
                    .map(|v| !went_upstream(&v.object))
                    .collect();
                for (v, _) in a.seen.verdicts.iter().zip(&local).filter(|(_, local)| **local) {
                    judge_local_answer(run, name, proxy, c, v, &held, &sent, may_evict, findings);
                }
                seq += 1;
                for (v, local) in a.seen.verdicts.iter().zip(local) {
                    let key = (c.request.tenant.clone(), v.object.clone());
                    if !local && let Some(mut entry) = fetched.remove(&key) {
                        entry.used = seq;
                        held.insert(key, entry);
                    } else if let Some(h) = held.get_mut(&key) {
                        h.used = seq;
                    }
                }
            }
        }
    }
    if received.len() > 1 {
        findings.exercised("PX-CACHE-6/coalesce");
    }
}

/// The situations in which a wrong answer from cache would show, whatever this answer was: a verdict held
/// past its ttl by a proxy that may serve stale ones, a verdict held for another tenant, an upstream answer
/// that broke the contract for this object before.
fn reached(
    proxy: &ProxyFacts,
    c: &Exchange,
    held: &BTreeMap<Key, Held>,
    sent: &[&Exchange],
    findings: &mut Findings,
) {
    for object in &c.request.objects {
        let key = (c.request.tenant.clone(), object.clone());
        if !proxy.stale_grace.is_zero() && held.get(&key).is_some_and(|h| h.expires() <= c.received) {
            findings.exercised("PX-STALE-1/within-grace");
            findings.exercised("PX-STALE-1/only-for-outages");
        }
        if held.keys().any(|(t, o)| o == object && *t != c.request.tenant) {
            findings.exercised("PX-CACHE-4/no-answer-from-another-tenant-entry");
        }
        let garbage_before = sent
            .iter()
            .any(|u| u.answered_about(object, c.received, |a| a.status == 200 && !a.contract));
        if garbage_before {
            findings.exercised("PX-CACHE-3/no-cached-garbage");
        }
    }
}

/// A verdict the proxy gave without going upstream for it.
#[allow(clippy::too_many_arguments)]
fn judge_local_answer(
    run: &Observed,
    name: &str,
    proxy: &ProxyFacts,
    c: &Exchange,
    v: &crate::trace::VerdictSeen,
    held: &BTreeMap<Key, Held>,
    sent: &[&Exchange],
    may_evict: bool,
    findings: &mut Findings,
) {
    let a = c.answer.expect("answered");
    let index = Some(a.index);
    let stale = a.cache == Some("stale");
    let how = if stale {
        "from cache, marked stale"
    } else {
        "without a verdict from upstream"
    };
    let what = format!(
        "{name} answered {} as {} to {} at {} {how}",
        v.object,
        v.verdict,
        c.peer,
        at_ms(a.at)
    );
    let key = (c.request.tenant.clone(), v.object.clone());
    let Some(h) = held.get(&key) else {
        // Held for another tenant, or being fetched for one while this client waited (a shared fetch).
        let other_tenant = held
            .iter()
            .any(|((t, o), _)| o == &v.object && t != &c.request.tenant)
            || sent.iter().any(|u| {
                u.request.tenant != c.request.tenant
                    && u.request.objects.contains(&v.object)
                    && u.received <= a.at
                    && u.answer.is_some_and(|ua| ua.at >= c.received)
            });
        if other_tenant {
            findings.exercised("PX-CACHE-4/no-answer-from-another-tenant-entry");
            let message = format!("{what}: it holds or fetched that object only for another tenant");
            findings.violated(
                run,
                "PX-CACHE-4/no-answer-from-another-tenant-entry",
                index,
                message,
            );
        } else {
            findings.exercised("PX-CACHE-2/no-verdict-past-ttl");
            let message = format!("{what}: it never got a verdict for it for this tenant");
            findings.violated(run, "PX-CACHE-2/no-verdict-past-ttl", index, message);
        }
        return;
    };
    if stale {
        findings.exercised("PX-STALE-1/within-grace");
        findings.exercised("PX-STALE-1/only-for-outages");
        if proxy.stale_grace.is_zero() || c.received > h.expires() + proxy.stale_grace + TOLERANCE {
            let message = format!(
                "{what}, {} s after the verdict expired (its grace is {} s)",
                c.received.saturating_sub(h.expires()).as_secs(),
                proxy.stale_grace.as_secs()
            );
            findings.violated(run, "PX-STALE-1/within-grace", index, message);
        }
        // An upstream that answered (anything but a gateway failure) is not an outage.
        let answered = run.exchanges.iter().find(|u| {
            u.peer == name
                && u.request.tenant == c.request.tenant
                && u.request.objects.contains(&v.object)
                && u.received >= c.received
                && u.answer
                    .is_some_and(|ua| ua.at <= a.at && ![502, 503, 504].contains(&ua.status))
        });
        if let Some(u) = answered
            && !run.network_disturbance_until(a.at)
        {
            let message = format!(
                "{what}, although its upstream answered {} at {}: a stale verdict never stands in for an \
                 answer the upstream gave",
                u.status().unwrap_or_default(),
                at_ms(u.answer.map_or(u.received, |x| x.at))
            );
            findings.violated(run, "PX-STALE-1/only-for-outages", index, message);
        }
        return;
    }
    findings.exercised("PX-CACHE-1/hit-is-the-verdict");
    findings.exercised("PX-CACHE-2/no-verdict-past-ttl");
    if h.certain && h.verdict != v.verdict {
        let message = format!("{what}, but the verdict it got from upstream was {}", h.verdict);
        findings.violated(run, "PX-CACHE-1/hit-is-the-verdict", index, message);
    }
    if c.received > h.expires() + TOLERANCE {
        let message = format!(
            "{what}, unmarked, {} s after the verdict's ttl of {} s ran out (fetched at {})",
            (c.received - h.expires()).as_secs(),
            h.ttl.as_secs(),
            at_ms(h.fetched)
        );
        findings.violated(run, "PX-CACHE-2/no-verdict-past-ttl", index, message);
    }
    findings.exercised("PX-CACHE-2/ttl-left");
    let left = h.expires().saturating_sub(c.received);
    if h.certain && Duration::from_secs(v.ttl) > left + TOLERANCE {
        let message = format!(
            "{what} with a ttl of {} s, but only {} s were left of the {} s its upstream gave at {}: a proxy down the \
             chain would keep the verdict longer than the origin allowed",
            v.ttl,
            left.as_secs(),
            h.ttl.as_secs(),
            at_ms(h.fetched)
        );
        findings.violated(run, "PX-CACHE-2/ttl-left", index, message);
    }
    if may_evict {
        findings.exercised("PX-CACHE-7/bounded-lru");
        let newer = held.values().filter(|x| x.used > h.used).count();
        if newer >= proxy.capacity {
            let message = format!(
                "{what}, though {newer} other verdicts were used since it was last used and the cache holds at most {}",
                proxy.capacity
            );
            findings.violated(run, "PX-CACHE-7/bounded-lru", index, message);
        }
    }
}
