//! The endpoint agent: the security application's use of KSN, written once against the seams. It holds the
//! settings, the Statement consent, the KSN Usage task and the statistics queue; the user's and the
//! administrator's actions arrive here as method calls. Network work is in `exchange` and `uploader`.

use rustls::ClientConfig;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::time::Instant;

use super::config::AgentConfig;
use super::consent::{Consent, ConsentAction, ConsentInput, DataKinds};
use super::dns::DnsClient;
use super::error::AgentError;
use super::policy::Policy;
use super::queue::StatisticsQueue;
use super::settings::{AgentSettings, KsnChoice, Participation};
use super::statistics_files::StatisticsFiles;
use super::status::{Status, StatusInputs};
use super::store::StateStore;
use super::task::{TaskInput, TaskState};
use crate::clock::SharedClock;
use crate::http::HttpClient;
use crate::net::SharedNet;
use crate::observe::{Observation, SharedObserver};
use crate::protocol::{LicenseKey, StatementVersion};
use crate::rng::SharedRng;
use crate::verdict_cache::Cache;

/// What the agent is given to work with: the seams, the trust anchors, its durable store, its observer.
#[derive(Clone)]
pub struct AgentDeps {
    pub net: SharedNet,
    pub clock: SharedClock,
    pub rng: SharedRng,
    /// CAs that sign the KSN servers' certificates (and an https proxy's).
    pub trust: Option<Arc<ClientConfig>>,
    pub store: Arc<dyn StateStore>,
    pub observer: SharedObserver,
}

/// What survives a restart: consent, the task, queued statistics, and the device's own settings and the last
/// policy it received (a device that was switched to Basic mode, or put under a policy, stays so after a
/// restart; found by `ksnsim explore`, kept in `features/regressions/13-settings-and-policy-survive-a-restart.feature`).
#[derive(Debug, Serialize, Deserialize)]
struct Persisted {
    consent: Consent,
    task: TaskState,
    queue: StatisticsQueue,
    /// Absent in a store written before settings were kept: the configuration's apply then.
    #[serde(default)]
    settings: Option<AgentSettings>,
    #[serde(default)]
    policy: Option<Policy>,
}

pub(crate) struct AgentState {
    pub(crate) local: AgentSettings,
    pub(crate) policy: Policy,
    pub(crate) effective: AgentSettings,
    pub(crate) consent: Consent,
    pub(crate) task: TaskState,
    pub(crate) queue: StatisticsQueue,
    pub(crate) verdicts: Cache,
    pub(crate) last_success: Option<Instant>,
    pub(crate) restricted_until: Option<Instant>,
}

pub(crate) struct Inner {
    pub(crate) config: AgentConfig,
    pub(crate) deps: AgentDeps,
    pub(crate) client: HttpClient,
    pub(crate) dns: DnsClient,
    pub(crate) files: StatisticsFiles,
    state: Mutex<AgentState>,
}

/// An endpoint's KSN usage. Cheap to clone; clones share the agent.
#[derive(Clone)]
pub struct EndpointAgent {
    pub(crate) inner: Arc<Inner>,
}

