//! The simulated world: a turmoil `Sim` with every host of a topology running the reference code unchanged,
//! driven step by step by a scenario: actions go to endpoints, faults to the network and servers, time
//! passes, and everything that happens lands in one trace.
//!
//! `SimWorld` is not `Send` (turmoil's `Sim` is not): it lives on one thread; see [`WorldThread`] for the
//! handle that async code (cucumber steps) holds.

mod actions;
mod error;
mod faults;
mod hosts;
mod inputs;
mod thread;

pub use actions::{ActionOutcome, EndpointAction, LoadPlan};
pub use error::HarnessError;
pub use faults::{DnsTarget, Fault};
pub use inputs::{Input, InputKind};
pub use thread::WorldThread;

use ksnsim_mocks::{MockDns, MockKsn};
use ksnsim_reports::TraceEvent;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use crate::invariants::{InvariantResult, StatusSeen, WorldFacts, check_all};
use crate::sim::{NameTable, SimClock};
use crate::topology::{KsnKind, Topology};
use crate::trace::{Recorder, SimEvent, SimEventKind};
use actions::Mailbox;

/// The wall-clock time every world starts at: 2026-03-02T08:00:00Z, a Monday morning.
pub const DEFAULT_EPOCH_UNIX: u64 = 1_772_438_400;

/// The longest an action may take in simulated time before the harness gives up on it.
pub const ACTION_LIMIT: Duration = Duration::from_secs(600);

/// Host names of the world's own servers.
pub mod hostnames {
    pub const SYSTEM_DNS: &str = "dns";
    pub const GLOBAL_KSN: &str = "ksn-global";
    pub const PRIVATE_KSN: &str = "ksn-private";
    /// A server that presents a certificate for the Global KSN's name from a CA nobody trusts; poisoned
    /// DNS points there (EP-DNS-2).
    pub const ROGUE: &str = "rogue";
    /// A server that presents a certificate from the *trusted* CA, but for another name
    /// ([`IMPOSTOR_NAME`]); poisoned DNS can point there too (EP-DNS-2, PX-TLS-1).
    pub const IMPOSTOR: &str = "impostor";
    pub const IMPOSTOR_NAME: &str = "www.impostor.test";
    pub const GLOBAL_NAME: &str = "ksn.global.test";
    pub const PRIVATE_NAME: &str = "ksn.private.test";
    /// The proxy port on the LAN side, as the real ksnproxy.
    pub const PROXY_PORT: u16 = 13111;
}

/// One endpoint's handles, kept outside its host so they survive crashes.
pub(crate) struct EndpointHandles {
    pub(crate) mailbox: Mailbox,
    /// The simulated host it runs on (its own name, or its colocated group's).
    pub(crate) host: String,
}

/// A running simulation of a topology.
pub struct SimWorld {
    sim: turmoil::Sim<'static>,
    topology: Topology,
    seed: u64,
    names: Arc<NameTable>,
    recorder: Recorder,
    clock: SimClock,
    endpoints: BTreeMap<String, EndpointHandles>,
    ksn: BTreeMap<KsnKind, MockKsn>,
    system_dns: MockDns,
    public_dns: Vec<MockDns>,
    facts: WorldFacts,
    scratch: PathBuf,
    /// Everything the scenario did, structured (the specification's inputs).
    inputs: Vec<Input>,
}

