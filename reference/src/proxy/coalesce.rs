//! Coalescing of concurrent identical misses (PX-CACHE-6): the first request for a key goes upstream, the
//! ones that arrive while it is in flight wait for its answer instead of sending their own.
//!
//! The proxy runs each leader's fetch in a task of its own, so a leader's client that goes away cancels
//! nothing. Should a leader still be dropped unfinished, its waiters are released with nothing rather than
//! left waiting: a cancelled request never strands others.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Requests in flight, by key.
#[derive(Debug)]
pub struct Inflight<K: Eq + Hash + Clone, V: Clone> {
    waiting: Arc<Mutex<HashMap<K, Vec<oneshot::Sender<V>>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Default for Inflight<K, V> {
    fn default() -> Self {
        Self {
            waiting: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// What a request for a key should do.
pub enum Role<K: Eq + Hash + Clone, V: Clone> {
    /// Go upstream, then hand the answer to [`Leader::finish`].
    Leader(Leader<K, V>),
    /// Wait for the leader's answer; `Err` means the leader was dropped without one.
    Follower(oneshot::Receiver<V>),
}

impl<K: Eq + Hash + Clone, V: Clone> Inflight<K, V> {
    pub fn join(&self, key: &K) -> Role<K, V> {
        let mut waiting = self
            .waiting
            .lock()
            .expect("inflight lock is never poisoned: no panics while held");
        if let Some(followers) = waiting.get_mut(key) {
            let (tx, rx) = oneshot::channel();
            followers.push(tx);
            Role::Follower(rx)
        } else {
            waiting.insert(key.clone(), Vec::new());
            Role::Leader(Leader {
                key: Some(key.clone()),
                waiting: self.waiting.clone(),
            })
        }
    }
}

/// The one request for a key that goes upstream.
pub struct Leader<K: Eq + Hash + Clone, V: Clone> {
    key: Option<K>,
    waiting: Arc<Mutex<HashMap<K, Vec<oneshot::Sender<V>>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Leader<K, V> {
    /// Hands `value` to every follower and retires the key.
    pub fn finish(mut self, value: &V) {
        for follower in self.take_followers() {
            // A follower whose client went away has dropped its receiver; nothing to do for it.
            let _ = follower.send(value.clone());
        }
    }

    fn take_followers(&mut self) -> Vec<oneshot::Sender<V>> {
        let Some(key) = self.key.take() else {
            return Vec::new();
        };
        let mut waiting = self
            .waiting
            .lock()
            .expect("inflight lock is never poisoned: no panics while held");
        waiting.remove(&key).unwrap_or_default()
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for Leader<K, V> {
    fn drop(&mut self) {
        // Cancelled before finishing: dropping the senders releases the followers to go upstream themselves.
        drop(self.take_followers());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_cache_6_followers_get_the_leaders_answer() {
        let inflight: Inflight<u8, u32> = Inflight::default();
        let Role::Leader(leader) = inflight.join(&1) else {
            panic!("first is leader")
        };
        let Role::Follower(mut rx) = inflight.join(&1) else {
            panic!("second follows")
        };
        assert!(
            matches!(inflight.join(&2), Role::Leader(_)),
            "other keys are independent"
        );
        leader.finish(&42);
        assert_eq!(rx.try_recv().unwrap(), 42);
        assert!(
            matches!(inflight.join(&1), Role::Leader(_)),
            "a finished key starts afresh"
        );
    }

    #[test]
    fn a_cancelled_leader_releases_its_followers() {
        let inflight: Inflight<u8, u32> = Inflight::default();
        let leader = inflight.join(&1);
        let Role::Follower(mut rx) = inflight.join(&1) else {
            panic!("second follows")
        };
        drop(leader);
        assert!(rx.try_recv().is_err());
        assert!(matches!(inflight.join(&1), Role::Leader(_)));
    }
}
