//! What each endpoint may do at each moment, predicted from its settings in the topology and the scenario's
//! inputs, as the seeds and the catalogue say, never from what the agent reports of itself:
//! - consent (seeds 001, 004; EP-STMT-1..3): nothing before a Statement is accepted; a decline keeps the
//!   version accepted before; an acceptance moves to the new one; a withdrawal stops the kind withdrawn;
//! - participation and policy locks (seed 001, 003; EP-MODE-1..3, EP-POL-1): an enforced setting overrides
//!   the local one, an undefined one leaves it; with Private KSN the Global KSN's basic mode does not apply
//!   (seed 004, EP-LIC-3);
//! - the KSN Usage task (seed 004; EP-LIC-1, EP-LIC-2): "license violation" when Private KSN is disabled
//!   under it, until the Statement is accepted and the task restarted; "authentication error" from the
//!   Private KSN's 401 until an exchange with the key succeeds;
//! - proxy use and public DNS (seeds 000, 003; EP-PROXY-1, EP-DNS-1), and a running Retry-After (EP-RATE-1).
//!
//! A change made by an action takes effect at some moment between the action's start and its end (plus a
//! little for requests already on the wire): in that window either the old or the new state may hold, and a
//! judge accepts what either allows.

use std::collections::BTreeMap;
use std::time::Duration;

use ksnsim_reference::agent::{Lock, Participation};
use ksnsim_reference::protocol::LicenseKey;

use super::observed::Observed;
use crate::topology::{KsnKind, Mode};
use crate::trace::SimEventKind;
use crate::world::{EndpointAction, InputKind};

/// Requests already on the wire when a change is made may still arrive for this long after it.
pub const IN_FLIGHT: Duration = Duration::from_secs(2);
/// How long after a server sent an answer the endpoint may get it (the agent's own timeout): later, it was lost.
const ANSWER_ARRIVES: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Stopped,
    Running,
    /// The Private KSN rejected the license (EP-LIC-1).
    AuthenticationError,
    /// Private KSN was disabled under the running task (EP-LIC-2); `accepted_since`: the Statement has been
    /// accepted again since.
    LicenseViolation {
        accepted_since: bool,
    },
}

/// An endpoint's expected state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointState {
    pub ksn: KsnKind,
    /// The tenant of the license key in use, with Private KSN.
    pub tenant: Option<String>,
    pub local_mode: Mode,
    pub policy_mode: Option<Mode>,
    /// The Statement version accepted, if any.
    pub accepted: Option<u32>,
    pub withdrawn_lookups: bool,
    pub withdrawn_statistics: bool,
    /// The Statement was declined at least once since the last acceptance.
    pub declined: bool,
    pub task: Task,
    /// Use the KSN proxy `proxy` (local setting and policy lock).
    pub proxy: Option<String>,
    pub use_proxy_local: bool,
    pub policy_use_proxy: Option<bool>,
    pub direct_local: bool,
    pub policy_direct: Option<bool>,
    pub public_dns_local: bool,
    pub policy_public_dns: Option<bool>,
    /// A Retry-After from a server runs until then.
    pub restricted_until: Option<Duration>,
}

impl EndpointState {
    /// The participation in effect: the policy's, else the device's; with Private KSN, the Global KSN's
    /// basic mode does not apply (EP-LIC-3).
    pub fn mode(&self) -> Mode {
        let mode = self.policy_mode.unwrap_or(self.local_mode);
        match (self.ksn, mode) {
            (KsnKind::Private, Mode::Basic) => Mode::Extended,
            (_, mode) => mode,
        }
    }

    /// The mode came from a policy lock that overrides a different local value.
    pub fn mode_enforced_over_local(&self) -> bool {
        self.policy_mode.is_some_and(|m| m != self.local_mode)
    }

    /// A policy locks some setting to a value other than the local one (EP-POL-1 has something to judge).
    pub fn policy_over_local(&self) -> bool {
        self.mode_enforced_over_local()
            || self.proxy_policy_over_local()
            || self.policy_public_dns.is_some_and(|p| p != self.public_dns_local)
    }

