//! What the scenario did to the world, structured and in order: the actions it made endpoints take (with what
//! came of them), the faults it applied and the reputations it set. The executable specification predicts
//! from these what must and must not happen; the trace says what did.

use ksnsim_mocks::{DbEntry, Layer};
use std::time::Duration;

use super::{ActionOutcome, EndpointAction, Fault};
use crate::topology::KsnKind;

/// One input, between `started` and `ended` in simulated time (the same moment for faults).
#[derive(Debug, Clone)]
pub struct Input {
    pub started: Duration,
    pub ended: Duration,
    pub what: InputKind,
}

#[derive(Debug, Clone)]
pub enum InputKind {
    /// Endpoint `host` was made to act; `outcome` is what the agent said of it.
    Action {
        host: String,
        action: EndpointAction,
        outcome: Box<ActionOutcome>,
    },
    Fault(Fault),
    /// A KSN server's reputation database was given an entry.
    Reputation {
        ksn: KsnKind,
        layer: Layer,
        entry: DbEntry,
    },
}
