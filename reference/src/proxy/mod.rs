//! The KSN proxy of a distribution point or Administration Server: a reverse proxy of the KSN API that
//! relays and caches requests for devices with no Internet access (seeds 000-002, requirements PX-*).
//!
//! - [`crate::verdict_cache`]: which verdicts may be answered locally, and until when (pure, shared with the agent).
//! - `coalesce`: one upstream request for concurrent identical misses.
//! - `context`: tenant, Statement and relayed headers from a client's request.
//! - `relay`: sending upstream and judging the answer.
//! - `service`: the request flow that ties them together.
//! - `error`: proxy failures as contract errors, in one place.
//! - `misbehave`: deliberate contract breaches, for the conformance suite's self-test only; compiled only with
//!   the `self-test-misbehaviour` feature, which no shipped build enables.

mod coalesce;
mod config;
mod context;
mod error;
#[cfg(feature = "self-test-misbehaviour")]
mod misbehave;
mod relay;
mod service;

pub use config::{ConfigError, ProxyConfig, ProxyConfigFile};
pub use error::ProxyError;
#[doc(hidden)]
#[cfg(feature = "self-test-misbehaviour")]
pub use misbehave::{Misbehaviour, UnknownMisbehaviour};
pub use service::ProxyStats;

use rustls::ClientConfig;
use std::io;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

use crate::http::{Handler, HttpClient, Shutdown, serve};
use crate::net::{Listener, SharedNet};
use service::{ProxyCore, ProxyHandler};

/// A KSN proxy: configuration, upstream client and cache, ready to serve on any [`Listener`].
#[derive(Clone)]
pub struct KsnProxy {
    core: Arc<ProxyCore>,
}

impl KsnProxy {
    /// `trust` verifies an `https` upstream (PX-TLS-1); without it only an `http` upstream works.
    pub fn new(config: ProxyConfig, net: SharedNet, trust: Option<Arc<ClientConfig>>) -> Self {
        #[cfg(feature = "self-test-misbehaviour")]
        let trust = match config.misbehave {
            Some(Misbehaviour::NoTlsVerify) => Some(misbehave::accept_any_certificate()),
            _ => trust,
        };
        let client = HttpClient::new(net, trust, config.upstream_timeout).with_pool(config.upstream_pool);
        Self {
            core: Arc::new(ProxyCore::new(config, client)),
        }
    }

    pub fn config(&self) -> &ProxyConfig {
        &self.core.config
    }

    pub fn stats(&self) -> ProxyStats {
        self.core.stats()
    }

    /// The proxy as a request handler, for a server loop of the caller's.
    pub fn handler(&self) -> Arc<dyn Handler> {
        Arc::new(ProxyHandler(self.core.clone()))
    }

    /// Serves clients on `listener` (plain, or TLS with `tls`) until `shutdown` fires.
    pub async fn serve(
        &self,
        listener: Box<dyn Listener>,
        tls: Option<TlsAcceptor>,
        shutdown: Shutdown,
    ) -> io::Result<()> {
        serve(
            listener,
            tls,
            self.handler(),
            self.core.config.server.clone(),
            shutdown,
        )
        .await
    }
}
