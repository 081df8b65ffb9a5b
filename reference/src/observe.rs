//! What a component reports about itself as it works: requests it sends, answers it gets, DNS it asks,
//! state it changes. The harness turns these into trace events; real binaries log them or ignore them.
//! This is a hook like `tracing`, not a simulation switch: nothing here changes behaviour.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

/// One thing a component did or saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A request is about to be sent to `to` (a proxy or a KSN server, as configured).
    Request {
        to: String,
        method: String,
        path: String,
    },
    /// The answer to the last request to `from`.
    Answer {
        from: String,
        status: u16,
        detail: String,
    },
    /// The exchange with `with` failed without an answer (connection, TLS, time-out).
    Failed { with: String, error: String },
    /// A DNS query to `server` for `name`, and its outcome.
    Dns {
        server: SocketAddr,
        name: String,
        public: bool,
        outcome: String,
    },
    /// `what` (task, consent, participation, license) changed from `from` to `to`.
    State {
        what: &'static str,
        from: String,
        to: String,
    },
    /// Anything else worth a line in a trace (statistics deleted on withdrawal, queue overflow).
    Note(String),
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Request { to, method, path } => write!(f, "{method} {path} -> {to}"),
            Self::Answer { from, status, detail } => write!(f, "{status} {detail} <- {from}"),
            Self::Failed { with, error } => write!(f, "failed with {with}: {error}"),
            Self::Dns {
                server,
                name,
                public,
                outcome,
            } => {
                let kind = if *public { "public" } else { "system" };
                write!(f, "DNS {name} via {kind} {server}: {outcome}")
            }
            Self::State { what, from, to } => write!(f, "{what}: {from} -> {to}"),
            Self::Note(text) => f.write_str(text),
        }
    }
}

/// Receives observations. Must not block: it is called on the component's own task.
pub trait Observer: Send + Sync {
    fn observe(&self, observation: Observation);
}

/// An observer that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl Observer for Unobserved {
    fn observe(&self, _: Observation) {}
}

/// An observer that logs through `tracing` (the real binaries).
#[derive(Debug, Clone, Copy, Default)]
pub struct Logged;

impl Observer for Logged {
    fn observe(&self, observation: Observation) {
        tracing::info!("{observation}");
    }
}

pub type SharedObserver = Arc<dyn Observer>;
