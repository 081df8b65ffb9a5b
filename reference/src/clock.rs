//! The wall-clock seam: dates for statistics files, certificate validity and statements.
//!
//! Monotonic time (timeouts, ttl, backoff) is `tokio::time::Instant`, which turmoil drives in simulation;
//! wall time is read only through a [`WallClock`] that the caller injects. [`SystemClock`] is the one
//! implementation that reads the machine's clock; the harness injects a simulated one.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where wall time comes from.
pub trait WallClock: Send + Sync + fmt::Debug {
    fn now(&self) -> SystemTime;

    /// Seconds since the Unix epoch.
    fn unix_seconds(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// The handle components hold.
pub type SharedClock = Arc<dyn WallClock>;

/// The machine's clock, for the real binaries.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    pub fn shared() -> SharedClock {
        Arc::new(Self)
    }
}

impl WallClock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "SystemClock is the one place that reads the real clock"
    )]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until told to move: for tests of date-dependent logic.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    pub fn at_unix(seconds: u64) -> Self {
        Self(Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(seconds))))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .expect("clock lock is never poisoned: no code panics while holding it");
        *now += by;
    }
}

impl WallClock for ManualClock {
    fn now(&self) -> SystemTime {
        *self
            .0
            .lock()
            .expect("clock lock is never poisoned: no code panics while holding it")
    }
}

/// rustls reads certificate validity through this, so that it follows the injected clock.
#[derive(Debug)]
pub(crate) struct TlsTimeProvider(pub(crate) SharedClock);

impl rustls::time_provider::TimeProvider for TlsTimeProvider {
    fn current_time(&self) -> Option<rustls::pki_types::UnixTime> {
        let since = self.0.now().duration_since(UNIX_EPOCH).ok()?;
        Some(rustls::pki_types::UnixTime::since_unix_epoch(since))
    }
}
