//! What an endpoint sends, request by request, held against what its model allows at that moment: consent
//! (EP-STMT-1..3), mode and policy (EP-MODE-1..3, EP-POL-1), the task and the license (EP-LIC-1..3), and the
//! proxy setting (EP-PROXY-1). Read from the wire: each request a proxy or KSN server received from the
//! endpoint's address, not what the agent says it sent.

use super::super::endpoint_model::{EndpointModel, EndpointState, Task};
use super::super::observed::{Exchange, Observed, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;
use crate::topology::{KsnKind, Mode};

pub struct EndpointTraffic;

const CLAUSES: &[&str] = &[
    "EP-STMT-1/nothing-before-acceptance-on-the-wire",
    "EP-STMT-2/accepted-version-on-every-request",
    "EP-STMT-3/nothing-withdrawn-leaves",
    "EP-MODE-1/no-statistics-in-basic",
    "EP-MODE-1/mode-header",
    "EP-MODE-2/no-requests",
    "EP-MODE-3/no-traffic",
    "EP-POL-1/enforced-overrides-local",
    "EP-LIC-1/no-data-while-rejected",
    "EP-LIC-1/no-fallback-to-global",
    "EP-LIC-1/current-key",
    "EP-LIC-2/stops",
    "EP-LIC-3/global-settings-not-in-effect",
    "EP-PROXY-1/through-the-proxy",
];

impl Judge for EndpointTraffic {
    fn name(&self) -> &'static str {
        "endpoint_traffic"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, model: &EndpointModel, _facts: &WorldFacts, findings: &mut Findings) {
        // Clauses about states no request may leave in: reached when some endpoint was in such a state.
        if model.ever(|s| s.withdrawn_lookups || s.withdrawn_statistics) {
            findings.exercised("EP-STMT-3/nothing-withdrawn-leaves");
        }
        if model.ever(EndpointState::policy_over_local) {
            findings.exercised("EP-POL-1/enforced-overrides-local");
        }
        for exchange in &run.exchanges {
            if !model.follows(exchange.peer) || model.in_raw(exchange.peer, exchange.received) {
                continue;
            }
            judge_request(run, model, exchange, findings);
        }
    }
}

/// The header `KSN-Mode` an endpoint in `mode` sends.
fn wire_mode(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Extended => Some("extended"),
        Mode::Basic => Some("basic"),
        Mode::SaveToFile | Mode::Off => None,
    }
}

