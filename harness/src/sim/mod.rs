//! The reference implementation's seams, simulated: `Net` on turmoil and the simulated wall clock.

mod clock;
mod net;

pub use clock::SimClock;
pub use net::{NameTable, SimNet};
