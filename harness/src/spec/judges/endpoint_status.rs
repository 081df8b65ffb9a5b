//! What an endpoint's status says when it is read, held against its model (EP-STATUS-1, EP-POL-1, EP-LIC-1,
//! EP-LIC-2, EP-RATE-1, EP-STMT-3): the mode in effect, the task's error, restrictions, and an emptied queue.

use super::super::endpoint_model::{EndpointModel, Task};
use super::super::observed::{Observed, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;
use crate::world::{EndpointAction, InputKind};

pub struct EndpointStatus;

const CLAUSES: &[&str] = &[
    "EP-STATUS-1/mode-shown",
    "EP-POL-1/undefined-leaves-local",
    "EP-LIC-1/status-says-so",
    "EP-LIC-2/status-says-so",
    "EP-RATE-1/status-restricted",
    "EP-STMT-3/queue-deleted",
];

impl Judge for EndpointStatus {
    fn name(&self) -> &'static str {
        "endpoint_status"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, model: &EndpointModel, _facts: &WorldFacts, findings: &mut Findings) {
        for input in run.inputs {
            let InputKind::Action {
                host,
                action: EndpointAction::Status,
                outcome,
            } = &input.what
            else {
                continue;
            };
            let Some(status) = &outcome.status else { continue };
            let at = input.started;
            let Some(entry) = model.at(host, at) else { continue };
            let state = &entry.state;
            let read = format!("{host}'s status read at {}", at_ms(at));
            let index = None;

            let shown = model
                .allows(host, at, |s| s.mode_shown() == status.ksn)
                .unwrap_or(true);
            let policy_set = state.policy_mode.is_some() || entry.cause == "apply policy";
            let clause = if policy_set && state.policy_mode.is_none() {
                "EP-POL-1/undefined-leaves-local"
            } else {
                "EP-STATUS-1/mode-shown"
            };
            findings.exercised(clause);
            if !shown {
                let message = format!(
                    "{read} shows KSN {:?}, but the mode in effect is {:?} ({})",
                    status.ksn,
                    state.mode_shown(),
                    entry.cause
                );
                findings.violated(run, clause, index, message);
            }

            for (task, words, clause) in [
                (
                    Task::AuthenticationError,
                    "authentication error",
                    "EP-LIC-1/status-says-so",
                ),
                (
                    Task::LicenseViolation {
                        accepted_since: false,
                    },
                    "license violation",
                    "EP-LIC-2/status-says-so",
                ),
                (
                    Task::LicenseViolation { accepted_since: true },
                    "license violation",
                    "EP-LIC-2/status-says-so",
                ),
            ] {
                if state.task != task {
                    continue;
                }
                findings.exercised(clause);
                let says = model
                    .allows(host, at, |s| s.task != task || status.task == words)
                    .unwrap_or(true);
                if !says {
                    let message = format!(
                        "{read} says the task is {:?}, but it must say {words:?}",
                        status.task
                    );
                    findings.violated(run, clause, index, message);
                }
            }

            if state.restricted_at(at) && state.lookups_allowed() {
                findings.exercised("EP-RATE-1/status-restricted");
                let restricted = model
                    .allows(host, at, |s| !s.restricted_at(at) || !s.lookups_allowed())
                    .unwrap_or(true);
                if !restricted && !status.restricted {
                    let message = format!(
                        "{read} says {:?}: a server's Retry-After runs until {}, so it must say \"enabled with \
                         restrictions\"",
                        status.summary,
                        at_ms(state.restricted_until.unwrap_or_default())
                    );
                    findings.violated(run, "EP-RATE-1/status-restricted", index, message);
                }
            }

            if state.withdrawn_statistics || state.withdrawn_lookups {
                findings.exercised("EP-STMT-3/queue-deleted");
                let emptied = model
                    .allows(host, at, |s| !(s.withdrawn_statistics || s.withdrawn_lookups))
                    .unwrap_or(true);
                if !emptied && status.queued_statistics > 0 {
                    let message = format!(
                        "{read} holds {} queued statistics records after acceptance was withdrawn for statistics: \
                         queued unsent statistics must be deleted",
                        status.queued_statistics
                    );
                    findings.violated(run, "EP-STMT-3/queue-deleted", index, message);
                }
            }
        }
    }
}
