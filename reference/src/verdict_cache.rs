//! Verdict cache of the KSN proxy and the endpoint agent: which lookups may be answered locally, and until when.
//!
//! Pure: no sockets and no clock reads; callers pass `now`. Keys carry the tenant and the Statement version,
//! so one tenant never sees another's answer (PX-CACHE-4). Entries live for their ttl (PX-CACHE-1, -2),
//! stay available as stale within a grace window (PX-STALE-1), and the least recently used entry goes first
//! when the cache is full (PX-CACHE-7): full in entries, or in bytes (`with_max_bytes`), counting what each
//! entry really takes in memory (see `entry_cost`). Only verdicts are stored: errors, statistics, statement
//! and ping never reach this module (PX-CACHE-3, PX-STAT-2).

use lru::LruCache;
use std::collections::hash_map::RandomState;
use std::mem::size_of;
use std::time::Duration;
use tokio::time::Instant;

use crate::protocol::{ObjectRef, Reputation, StatementVersion, TenantId};

/// What a cached answer is keyed by: who asked (tenant), under which Statement, about what.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey {
    pub tenant: Option<TenantId>,
    pub statement: Option<StatementVersion>,
    pub object: ObjectRef,
}

/// The outcome of a cache look-up. Reputations come back with `ttl` set to the seconds left, so that a
/// downstream cache (a proxy chain, PX-CHAIN-1) never keeps them longer than the origin allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached {
    Fresh(Reputation),
    /// Expired, but within the grace window: usable only when the upstream is down.
    Stale(Reputation),
    Miss,
}

#[derive(Debug)]
struct Entry {
    reputation: Reputation,
    fresh_until: Instant,
    /// What this entry takes in memory, as [`entry_cost`] counts it.
    cost: usize,
}

/// Heap bytes of one allocation of `len` bytes: its bytes and the allocator's header and rounding.
fn allocation(len: usize) -> usize {
    const PER_ALLOCATION: usize = 16;
    if len == 0 {
        0
    } else {
        len.next_multiple_of(8) + PER_ALLOCATION
    }
}

fn object_heap(object: &ObjectRef) -> usize {
    match object {
        ObjectRef::File(hash) => allocation(hash.as_str().len()),
        ObjectRef::Url(url) => allocation(url.as_str().len()),
    }
}

fn key_heap(key: &CacheKey) -> usize {
    key.tenant.as_ref().map_or(0, |t| allocation(t.as_str().len())) + object_heap(&key.object)
}

/// Bytes an entry takes in memory: the LRU list's node (the key, the entry with the verdict and its own copy of
/// the object, two links) as one allocation, the key's and the verdict's strings, and the hash map's slot (two
/// pointers, a control byte and the spare slots of its 7/8 load). What is answered from it (body, headers) is
/// built per hit and is not kept.
fn entry_cost(key: &CacheKey, reputation: &Reputation) -> usize {
    const MAP_SLOT: usize = 2 * size_of::<usize>() + 1;
    const MAP_SLOTS_PER_ENTRY: usize = 2; // a table between half and 7/8 full
    allocation(size_of::<CacheKey>() + size_of::<Entry>() + 2 * size_of::<usize>())
        + key_heap(key)
        + object_heap(&reputation.object)
        + MAP_SLOTS_PER_ENTRY * MAP_SLOT
}

/// A bounded, ttl-aware LRU cache of verdicts. A look-up or an insertion costs the same whatever the fill: the
/// recency order is a linked list threaded through the hash map's entries (`lru`), with one copy of each key.
#[derive(Debug)]
pub struct Cache {
    capacity: usize,
    max_bytes: usize,
    /// The sum of the entries' costs.
    bytes: usize,
    grace: Duration,
    /// Entries in recency order: the least recently used is popped first. SipHash (std's `RandomState`), since
    /// the keys are chosen by clients.
    entries: LruCache<CacheKey, Entry, RandomState>,
    evictions: u64,
}

impl Cache {
    /// A cache of at most `capacity` entries (0 disables caching); expired entries stay usable as stale for
    /// `grace`.
    pub fn new(capacity: usize, grace: Duration) -> Self {
        Self {
            capacity,
            max_bytes: usize::MAX,
            bytes: 0,
            grace,
            entries: LruCache::unbounded_with_hasher(RandomState::new()),
            evictions: 0,
        }
    }

