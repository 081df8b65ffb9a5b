//! What an endpoint must get done, within a bound: an allowed lookup in a healthy world gets a verdict
//! (EP-MODE-1, PX-FWD-1, EP-STMT-2, EP-LIC-2, EP-POL-1), queued statistics go out (EP-STAT-1), a rejected key
//! recovers once registered (EP-LIC-1), a proxy that is down is gone round when that is allowed (EP-PROXY-1),
//! and the statistics queue stays within its bound (EP-STAT-1).

use std::time::Duration;

use super::super::endpoint_model::{EndpointModel, EndpointState, Task};
use super::super::observed::{Observed, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;
use crate::topology::KsnKind;
use crate::world::{EndpointAction, Fault, InputKind};

pub struct EndpointLiveness;

const CLAUSES: &[&str] = &[
    "EP-MODE-1/lookups-answered",
    "PX-FWD-1/endpoints-get-answers",
    "EP-STMT-2/decline-keeps-working",
    "EP-LIC-2/runs-again",
    "EP-STAT-1/queued-go-out",
    "EP-STAT-1/queue-bounded",
    "EP-LIC-1/recovers",
    "EP-PROXY-1/direct-when-proxy-down",
];

/// The agent's documented upload interval and default queue bound (README, agent settings).
const UPLOAD_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_QUEUE_CAPACITY: u64 = 10_000;
/// Queued statistics must have gone out this long after the last thing that could hold them back
/// (clauses.toml: EP-STAT-1/queued-go-out).
const QUEUED_BOUND: Duration = Duration::from_secs(15 * 60);
/// A registered key must be in use again this long after its registration (clauses.toml: EP-LIC-1/recovers).
const RECOVERY_BOUND: Duration = Duration::from_secs(6 * 60);

impl Judge for EndpointLiveness {
    fn name(&self) -> &'static str {
        "endpoint_liveness"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, model: &EndpointModel, facts: &WorldFacts, findings: &mut Findings) {
        lookups_answered(run, model, findings);
        queued_go_out(run, model, facts, findings);
        license_recovers(run, model, findings);
        direct_when_proxy_down(run, model, findings);
    }
}

/// The clause an unanswered lookup breaks, from what the endpoint's state last went through.
fn lookup_clause(model: &EndpointModel, host: &str, at: Duration, state: &EndpointState) -> &'static str {
    let timeline = &model.timelines[host];
    let restarted_after_violation = timeline.windows(2).any(|w| {
        w[1].from <= at
            && matches!(w[0].state.task, Task::LicenseViolation { .. })
            && w[1].state.task == Task::Running
    });
    if restarted_after_violation {
        "EP-LIC-2/runs-again"
    } else if state.declined {
        "EP-STMT-2/decline-keeps-working"
    } else if state.uses_proxy().is_some() {
        "PX-FWD-1/endpoints-get-answers"
    } else {
        "EP-MODE-1/lookups-answered"
    }
}

/// In a world no fault has touched, a lookup the model allows from start to end gets its verdicts, unless a
/// server said no (its error is the server's to justify, judged by the SRV clauses).
fn lookups_answered(run: &Observed, model: &EndpointModel, findings: &mut Findings) {
    for (input, host, action, outcome) in run.lookups() {
        if !model.follows(host) {
            continue;
        }
        let (start, end) = (input.started, input.ended);
        let allowed =
            |s: &EndpointState| s.lookups_allowed() && !s.restricted_at(start) && !s.restricted_at(end);
        let steady = model.allows(host, start, |s| !allowed(s)) == Some(false)
            && model.allows(host, end, |s| !allowed(s)) == Some(false);
        if !steady || run.any_disturbance_until(end) {
            continue;
        }
        let state = &model.at(host, start).expect("followed").state;
        let clause = lookup_clause(model, host, start, state);
        findings.exercised(clause);
        if outcome.ok() {
            continue;
        }
        // A server or proxy that answered the endpoint with an error during the lookup explains the failure.
        let refused = run.exchanges.iter().any(|e| {
            e.peer == host && e.received >= start && e.received <= end && e.status().is_some_and(|s| s >= 400)
        });
        if refused {
            continue;
        }
        let message = format!(
            "{host}'s {} from {} to {} failed ({}) in a world no fault had touched, with the Statement accepted, \
             mode {:?}, the task running and no server refusing it",
            action.describe(),
            at_ms(start),
            at_ms(end),
            outcome.summary(),
            state.mode()
        );
        findings.violated(run, clause, None, message);
    }
}

