//! What the server loop does when `accept` fails: a failure of one client (reset during the handshake) is
//! passed over at once, but running out of file descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) would
//! make the loop spin on the same error and burn a core. Those wait, doubling from 10 ms up to 1 s, and are
//! logged once per episode: when they start, and when accepting works again.
//!
//! Plain logic: the caller sleeps for the returned pause on tokio's clock.

use std::io;
use std::time::Duration;

const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// Accept failures in a row, and how long to pause after the next one.
#[derive(Debug, Default)]
pub(super) struct AcceptBackoff {
    failures: u64,
    pause: Duration,
}

/// True for errors that say the process (or the system) is out of a resource, not that one client failed.
fn is_exhaustion(err: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM (Linux numbering; elsewhere the kind still says out of memory).
    matches!(err.raw_os_error(), Some(24 | 23 | 105 | 12)) || err.kind() == io::ErrorKind::OutOfMemory
}

impl AcceptBackoff {
    /// Records a failed accept; returns how long to wait before the next one (zero for one client's failure).
    pub(super) fn failed(&mut self, err: &io::Error) -> Duration {
        if !is_exhaustion(err) {
            tracing::debug!("accept failed: {err}");
            return Duration::ZERO;
        }
        self.failures += 1;
        self.pause = if self.pause.is_zero() {
            tracing::warn!(
                "cannot accept clients: {err}; pausing accepts (up to {LONGEST_PAUSE:?} at a time) until \
                 descriptors are free. Raise the open-file limit (ulimit -n) or lower max_connections"
            );
            FIRST_PAUSE
        } else {
            (self.pause * 2).min(LONGEST_PAUSE)
        };
        self.pause
    }

    /// Records a successful accept, ending an episode of failures.
    pub(super) fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::warn!("accepting clients again after {} failed accepts", self.failures);
        }
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustion_pauses_grow_to_a_bound_and_reset_after_success() {
        let emfile = io::Error::from_raw_os_error(24);
        let mut backoff = AcceptBackoff::default();
        let pauses: Vec<Duration> = (0..10).map(|_| backoff.failed(&emfile)).collect();
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert_eq!(pauses[1], FIRST_PAUSE * 2);
        assert_eq!(*pauses.last().unwrap(), LONGEST_PAUSE);
        backoff.succeeded();
        assert_eq!(backoff.failed(&emfile), FIRST_PAUSE);
    }

    #[test]
    fn one_clients_failure_does_not_pause() {
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        let mut backoff = AcceptBackoff::default();
        assert_eq!(backoff.failed(&reset), Duration::ZERO);
        assert_eq!(backoff.failures, 0);
    }
}