    /// The same cache, bounded also to `max_bytes` of memory for its entries (see [`Cache::bytes`]).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// What the entries take in memory, as counted against the byte bound.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries were evicted to make room, since the start.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Looks `key` up at `now`; a fresh entry becomes the most recently used (a stale one does not).
    pub fn get(&mut self, key: &CacheKey, now: Instant) -> Cached {
        let Some(entry) = self.entries.peek(key) else {
            return Cached::Miss;
        };
        let fresh_until = entry.fresh_until;
        if now < fresh_until {
            let mut reputation = entry.reputation.clone();
            reputation.ttl = (fresh_until - now).as_secs();
            self.entries.promote(key);
            Cached::Fresh(reputation)
        } else if now < fresh_until + self.grace {
            let mut reputation = entry.reputation.clone();
            reputation.ttl = 0;
            Cached::Stale(reputation)
        } else {
            self.remove(key);
            Cached::Miss
        }
    }

    /// Stores `reputation` for `ttl` from `now`. A zero ttl stores nothing (and drops an older entry).
    pub fn put(&mut self, key: CacheKey, reputation: Reputation, ttl: Duration, now: Instant) {
        self.remove(&key);
        let cost = entry_cost(&key, &reputation);
        // An entry larger than the whole byte bound is not kept (and evicts nothing).
        if ttl.is_zero() || self.capacity == 0 || cost > self.max_bytes {
            return;
        }
        while self.entries.len() >= self.capacity || self.bytes + cost > self.max_bytes {
            if !self.evict_least_recently_used() {
                break;
            }
        }
        self.bytes += cost;
        self.entries.push(
            key,
            Entry {
                reputation,
                fresh_until: now + ttl,
                cost,
            },
        );
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some(entry) = self.entries.pop(key) {
            self.bytes -= entry.cost;
        }
    }

