//! Idle keep-alive connections to upstreams, kept for the next request (the proxy's misses): bounded in count
//! and in idle time, newest reused first. Off unless configured (`upstream_pool_idle`): a fresh connection per
//! exchange is the default, since under simulation a partition kills a connection for good (see `client`).
//!
//! Only lookups (GET, and batch lookups) travel on a reused connection: if one fails there, the client sends it
//! again on a fresh connection, which is harmless for a lookup; statistics uploads always get a fresh
//! connection, so that nothing is ever uploaded twice.

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::client::ServerUrl;

/// How many idle connections are kept and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolBounds {
    /// Idle connections kept at most, over all upstreams; 0 turns the pool off.
    pub max_idle: usize,
    /// An idle connection older than this is closed instead of reused.
    pub idle_timeout: Duration,
}

impl PoolBounds {
    /// No pool: one connection per exchange.
    pub const OFF: Self = Self {
        max_idle: 0,
        idle_timeout: Duration::from_secs(30),
    };
}

/// A connection ready for another request: its sender, and the task that drives it.
pub(crate) struct PooledConnection {
    pub sender: SendRequest<Full<Bytes>>,
    pub driver: JoinHandle<()>,
}

impl Drop for PooledConnection {
    /// A connection that leaves the pool for good is closed: its driver stops.
    fn drop(&mut self) {
        self.driver.abort();
    }
}

struct Idle {
    server: ServerUrl,
    since: Instant,
    connection: PooledConnection,
}

/// The idle connections.
pub(crate) struct ConnectionPool {
    bounds: PoolBounds,
    idle: Mutex<Vec<Idle>>,
}

impl ConnectionPool {
    /// A pool with `bounds`, or `None` when they turn it off.
    pub(crate) fn new(bounds: PoolBounds) -> Option<Self> {
        (bounds.max_idle > 0).then(|| Self {
            bounds,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The newest idle connection to `server` that is still open and not too old; older or closed ones to it
    /// are dropped on the way.
    pub(crate) fn take(&self, server: &ServerUrl) -> Option<PooledConnection> {
        let mut idle = self.idle.lock().expect("no panic while the pool lock is held");
        let now = Instant::now();
        idle.retain(|entry| {
            now.duration_since(entry.since) < self.bounds.idle_timeout && !entry.connection.sender.is_closed()
        });
        let newest = idle.iter().rposition(|entry| &entry.server == server)?;
        Some(idle.remove(newest).connection)
    }

    /// Keeps `connection` for the next request to `server`, unless the pool is full (then it is closed).
    pub(crate) fn put(&self, server: &ServerUrl, connection: PooledConnection) {
        if connection.sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().expect("no panic while the pool lock is held");
        if idle.len() < self.bounds.max_idle {
            idle.push(Idle {
                server: server.clone(),
                since: Instant::now(),
                connection,
            });
        }
    }

    /// Idle connections now kept.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.idle
            .lock()
            .expect("no panic while the pool lock is held")
            .len()
    }
}
