//! Wall time inside the simulation: turmoil's epoch plus simulated elapsed time, plus any clock jump a
//! scenario applied (day changes, certificate expiry).

use ksnsim_reference::clock::WallClock;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The simulated wall clock. Clones share the jump.
#[derive(Debug, Clone)]
pub struct SimClock {
    epoch: SystemTime,
    jump_seconds: Arc<AtomicU64>,
}

impl SimClock {
    pub fn new(epoch: SystemTime) -> Self {
        Self {
            epoch,
            jump_seconds: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves wall time forward (monotonic time is unaffected, as on a real machine).
    pub fn jump(&self, by: Duration) {
        self.jump_seconds.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    pub fn epoch(&self) -> SystemTime {
        self.epoch
    }

    /// Wall time after `elapsed` of simulated time (for the world's own thread, outside any host).
    pub fn at(&self, elapsed: Duration) -> SystemTime {
        self.epoch + elapsed + Duration::from_secs(self.jump_seconds.load(Ordering::SeqCst))
    }
}

impl WallClock for SimClock {
    fn now(&self) -> SystemTime {
        // Outside a host (the world's own thread), turmoil has no elapsed time: the epoch stands.
        let elapsed = turmoil::sim_elapsed().unwrap_or_default();
        self.epoch + elapsed + Duration::from_secs(self.jump_seconds.load(Ordering::SeqCst))
    }
}
