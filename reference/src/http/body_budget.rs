//! A bound on the request bodies a server holds in memory at once, over all its connections: each body
//! reserves its bytes (its whole `Content-Length` up front, or chunk by chunk) from one shared budget and
//! gives them back when its request has been answered. A body the budget cannot hold is refused (503 with
//! `Retry-After`) without being kept, so that many stalled, almost complete bodies cannot exhaust memory.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bytes of request bodies a server may hold at once.
#[derive(Debug, Clone)]
pub(super) struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
}

/// Why a body was not read.
#[derive(Debug)]
pub(super) enum BodyRefused {
    /// Over the per-request limit.
    TooLarge,
    /// The shared budget is spent: the server holds `total` bytes of bodies already.
    OverBudget { total: usize },
    /// The client broke off or sent garbage framing.
    Unreadable(hyper::Error),
}

/// A complete body, and its share of the budget (given back on drop).
pub(super) struct HeldBody {
    pub bytes: Bytes,
    _reserved: Option<OwnedSemaphorePermit>,
}

impl BodyBudget {
    pub(super) fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Reads `body` whole (at most `max` bytes), reserving what it holds from the budget. A body the budget
    /// cannot hold is still read to its end, but dropped as it arrives (it takes no memory), so that the
    /// client, done sending, reads its 503 instead of a reset; a body over `max` is refused as soon as it
    /// passes it, as before the budget.
    pub(super) async fn collect(&self, mut body: Incoming, max: usize) -> Result<HeldBody, BodyRefused> {
        let mut reserved: Option<OwnedSemaphorePermit> = None;
        let mut over_budget = false;
        if let Some(length) = body.size_hint().exact() {
            let length = usize::try_from(length).unwrap_or(usize::MAX).min(max);
            over_budget = !self.reserve(&mut reserved, length);
        }
        let (mut held, mut seen) = (BytesMut::new(), 0usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(BodyRefused::Unreadable)?;
            let Ok(data) = frame.into_data() else { continue };
            seen += data.len();
            if seen > max {
                return Err(BodyRefused::TooLarge);
            }
            if over_budget {
                continue;
            }
            let have = reserved.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
            if seen > have && !self.reserve(&mut reserved, seen - have) {
                (over_budget, held, reserved) = (true, BytesMut::new(), None);
                continue;
            }
            held.extend_from_slice(&data);
        }
        if over_budget {
            return Err(BodyRefused::OverBudget { total: self.total });
        }
        Ok(HeldBody {
            bytes: held.freeze(),
            _reserved: reserved,
        })
    }

    /// Adds `more` bytes to `reserved`; false if the budget does not have them.
    fn reserve(&self, reserved: &mut Option<OwnedSemaphorePermit>, more: usize) -> bool {
        if more == 0 {
            return true;
        }
        let Ok(more) = u32::try_from(more) else {
            return false;
        };
        let Ok(permit) = self.bytes.clone().try_acquire_many_owned(more) else {
            return false;
        };
        match reserved {
            Some(held) => held.merge(permit),
            None => *reserved = Some(permit),
        }
        true
    }
}
