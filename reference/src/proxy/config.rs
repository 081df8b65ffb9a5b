//! The proxy's settings: where the upstream is, how long to wait for it, how big the cache may grow.
//! Read from flags and an optional TOML file (`ksn-proxy --config FILE`).

use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

#[cfg(feature = "self-test-misbehaviour")]
use super::misbehave::Misbehaviour;
use crate::http::{PoolBounds, ServerOptions, ServerUrl};

/// Everything the proxy needs to run, beyond its sockets.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The KSN server (or the next proxy of a chain) that requests are relayed to.
    pub upstream: ServerUrl,
    /// The bound on one upstream exchange; past it the client gets 504 (PX-ERR-1).
    pub upstream_timeout: Duration,
    /// At most this many cached verdicts (PX-CACHE-7); 0 disables the cache.
    pub cache_capacity: usize,
    /// At most this many bytes of memory for cached verdicts, counting what each entry really takes (key,
    /// verdict, map overhead); the least recently used go first.
    pub cache_max_bytes: usize,
    /// How long after expiry a verdict may stand in while the upstream is down (PX-STALE-1); 0 disables.
    pub stale_grace: Duration,
    /// Limits towards clients (body size, slow clients).
    pub server: ServerOptions,
    /// Idle keep-alive connections to the upstream kept for the next lookups; off by default (a fresh TCP and
    /// TLS connection per upstream exchange).
    pub upstream_pool: PoolBounds,
    /// Break one requirement on purpose: for the conformance suite's self-test only (see `misbehave`; only
    /// with the `self-test-misbehaviour` feature).
    #[cfg(feature = "self-test-misbehaviour")]
    pub misbehave: Option<Misbehaviour>,
}

impl ProxyConfig {
    pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_CACHE_CAPACITY: usize = 100_000;
    pub const DEFAULT_CACHE_MAX_BYTES: usize = 256 * 1024 * 1024;

    pub fn new(upstream: ServerUrl) -> Self {
        Self {
            upstream,
            upstream_timeout: Self::DEFAULT_UPSTREAM_TIMEOUT,
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            cache_max_bytes: Self::DEFAULT_CACHE_MAX_BYTES,
            stale_grace: Duration::ZERO,
            server: ServerOptions::default(),
            upstream_pool: PoolBounds::OFF,
            #[cfg(feature = "self-test-misbehaviour")]
            misbehave: None,
        }
    }

    /// Descriptors kept out of the client connections' share: the listener, the runtime, the resolver,
    /// the log and config files.
    pub const RESERVED_DESCRIPTORS: u64 = 64;

    /// The default cap on client connections under an open-file limit of `fd_limit`: each client connection
    /// may hold one upstream connection at a time, so two descriptors each, after the reserve.
    pub fn max_connections_for(fd_limit: u64) -> usize {
        let share = fd_limit.saturating_sub(Self::RESERVED_DESCRIPTORS) / 2;
        usize::try_from(share).unwrap_or(usize::MAX).max(1)
    }