/// At the end of a run, no statistics record waits in an extended endpoint's queue long after the last
/// thing that could hold it back: a fault, a failed or refused upload, a running Retry-After, a record
/// added, a change of its state.
fn queued_go_out(run: &Observed, model: &EndpointModel, facts: &WorldFacts, findings: &mut Findings) {
    for (host, (queued, _, _)) in &facts.held_at_end {
        let Some(timeline) = model.timelines.get(host) else {
            continue;
        };
        let state = &timeline.last().expect("a timeline has an entry").state;
        if !state.statistics_allowed() {
            continue;
        }
        let capacity = run
            .topology
            .endpoint_names()
            .into_iter()
            .find(|(name, _)| name == host)
            .and_then(|(_, spec)| spec.queue_capacity)
            .map_or(DEFAULT_QUEUE_CAPACITY, |c| c as u64);
        findings.exercised("EP-STAT-1/queue-bounded");
        if *queued > capacity {
            let message = format!(
                "{host} holds {queued} queued statistics records at the end, over its bound of {capacity}"
            );
            findings.violated(run, "EP-STAT-1/queue-bounded", None, message);
        }
        let mut hold_back = timeline.last().map_or(Duration::ZERO, |e| e.ambiguous_until);
        hold_back = hold_back.max(run.last_disturbance_until(run.end).unwrap_or_default());
        hold_back = hold_back.max(state.restricted_until.unwrap_or_default());
        for input in run.inputs {
            if let InputKind::Action { host: h, action, .. } = &input.what
                && h == host
                && matches!(
                    action,
                    EndpointAction::RecordDetections(_) | EndpointAction::Load(_)
                )
            {
                let until = match action {
                    EndpointAction::Load(plan) => input.ended + plan.over,
                    _ => input.ended,
                };
                hold_back = hold_back.max(until);
            }
        }
        for exchange in &run.exchanges {
            if exchange.peer == host && exchange.is_statistics() && !exchange.succeeded() {
                hold_back = hold_back.max(exchange.answer.map_or(exchange.received, |a| a.at));
            }
        }
        // A failure the endpoint met off the wire (a refused connection, a TLS failure) holds it back too.
        for event in run.events {
            if let crate::trace::SimEventKind::ClientFailed { host: h, .. } = &event.what
                && h == host
            {
                hold_back = hold_back.max(event.at);
            }
        }
        if *queued == 0 && facts.recorded.get(host).copied().unwrap_or(0) == 0 {
            continue;
        }
        if run.end < hold_back + UPLOAD_INTERVAL {
            continue;
        }
        findings.exercised("EP-STAT-1/queued-go-out");
        if *queued > 0 && run.end >= hold_back + QUEUED_BOUND {
            let message = format!(
                "{host} still holds {queued} queued statistics records at the end ({}), {} s after the last thing \
                 that could hold them back ({}): in extended mode they must go out",
                at_ms(run.end),
                (run.end - hold_back).as_secs(),
                at_ms(hold_back)
            );
            findings.violated(run, "EP-STAT-1/queued-go-out", None, message);
        }
    }
}

