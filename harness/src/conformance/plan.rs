//! What a conformance run tests and how: the proxy (a command ksnsim starts, one already running, or the
//! reference proxy in-process), an optional Private KSN proxy, filters and the bounds that keep it short.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ksnsim_reference::proxy::ProxyConfig;

use super::command::ProxyCommand;

/// The largest cache capacity PX-CACHE-7 fills (one lookup per entry); larger ones are not tested.
pub const MAX_CAPACITY_TESTED: usize = 5000;

/// Sets up an in-process reference proxy (its upstream is filled in by the driver).
pub type ConfigureProxy = Arc<dyn Fn(&mut ProxyConfig) + Send + Sync>;

/// How ksnsim starts a proxy, as many times as the checks need (with a different upstream for some).
#[derive(Clone)]
pub enum Launcher {
    /// A program ksnsim runs with the placeholders filled in, and kills at the end.
    Command(ProxyCommand),
    /// The reference proxy in this process (ksnsim's own tests; the broken proxies of its self-test).
    InProcess(ConfigureProxy),
}

impl Launcher {
    /// The reference proxy in-process, configured by `configure`.
    pub fn in_process(configure: impl Fn(&mut ProxyConfig) + Send + Sync + 'static) -> Self {
        Self::InProcess(Arc::new(configure))
    }
}

impl fmt::Debug for Launcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Command(command) => f.debug_tuple("Command").field(&command.template()).finish(),
            Self::InProcess(_) => f.write_str("InProcess"),
        }
    }
}

/// A proxy that is already running, and where ksnsim's KSN server must listen for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningProxy {
    /// Where the proxy accepts clients (plain HTTP).
    pub proxy: SocketAddr,
    /// Where the proxy expects its upstream (ksnsim serves HTTPS there with the CA written to `pki_dir`).
    pub upstream_listen: SocketAddr,
}

/// The proxy whose conformance is judged.
#[derive(Debug, Clone)]
pub enum ProxyUnderTest {
    /// ksnsim starts it, as often as the checks need.
    Launch(Launcher),
    /// It is already running: checks that need a restart with another upstream are not tested.
    Running(RunningProxy),
}

/// Time bounds of a run; every wait of the driver is bounded by one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// How long a started proxy gets to accept connections.
    pub startup: Duration,
    /// How long a proxy may take to answer 502/504 for an upstream that is down or silent (PX-ERR-1).
    pub answer: Duration,
    /// How long ksnsim waits for any one answer from the proxy before calling it hung.
    pub request: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            startup: Duration::from_secs(10),
            answer: Duration::from_secs(15),
            request: Duration::from_secs(20),
        }
    }
}

/// Everything a conformance run needs.
#[derive(Debug, Clone)]
pub struct ConformancePlan {
    pub proxy: ProxyUnderTest,
    /// The same proxy set for a Private KSN; without it the tenant checks are not tested.
    pub private: Option<Launcher>,
    /// The implementation's name in reports.
    pub implementation: String,
    /// Run only the checks whose id starts with this; the others are reported not tested.
    pub only: Option<String>,
    /// The number of entries the proxy's cache holds, if known: enables PX-CACHE-7.
    pub cache_capacity: Option<usize>,
    /// Where ksnsim writes its CA (`ca.pem`), the `{ca}` of the proxy command.
    pub pki_dir: PathBuf,
    pub bounds: Bounds,
}

impl ConformancePlan {
    /// A plan with no Private proxy, no filter, default bounds, the CA under `pki_dir`.
    pub fn new(
        proxy: ProxyUnderTest,
        implementation: impl Into<String>,
        pki_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            proxy,
            private: None,
            implementation: implementation.into(),
            only: None,
            cache_capacity: None,
            pki_dir: pki_dir.into(),
            bounds: Bounds::default(),
        }
    }
}
