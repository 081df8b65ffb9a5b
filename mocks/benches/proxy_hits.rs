//! `cargo bench -p ksnsim-mocks --bench proxy_hits`: cache hits through the reference KSN proxy on loopback,
//! beside the same load sent straight to the mock KSN (over TLS), at 64 concurrent keep-alive connections.
//! Prints requests per second and p99 latency for both, and their ratio. Loopback only; bounded in time and
//! count. A measurement, not a test: nothing here passes or fails on speed.

#![expect(
    clippy::disallowed_methods,
    reason = "a benchmark measures real wall time; the mocks' own code never does"
)]

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ksnsim_mocks::{MockKsn, TestPki, Validity};
use ksnsim_reference::clock::{SharedClock, SystemClock};
use ksnsim_reference::http::Shutdown;
use ksnsim_reference::net::{Net, RealNet};
use ksnsim_reference::protocol::{KsnType, ObjectRef, lookup_path};
use ksnsim_reference::proxy::{KsnProxy, ProxyConfig};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;

const CONNECTIONS: usize = 64;
const OBJECTS: u64 = 256;
const RUN_FOR: Duration = Duration::from_secs(5);
/// A bound on requests per connection, whatever the machine's speed.
const MAX_PER_CONNECTION: usize = 200_000;

struct Figures {
    requests: usize,
    elapsed: Duration,
    /// Mean requests in flight (Little's law), to check the load really had CONNECTIONS at once.
    in_flight: f64,
    /// Connections that got at least one answer.
    busy_connections: usize,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
}

