//! A bound on the request bodies a server holds in memory at once, over all its connections: each body
//! reserves its bytes (its whole `Content-Length` up front, or chunk by chunk) from one shared budget and
//! gives them back when its request has been answered. A body the budget cannot hold is refused at once
//! (503 with `Retry-After`), so that many stalled, almost complete bodies cannot exhaust memory.

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

    /// Reads `body` whole (at most `max` bytes), reserving what it holds from the budget.
    pub(super) async fn collect(&self, mut body: Incoming, max: usize) -> Result<HeldBody, BodyRefused> {
        let declared = body.size_hint().exact();
        let mut reserved: Option<OwnedSemaphorePermit> = None;
        if let Some(length) = declared {
            if usize::try_from(length).map_or(true, |length| length > max) {
                return Err(BodyRefused::TooLarge);
            }
            self.reserve(&mut reserved, length as usize)?;
        }
        let mut held = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(BodyRefused::Unreadable)?;
            let Ok(data) = frame.into_data() else { continue };
            if held.len() + data.len() > max {
                return Err(BodyRefused::TooLarge);
            }
            held.extend_from_slice(&data);
            let have = reserved.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
            if held.len() > have {
                self.reserve(&mut reserved, held.len() - have)?;
            }
        }
        Ok(HeldBody {
            bytes: held.freeze(),
            _reserved: reserved,
        })
    }

    fn reserve(&self, reserved: &mut Option<OwnedSemaphorePermit>, more: usize) -> Result<(), BodyRefused> {
        if more == 0 {
            return Ok(());
        }
        let over = BodyRefused::OverBudget { total: self.total };
        let more = u32::try_from(more).map_err(|_| BodyRefused::TooLarge)?;
        let permit = self
            .bytes
            .clone()
            .try_acquire_many_owned(more)
            .map_err(|_| over)?;
        match reserved {
            Some(held) => held.merge(permit),
            None => *reserved = Some(permit),
        }
        Ok(())
    }
}