impl EndpointAgent {
    /// Starts an agent, recovering consent, task state and queued statistics from `deps.store`.
    pub fn start(config: AgentConfig, deps: AgentDeps) -> Result<Self, AgentError> {
        let persisted = match deps.store.load().map_err(AgentError::Store)? {
            Some(bytes) => serde_json::from_slice::<Persisted>(&bytes).map_err(|err| {
                AgentError::Store(std::io::Error::new(std::io::ErrorKind::InvalidData, err))
            })?,
            None => Persisted {
                consent: Consent::AwaitingStatement,
                task: TaskState::Stopped,
                queue: StatisticsQueue::new(config.queue_capacity),
                settings: None,
                policy: None,
            },
        };
        let now = Instant::now();
        let local = persisted.settings.unwrap_or_else(|| config.settings.clone());
        let policy = persisted.policy.unwrap_or(config.policy);
        let state = AgentState {
            effective: policy.apply(&local),
            local,
            policy,
            consent: persisted.consent,
            task: persisted.task,
            queue: persisted.queue,
            verdicts: Cache::new(config.verdict_cache_capacity, std::time::Duration::ZERO),
            last_success: (persisted.task == TaskState::Running).then_some(now),
            restricted_until: None,
        };
        let client = HttpClient::new(deps.net.clone(), deps.trust.clone(), config.request_timeout);
        let dns = DnsClient::new(deps.net.clone(), deps.rng.clone(), config.dns_timeout);
        let files = StatisticsFiles::new(config.statistics_dir.clone());
        let inner = Inner {
            config,
            deps,
            client,
            dns,
            files,
            state: Mutex::new(state),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub fn id(&self) -> &str {
        &self.inner.config.id
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, AgentState> {
        self.inner
            .state
            .lock()
            .expect("agent state lock is never poisoned: no panics while held")
    }

    pub(crate) fn observe(&self, observation: Observation) {
        self.inner.deps.observer.observe(observation);
    }

    pub(crate) fn persist(&self, state: &AgentState) -> Result<(), AgentError> {
        let document = Persisted {
            consent: state.consent,
            task: state.task,
            queue: state.queue.clone(),
            settings: Some(state.local.clone()),
            policy: Some(state.policy),
        };
        let bytes =
            serde_json::to_vec(&document).map_err(|err| AgentError::Store(std::io::Error::other(err)))?;
        self.inner.deps.store.save(&bytes).map_err(AgentError::Store)
    }

    /// The device's own settings (before the policy).
    pub fn local_settings(&self) -> AgentSettings {
        self.state().local.clone()
    }

    /// The settings in effect (local settings under the policy).
    pub fn settings(&self) -> AgentSettings {
        self.state().effective.clone()
    }

    pub fn status(&self) -> Status {
        let state = self.state();
        StatusInputs {
            participation: state.effective.effective_participation(),
            task: state.task,
            consent: state.consent.name(),
            statement_version: state.consent.version().map(|v| v.0),
            last_success: state.last_success,
            restricted_until: state.restricted_until,
            queued: state.queue.len(),
            overflowed: state.queue.overflowed(),
            deleted: state.queue.deleted(),
        }
        .status(Instant::now())
    }

    // ---- The Statement (EP-STMT-1..3) ----

    pub fn offer_statement(&self, version: StatementVersion) -> Result<(), AgentError> {
        self.consent(ConsentInput::Offer(version))
    }

    pub fn accept_statement(&self, version: StatementVersion) -> Result<(), AgentError> {
        self.consent(ConsentInput::Accept(version))?;
        self.task(TaskInput::StatementAccepted)
    }

    pub fn decline_statement(&self, version: StatementVersion) -> Result<(), AgentError> {
        self.consent(ConsentInput::Decline(version))
    }

    /// Full (`DataKinds::ALL`) or partial withdrawal; queued statistics are deleted when they are withdrawn.
    pub fn withdraw(&self, kinds: DataKinds) -> Result<(), AgentError> {
        self.consent(ConsentInput::Withdraw(kinds))
    }

    fn consent(&self, input: ConsentInput) -> Result<(), AgentError> {
        let mut state = self.state();
        let mut actions = Vec::new();
        let before = state.consent;
        state.consent = before.apply(input, &mut actions)?;
        for action in actions {
            match action {
                ConsentAction::DeleteQueuedStatistics => {
                    let deleted = state.queue.delete_all();
                    self.observe(Observation::Note(format!(
                        "deleted {deleted} queued statistics records (withdrawal)"
                    )));
                }
            }
        }
        if before != state.consent {
            let (from, to) = (describe_consent(&before), describe_consent(&state.consent));
            self.observe(Observation::State {
                what: "consent",
                from,
                to,
            });
        }
        self.persist(&state)
    }

    // ---- The KSN Usage task (EP-LIC-1, EP-LIC-2) ----

    pub fn start_task(&self) -> Result<(), AgentError> {
        let consented = {
            let state = self.state();
            state.consent.version().is_some()
                && state.consent.allows(DataKinds {
                    lookups: true,
                    statistics: false,
                })
        };
        self.task(TaskInput::Start { consented })
    }

    pub fn stop_task(&self) -> Result<(), AgentError> {
        self.task(TaskInput::Stop)
    }

    pub(crate) fn task(&self, input: TaskInput) -> Result<(), AgentError> {
        let mut state = self.state();
        self.task_locked(&mut state, input)?;
        self.persist(&state)
    }

    pub(crate) fn task_locked(&self, state: &mut AgentState, input: TaskInput) -> Result<(), AgentError> {
        let before = state.task;
        state.task = before.apply(input)?;
        if before != state.task {
            if state.task == TaskState::Running {
                state.last_success = Some(Instant::now());
            }
            let (from, to) = (before.name().to_owned(), state.task.name().to_owned());
            self.observe(Observation::State {
                what: "task",
                from,
                to,
            });
        }
        Ok(())
    }

    // ---- Settings, policy, license (EP-POL-1, EP-LIC-1..3) ----

    /// Replaces the device's own settings; the policy still applies over them.
    pub fn set_settings(&self, local: AgentSettings) -> Result<(), AgentError> {
        let mut state = self.state();
        state.local = local;
        self.reapply(&mut state)
    }

    pub fn set_policy(&self, policy: Policy) -> Result<(), AgentError> {
        let mut state = self.state();
        state.policy = policy;
        self.reapply(&mut state)
    }

    /// A new license: Private KSN authenticates with it from the next exchange on.
    pub fn change_license(&self, license: LicenseKey) -> Result<(), AgentError> {
        let mut local = self.state().local.clone();
        local.ksn = KsnChoice::Private { license };
        self.set_settings(local)
    }

    /// Switches Private KSN off: a running task stops with "license violation" (EP-LIC-2).
    pub fn disable_private_ksn(&self) -> Result<(), AgentError> {
        let mut local = self.state().local.clone();
        local.ksn = KsnChoice::Global;
        self.set_settings(local)
    }

    pub fn set_participation(&self, participation: Participation) -> Result<(), AgentError> {
        let mut local = self.state().local.clone();
        local.participation = participation;
        self.set_settings(local)
    }

    fn reapply(&self, state: &mut AgentState) -> Result<(), AgentError> {
        let before = state.effective.clone();
        state.effective = state.policy.apply(&state.local);
        let (old, new) = (
            before.effective_participation(),
            state.effective.effective_participation(),
        );
        if old != new {
            let (from, to) = (old.name().to_owned(), new.name().to_owned());
            self.observe(Observation::State {
                what: "participation",
                from,
                to,
            });
        }
        if before.dns.allow_public != state.effective.dns.allow_public {
            let (from, to) = (
                before.dns.allow_public.to_string(),
                state.effective.dns.allow_public.to_string(),
            );
            self.observe(Observation::State {
                what: "public dns allowed",
                from,
                to,
            });
        }
        if before.ksn != state.effective.ksn {
            let (from, to) = (describe_ksn(&before.ksn), describe_ksn(&state.effective.ksn));
            self.observe(Observation::State {
                what: "ksn",
                from,
                to,
            });
            let private_dropped = before.ksn.license().is_some() && state.effective.ksn.license().is_none();
            if private_dropped {
                self.task_locked(state, TaskInput::PrivateKsnDisabled)?;
            }
        }
        self.persist(state)
    }
}

fn describe_consent(consent: &Consent) -> String {
    match consent {
        Consent::AwaitingStatement => "awaiting statement".into(),
        Consent::Accepted {
            version,
            offered: None,
        } => format!("accepted v{version}"),
        Consent::Accepted {
            version,
            offered: Some(newer),
        } => format!("accepted v{version}, v{newer} offered"),
        Consent::Withdrawn { version, kinds } => format!("v{version} withdrawn for {}", kinds.name()),
    }
}

fn describe_ksn(ksn: &KsnChoice) -> String {
    match ksn {
        KsnChoice::Global => "global".into(),
        KsnChoice::Private { license } => format!("private ({license})"),
    }
}