impl Figures {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

fn path(n: u64) -> String {
    let object = ObjectRef::File(
        format!("{n:064x}")
            .parse()
            .expect("64 hex digits are a file hash"),
    );
    lookup_path(&object)
}

/// One keep-alive connection sending lookups until the deadline; returns each request's latency.
async fn worker(
    addr: SocketAddr,
    tls: Option<(Arc<rustls::ClientConfig>, &'static str)>,
    deadline: Instant,
    seed: u64,
) -> Vec<Duration> {
    let stream = RealNet.connect(addr).await.expect("loopback connect");
    let stream: ksnsim_reference::net::BoxConnection = match tls {
        Some((config, name)) => {
            let name = ServerName::try_from(name.to_owned()).expect("a valid name");
            Box::new(
                tokio_rustls::TlsConnector::from(config)
                    .connect(name, stream)
                    .await
                    .expect("TLS handshake"),
            )
        }
        None => stream,
    };
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    let mut latencies = Vec::new();
    let mut n = seed;
    while Instant::now() < deadline && latencies.len() < MAX_PER_CONNECTION {
        n = (n * 6364136223846793005 + 1442695040888963407) % OBJECTS;
        let request = hyper::Request::get(path(n))
            .header("host", "ksn.bench")
            .header("ksn-statement", "1")
            .header("ksn-mode", "basic")
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        // Timed from before the connection is ready: the whole cycle a client waits, queueing included.
        let started = Instant::now();
        sender.ready().await.expect("the connection is ready");
        let response = sender.send_request(request).await.expect("an answer");
        let status = response.status();
        response.into_body().collect().await.expect("a body");
        assert!(status.is_success(), "lookup answered {status}");
        latencies.push(started.elapsed());
    }
    latencies
}

async fn load(addr: SocketAddr, tls: Option<(Arc<rustls::ClientConfig>, &'static str)>) -> Figures {
    let started = Instant::now();
    let deadline = started + RUN_FOR;
    // Spawned all at once (collected), so that CONNECTIONS requests are really in flight together: a lazy
    // iterator here would start each worker only when the one before it had run out its time.
    let workers: Vec<_> = (0..CONNECTIONS as u64)
        .map(|i| tokio::spawn(worker(addr, tls.clone(), deadline, i)))
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut busy_connections = 0;
    for handle in workers {
        let measured = handle.await.expect("a worker finishes");
        busy_connections += usize::from(!measured.is_empty());
        latencies.extend(measured);
    }
    let elapsed = started.elapsed();
    // Little's law: the mean number of requests in flight is the time spent waiting over the time elapsed.
    let in_flight = latencies.iter().sum::<Duration>().as_secs_f64() / elapsed.as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        requests: latencies.len(),
        elapsed,
        in_flight,
        busy_connections,
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: at(1.0),
    }
}

fn print(label: &str, f: &Figures) {
    println!(
        "{label:<24} {:>8.0} req/s   p50 {:>6.3} ms   p99 {:>6.3} ms   p99.9 {:>7.3} ms   max {:>7.3} ms   ({} requests, \
         {:.1} in flight on average over {} connections)",
        f.rps(),
        f.p50.as_secs_f64() * 1000.0,
        f.p99.as_secs_f64() * 1000.0,
        f.p999.as_secs_f64() * 1000.0,
        f.max.as_secs_f64() * 1000.0,
        f.requests,
        f.in_flight,
        f.busy_connections
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let clock: SharedClock = SystemClock::shared();
        let pki = TestPki::generate(1, &["localhost", "127.0.0.1"], Validity::around(clock.now(), 2)).expect("PKI");
        let net = RealNet::shared();
        let mock = MockKsn::new(KsnType::Global, SharedRng::seeded(1), clock.clone());
        let server_tls = tls::server_config(&pki.server.chain_pem, &pki.server.key_pem, clock.clone()).expect("TLS");
        let upstream = mock.start(&net, "127.0.0.1:0".parse().expect("addr"), Some(server_tls)).await.expect("mock");
        let trust = tls::client_config(&pki.ca_pem, clock.clone()).expect("trust");
        let config = ProxyConfig::new(format!("https://localhost:{}", upstream.addr().port()).parse().expect("url"));
        let proxy = KsnProxy::new(config, net.clone(), Some(trust.clone()));
        let listener = net.listen("127.0.0.1:0".parse().expect("addr")).await.expect("listen");
        let proxy_addr = listener.local_addr().expect("bound");
        let (stop, shutdown) = Shutdown::new();
        let serving = tokio::spawn({
            let proxy = proxy.clone();
            async move { proxy.serve(listener, None, shutdown).await }
        });

        // Warm the cache: every object once, so that the measured load is all hits.
        let _ = load_once(proxy_addr).await;
        let before = mock.requests_to("/v1/reputation/file/");
        println!("cache hits through ksn-proxy vs the same lookups straight to ksn-mock (TLS), {CONNECTIONS} keep-alive connections, {} s each", RUN_FOR.as_secs());
        let through_proxy = load(proxy_addr, None).await;
        let misses = mock.requests_to("/v1/reputation/file/") - before;
        let direct = load(upstream.addr(), Some((trust, "localhost"))).await;
        print("ksn-proxy, cache hits", &through_proxy);
        print("ksn-mock, direct", &direct);
        println!(
            "ratio proxy/direct: throughput {:.2}x, p99 latency {:.2}x; upstream requests during the proxy run: {misses}",
            through_proxy.rps() / direct.rps(),
            through_proxy.p99.as_secs_f64() / direct.p99.as_secs_f64()
        );
        let _ = stop.send(true);
        let _ = serving.await;
    });
}

/// Looks every object up once through the proxy (one connection), to fill its cache.
async fn load_once(addr: SocketAddr) -> usize {
    let stream = RealNet.connect(addr).await.expect("loopback connect");
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    for n in 0..OBJECTS {
        let request = hyper::Request::get(path(n))
            .header("host", "ksn.bench")
            .header("ksn-statement", "1")
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        sender.ready().await.expect("the connection is ready");
        let response = sender.send_request(request).await.expect("an answer");
        response.into_body().collect().await.expect("a body");
    }
    OBJECTS as usize
}
