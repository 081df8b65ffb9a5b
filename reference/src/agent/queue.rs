//! The extended-mode statistics queue (EP-STAT-1): bounded, persisted with the rest of the agent's state,
//! and sent in uploads that keep their Idempotency-Key until the server acknowledged them, so that an
//! outage, a crash or a retry never loses a record nor counts one twice. Overflow is counted, never silent.
//!
//! Pure: the caller persists it after each change and supplies the keys.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

use crate::protocol::statistics::StatisticsRecord;

/// Records waiting to be sent, and the upload in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatisticsQueue {
    capacity: usize,
    pending: VecDeque<StatisticsRecord>,
    in_flight: Option<Upload>,
    /// Records refused because the queue was full, since the start.
    overflowed: u64,
    /// Records deleted on withdrawal, since the start.
    deleted: u64,
}

/// One upload: the records and the key it is sent under, every time, until acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub idempotency_key: String,
    pub records: Vec<StatisticsRecord>,
}

/// The queue was full; the record was counted as overflowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("statistics queue is full ({capacity} records): the record was counted as lost by overflow")]
pub struct QueueFull {
    pub capacity: usize,
}

impl StatisticsQueue {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            pending: VecDeque::new(),
            in_flight: None,
            overflowed: 0,
            deleted: 0,
        }
    }

    /// Records held, in flight included.
    pub fn len(&self) -> usize {
        self.pending.len() + self.in_flight.as_ref().map_or(0, |u| u.records.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn overflowed(&self) -> u64 {
        self.overflowed
    }

    pub fn deleted(&self) -> u64 {
        self.deleted
    }

    pub fn push(&mut self, record: StatisticsRecord) -> Result<(), QueueFull> {
        if self.len() >= self.capacity {
            self.overflowed += 1;
            return Err(QueueFull {
                capacity: self.capacity,
            });
        }
        self.pending.push_back(record);
        Ok(())
    }

    /// The upload to send now: the one in flight if any (same key, same records), else up to `max`
    /// pending records under `new_key()`. `None` when there is nothing to send.
    pub fn next_upload(&mut self, max: usize, new_key: impl FnOnce() -> String) -> Option<Upload> {
        if self.in_flight.is_none() && !self.pending.is_empty() {
            let take = max.min(self.pending.len());
            let records = self.pending.drain(..take).collect();
            self.in_flight = Some(Upload {
                idempotency_key: new_key(),
                records,
            });
        }
        self.in_flight.clone()
    }

    /// The server accepted the upload with this key: its records are done.
    pub fn acknowledge(&mut self, idempotency_key: &str) -> usize {
        match &self.in_flight {
            Some(upload) if upload.idempotency_key == idempotency_key => {
                self.in_flight.take().map_or(0, |u| u.records.len())
            }
            _ => 0,
        }
    }

    /// Withdrawal (EP-STMT-3): every unsent record is deleted; returns how many.
    pub fn delete_all(&mut self) -> usize {
        let n = self.len();
        self.pending.clear();
        self.in_flight = None;
        self.deleted += n as u64;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u64) -> StatisticsRecord {
        let mut r = StatisticsRecord::new();
        r.insert("n".into(), n.into());
        r
    }

    #[test]
    fn ep_stat_1_an_unacknowledged_upload_is_resent_with_the_same_key() {
        let mut q = StatisticsQueue::new(10);
        (0..3).for_each(|n| q.push(record(n)).unwrap());
        let first = q.next_upload(2, || "k1".into()).unwrap();
        let again = q.next_upload(2, || "k2".into()).unwrap();
        assert_eq!(first, again, "same key and records until acknowledged");
        assert_eq!(q.acknowledge("other"), 0);
        assert_eq!(q.acknowledge("k1"), 2);
        let next = q.next_upload(2, || "k3".into()).unwrap();
        assert_eq!((next.idempotency_key.as_str(), next.records.len()), ("k3", 1));
    }

    #[test]
    fn ep_stat_1_overflow_is_counted_never_silent() {
        let mut q = StatisticsQueue::new(2);
        q.push(record(1)).unwrap();
        q.push(record(2)).unwrap();
        assert_eq!(q.push(record(3)), Err(QueueFull { capacity: 2 }));
        assert_eq!((q.len(), q.overflowed()), (2, 1));
    }

    #[test]
    fn ep_stmt_3_withdrawal_deletes_pending_and_in_flight() {
        let mut q = StatisticsQueue::new(10);
        (0..3).for_each(|n| q.push(record(n)).unwrap());
        q.next_upload(1, || "k".into());
        assert!(!q.is_empty(), "a queue with an upload in flight is not empty");
        assert_eq!(q.delete_all(), 3);
        assert!(q.is_empty() && q.next_upload(5, || "x".into()).is_none());
        assert_eq!(q.deleted(), 3);
    }

    #[test]
    fn queue_survives_a_serde_round_trip_with_its_in_flight_key() {
        let mut q = StatisticsQueue::new(10);
        q.push(record(1)).unwrap();
        q.next_upload(5, || "k".into());
        let back: StatisticsQueue = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
        assert_eq!(back, q);
    }
}
