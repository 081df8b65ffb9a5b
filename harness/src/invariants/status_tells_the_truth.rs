//! EP-STATUS-1, as a user would see it: the status each running endpoint shows at the end of a run agrees with
//! what its agent did. KSN is "available" exactly when an exchange succeeded within the last 15 minutes (or the
//! task started, or the endpoint booted, within them, before any exchange could: the reference counts those as a
//! fresh start).
//!
//! Judged from the trace, at the trace's resolution: a success (a 2xx answer the agent got, whose body was what
//! the contract says) well inside the window means the status must say available; no sign of life (a 2xx, the
//! task starting, the endpoint starting or restarting) well inside it means it must not. A 2xx whose body broke
//! the contract (a 200 that is no verdict) is no success; one that came within [`SLACK`] of such an answer to
//! the same endpoint may be either, so it counts as a sign of life but not as a sure success. Within [`SLACK`]
//! of the window's edge either is right: the trace stamps an event when the harness sees it, not at the
//! agent's own instant.

use std::time::Duration;

use super::{Invariant, Violation, WorldFacts, at_end};
use crate::trace::{SimEvent, SimEventKind};

/// The 15 minutes of EP-STATUS-1.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How far from the window's edge a sign of life must be to be judged.
const SLACK: Duration = Duration::from_secs(5);

pub struct StatusTellsTheTruth;

/// The last time the trace shows that `host` surely exchanged successfully, and the last sign of life of any
/// kind.
fn last_signs(host: &str, sim_host: &str, events: &[SimEvent]) -> (Option<Duration>, Duration) {
    let (mut success, mut life) = (None, Duration::ZERO);
    // The last answer a server or proxy gave `host` whose body broke the contract, or was cut off.
    let mut broken: Option<Duration> = None;
    for event in events {
        match &event.what {
            SimEventKind::ServerAnswer { peer, seen, .. } if peer == host && (!seen.contract || seen.cut) => {
                broken = Some(event.at);
            }
            SimEventKind::ClientAnswer { host: h, status, .. }
                if h == host && (200..300).contains(status) =>
            {
                if broken.is_none_or(|at| event.at.saturating_sub(at) > SLACK) {
                    success = Some(event.at);
                }
                life = event.at;
            }
            SimEventKind::State {
                host: h, what, to, ..
            } if h == host && what == "task" && to == "running" => {
                life = event.at;
            }
            SimEventKind::Fault { target, description }
                if (target == host || target == sim_host) && description.starts_with("restart") =>
            {
                life = event.at;
            }
            _ => {}
        }
    }
    (success, life)
}

impl Invariant for StatusTellsTheTruth {
    fn requirement(&self) -> &'static str {
        "EP-STATUS-1"
    }

    fn name(&self) -> &'static str {
        "the status says available exactly when KSN answered within 15 minutes"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        for (host, status) in &facts.status_at_end {
            if status.task != "running" || !matches!(status.ksn.as_str(), "Extended" | "Basic") {
                continue;
            }
            let (success, life) = last_signs(host, &status.sim_host, events);
            let age = |at: Duration| status.at.saturating_sub(at);
            let message = match success {
                Some(at) if age(at) + SLACK < WINDOW && !status.available => format!(
                    "{host}'s status says \"{}\" at {:?}, but KSN answered it {:?} before, within 15 minutes",
                    status.summary,
                    status.at,
                    age(at)
                ),
                _ if status.available && age(life) > WINDOW + SLACK => format!(
                    "{host}'s status says \"{}\" (available) at {:?}, but nothing succeeded, started or restarted \
                     in the {:?} before (last success: {})",
                    status.summary,
                    status.at,
                    age(life),
                    success.map_or("none".to_owned(), |at| format!("{at:?}"))
                ),
                _ => continue,
            };
            return at_end(message);
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, _events: &[SimEvent]) -> bool {
        facts
            .status_at_end
            .values()
            .any(|s| s.task == "running" && matches!(s.ksn.as_str(), "Extended" | "Basic"))
    }
}
