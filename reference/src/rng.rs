//! The randomness seam: idempotency keys, ids, jitter and backoff come from an injected, seeded generator.
//!
//! ChaCha8 gives the same stream for the same seed on every platform and crate version, which is what
//! "same seed, same trace" needs.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::sync::{Arc, Mutex};

/// A seeded random source, shared by the tasks of one component.
#[derive(Debug, Clone)]
pub struct SharedRng(Arc<Mutex<ChaCha8Rng>>);

impl SharedRng {
    pub fn seeded(seed: u64) -> Self {
        Self(Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))))
    }

    pub fn next_u64(&self) -> u64 {
        self.0
            .lock()
            .expect("rng lock is never poisoned: no code panics while holding it")
            .next_u64()
    }

    /// A uniformly drawn value in `0..bound` (`bound` > 0).
    pub fn below(&self, bound: u64) -> u64 {
        // Rejection sampling keeps the draw unbiased and the stream a pure function of the seed.
        let zone = u64::MAX - (u64::MAX % bound.max(1));
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % bound.max(1);
            }
        }
    }

    /// A version-4 UUID built from the stream (idempotency keys, statement ids).
    pub fn uuid(&self) -> uuid::Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A child generator for another component, so that components do not perturb each other's streams.
    pub fn fork(&self) -> Self {
        Self::seeded(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let a = SharedRng::seeded(7);
        let b = SharedRng::seeded(7);
        let c = SharedRng::seeded(8);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn below_stays_in_range_and_uuids_are_v4() {
        let rng = SharedRng::seeded(1);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        assert_eq!(rng.uuid().get_version_num(), 4);
        assert_ne!(rng.uuid(), rng.uuid());
    }
}