impl SimWorld {
    /// Builds the world of `topology`, seeded with `seed`: same topology, seed and steps, same trace.
    pub fn build(topology: &Topology, seed: u64) -> Result<Self, HarnessError> {
        topology.validate("(world)")?;
        hosts::build(
            topology,
            seed,
            UNIX_EPOCH + Duration::from_secs(DEFAULT_EPOCH_UNIX),
        )
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Simulated time since the start.
    pub fn elapsed(&self) -> Duration {
        self.sim.elapsed()
    }

    /// Lets simulated time pass.
    pub fn run_for(&mut self, duration: Duration) -> Result<(), HarnessError> {
        let until = self.sim.elapsed() + duration;
        while self.sim.elapsed() < until {
            self.step()?;
        }
        Ok(())
    }

    fn step(&mut self) -> Result<(), HarnessError> {
        self.sim
            .step()
            .map(|_| ())
            .map_err(|err| HarnessError::Simulation(err.to_string()))
    }

    /// Makes endpoint `host` perform `action`, and runs the simulation until it is done.
    pub fn act(&mut self, host: &str, action: EndpointAction) -> Result<ActionOutcome, HarnessError> {
        let mut outcomes = self.act_together(vec![(host.to_owned(), action)])?;
        Ok(outcomes.pop().expect("one action gives one outcome"))
    }

    /// Makes several endpoints act at the same simulated moment (concurrent lookups), and runs the
    /// simulation until all are done. An endpoint whose host is down does nothing and says so.
    pub fn act_together(
        &mut self,
        actions: Vec<(String, EndpointAction)>,
    ) -> Result<Vec<ActionOutcome>, HarnessError> {
        let mut pending = Vec::new();
        let started = self.sim.elapsed();
        let mut asked = Vec::new();
        for (host, action) in actions {
            asked.push(action.clone());
            let description = action.describe();
            let Some(handles) = self.endpoints.get(&host) else {
                return Err(self.not_an_endpoint(&host, &description));
            };
            let slot = if self.sim.is_host_running(handles.host.as_str()) {
                handles.mailbox.post(action)
            } else {
                let down = ActionOutcome {
                    error: Some(format!("{host} is down")),
                    ..ActionOutcome::default()
                };
                std::sync::Arc::new(std::sync::Mutex::new(Some(down)))
            };
            pending.push((host, description, slot));
        }
        let filled = |slot: &actions::Slot| {
            slot.lock()
                .expect("slot lock is never poisoned: no panics while held")
                .is_some()
        };
        let deadline = self.sim.elapsed() + ACTION_LIMIT;
        while !pending.iter().all(|(_, _, slot)| filled(slot)) {
            if self.sim.elapsed() >= deadline {
                let waiting: Vec<&(String, String, actions::Slot)> =
                    pending.iter().filter(|(_, _, slot)| !filled(slot)).collect();
                return Err(HarnessError::ActionTimedOut {
                    host: waiting
                        .iter()
                        .map(|(host, _, _)| host.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    action: waiting
                        .iter()
                        .map(|(_, action, _)| action.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    limit_s: ACTION_LIMIT.as_secs(),
                });
            }
            self.step()?;
        }
        let mut outcomes = Vec::new();
        let ended = self.sim.elapsed();
        for ((host, description, slot), action) in pending.into_iter().zip(asked) {
            let outcome = slot
                .lock()
                .expect("slot lock is never poisoned: no panics while held")
                .take();
            let outcome = outcome.expect("every slot is filled: the loop above waited for it");
            self.note_action(&host, &description, &outcome);
            self.inputs.push(Input {
                started,
                ended,
                what: InputKind::Action {
                    host,
                    action,
                    outcome: Box::new(outcome.clone()),
                },
            });
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    fn note_action(&mut self, host: &str, action: &str, outcome: &ActionOutcome) {
        let what = SimEventKind::Action {
            host: host.to_owned(),
            action: action.to_owned(),
            outcome: outcome.summary(),
        };
        self.recorder.record_at(self.sim.elapsed(), what);
    }

    fn not_an_endpoint(&self, host: &str, action: &str) -> HarnessError {
        if self.names.ip(host).is_some() {
            HarnessError::NotAnEndpoint {
                host: host.to_owned(),
                action: action.to_owned(),
            }
        } else {
            self.unknown(host)
        }
    }

    fn unknown(&self, host: &str) -> HarnessError {
        let known: Vec<String> = self
            .endpoints
            .keys()
            .cloned()
            .chain(self.topology.proxies.iter().map(|p| p.name.clone()))
            .collect();
        HarnessError::UnknownHost {
            name: host.to_owned(),
            known: known.join(", "),
        }
    }

    /// The simulated host a fault on `host` applies to: an endpoint's colocated group, or the host itself.
    fn check_host(&self, host: &str) -> Result<String, HarnessError> {
        if let Some(handles) = self.endpoints.get(host) {
            return Ok(handles.host.clone());
        }
        if self.names.ip(host).is_some() {
            Ok(host.to_owned())
        } else {
            Err(self.unknown(host))
        }
    }

    /// Applies a fault now, and records it in the trace.
    pub fn apply(&mut self, fault: Fault) -> Result<(), HarnessError> {
        let (target, description) = hosts::apply_fault(self, &fault)?;
        let at = self.sim.elapsed();
        self.recorder
            .record_at(at, SimEventKind::Fault { target, description });
        self.inputs.push(Input {
            started: at,
            ended: at,
            what: InputKind::Fault(fault),
        });
        Ok(())
    }

    /// Gives a KSN server's reputation database an entry (the Private KSN's local layer overrides its global
    /// one, SRV-PRIV-1), and records it as an input.
    pub fn set_reputation(
        &mut self,
        ksn: KsnKind,
        layer: ksnsim_mocks::Layer,
        entry: ksnsim_mocks::DbEntry,
    ) -> Result<(), HarnessError> {
        let server = self
            .ksn
            .get(&ksn)
            .ok_or_else(|| HarnessError::Setup(format!("this world has no {ksn:?} KSN server")))?;
        server.set_reputation_in(layer, entry.clone());
        let at = self.sim.elapsed();
        self.inputs.push(Input {
            started: at,
            ended: at,
            what: InputKind::Reputation { ksn, layer, entry },
        });
        Ok(())
    }

    /// What the scenario did so far, structured.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The mock server of a KSN, for inspection (request log, statistics counted).
    pub fn ksn(&self, kind: KsnKind) -> Option<&MockKsn> {
        self.ksn.get(&kind)
    }

    /// Wall-clock time in the world now (simulated, with any clock jump).
    pub fn wall_now(&self) -> std::time::SystemTime {
        self.clock.at(self.sim.elapsed())
    }

    /// Where endpoint `host` writes statistics files in save-to-file mode.
    pub fn statistics_dir(&self, host: &str) -> PathBuf {
        self.scratch.join(host)
    }

    /// The DNS servers' query logs: the system DNS first, then the public ones in the product's order.
    pub fn dns_logs(&self) -> Vec<(String, Vec<ksnsim_mocks::DnsQueryLog>)> {
        let mut logs = vec![(hostnames::SYSTEM_DNS.to_owned(), self.system_dns.log())];
        for (server, ip) in self.public_dns.iter().zip(ksnsim_reference::agent::PUBLIC_DNS) {
            logs.push((ip.to_string(), server.log()));
        }
        logs
    }

    pub fn endpoint_names(&self) -> Vec<String> {
        self.endpoints.keys().cloned().collect()
    }

    pub fn ip_of(&self, host: &str) -> Option<IpAddr> {
        self.names.ip(host)
    }

    /// Everything recorded so far, structured.
    pub fn events(&self) -> Vec<SimEvent> {
        self.recorder.events()
    }

    /// Everything recorded so far, in the reports' flat form (what is digested and drawn).
    pub fn trace(&self) -> Vec<TraceEvent> {
        self.recorder
            .events()
            .iter()
            .map(SimEvent::to_trace_event)
            .collect()
    }

    /// Reads every endpoint's statistics counters (through its own status), then runs every invariant.
    pub fn check_invariants(&mut self) -> Result<Vec<InvariantResult>, HarnessError> {
        for host in self.endpoint_names() {
            if !self.sim.is_host_running(self.endpoints[&host].host.as_str()) {
                continue;
            }
            let at = self.sim.elapsed();
            let outcome = self.act(&host, EndpointAction::Status)?;
            let recorded = self.endpoints[&host]
                .mailbox
                .recorded
                .load(std::sync::atomic::Ordering::Relaxed);
            self.facts.recorded.insert(host.clone(), recorded);
            if let Some(status) = outcome.status {
                let seen = StatusSeen {
                    at,
                    sim_host: self.endpoints[&host].host.as_str().to_owned(),
                    task: status.task.to_owned(),
                    ksn: status.ksn.to_owned(),
                    available: status.available,
                    summary: status.summary.clone(),
                };
                self.facts.status_at_end.insert(host.clone(), seen);
                let held = (
                    status.queued_statistics as u64,
                    status.overflowed_statistics,
                    status.deleted_statistics,
                );
                self.facts.held_at_end.insert(host, held);
            }
        }
        for (kind, mock) in &self.ksn {
            let host = match kind {
                KsnKind::Global => hostnames::GLOBAL_KSN,
                KsnKind::Private => hostnames::PRIVATE_KSN,
            };
            self.facts
                .server_counted
                .insert(host.to_owned(), mock.statistics());
        }
        let events = self.recorder.events();
        let mut results = check_all(&self.facts, &events);
        results.extend(crate::spec::judge(&crate::spec::Run {
            topology: &self.topology,
            facts: &self.facts,
            events: &events,
            inputs: &self.inputs,
            end: self.sim.elapsed(),
        }));
        Ok(results)
    }

    pub fn facts(&self) -> &WorldFacts {
        &self.facts
    }
}

impl Drop for SimWorld {
    fn drop(&mut self) {
        // Statistics files of save-to-file endpoints; nothing else is written outside memory.
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}
