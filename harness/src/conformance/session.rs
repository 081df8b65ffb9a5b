//! A proxy under test wired to ksnsim's upstream: the mock KSN, the proxy (started by ksnsim or already
//! running) and a client of it. A chain is two proxies, the second using the first (behind ksnsim's TLS
//! terminator) as its upstream.

use std::time::Duration;

use ksnsim_reference::protocol::KsnType;

use super::client::ProxyClient;
use super::launch::LaunchedProxy;
use super::plan::Bounds;
use super::terminator::TlsTerminator;
use super::upstream::Upstream;

/// What checks may know about the run beyond the proxy itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub cache_capacity: Option<usize>,
    pub bounds: Bounds,
}

/// One proxy and its upstream.
pub(crate) struct Session {
    pub upstream: Upstream,
    pub proxy: ProxyClient,
    pub settings: Settings,
    launched: Option<LaunchedProxy>,
}

impl Session {
    /// `launched` is `None` for a proxy that ksnsim did not start (and must not stop).
    pub(crate) fn new(
        upstream: Upstream,
        proxy: ProxyClient,
        settings: Settings,
        launched: Option<LaunchedProxy>,
    ) -> Self {
        Self {
            upstream,
            proxy,
            settings,
            launched,
        }
    }

    pub(crate) fn kind(&self) -> KsnType {
        self.upstream.mock.kind()
    }

    /// The proxy's last output lines (when ksnsim started it as a command).
    pub(crate) fn proxy_output(&self) -> Vec<String> {
        self.launched
            .as_ref()
            .map(LaunchedProxy::tail)
            .unwrap_or_default()
    }

    /// Stops the proxy (when ksnsim started it) and the upstream.
    pub(crate) async fn close(self) {
        if let Some(proxy) = self.launched {
            proxy.stop().await;
        }
        self.upstream.take_down().await;
    }
}

/// Two proxies in a chain: a distribution point's proxy whose upstream is the Administration Server's proxy,
/// whose upstream is the KSN (PX-CHAIN-1).
pub(crate) struct ChainSession {
    pub upstream: Upstream,
    /// The Administration Server's proxy, next to the KSN.
    pub admin: ProxyClient,
    /// The distribution point's proxy, which endpoints talk to.
    pub point: ProxyClient,
    /// ksnsim's TLS terminator in front of the Administration Server's proxy: the point's upstream.
    pub hop: TlsTerminator,
    launched: Vec<LaunchedProxy>,
}

impl ChainSession {
    pub(crate) fn new(
        upstream: Upstream,
        (admin, point): (ProxyClient, ProxyClient),
        hop: TlsTerminator,
        launched: Vec<LaunchedProxy>,
    ) -> Self {
        Self {
            upstream,
            admin,
            point,
            hop,
            launched,
        }
    }

    pub(crate) fn proxy_output(&self) -> Vec<String> {
        self.launched.iter().flat_map(LaunchedProxy::tail).collect()
    }

    pub(crate) async fn close(self) {
        for proxy in self.launched {
            proxy.stop().await;
        }
        self.hop.stop().await;
        self.upstream.take_down().await;
    }
}

/// How long a proxy's answer to a normal request may take while it is being stressed (stalled clients).
pub(crate) const PROMPT_ANSWER: Duration = Duration::from_secs(5);