/// After the provider registers the key an endpoint was rejected with, the endpoint exchanges with the
/// Private KSN again within [`RECOVERY_BOUND`], in a world otherwise untouched.
fn license_recovers(run: &Observed, model: &EndpointModel, findings: &mut Findings) {
    for (at, fault) in run.faults() {
        let Fault::License {
            key,
            registered: true,
        } = fault
        else {
            continue;
        };
        let Ok(license) = key.parse::<ksnsim_reference::protocol::LicenseKey>() else {
            continue;
        };
        let tenant = license.tenant().to_string();
        let deadline = at + RECOVERY_BOUND;
        if run.end < deadline
            || run
                .faults()
                .any(|(when, f)| when > at && when <= deadline && !matches!(f, Fault::License { .. }))
        {
            continue;
        }
        for (host, timeline) in &model.timelines {
            let Some(entry) = model.at(host, at) else { continue };
            let s = &entry.state;
            if s.task != Task::AuthenticationError
                || s.tenant.as_deref() != Some(tenant.as_str())
                || s.ksn != KsnKind::Private
            {
                continue;
            }
            // Anything the endpoint's user did after the registration (a stop, a new key) changes the question.
            if timeline
                .iter()
                .any(|e| e.from > at && e.from <= deadline && e.state.tenant != s.tenant)
            {
                continue;
            }
            findings.exercised("EP-LIC-1/recovers");
            let recovered = run.exchanges.iter().any(|e| {
                e.peer == host
                    && e.received > at
                    && e.received <= deadline
                    && run.ksn_behind(e.server) == Some(KsnKind::Private)
                    && e.succeeded()
            });
            if !recovered {
                let message = format!(
                    "the provider registered {host}'s key at {}, but {host} exchanged nothing with the Private KSN \
                     successfully in the {} s after (it stays in \"authentication error\")",
                    at_ms(at),
                    RECOVERY_BOUND.as_secs()
                );
                findings.violated(run, "EP-LIC-1/recovers", None, message);
            }
        }
    }
}

/// A lookup of an endpoint set to use a proxy and to use KSN servers when it is unavailable, made while the
/// proxy is down (crashed, or cut off from the endpoint) and nothing else is wrong, reaches the KSN server.
fn direct_when_proxy_down(run: &Observed, model: &EndpointModel, findings: &mut Findings) {
    for (input, host, action, outcome) in run.lookups() {
        let (start, end) = (input.started, input.ended);
        let Some(entry) = model.at(host, start) else {
            continue;
        };
        let state = &entry.state;
        let Some(proxy) = state.uses_proxy() else { continue };
        if !state.direct_when_proxy_down() || !state.lookups_allowed() || state.restricted_at(start) {
            continue;
        }
        if model.allows(host, end, |s| {
            !(s.lookups_allowed() && s.direct_when_proxy_down())
        }) != Some(false)
        {
            continue;
        }
        // Only faults that take the proxy away, and nothing else.
        let mut proxy_down = false;
        let mut other = false;
        for (when, fault) in run.faults() {
            if when > start {
                continue;
            }
            match fault {
                Fault::Crash(h) if h == proxy => proxy_down = true,
                Fault::Restart(h) if h == proxy => proxy_down = false,
                Fault::Partition { a, b, .. } if (a == proxy && b == host) || (a == host && b == proxy) => {
                    proxy_down = true
                }
                Fault::Repair { a, b, .. } if (a == proxy && b == host) || (a == host && b == proxy) => {
                    proxy_down = false
                }
                Fault::License { .. } | Fault::PublishStatement { .. } => {}
                _ => other = true,
            }
        }
        if !proxy_down || other {
            continue;
        }
        findings.exercised("EP-PROXY-1/direct-when-proxy-down");
        // A lookup the endpoint answered itself (its own cache) needed no server at all.
        if outcome.ok() {
            continue;
        }
        let direct = run.exchanges.iter().any(|e| {
            e.peer == host && Observed::is_ksn_server(e.server) && e.received >= start && e.received <= end
        });
        if !direct {
            let message = format!(
                "{host}'s {} at {} did not reach the KSN server, although its proxy {proxy} was down and it is set to \
                 use KSN servers when the proxy is unavailable",
                action.describe(),
                at_ms(start)
            );
            findings.violated(run, "EP-PROXY-1/direct-when-proxy-down", None, message);
        }
    }
}