    /// A policy locks "use KSN proxy" or "use KSN servers when the proxy is unavailable" against the local one.
    pub fn proxy_policy_over_local(&self) -> bool {
        self.policy_use_proxy.is_some_and(|p| p != self.use_proxy_local)
            || self.policy_direct.is_some_and(|p| p != self.direct_local)
    }

    pub fn uses_proxy(&self) -> Option<&str> {
        if self.policy_use_proxy.unwrap_or(self.use_proxy_local) {
            self.proxy.as_deref()
        } else {
            None
        }
    }

    pub fn direct_when_proxy_down(&self) -> bool {
        self.policy_direct.unwrap_or(self.direct_local)
    }

    pub fn public_dns_allowed(&self) -> bool {
        self.policy_public_dns.unwrap_or(self.public_dns_local)
    }

    /// Lookups are allowed: a Statement accepted and lookups not withdrawn, a mode that sends, the task running.
    pub fn lookups_allowed(&self) -> bool {
        self.accepted.is_some()
            && !self.withdrawn_lookups
            && matches!(self.mode(), Mode::Extended | Mode::Basic)
            && self.task == Task::Running
    }

    pub fn statistics_allowed(&self) -> bool {
        self.lookups_allowed() && !self.withdrawn_statistics && self.mode() == Mode::Extended
    }

    pub fn restricted_at(&self, at: Duration) -> bool {
        self.restricted_until.is_some_and(|until| at < until)
    }

    /// The name the product shows for the mode (EP-STATUS-1).
    pub fn mode_shown(&self) -> &'static str {
        match self.mode() {
            Mode::Extended => "Extended",
            Mode::Basic => "Basic",
            Mode::SaveToFile => "Save to file",
            Mode::Off => "Off",
        }
    }
}

/// One state of an endpoint's timeline, from `from` on; until `ambiguous_until` the state before it may
/// still hold.
#[derive(Debug, Clone)]
pub struct Entry {
    pub from: Duration,
    pub state: EndpointState,
    pub previous: Option<EndpointState>,
    pub ambiguous_until: Duration,
    /// What made the change (for messages), e.g. `decline Statement v2`.
    pub cause: String,
}

/// Every endpoint's timeline.
pub struct EndpointModel {
    pub timelines: BTreeMap<String, Vec<Entry>>,
    /// Windows in which an endpoint's host ran a raw request that bypasses the agent (a broken client).
    pub raw: Vec<(String, Duration, Duration)>,
}

fn mode_of(participation: Participation) -> Mode {
    match participation {
        Participation::Extended => Mode::Extended,
        Participation::Basic => Mode::Basic,
        Participation::SaveToFile => Mode::SaveToFile,
        Participation::Off => Mode::Off,
    }
}

fn lock<T: Copy>(lock: Lock<T>) -> Option<T> {
    match lock {
        Lock::Enforce(value) => Some(value),
        Lock::Undefined => None,
    }
}

fn tenant_of(key: &str) -> Option<String> {
    key.parse::<LicenseKey>().ok().map(|k| k.tenant().to_string())
}

/// A change to apply at `at`, ambiguous until `until`.
struct Change {
    at: Duration,
    until: Duration,
    order: usize,
    host: String,
    cause: String,
    apply: Box<dyn Fn(&mut EndpointState)>,
}

