//! `ksnsim bench sim`: the cost of a large simulation, measured beside bare turmoil carrying the same
//! number of request/answer exchanges over the same number of hosts, tick and simulated time. Figures are
//! wall time on this machine; what the product promises is the ratio and the absolute bound in the README.
//! Wall time is read here only, to measure, never inside a simulation.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::simulation::{LoadSpec, SimulationPlan, run_simulation};
use crate::topology::{EndpointSpec, KsnKind, Mode, ProxySpec, Servers, Topology};
use crate::world::HarnessError;

/// The size of the benchmark.
#[derive(Debug, Clone, Copy)]
pub struct BenchSpec {
    pub endpoints: usize,
    pub proxies: usize,
    pub lookups: u32,
    pub duration: Duration,
    pub loss: f64,
    pub seed: u64,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct BenchResult {
    pub spec: BenchSpec,
    pub hosts: usize,
    pub exchanges: usize,
    pub events: usize,
    pub harness_wall: Duration,
    pub bare_wall: Duration,
    pub digest: String,
    pub invariants_hold: bool,
}

impl BenchResult {
    /// Harness wall time over bare turmoil's, for the same exchanges.
    pub fn ratio(&self) -> f64 {
        self.harness_wall.as_secs_f64() / self.bare_wall.as_secs_f64().max(1e-9)
    }
}

/// Endpoints in one colocated group per distribution point; the distribution points chained to an
/// Administration Server proxy for the Global KSN.
pub fn bench_topology(spec: &BenchSpec) -> Topology {
    let mut proxies = vec![ProxySpec::new("as", Some(KsnKind::Global), None)];
    proxies.extend((1..=spec.proxies).map(|i| ProxySpec::new(format!("dp{i}"), None, Some("as".into()))));
    let per_site = spec.endpoints.div_ceil(spec.proxies.max(1));
    let endpoints = (1..=spec.proxies)
        .map(|i| EndpointSpec {
            name: format!("site{i}"),
            count: per_site,
            mode: Mode::Extended,
            ksn: KsnKind::Global,
            license: None,
            behind: Some(format!("dp{i}")),
            direct_when_proxy_unavailable: false,
            allow_public_dns: true,
            accepted_statement: Some(1),
            task_running: true,
            queue_capacity: None,
            colocated: true,
        })
        .collect();
    Topology {
        name: "bench".into(),
        tick_ms: 100,
        servers: Servers::default(),
        proxies,
        endpoints,
    }
}

/// Runs the harness simulation, then bare turmoil with as many exchanges.
pub fn bench_sim(spec: BenchSpec) -> Result<BenchResult, HarnessError> {
    let topology = bench_topology(&spec);
    let plan = SimulationPlan {
        topology: topology.clone(),
        seed: spec.seed,
        duration: spec.duration,
        load: LoadSpec {
            lookups_per_endpoint: spec.lookups,
            detection_every: 10,
            objects: 500,
        },
        faults: Vec::new(),
        loss: spec.loss,
    };
    let started = Instant::now();
    let outcome = run_simulation(&plan)?;
    let harness_wall = started.elapsed();
    let exchanges = outcome
        .trace
        .iter()
        .filter(|e| e.kind == ksnsim_reports::EventKind::Request)
        .count();
    // Hosts of the world: 9 fixed (DNS, public DNS, KSN servers, rogue), proxies, endpoint groups.
    let hosts = 9 + topology.proxies.len() + topology.endpoints.len();
    let started = Instant::now();
    bare_turmoil(
        spec.seed,
        hosts,
        topology.endpoints.len(),
        exchanges,
        spec.duration + Duration::from_secs(120),
    )?;
    let bare_wall = started.elapsed();
    Ok(BenchResult {
        spec,
        hosts,
        exchanges,
        events: outcome.trace.len(),
        harness_wall,
        bare_wall,
        digest: outcome.digest.clone(),
        invariants_hold: outcome.holds(),
    })
}

/// Bare turmoil: `clients` hosts each opening connections to an echo server host and exchanging one small
/// request and answer per connection, `exchanges` in all, spread over `duration`; plus idle hosts so that
/// the host count matches.
fn bare_turmoil(
    seed: u64,
    hosts: usize,
    clients: usize,
    exchanges: usize,
    duration: Duration,
) -> Result<(), HarnessError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .tick_duration(Duration::from_millis(100))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(100))
        .simulation_duration(duration + Duration::from_secs(3600))
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], 80))).await?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                if let Ok(n) = stream.read(&mut buf).await {
                    let _ = stream.write_all(&buf[..n]).await;
                }
            });
        }
    });
    for idle in 0..hosts.saturating_sub(clients + 1) {
        sim.host(format!("idle{idle}"), || async {
            std::future::pending::<()>().await;
            Ok(())
        });
    }
    let per_client = exchanges.div_ceil(clients.max(1));
    let gap = duration / (per_client.max(1) as u32 + 1);
    for client in 0..clients {
        sim.client(format!("client{client}"), async move {
            for _ in 0..per_client {
                tokio::time::sleep(gap).await;
                if let Ok(mut stream) = turmoil::net::TcpStream::connect(("server", 80)).await {
                    let _ = stream.write_all(&[b'x'; 300]).await;
                    let mut buf = [0u8; 512];
                    let _ = stream.read(&mut buf).await;
                }
            }
            Ok(())
        });
    }
    sim.run()
        .map_err(|err| HarnessError::Simulation(format!("bare turmoil: {err}")))
}
