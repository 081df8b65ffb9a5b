//! A proxy as a relay (PX-FWD-1, PX-AUTH-1, PX-STAT-1, PX-STAT-2, PX-ERR-1..3, PX-CHAIN-1, PX-TLS-1): each
//! request a proxy received is held against the requests it sent upstream meanwhile and what came back.

use std::time::Duration;

use super::super::endpoint_model::EndpointModel;
use super::super::observed::{Exchange, Observed, ProxyFacts, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;

pub struct ProxyRelay;

const CLAUSES: &[&str] = &[
    "PX-FWD-1/answers",
    "PX-FWD-1/relays",
    "PX-ERR-1/bounded",
    "PX-ERR-1/gateway-status",
    "PX-ERR-2/refused",
    "PX-ERR-2/keeps-serving",
    "PX-AUTH-1/headers-unchanged",
    "PX-STAT-1/ack-after-upstream",
    "PX-STAT-1/keep-idempotency-key",
    "PX-STAT-2/not-cached",
    "PX-CACHE-3/no-cached-errors",
    "PX-ERR-3/no-relayed-garbage",
    "PX-CHAIN-1/through-the-chain",
    "PX-TLS-1/502-when-untrusted",
];

/// Beyond its upstream timeout, a proxy has this long to answer (its own work, the last hop's latency).
const ANSWER_SLACK: Duration = Duration::from_secs(2);
/// Statuses a proxy gives of its own to a request it cannot read (contract; 411: catalogue decision).
const REFUSALS: [u16; 5] = [400, 411, 413, 414, 431];

impl Judge for ProxyRelay {
    fn name(&self) -> &'static str {
        "proxy_relay"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, _model: &EndpointModel, _facts: &WorldFacts, findings: &mut Findings) {
        for (name, proxy) in &run.proxies {
            let received: Vec<&Exchange> = run.at(name).collect();
            let sent: Vec<&Exchange> = run.exchanges.iter().filter(|e| e.peer == name.as_str()).collect();
            for exchange in &received {
                answered_in_time(run, name, proxy, exchange, &sent, findings);
                relayed(run, name, proxy, exchange, &sent, findings);
            }
            for upstream in &sent {
                asked_by_a_client(run, name, upstream, &received, findings);
                through_the_chain(run, name, proxy, upstream, findings);
            }
        }
    }
}

/// The upstream exchanges `sent` that serve the client `exchange`: the same kind of request, for the same
/// tenant, and at least one object in common, in flight while the client waited.
fn serving<'a, 'b>(exchange: &Exchange, sent: &'b [&'b Exchange<'a>]) -> Vec<&'b Exchange<'a>> {
    serving_any_tenant(exchange, sent)
        .into_iter()
        .filter(|u| u.request.tenant == exchange.request.tenant)
        .collect()
}

/// As [`serving`], whatever tenant the upstream request carried: whether the proxy asked upstream at all (a
/// proxy that changed the license on the way did ask; PX-AUTH-1 judges the change).
fn serving_any_tenant<'a, 'b>(exchange: &Exchange, sent: &'b [&'b Exchange<'a>]) -> Vec<&'b Exchange<'a>> {
    let until = exchange.answer.map_or(Duration::MAX, |a| a.at);
    sent.iter()
        .copied()
        .filter(|u| {
            let during = u.received <= until && u.answer.is_none_or(|a| a.at >= exchange.received);
            let same_kind = if exchange.is_lookup() {
                u.is_lookup()
                    && u.request
                        .objects
                        .iter()
                        .any(|o| exchange.request.objects.contains(o))
            } else {
                u.request.path == exchange.request.path
            };
            during && same_kind
        })
        .collect()
}