    /// Applies the settings of a TOML file over these.
    pub fn apply_file(&mut self, file: &ProxyConfigFile) {
        if let Some(ms) = file.upstream_timeout_ms {
            self.upstream_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = file.cache_capacity {
            self.cache_capacity = n;
        }
        if let Some(n) = file.cache_max_bytes {
            self.cache_max_bytes = n;
        }
        if let Some(s) = file.stale_grace_seconds {
            self.stale_grace = Duration::from_secs(s);
        }
        if let Some(n) = file.max_body_bytes {
            self.server.max_body_bytes = n;
        }
        if let Some(ms) = file.client_timeout_ms {
            self.server.header_timeout = Duration::from_millis(ms);
            self.server.body_timeout = Duration::from_millis(ms);
            self.server.write_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = file.max_buffered_body_bytes {
            self.server.max_buffered_body_bytes = n;
        }
        if let Some(n) = file.max_connections {
            self.server.max_connections = Some(n.max(1));
        }
        if let Some(ms) = file.shutdown_grace_ms {
            self.server.drain_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = file.upstream_pool_idle {
            self.upstream_pool.max_idle = n.min(Self::MAX_UPSTREAM_POOL_IDLE);
        }
        if let Some(ms) = file.upstream_pool_idle_ms {
            self.upstream_pool.idle_timeout = Duration::from_millis(ms);
        }
    }

    /// The most idle upstream connections a proxy keeps, whatever its config says (each holds a descriptor).
    pub const MAX_UPSTREAM_POOL_IDLE: usize = 1024;
}

/// The `--config` file. Every field is optional; unknown fields are an error, so that a typo is not ignored.
///
/// ```toml
/// upstream_timeout_ms = 10000
/// cache_capacity = 100000
/// cache_max_bytes = 268435456
/// stale_grace_seconds = 0
/// max_body_bytes = 1048576
/// client_timeout_ms = 10000
/// shutdown_grace_ms = 10000
/// max_buffered_body_bytes = 67108864
/// max_connections = 480    # default: from the open-file limit, see ProxyConfig::max_connections_for
/// upstream_pool_idle = 0   # idle keep-alive upstream connections kept for lookups (0: off; at most 1024)
/// upstream_pool_idle_ms = 30000
/// ```
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfigFile {
    pub upstream_timeout_ms: Option<u64>,
    pub cache_capacity: Option<usize>,
    pub cache_max_bytes: Option<usize>,
    pub stale_grace_seconds: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub client_timeout_ms: Option<u64>,
    /// On SIGTERM, how long requests in flight get to finish before the proxy exits anyway.
    pub shutdown_grace_ms: Option<u64>,
    /// At most this many bytes of request bodies held at once; past it clients get 503 with Retry-After.
    pub max_buffered_body_bytes: Option<usize>,
    /// At most this many client connections at once; more wait in the listen queue.
    pub max_connections: Option<usize>,
    /// Idle keep-alive connections to the upstream kept for the next lookups (0: off, the default).
    pub upstream_pool_idle: Option<usize>,
    /// How long an idle upstream connection is kept before it is closed.
    pub upstream_pool_idle_ms: Option<u64>,
}

/// The config file could not be used; the message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

impl ProxyConfigFile {
    pub fn parse(text: &str, path: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|err| ConfigError::Invalid {
            path: path.to_owned(),
            message: err.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_settings_override_defaults_and_typos_are_errors() {
        let mut config = ProxyConfig::new("https://ksn.test".parse().unwrap());
        config.apply_file(
            &ProxyConfigFile::parse("cache_capacity = 5\nupstream_timeout_ms = 250", "p.toml").unwrap(),
        );
        assert_eq!(
            (config.cache_capacity, config.upstream_timeout),
            (5, Duration::from_millis(250))
        );
        assert_eq!(ProxyConfig::max_connections_for(1024), 480);
        assert_eq!(
            ProxyConfig::max_connections_for(10),
            1,
            "always room for one client"
        );
        assert_eq!(
            config.upstream_pool,
            PoolBounds::OFF,
            "no upstream pool unless configured"
        );
        config.apply_file(
            &ProxyConfigFile::parse(
                "upstream_pool_idle = 5000\nupstream_pool_idle_ms = 1500",
                "p.toml",
            )
            .unwrap(),
        );
        assert_eq!(
            (config.upstream_pool.max_idle, config.upstream_pool.idle_timeout),
            (ProxyConfig::MAX_UPSTREAM_POOL_IDLE, Duration::from_millis(1500))
        );
        let err = ProxyConfigFile::parse("cache_capacty = 5", "p.toml").unwrap_err();
        assert!(
            err.to_string().contains("p.toml") && err.to_string().contains("cache_capacty"),
            "{err}"
        );
    }

    #[test]
    fn the_defaults_are_the_ones_the_config_file_documents() {
        let config = ProxyConfig::new("https://ksn.test".parse().unwrap());
        assert_eq!(
            (
                config.upstream_timeout,
                config.cache_capacity,
                config.cache_max_bytes
            ),
            (Duration::from_millis(10_000), 100_000, 268_435_456),
            "as the `ProxyConfigFile` example says"
        );
    }

    #[test]
    fn a_config_file_is_read_from_its_path_and_a_missing_one_is_named() {
        let path = std::env::temp_dir().join(format!("ksnsim-proxy-config-{}.toml", std::process::id()));
        std::fs::write(&path, "cache_capacity = 7\n").unwrap();
        assert_eq!(ProxyConfigFile::load(&path).unwrap().cache_capacity, Some(7));
        std::fs::remove_file(&path).unwrap();
        let err = ProxyConfigFile::load(&path).unwrap_err();
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }
}