    /// Evicts the least recently used entry; false if there is none.
    fn evict_least_recently_used(&mut self) -> bool {
        let Some((_, entry)) = self.entries.pop_lru() else {
            return false;
        };
        self.bytes -= entry.cost;
        self.evictions += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{LicenseKey, Source, Verdict};
    use proptest::prelude::*;

    fn key(n: u8, tenant: Option<&str>) -> CacheKey {
        CacheKey {
            tenant: tenant.map(|t| t.parse::<LicenseKey>().unwrap().tenant()),
            statement: Some(StatementVersion(1)),
            object: ObjectRef::File(format!("{n:064x}").parse().unwrap()),
        }
    }

    fn rep(key: &CacheKey, verdict: Verdict) -> Reputation {
        Reputation {
            object: key.object.clone(),
            verdict,
            source: Source::Global,
            ttl: 60,
        }
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn px_cache_1_fresh_entry_is_served_with_the_seconds_left() {
        let (mut cache, t0) = (Cache::new(10, Duration::ZERO), Instant::now());
        let k = key(1, None);
        cache.put(k.clone(), rep(&k, Verdict::Trusted), MIN, t0);
        match cache.get(&k, t0 + Duration::from_secs(45)) {
            Cached::Fresh(r) => assert_eq!((r.verdict, r.ttl), (Verdict::Trusted, 15)),
            other => panic!("expected fresh, got {other:?}"),
        }
    }

    #[test]
    fn px_cache_2_entry_expires_at_its_ttl() {
        let (mut cache, t0) = (Cache::new(10, Duration::ZERO), Instant::now());
        let k = key(1, None);
        cache.put(k.clone(), rep(&k, Verdict::Trusted), MIN, t0);
        assert!(!cache.is_empty());
        assert_eq!(cache.get(&k, t0 + MIN), Cached::Miss);
        assert!(cache.is_empty(), "an expired entry is dropped");
    }

    #[test]
    fn px_cache_4_tenants_never_share_entries() {
        let (mut cache, t0) = (Cache::new(10, Duration::ZERO), Instant::now());
        let a = key(1, Some("tenant-a"));
        cache.put(a.clone(), rep(&a, Verdict::Untrusted), MIN, t0);
        assert_eq!(cache.get(&key(1, Some("tenant-b")), t0), Cached::Miss);
        assert_eq!(cache.get(&key(1, None), t0), Cached::Miss);
        assert!(matches!(cache.get(&a, t0), Cached::Fresh(_)));
    }

    #[test]
    fn px_cache_7_least_recently_used_goes_first() {
        let (mut cache, t0) = (Cache::new(2, Duration::ZERO), Instant::now());
        let (k1, k2, k3) = (key(1, None), key(2, None), key(3, None));
        cache.put(k1.clone(), rep(&k1, Verdict::Trusted), MIN, t0);
        cache.put(k2.clone(), rep(&k2, Verdict::Trusted), MIN, t0);
        assert!(
            matches!(cache.get(&k1, t0), Cached::Fresh(_)),
            "k1 is now more recent than k2"
        );
        cache.put(k3.clone(), rep(&k3, Verdict::Trusted), MIN, t0);
        assert_eq!(cache.get(&k2, t0), Cached::Miss);
        assert!(matches!(cache.get(&k1, t0), Cached::Fresh(_)));
        assert_eq!((cache.len(), cache.evictions()), (2, 1));
    }

    #[test]
    fn px_stale_1_expired_entry_is_stale_within_grace_then_gone() {
        let (mut cache, t0) = (Cache::new(10, MIN), Instant::now());
        let k = key(1, None);
        cache.put(k.clone(), rep(&k, Verdict::Riskware), MIN, t0);
        assert!(matches!(cache.get(&k, t0 + MIN + Duration::from_secs(1)), Cached::Stale(r) if r.ttl == 0));
        assert_eq!(cache.get(&k, t0 + MIN * 2), Cached::Miss);
    }

    #[test]
    fn zero_ttl_and_zero_capacity_store_nothing() {
        let t0 = Instant::now();
        let k = key(1, None);
        let mut cache = Cache::new(10, Duration::ZERO);
        cache.put(k.clone(), rep(&k, Verdict::Trusted), Duration::ZERO, t0);
        assert!(cache.is_empty());
        let mut off = Cache::new(0, Duration::ZERO);
        off.put(k.clone(), rep(&k, Verdict::Trusted), MIN, t0);
        assert!(off.is_empty());
    }

    fn url_key(n: u32, len: usize) -> CacheKey {
        let url = format!("https://example.test/{n}/{}", "a".repeat(len));
        CacheKey {
            tenant: None,
            statement: Some(StatementVersion(1)),
            object: ObjectRef::Url(url.parse().unwrap()),
        }
    }

    #[test]
    fn px_cache_7_an_entry_costs_at_least_its_two_copies_of_the_url() {
        let k = url_key(1, 2000);
        let cost = entry_cost(&k, &rep(&k, Verdict::Trusted));
        assert!(cost >= 2 * 2000, "{cost}");
        let short = key(1, None);
        let file_cost = entry_cost(&short, &rep(&short, Verdict::Trusted));
        println!("an entry costs {file_cost} bytes for a file hash, {cost} for a 2000-byte URL");
        assert!(file_cost < cost / 4);
    }

    fn cost(key: &CacheKey) -> usize {
        entry_cost(key, &rep(key, Verdict::Trusted))
    }

    /// The byte bound is only as good as this count, and the suite's caches never come near 256 MiB: the
    /// arithmetic is pinned here, from the sizes of the parts (see `entry_cost`).
    #[test]
    fn px_cache_7_an_entry_costs_its_node_its_strings_and_its_map_slots() {
        let word = size_of::<usize>();
        let node = size_of::<CacheKey>() + size_of::<Entry>() + 2 * word;
        // A file hash (64 bytes, one 16-byte allocation header) in the key and in the verdict.
        let hash_string = 64 + 16;
        let map_slots = 2 * (2 * word + 1);
        let file = key(1, None);
        assert_eq!(
            cost(&file),
            (node.next_multiple_of(8) + 16) + 2 * hash_string + map_slots
        );
        // A tenant adds its own string, once.
        let tenant = key(1, Some("tenant-a"));
        let tenant_len = tenant.tenant.as_ref().map_or(0, |t| t.as_str().len());
        assert!(tenant_len > 0);
        assert_eq!(cost(&tenant) - cost(&file), tenant_len.next_multiple_of(8) + 16);
        // Eight more bytes of URL cost eight more bytes in each of its two copies.
        assert_eq!(cost(&url_key(1, 108)) - cost(&url_key(1, 100)), 2 * 8);
    }

    #[test]
    fn px_cache_7_the_byte_bound_evicts_the_least_recently_used() {
        let t0 = Instant::now();
        let keys: Vec<CacheKey> = (0..4).map(|n| url_key(n, 1500)).collect();
        let one = entry_cost(&keys[0], &rep(&keys[0], Verdict::Trusted));
        let mut cache = Cache::new(1000, Duration::ZERO).with_max_bytes(3 * one);
        for k in &keys[..3] {
            cache.put(k.clone(), rep(k, Verdict::Trusted), MIN, t0);
        }
        assert_eq!((cache.len(), cache.bytes()), (3, 3 * one));
        assert!(
            matches!(cache.get(&keys[0], t0), Cached::Fresh(_)),
            "keys[0] is now more recent"
        );
        cache.put(keys[3].clone(), rep(&keys[3], Verdict::Trusted), MIN, t0);
        assert_eq!(
            cache.get(&keys[1], t0),
            Cached::Miss,
            "the least recently used went"
        );
        assert!(matches!(cache.get(&keys[0], t0), Cached::Fresh(_)));
        assert_eq!((cache.len(), cache.bytes(), cache.evictions()), (3, 3 * one, 1));
    }

    #[test]
    fn an_entry_exactly_the_byte_bound_is_kept() {
        let t0 = Instant::now();
        let k = url_key(1, 500);
        let mut cache = Cache::new(10, Duration::ZERO).with_max_bytes(cost(&k));
        cache.put(k.clone(), rep(&k, Verdict::Trusted), MIN, t0);
        assert!(matches!(cache.get(&k, t0), Cached::Fresh(_)));
        assert_eq!((cache.bytes(), cache.evictions()), (cost(&k), 0));
    }

    #[test]
    fn an_entry_larger_than_the_byte_bound_is_not_kept_and_evicts_nothing() {
        let t0 = Instant::now();
        let small = key(1, None);
        let mut cache = Cache::new(10, Duration::ZERO).with_max_bytes(1000);
        cache.put(small.clone(), rep(&small, Verdict::Trusted), MIN, t0);
        let big = url_key(2, 2000);
        cache.put(big.clone(), rep(&big, Verdict::Trusted), MIN, t0);
        assert_eq!(cache.get(&big, t0), Cached::Miss);
        assert!(matches!(cache.get(&small, t0), Cached::Fresh(_)));
    }

    proptest! {
        #[test]
        fn never_exceeds_the_byte_bound_and_counts_bytes_exactly(
            max_bytes in 500usize..20_000,
            ops in proptest::collection::vec((0u32..16, 0usize..2000, any::<bool>()), 0..200),
        ) {
            let t0 = Instant::now();
            let mut cache = Cache::new(usize::MAX, Duration::ZERO).with_max_bytes(max_bytes);
            for (n, len, is_put) in ops {
                let k = url_key(n, len);
                if is_put { cache.put(k.clone(), rep(&k, Verdict::Trusted), MIN, t0) } else { cache.get(&k, t0); }
                prop_assert!(cache.bytes() <= max_bytes);
                let counted: usize = cache.entries.iter().map(|(_, e)| e.cost).sum();
                prop_assert_eq!(cache.bytes(), counted);
            }
        }

        #[test]
        fn never_exceeds_capacity(
            capacity in 1usize..8,
            ops in proptest::collection::vec((0u8..16, any::<bool>()), 0..200),
        ) {
            let (mut cache, t0) = (Cache::new(capacity, Duration::ZERO), Instant::now());
            for (n, is_put) in ops {
                let k = key(n, None);
                if is_put { cache.put(k.clone(), rep(&k, Verdict::Trusted), MIN, t0) } else { cache.get(&k, t0); }
                prop_assert!(cache.len() <= capacity);
            }
        }
    }
}