impl EndpointModel {
    pub fn build(run: &Observed) -> Self {
        let mut timelines: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for (name, spec) in run.topology.endpoint_names() {
            if spec.colocated {
                // A colocated group shares one address: its members' requests cannot be told apart on the
                // wire, so the per-endpoint model does not judge them (fleet runs; see COVERAGE.md).
                continue;
            }
            let accepted = spec.accepted_statement;
            let state = EndpointState {
                ksn: spec.ksn,
                tenant: spec.license.as_deref().and_then(tenant_of),
                local_mode: spec.mode,
                policy_mode: None,
                accepted,
                withdrawn_lookups: false,
                withdrawn_statistics: false,
                declined: false,
                task: if spec.task_running && accepted.is_some() {
                    Task::Running
                } else {
                    Task::Stopped
                },
                proxy: spec.behind.clone(),
                use_proxy_local: spec.behind.is_some(),
                policy_use_proxy: None,
                direct_local: spec.direct_when_proxy_unavailable,
                policy_direct: None,
                public_dns_local: spec.allow_public_dns,
                policy_public_dns: None,
                restricted_until: None,
            };
            timelines.insert(
                name,
                vec![Entry {
                    from: Duration::ZERO,
                    state,
                    previous: None,
                    ambiguous_until: Duration::ZERO,
                    cause: "the topology".into(),
                }],
            );
        }
        let mut changes: Vec<Change> = Vec::new();
        let mut raw = Vec::new();
        for input in run.inputs {
            let InputKind::Action {
                host,
                action,
                outcome,
            } = &input.what
            else {
                continue;
            };
            if !timelines.contains_key(host) {
                continue;
            }
            let apply: Box<dyn Fn(&mut EndpointState)> = match action.clone() {
                EndpointAction::AcceptStatement(version) if outcome.ok() => Box::new(move |s| {
                    s.accepted = Some(version.0);
                    s.withdrawn_lookups = false;
                    s.withdrawn_statistics = false;
                    s.declined = false;
                    if let Task::LicenseViolation { .. } = s.task {
                        s.task = Task::LicenseViolation { accepted_since: true };
                    }
                }),
                EndpointAction::DeclineStatement(_) => Box::new(|s| s.declined = true),
                EndpointAction::Withdraw(kinds) => Box::new(move |s| {
                    s.withdrawn_lookups |= kinds.lookups;
                    s.withdrawn_statistics |= kinds.statistics;
                }),
                EndpointAction::StartTask => Box::new(|s| {
                    let consented = s.accepted.is_some() && !s.withdrawn_lookups;
                    s.task = match s.task {
                        Task::LicenseViolation {
                            accepted_since: false,
                        } => s.task,
                        Task::Stopped | Task::LicenseViolation { accepted_since: true } if consented => {
                            Task::Running
                        }
                        other => other,
                    };
                }),
                EndpointAction::StopTask => Box::new(|s| {
                    if !matches!(s.task, Task::LicenseViolation { .. }) {
                        s.task = Task::Stopped;
                    }
                }),
                EndpointAction::ChangeLicense(key) => {
                    let tenant = key.tenant().to_string();
                    Box::new(move |s| {
                        s.ksn = KsnKind::Private;
                        s.tenant = Some(tenant.clone());
                    })
                }
                EndpointAction::DisablePrivateKsn => Box::new(|s| {
                    if s.ksn == KsnKind::Private
                        && matches!(s.task, Task::Running | Task::AuthenticationError)
                    {
                        s.task = Task::LicenseViolation {
                            accepted_since: false,
                        };
                    }
                    s.ksn = KsnKind::Global;
                    s.tenant = None;
                }),
                EndpointAction::SetParticipation(p) => Box::new(move |s| s.local_mode = mode_of(p)),
                EndpointAction::SetPolicy(policy) => Box::new(move |s| {
                    s.policy_mode = lock(policy.participation).map(mode_of);
                    s.policy_use_proxy = lock(policy.use_proxy);
                    s.policy_direct = lock(policy.direct_when_proxy_unavailable);
                    s.policy_public_dns = lock(policy.allow_public_dns);
                }),
                EndpointAction::UseProxy(on) => Box::new(move |s| s.use_proxy_local = on),
                EndpointAction::Raw { .. } => {
                    raw.push((host.clone(), input.started, input.ended + IN_FLIGHT));
                    continue;
                }
                _ => continue,
            };
            changes.push(Change {
                at: input.started,
                until: input.ended + IN_FLIGHT,
                order: changes.len(),
                host: host.clone(),
                cause: action.describe(),
                apply,
            });
        }
        // What servers said to an endpoint changes its task and restrictions (EP-LIC-1, EP-RATE-1).
        // The answers each endpoint got, in time order: (when, status).
        let mut got_answers: BTreeMap<&str, Vec<(Duration, u16)>> = BTreeMap::new();
        for event in run.events {
            if let SimEventKind::ClientAnswer { host, status, .. } = &event.what {
                got_answers.entry(host).or_default().push((event.at, *status));
            }
        }
        for exchange in &run.exchanges {
            let Some(answer) = exchange.answer else { continue };
            if !timelines.contains_key(exchange.peer) {
                continue;
            }
            // A broken client's request beside the endpoint is not the agent's: its answer changes nothing.
            if in_window(&raw, exchange.peer, exchange.received) {
                continue;
            }
            // Only an answer that reached the endpoint changes it: one lost on the way back (loss, a cut) never
            // did. It arrived when the endpoint got an answer of that status within its own timeout.
            let got = got_answers.get(exchange.peer).map_or(&[][..], Vec::as_slice);
            let first = got.partition_point(|(at, _)| *at < answer.at);
            let Some(&(arrived, _)) = got[first..]
                .iter()
                .take_while(|(at, _)| *at <= answer.at + ANSWER_ARRIVES)
                .find(|(_, status)| *status == answer.status)
            else {
                continue;
            };
            let private_path = run.ksn_behind(exchange.server) == Some(KsnKind::Private);
            let apply: Box<dyn Fn(&mut EndpointState)> =
                if answer.seen.error.as_deref() == Some("license_not_registered") && private_path {
                    Box::new(|s| {
                        if s.task == Task::Running && s.ksn == KsnKind::Private {
                            s.task = Task::AuthenticationError;
                        }
                    })
                } else if (200..300).contains(&answer.status) && private_path {
                    Box::new(|s| {
                        if s.task == Task::AuthenticationError {
                            s.task = Task::Running;
                        }
                    })
                } else if let (429, Some(seconds)) = (answer.status, answer.seen.retry_after) {
                    let until = answer.at + Duration::from_secs(seconds);
                    Box::new(move |s| s.restricted_until = Some(until))
                } else {
                    continue;
                };
            changes.push(Change {
                at: answer.at,
                until: arrived + IN_FLIGHT,
                order: changes.len(),
                host: exchange.peer.to_owned(),
                cause: format!(
                    "{} answered {} to {}",
                    exchange.server, answer.status, exchange.request.path
                ),
                apply,
            });
        }
        changes.sort_by_key(|c| (c.at, c.order));
        for change in changes {
            let Some(timeline) = timelines.get_mut(&change.host) else {
                continue;
            };
            let current = timeline
                .last()
                .expect("every timeline starts with the topology's state");
            let mut next = current.state.clone();
            (change.apply)(&mut next);
            if next == current.state {
                continue;
            }
            let previous = Some(current.state.clone());
            timeline.push(Entry {
                from: change.at,
                state: next,
                previous,
                ambiguous_until: change.until,
                cause: change.cause,
            });
        }
        Self { timelines, raw }
    }

