//! The trace of a simulation: structured events for the invariant checkers, recorded by every host.

mod event;
mod recorder;
mod server_tap;

pub use event::{AnswerSeen, SeenRequest, SimEvent, SimEventKind, VerdictSeen};
pub use recorder::Recorder;
pub use server_tap::{ServerTap, seen};
