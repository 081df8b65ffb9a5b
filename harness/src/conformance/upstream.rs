//! ksnsim's side of the proxy's upstream: a mock Global or Private KSN on loopback TLS, with a certificate
//! of the caller's choice (good, untrusted, wrong name), that can be taken down and brought back on the same
//! address, and whose request log tells what reached it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

use ksnsim_mocks::{DbEntry, LoggedRequest, MockKsn, Running, ServerCert};
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::ServerUrl;
use ksnsim_reference::net::{RealNet, SharedNet};
use ksnsim_reference::protocol::{KsnType, LicenseKey, ObjectRef, Verdict, lookup_path};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;

use super::error::ConformanceError;
use super::metered::{Meter, MeteredNet};
use super::ports::free_loopback_port;

/// The licenses a Private KSN upstream knows; `TENANT-C` is deliberately not registered.
pub(crate) const REGISTERED_KEYS: [&str; 2] = ["TENANT-A", "TENANT-B"];

/// A mock KSN server that a proxy under test talks to.
pub(crate) struct Upstream {
    pub mock: MockKsn,
    pub url: ServerUrl,
    addr: SocketAddr,
    net: SharedNet,
    tls: Arc<rustls::ServerConfig>,
    running: Mutex<Option<Running>>,
    meter: Meter,
}

impl Upstream {
    /// Starts a mock of `kind` on a loopback port of its own (see `ports`), serving `cert`.
    pub(crate) async fn start_on_loopback(
        kind: KsnType,
        cert: &ServerCert,
    ) -> Result<Self, ConformanceError> {
        // The port was free a moment ago; a few tries cover another program binding it meanwhile.
        let mut last = None;
        for _ in 0..5 {
            let addr = free_loopback_port().map_err(ConformanceError::Upstream)?;
            match Self::start(kind, cert, addr).await {
                Err(ConformanceError::UpstreamListen { source, .. }) => last = Some(source),
                started => return started,
            }
        }
        Err(ConformanceError::Upstream(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::AddrInUse, "no loopback port could be bound")
        })))
    }

    /// Starts a mock of `kind` on `addr`, serving `cert`.
    pub(crate) async fn start(
        kind: KsnType,
        cert: &ServerCert,
        addr: SocketAddr,
    ) -> Result<Self, ConformanceError> {
        let mock = MockKsn::new(kind, SharedRng::seeded(0x6b73_6e00), SystemClock::shared());
        for key in REGISTERED_KEYS {
            let key: LicenseKey = key.parse().expect("the built-in license keys are valid");
            mock.register_license(&key);
        }
        let tls = tls::server_config(&cert.chain_pem, &cert.key_pem, SystemClock::shared())
            .map_err(ConformanceError::Tls)?;
        let meter = Meter::default();
        let net = MeteredNet::shared(RealNet::shared(), meter.clone());
        let running = mock
            .start(&net, addr, Some(tls.clone()))
            .await
            .map_err(|source| ConformanceError::UpstreamListen { addr, source })?;
        let addr = running.addr();
        let url = format!("https://{addr}")
            .parse()
            .expect("an https URL of a socket address always parses");
        Ok(Self {
            mock,
            url,
            addr,
            net,
            tls,
            running: Mutex::new(Some(running)),
            meter,
        })
    }

    /// Where the server listens (the benchmark loads it directly, to measure its own rate).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Before a check: no fault, an empty log, and the server up.
    pub(crate) async fn reset(&self) -> io::Result<()> {
        self.mock.set_fault(None);
        self.mock.clear_log();
        self.meter.reset();
        self.bring_back().await
    }

    /// Bytes the upstream's connections received since the last [`reset`](Self::reset), TLS included: what
    /// reached it, also of requests its HTTP layer refused before they were logged.
    pub(crate) fn bytes_received(&self) -> u64 {
        self.meter.received()
    }

    /// Takes the server down: connections to its address are refused until [`bring_back`](Self::bring_back).
    pub(crate) async fn take_down(&self) {
        if let Some(running) = self.running.lock().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), running.stop()).await;
        }
    }

    /// Serves again on the same address (and state) after [`take_down`](Self::take_down); a no-op when up.
    pub(crate) async fn bring_back(&self) -> io::Result<()> {
        let mut running = self.running.lock().await;
        if running.is_none() {
            *running = Some(
                self.mock
                    .start(&self.net, self.addr, Some(self.tls.clone()))
                    .await?,
            );
        }
        Ok(())
    }

    /// Sets the verdict and ttl the upstream gives `object`.
    pub(crate) fn set(&self, object: &ObjectRef, verdict: Verdict, ttl: u64) {
        self.mock.set_reputation(DbEntry {
            object: object.clone(),
            verdict,
            ttl: Some(ttl),
        });
    }

    /// Single lookups of `object` that reached the upstream.
    pub(crate) fn lookups_of(&self, object: &ObjectRef) -> usize {
        let path = lookup_path(object);
        self.mock.log().iter().filter(|r| r.path == path).count()
    }

    /// Requests that reached the upstream and match `which`.
    pub(crate) fn count(&self, which: impl Fn(&LoggedRequest) -> bool) -> usize {
        self.mock.log().iter().filter(|r| which(r)).count()
    }

    /// Waits (at most `within`) until at least `n` logged requests match `which`; returns how many did.
    /// For what a proxy may send after it answered (statistics relayed in the background).
    pub(crate) async fn await_count(
        &self,
        n: usize,
        within: Duration,
        which: impl Fn(&LoggedRequest) -> bool,
    ) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let seen = self.count(&which);
            if seen >= n || Instant::now() >= deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The log as evidence lines: `upstream saw: GET /v1/ping -> 200`.
    pub(crate) fn log_lines(&self) -> Vec<String> {
        self.mock.log().iter().map(describe_logged).collect()
    }
}

/// Whether the log holds at least one request and `which` holds for every one of them (an empty log shows
/// nothing about the requests a proxy sends).
pub(crate) fn every_request<T>(log: &[T], which: impl FnMut(&T) -> bool) -> bool {
    !log.is_empty() && log.iter().all(which)
}

/// One logged request, for evidence.
pub(crate) fn describe_logged(request: &LoggedRequest) -> String {
    let status = request
        .status
        .map_or_else(|| "(no answer yet)".to_owned(), |s| s.to_string());
    let mut line = format!(
        "upstream saw: {} {} -> {status}",
        request.method,
        shorten(&request.path, 100)
    );
    if let Some(objects) = request.objects {
        line.push_str(&format!(" [{objects} objects]"));
    }
    if let Some(records) = request.records {
        line.push_str(&format!(" [{records} records]"));
    }
    line
}

/// `text` cut to `max` characters, with an ellipsis when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(max).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_needs_one_request_and_holds_for_each() {
        let even = |n: &u32| n.is_multiple_of(2);
        assert!(every_request(&[2, 4], even));
        assert!(!every_request(&[2, 3], even), "one request without it");
        assert!(!every_request(&[] as &[u32], even), "no request at all");
    }
}