/// Every request is answered within the proxy's upstream timeout and a little, unless the proxy went down.
fn answered_in_time(
    run: &Observed,
    name: &str,
    proxy: &ProxyFacts,
    exchange: &Exchange,
    sent: &[&Exchange],
    findings: &mut Findings,
) {
    let bound = exchange.received + proxy.timeout + ANSWER_SLACK;
    let answered_at = exchange.answer.map(|a| a.at);
    if run.down_between(name, exchange.received, answered_at.unwrap_or(run.end).min(bound)) {
        return;
    }
    if answered_at.is_none() && (run.end < bound || client_gave_up(run, exchange, bound)) {
        return;
    }
    // An upstream that answered in time makes lateness the proxy's own (PX-FWD-1); one that did not, an
    // upstream failure the proxy must bound (PX-ERR-1). A request that went after a bad one: PX-ERR-2.
    let upstream_answered = serving(exchange, sent)
        .iter()
        .any(|u| u.answer.is_some_and(|a| a.at <= bound));
    let after_bad_request = run
        .at(name)
        .any(|e| e.received < exchange.received && is_malformed(e));
    let clause = if after_bad_request {
        "PX-ERR-2/keeps-serving"
    } else if upstream_answered {
        "PX-FWD-1/answers"
    } else {
        "PX-ERR-1/bounded"
    };
    findings.exercised(clause);
    if answered_at.is_none_or(|at| at > bound) {
        let late = answered_at.map_or("never answered".into(), |at| format!("answered at {}", at_ms(at)));
        let message = format!(
            "{name} received {} {} from {} at {} and {late}: it must answer within its upstream timeout ({} ms) and {} s",
            exchange.request.method,
            exchange.request.path,
            exchange.peer,
            at_ms(exchange.received),
            proxy.timeout.as_millis(),
            ANSWER_SLACK.as_secs()
        );
        findings.violated(run, clause, Some(exchange.index), message);
    }
}

/// The client stopped waiting before `bound` (an endpoint that timed out, or a proxy down the chain whose
/// own timeout is no longer): an answer to nobody is not owed, and a server may drop the work.
fn client_gave_up(run: &Observed, exchange: &Exchange, bound: Duration) -> bool {
    if let Some(peer) = run.proxies.get(exchange.peer) {
        return exchange.received + peer.timeout < bound;
    }
    run.events.iter().any(|event| {
        event.at >= exchange.received
            && event.at <= bound
            && matches!(&event.what, crate::trace::SimEventKind::ClientFailed { host, with, .. }
                if host == exchange.peer && with.contains(exchange.server))
    })
}

/// A request the contract cannot read: a lookup naming no object, an upload with no record.
fn is_malformed(exchange: &Exchange) -> bool {
    (exchange.is_lookup() && exchange.request.objects.is_empty())
        || (exchange.is_statistics() && exchange.request.records == 0)
}

