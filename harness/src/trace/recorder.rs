//! The trace recorder: every host of a world appends to one list, stamped with simulated time. Events are
//! appended in the order the simulation produces them, which is a pure function of the seed and the plan.

use ksnsim_reference::observe::{Observation, Observer};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::event::{SimEvent, SimEventKind};
use crate::sim::NameTable;

/// Shared by every host of one world.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<SimEvent>>>,
}

impl Recorder {
    /// Records `what` at the current simulated time (inside a host), or at `fallback` (the world thread).
    pub fn record_at(&self, at: Duration, what: SimEventKind) {
        self.events
            .lock()
            .expect("trace lock is never poisoned: no panics while held")
            .push(SimEvent { at, what });
    }

    /// Records from inside a host, where turmoil knows the simulated time.
    pub fn record(&self, what: SimEventKind) {
        self.record_at(turmoil::sim_elapsed().unwrap_or_default(), what);
    }

    pub fn events(&self) -> Vec<SimEvent> {
        self.events
            .lock()
            .expect("trace lock is never poisoned: no panics while held")
            .clone()
    }

    pub fn len(&self) -> usize {
        self.events
            .lock()
            .expect("trace lock is never poisoned: no panics while held")
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An observer for the agent on `host`; addresses in its observations are shown by host name.
    pub fn observer_for(&self, host: &str, names: Arc<NameTable>) -> Arc<dyn Observer> {
        Arc::new(HostObserver {
            host: host.to_owned(),
            recorder: self.clone(),
            names,
        })
    }
}

struct HostObserver {
    host: String,
    recorder: Recorder,
    names: Arc<NameTable>,
}

impl Observer for HostObserver {
    fn observe(&self, observation: Observation) {
        let host = self.host.clone();
        let what = match observation {
            Observation::Request { to, method, path } => SimEventKind::ClientRequest {
                host,
                to,
                method,
                path,
            },
            Observation::Answer { status, detail, .. } => SimEventKind::ClientAnswer { host, status, detail },
            Observation::Failed { with, error } => SimEventKind::ClientFailed { host, with, error },
            Observation::Dns {
                server,
                name,
                public,
                outcome,
            } => SimEventKind::Dns {
                host,
                server: self.names.name_of(server.ip()),
                public,
                name,
                outcome,
            },
            Observation::State { what, from, to } => SimEventKind::State {
                host,
                what: what.to_owned(),
                from,
                to,
            },
            Observation::Note(text) => SimEventKind::Note { host, text },
        };
        self.recorder.record(what);
    }
}