    /// The entry in effect for `host` at `at` (None: not an endpoint the model follows).
    pub fn at(&self, host: &str, at: Duration) -> Option<&Entry> {
        let timeline = self.timelines.get(host)?;
        let i = timeline.partition_point(|e| e.from <= at);
        timeline.get(i.saturating_sub(1))
    }

    /// Whether `allowed` holds for `host` at `at` in the state then, or in the state before it while the
    /// change was still taking effect. None when the model does not follow `host`.
    pub fn allows(&self, host: &str, at: Duration, allowed: impl Fn(&EndpointState) -> bool) -> Option<bool> {
        let timeline = self.timelines.get(host)?;
        let i = timeline.partition_point(|e| e.from <= at).saturating_sub(1);
        // Every change whose window still covers `at` may not have taken effect yet.
        let mut ok = allowed(&timeline[i].state);
        let mut j = i;
        while !ok && j > 0 && at <= timeline[j].ambiguous_until {
            if let Some(previous) = &timeline[j].previous {
                ok = allowed(previous);
            }
            j -= 1;
        }
        Some(ok)
    }

    /// Whether `host` was running a raw request (a broken client, not the agent) at `at`.
    pub fn in_raw(&self, host: &str, at: Duration) -> bool {
        in_window(&self.raw, host, at)
    }

    /// Some endpoint was, at some moment, in a state `state` describes.
    pub fn ever(&self, state: impl Fn(&EndpointState) -> bool) -> bool {
        self.timelines.values().flatten().any(|entry| state(&entry.state))
    }

    pub fn follows(&self, host: &str) -> bool {
        self.timelines.contains_key(host)
    }
}

/// Whether one of `windows` (host, from, to) covers `host` at `at`.
fn in_window(windows: &[(String, Duration, Duration)], host: &str, at: Duration) -> bool {
    windows
        .iter()
        .any(|(h, from, to)| h == host && *from <= at && at <= *to)
}