/// What the proxy answered, held against what its upstream answered.
fn relayed(
    run: &Observed,
    name: &str,
    proxy: &ProxyFacts,
    exchange: &Exchange,
    sent: &[&Exchange],
    findings: &mut Findings,
) {
    let Some(answer) = exchange.answer else { return };
    let index = Some(answer.index);
    let what = format!(
        "{name} answered {} to {} {} from {} at {}",
        answer.status,
        exchange.request.method,
        exchange.request.path,
        exchange.peer,
        at_ms(answer.at)
    );
    let upstream = serving(exchange, sent);
    if is_malformed(exchange) {
        findings.exercised("PX-ERR-2/refused");
        if !REFUSALS.contains(&answer.status) || !upstream.is_empty() {
            let message = format!(
                "{what}: a request the contract cannot read must get 400/411/413 and go nowhere ({} sent upstream)",
                upstream.len()
            );
            findings.violated(run, "PX-ERR-2/refused", index, message);
        }
        return;
    }
    let stale = answer.cache == Some("stale");
    let last = upstream.iter().rev().find_map(|u| u.answer.map(|a| (u, a)));

    if exchange.is_statistics() {
        findings.exercised("PX-STAT-1/ack-after-upstream");
        let acknowledged = upstream.iter().any(|u| {
            u.request.idempotency_key == exchange.request.idempotency_key
                && u.succeeded()
                && u.answer.is_some_and(|a| a.at <= answer.at && a.contract)
        });
        if (200..300).contains(&answer.status) && !acknowledged {
            let message = format!(
                "{what} before its upstream accepted the upload (no contract 2xx {{\"accepted\":N}} upstream for Idempotency-Key {:?})",
                exchange.request.idempotency_key.as_deref().unwrap_or("(none)")
            );
            findings.violated(run, "PX-STAT-1/ack-after-upstream", index, message);
        }
    } else if exchange.is_ping_or_statement() {
        findings.exercised("PX-STAT-2/not-cached");
        let fetched = upstream.iter().any(|u| u.succeeded());
        if (200..300).contains(&answer.status) && !fetched {
            let message = format!(
                "{what} without asking its upstream: ping and Statement answers are never served from cache"
            );
            findings.violated(run, "PX-STAT-2/not-cached", index, message);
        }
    }

    // PX-CACHE-3 is reached when the proxy answers a lookup after its upstream gave an error for the object.
    let error_given_before = exchange.is_lookup()
        && exchange.request.objects.iter().any(|o| {
            sent.iter()
                .any(|u| u.answered_about(o, exchange.received, |a| a.status >= 400))
        });
    if error_given_before {
        findings.exercised("PX-CACHE-3/no-cached-errors");
    }
    match last {
        Some((u, up)) if !stale => {
            let upstream_said = format!("{} answered {} at {}", u.server, up.status, at_ms(up.at));
            // A well-formed answer whose body breaks the contract: a KSN-aware proxy turns it into 502 (PX-ERR-3,
            // a SHOULD; a generic HTTP proxy that relays it breaks no MUST). Relayed means: the same status, and
            // a body that still breaks the contract.
            if !up.contract && up.status < 300 && !up.seen.cut {
                findings.exercised("PX-ERR-3/no-relayed-garbage");
                if answer.status == up.status && !answer.contract {
                    let message = format!(
                        "{what} that breaks the contract as its upstream's did ({upstream_said}): a KSN-aware \
                         proxy answers 502 upstream_unavailable rather than relay it"
                    );
                    findings.violated(run, "PX-ERR-3/no-relayed-garbage", index, message);
                }
                return;
            }
            if !up.contract || up.status >= 500 {
                return;
            }
            findings.exercised("PX-FWD-1/relays");
            let healthy = !run.any_disturbance_until(answer.at);
            if answer.status != up.status && (answer.status < 500 || healthy) {
                let message = format!("{what}, where {upstream_said}: it must return the upstream's status");
                findings.violated(run, "PX-FWD-1/relays", index, message);
                return;
            }
            // What a 429 tells the client (how long to hold back) travels with it: a relayed 429 without its
            // Retry-After, or with a shorter one, makes every endpoint behind the proxy call too soon (EP-RATE-1).
            // A longer one only holds them back longer.
            if let Some(wait) = up.seen.retry_after
                && answer.status == up.status
                && answer.seen.retry_after.is_none_or(|relayed| relayed < wait)
            {
                let message = format!(
                    "{what} with Retry-After {}, where {upstream_said} with Retry-After {} s: it must return the \
                     upstream's Retry-After",
                    answer
                        .seen
                        .retry_after
                        .map_or("(none)".into(), |s| format!("{s} s")),
                    wait
                );
                findings.violated(run, "PX-FWD-1/relays", index, message);
                return;
            }
            for verdict in &answer.seen.verdicts {
                if let Some(given) = up.seen.verdicts.iter().find(|v| v.object == verdict.object)
                    && given.verdict != verdict.verdict
                {
                    let message = format!(
                        "{what} with {} for {}, where {upstream_said} with {}: it must return the upstream's body",
                        verdict.verdict, verdict.object, given.verdict
                    );
                    findings.violated(run, "PX-FWD-1/relays", index, message);
                }
            }
        }
        Some(_) => {}
        None => {
            // Nothing came back from upstream: a gateway error, or an answer from cache (judged by the cache
            // judge); never an error only an upstream gives.
            let asked = !serving_any_tenant(exchange, sent).is_empty();
            if !asked && [401, 403, 429, 503].contains(&answer.status) {
                findings.exercised("PX-CACHE-3/no-cached-errors");
                let message =
                    format!("{what} without asking its upstream: an error answer is never served from cache");
                findings.violated(run, "PX-CACHE-3/no-cached-errors", index, message);
                return;
            }
            if asked || answer.status == 200 || stale || exchange.is_statistics() && answer.status < 300 {
                return;
            }
            let clause = if proxy.untrusted_upstream {
                "PX-TLS-1/502-when-untrusted"
            } else {
                "PX-ERR-1/gateway-status"
            };
            findings.exercised(clause);
            if ![502, 504].contains(&answer.status) && !REFUSALS.contains(&answer.status) {
                let message = format!("{what} with no answer from its upstream: it must answer 502 or 504");
                findings.violated(run, clause, index, message);
            }
        }
    }
}