fn judge_request(run: &Observed, model: &EndpointModel, exchange: &Exchange, findings: &mut Findings) {
    let host = exchange.peer;
    let at = exchange.received;
    let request = exchange.request;
    let what = format!(
        "{host} sent {} {} to {} at {}",
        request.method,
        request.path,
        exchange.server,
        at_ms(at)
    );
    let index = Some(exchange.index);
    let entry = model.at(host, at).expect("the model follows this endpoint");
    let allows = |rule: &dyn Fn(&EndpointState) -> bool| model.allows(host, at, rule).unwrap_or(true);
    let statistics = exchange.is_statistics();
    let ping = request.path.starts_with("/v1/ping");
    let data = !exchange.is_ping_or_statement();

    for clause in [
        "EP-STMT-1/nothing-before-acceptance-on-the-wire",
        "EP-MODE-3/no-traffic",
        "EP-MODE-2/no-requests",
        "EP-LIC-2/stops",
        "EP-PROXY-1/through-the-proxy",
        "EP-STMT-2/accepted-version-on-every-request",
    ] {
        findings.exercised(clause);
    }

    // Consent.
    if !allows(&|s| s.accepted.is_some()) {
        let clause = "EP-STMT-1/nothing-before-acceptance-on-the-wire";
        findings.violated(
            run,
            clause,
            index,
            format!("{what}, but it has not accepted the KSN Statement"),
        );
    }
    if !allows(&|s| !s.withdrawn_lookups) {
        let message = format!(
            "{what} after its acceptance of the Statement was withdrawn ({})",
            entry.cause
        );
        findings.violated(run, "EP-STMT-3/nothing-withdrawn-leaves", index, message);
    }
    if statistics && !allows(&|s| !s.withdrawn_statistics) {
        let message = format!(
            "{what} after acceptance was withdrawn for statistics ({})",
            entry.cause
        );
        findings.violated(run, "EP-STMT-3/nothing-withdrawn-leaves", index, message);
    }
    if data {
        let sent = request.statement.as_deref().and_then(|v| v.parse::<u32>().ok());
        if !allows(&|s| s.accepted.is_some_and(|v| Some(v) == sent)) {
            let accepted = entry.state.accepted.map_or("none".into(), |v| v.to_string());
            let message = format!(
                "{what} with KSN-Statement {:?}, but the version it accepted is {accepted}",
                request.statement.as_deref().unwrap_or("(none)")
            );
            findings.violated(run, "EP-STMT-2/accepted-version-on-every-request", index, message);
        }
    }

    // Mode and policy.
    let sends = |s: &EndpointState| matches!(s.mode(), Mode::Extended | Mode::Basic);
    if !allows(&sends) {
        let mode = entry.state.mode();
        let clause = if entry.state.mode_enforced_over_local() {
            "EP-POL-1/enforced-overrides-local"
        } else if mode == Mode::Off {
            "EP-MODE-3/no-traffic"
        } else {
            "EP-MODE-2/no-requests"
        };
        findings.violated(
            run,
            clause,
            index,
            format!("{what} while its mode in effect is {mode:?}"),
        );
    } else if statistics {
        findings.exercised("EP-MODE-1/no-statistics-in-basic");
        if !allows(&|s| s.mode() == Mode::Extended) {
            let state = &entry.state;
            let clause = if state.mode_enforced_over_local() {
                "EP-POL-1/enforced-overrides-local"
            } else {
                "EP-MODE-1/no-statistics-in-basic"
            };
            findings.violated(
                run,
                clause,
                index,
                format!("{what} while its mode in effect is Basic"),
            );
        }
    }
    if data {
        findings.exercised("EP-MODE-1/mode-header");
        let sent = request.mode.as_deref();
        if !allows(&|s| wire_mode(s.mode()) == sent) {
            let state = &entry.state;
            let expected = wire_mode(state.mode()).unwrap_or("(no request at all)");
            let clause = if state.ksn == KsnKind::Private && state.local_mode == Mode::Basic {
                "EP-LIC-3/global-settings-not-in-effect"
            } else if state.mode_enforced_over_local() {
                "EP-POL-1/enforced-overrides-local"
            } else {
                "EP-MODE-1/mode-header"
            };
            let message = format!(
                "{what} with KSN-Mode {:?}, but its mode in effect is {expected}",
                sent.unwrap_or("(none)")
            );
            findings.violated(run, clause, index, message);
        }
        if entry.state.ksn == KsnKind::Private && entry.state.local_mode == Mode::Basic {
            findings.exercised("EP-LIC-3/global-settings-not-in-effect");
        }
    }

    // The task and the license.
    if !allows(&|s| !matches!(s.task, Task::LicenseViolation { .. })) {
        let message = format!(
            "{what}, but Private KSN was disabled under its running task (license violation) and the task has not \
             been restarted after a new acceptance of the Statement"
        );
        findings.violated(run, "EP-LIC-2/stops", index, message);
    }
    let ksn = run.ksn_behind(exchange.server);
    if allows(&|s| s.ksn == KsnKind::Private) || entry.state.ksn == KsnKind::Private {
        findings.exercised("EP-LIC-1/no-fallback-to-global");
        findings.exercised("EP-LIC-1/current-key");
    }
    if ksn == Some(KsnKind::Global) && !allows(&|s| s.ksn == KsnKind::Global) {
        let message = format!("{what}: it uses Private KSN, and nothing may go to the Global KSN");
        findings.violated(run, "EP-LIC-1/no-fallback-to-global", index, message);
    }
    if ksn == Some(KsnKind::Private) && !allows(&|s| s.ksn != KsnKind::Private || s.tenant == request.tenant)
    {
        let message = format!(
            "{what} authorized as tenant {:?}, but the license in use is tenant {:?}",
            request.tenant.as_deref().unwrap_or("(no Authorization)"),
            entry.state.tenant.as_deref().unwrap_or("(none)")
        );
        findings.violated(run, "EP-LIC-1/current-key", index, message);
    }
    if entry.state.task == Task::AuthenticationError {
        findings.exercised("EP-LIC-1/no-data-while-rejected");
    }
    // A ping carries no data: it is how a rejected key is checked again.
    if !ping && !allows(&|s| s.task != Task::AuthenticationError) {
        let message = format!(
            "{what}, but the Private KSN rejected its license ({}): only a check of the key may be sent",
            entry.cause
        );
        findings.violated(run, "EP-LIC-1/no-data-while-rejected", index, message);
    }

    // The proxy.
    let direct = Observed::is_ksn_server(exchange.server) || Observed::is_untrusted_server(exchange.server);
    if direct && !allows(&|s| s.uses_proxy().is_none() || s.direct_when_proxy_down()) {
        let state = &entry.state;
        let proxy = state.uses_proxy().unwrap_or("?");
        // A policy that locked a setting against the local one is what was broken.
        let (clause, by) = if state.proxy_policy_over_local() {
            (
                "EP-POL-1/enforced-overrides-local",
                "a policy that overrides the local settings",
            )
        } else {
            ("EP-PROXY-1/through-the-proxy", "its settings")
        };
        let message = format!(
            "{what} directly, but {by} say to use the KSN proxy {proxy} and not to use KSN servers when the proxy \
             is unavailable"
        );
        findings.violated(run, clause, index, message);
    }
    if direct && !allows(&|s| s.uses_proxy().is_none()) && !proxy_failed_before(run, host, at) {
        let proxy = entry.state.uses_proxy().unwrap_or("?");
        let message = format!(
            "{what} directly, but it is set to use the KSN proxy {proxy}, and the proxy had not failed it \
             (no failed exchange with the proxy in the {} s before)",
            PROXY_FAILURE_WINDOW.as_secs()
        );
        findings.violated(run, "EP-PROXY-1/through-the-proxy", index, message);
    }
}

/// How recent a failure with the proxy must be for a direct request to count as the fallback.
const PROXY_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(120);

/// The endpoint failed to exchange with its proxy (no answer, or a 5xx from it) shortly before `at`.
fn proxy_failed_before(run: &Observed, host: &str, at: std::time::Duration) -> bool {
    let since = at.saturating_sub(PROXY_FAILURE_WINDOW);
    let failed_on_the_wire = run.exchanges.iter().any(|e| {
        e.peer == host
            && run.proxies.contains_key(e.server)
            && e.received >= since
            && e.received <= at
            && e.status().is_none_or(|s| s >= 500)
    });
    failed_on_the_wire || run.events.iter().any(|event| {
        event.at >= since
            && event.at <= at
            && matches!(&event.what, crate::trace::SimEventKind::ClientFailed { host: h, .. } if h == host)
    })
}