/// Every request a proxy sends upstream stands for a client's request it was serving, with the client's
/// headers unchanged (PX-AUTH-1) and the client's Idempotency-Key (PX-STAT-1).
fn asked_by_a_client(
    run: &Observed,
    name: &str,
    upstream: &Exchange,
    received: &[&Exchange],
    findings: &mut Findings,
) {
    let candidates: Vec<&&Exchange> = received
        .iter()
        .filter(|c| {
            let in_flight =
                c.received <= upstream.received && c.answer.is_none_or(|a| a.at >= upstream.received);
            let same = if upstream.is_lookup() {
                c.is_lookup()
                    && upstream
                        .request
                        .objects
                        .iter()
                        .all(|o| c.request.objects.contains(o))
                    || c.is_lookup()
                        && c.request
                            .objects
                            .iter()
                            .any(|o| upstream.request.objects.contains(o))
            } else {
                c.request.path == upstream.request.path
            };
            in_flight && same
        })
        .collect();
    findings.exercised("PX-AUTH-1/headers-unchanged");
    if candidates.is_empty() {
        return; // a proxy's own request (a health check) is not a relay
    }
    let r = upstream.request;
    let same_headers = |c: &&&Exchange| {
        let q = c.request;
        q.client_id == r.client_id && q.mode == r.mode && q.statement == r.statement && q.tenant == r.tenant
    };
    if !candidates.iter().any(same_headers) {
        let c = candidates[0].request;
        let message = format!(
            "{name} sent {} {} to {} at {} with KSN-Client {:?}, KSN-Mode {:?}, KSN-Statement {:?}, tenant {:?}; the \
             client's request said {:?}, {:?}, {:?}, {:?}: Authorization and KSN-* headers pass upstream unchanged",
            r.method,
            r.path,
            upstream.server,
            at_ms(upstream.received),
            r.client_id,
            r.mode,
            r.statement,
            r.tenant,
            c.client_id,
            c.mode,
            c.statement,
            c.tenant
        );
        findings.violated(run, "PX-AUTH-1/headers-unchanged", Some(upstream.index), message);
    }
    if upstream.is_statistics() {
        findings.exercised("PX-STAT-1/keep-idempotency-key");
        if !candidates
            .iter()
            .any(|c| c.request.idempotency_key == r.idempotency_key)
        {
            let message = format!(
                "{name} relayed statistics to {} at {} with Idempotency-Key {:?}, but the client's upload carried {:?}",
                upstream.server,
                at_ms(upstream.received),
                r.idempotency_key,
                candidates[0].request.idempotency_key
            );
            findings.violated(
                run,
                "PX-STAT-1/keep-idempotency-key",
                Some(upstream.index),
                message,
            );
        }
    }
}

/// A proxy chained to another sends only to it.
fn through_the_chain(
    run: &Observed,
    name: &str,
    proxy: &ProxyFacts,
    upstream: &Exchange,
    findings: &mut Findings,
) {
    if !run.proxies.contains_key(&proxy.upstream) {
        return;
    }
    findings.exercised("PX-CHAIN-1/through-the-chain");
    if upstream.server != proxy.upstream {
        let message = format!(
            "{name}, chained to {}, sent {} {} to {} at {}",
            proxy.upstream,
            upstream.request.method,
            upstream.request.path,
            upstream.server,
            at_ms(upstream.received)
        );
        findings.violated(run, "PX-CHAIN-1/through-the-chain", Some(upstream.index), message);
    }
}
