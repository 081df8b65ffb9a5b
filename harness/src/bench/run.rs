//! `ksnsim bench proxy`: ksnsim's mock KSN (Global, and Private for the tenant mix) and a static answer on
//! loopback, then rounds: each round measures the static answer (the generator's ceiling), the mock straight
//! over TLS (the upstream's own miss rate) and every proxy in turn, each started by the conformance launch code
//! in a process group of its own and stopped after its measurements.
//!
//! ```text
//! round ─▶ static answer (hits) ─▶ ksn-mock direct (misses) ─▶ proxy A: start, hits, warm (RSS), batch, misses, stop
//!                                                            ─▶ proxy A again on the Private KSN: private ─▶ proxy B ...
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ksnsim_mocks::{Running, TestPki, Validity};
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::protocol::KsnType;
use ksnsim_reference::tls;

use crate::conformance::Launcher;
use crate::conformance::launch::{LaunchedProxy, launch};
use crate::conformance::upstream::Upstream;

use super::connection::Target;
use super::cpu::group_cpu_seconds;
use super::error::ProxyBenchError;
use super::plan::{BenchedProxy, ProxyBenchPlan};
use super::proxy_load::{LoadFigures, LoadShape, run_load, warm_up};
use super::results::{
    BENCH_FORMAT_VERSION, BenchRow, Measured, ProxyBenchReport, Sample, TargetKind, load_average,
};
use super::rss::group_rss_bytes;
use super::static_answer;
use super::workloads::{Workload, lookup_request, warming};

/// The seed of the benchmark's PKI (the certificates do not matter to the figures; a fixed seed keeps
/// `ca.pem` the same from run to run).
const PKI_SEED: u64 = 0x006b_736e_6265_6e63;
/// The name of the static answer's rows.
pub const CEILING_NAME: &str = "static answer (generator ceiling)";
/// The name of the mock KSN's own rows.
pub const UPSTREAM_NAME: &str = "ksn-mock direct (TLS)";
/// Connections that warm a cache, and how long warming may take.
const WARMING_CONNECTIONS: usize = 8;
const WARMING_BOUND: Duration = Duration::from_secs(300);

/// Runs the plan; `progress` gets a line per measurement.
pub async fn run_proxy_bench(
    plan: &ProxyBenchPlan,
    progress: &(dyn Fn(String) + Sync),
) -> Result<ProxyBenchReport, ProxyBenchError> {
    check(plan)?;
    let load_at_start = load_average();
    let bench = Bench::prepare(plan).await?;
    for round in 1..=plan.rounds {
        bench.round(round, progress).await?;
    }
    let measured = bench
        .measured
        .lock()
        .expect("no panic while the figures lock is held")
        .clone();
    let rows = measured
        .iter()
        .map(|m| BenchRow::from_measured(m, plan.warm_objects))
        .collect();
    let notes = bench
        .notes
        .lock()
        .expect("no panic while the notes lock is held")
        .clone();
    bench.close().await;
    Ok(ProxyBenchReport {
        format_version: BENCH_FORMAT_VERSION,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        load_at_start,
        load_at_end: load_average(),
        duration_ms: u64::try_from(plan.duration.as_millis()).unwrap_or(u64::MAX),
        rounds: plan.rounds,
        warm_objects: plan.warm_objects,
        connections: plan.connections.clone(),
        workloads: plan.ordered_workloads(),
        proxies: plan
            .proxies
            .iter()
            .map(|p| (p.name.clone(), p.command.template().to_owned()))
            .collect(),
        rows,
        notes,
    })
}

/// [`run_proxy_bench`] on a multi-threaded runtime of its own (one worker per core), for the CLI.
pub fn run_proxy_bench_blocking(
    plan: &ProxyBenchPlan,
    progress: &(dyn Fn(String) + Sync),
) -> Result<ProxyBenchReport, ProxyBenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| ProxyBenchError::harness("its async runtime", err))?;
    // On Ctrl-C the run is dropped, and dropping a started proxy kills its whole process group.
    let report = runtime.block_on(async {
        tokio::select! {
            biased;
            Ok(()) = tokio::signal::ctrl_c() => Err(ProxyBenchError::Plan(
                "interrupted (Ctrl-C): no figures; every proxy process ksnsim had started was killed".into(),
            )),
            report = run_proxy_bench(plan, progress) => report,
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    report
}

fn check(plan: &ProxyBenchPlan) -> Result<(), ProxyBenchError> {
    let problem = if plan.proxies.is_empty() {
        Some("no proxy to measure: give --proxy-cmd NAME=CMD, or build ksn-proxy")
    } else if plan.connections.is_empty() || plan.connections.contains(&0) {
        Some("--connections: give one or more counts of at least 1, e.g. 8,64")
    } else if plan.rounds == 0 {
        Some("--rounds: at least 1")
    } else if plan.workloads.is_empty() {
        Some("--workloads: at least one of hits, warm, misses, batch, private")
    } else if plan.warm_objects == 0 {
        Some("--warm-objects: at least 1")
    } else if plan.duration.is_zero() {
        Some("--duration: longer than 0")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ProxyBenchError::Plan(problem.to_owned())),
        None => Ok(()),
    }
}

/// ksnsim's side of the benchmark and the figures so far.
struct Bench<'p> {
    plan: &'p ProxyBenchPlan,
    pki: TestPki,
    ca_path: std::path::PathBuf,
    global: Upstream,
    private: Option<Upstream>,
    ceiling: Running,
    trust: Arc<rustls::ClientConfig>,
    /// Makes each measurement's miss objects unique.
    epoch: AtomicU64,
    measured: std::sync::Mutex<Vec<Measured>>,
    notes: std::sync::Mutex<Vec<String>>,
}

impl<'p> Bench<'p> {
    async fn prepare(plan: &'p ProxyBenchPlan) -> Result<Self, ProxyBenchError> {
        let clock = SystemClock::shared();
        let validity = Validity::around(clock.now(), 30);
        let pki = TestPki::generate(PKI_SEED, &["localhost", "127.0.0.1"], validity)
            .map_err(|err| ProxyBenchError::harness("its test PKI", err))?;
        let ca_path = pki.write_ca(&plan.pki_dir).map_err(ProxyBenchError::CaFile)?;
        let ca_path = std::path::absolute(&ca_path).unwrap_or(ca_path);
        let trust = tls::client_config(&pki.ca_pem, clock)
            .map_err(|err| ProxyBenchError::harness("its TLS client configuration", err))?;
        let global = Upstream::start_on_loopback(KsnType::Global, &pki.server)
            .await
            .map_err(|err| ProxyBenchError::harness("its mock Global KSN", err))?;
        let private = if plan.workloads.contains(&Workload::Private) {
            Some(
                Upstream::start_on_loopback(KsnType::Private, &pki.server)
                    .await
                    .map_err(|err| ProxyBenchError::harness("its mock Private KSN", err))?,
            )
        } else {
            None
        };
        let ceiling = static_answer::start().await?;
        Ok(Self {
            plan,
            pki,
            ca_path,
            global,
            private,
            ceiling,
            trust,
            epoch: AtomicU64::new(1),
            measured: std::sync::Mutex::new(Vec::new()),
            notes: std::sync::Mutex::new(Vec::new()),
        })
    }

    async fn round(&self, round: usize, progress: &(dyn Fn(String) + Sync)) -> Result<(), ProxyBenchError> {
        let plan = self.plan;
        let ceiling = Target {
            addr: self.ceiling.addr(),
            tls: None,
        };
        for &connections in &plan.connections {
            let sample = self
                .measure(&ceiling, None, None, Workload::Hits, connections, round)
                .await;
            self.record(
                CEILING_NAME,
                TargetKind::Ceiling,
                Workload::Hits,
                connections,
                sample,
                progress,
            );
        }
        if plan.workloads.contains(&Workload::Misses) {
            let direct = Target {
                addr: self.global.addr(),
                tls: Some(self.trust.clone()),
            };
            for &connections in &plan.connections {
                let sample = self
                    .measure(
                        &direct,
                        Some(&self.global),
                        None,
                        Workload::Misses,
                        connections,
                        round,
                    )
                    .await;
                self.record(
                    UPSTREAM_NAME,
                    TargetKind::Upstream,
                    Workload::Misses,
                    connections,
                    sample,
                    progress,
                );
            }
        }
        for proxy in &plan.proxies {
            self.proxy_round(proxy, round, progress).await?;
        }
        Ok(())
    }

    /// Starts `proxy` against the Global KSN for its workloads, then against the Private KSN for `private`.
    async fn proxy_round(
        &self,
        proxy: &BenchedProxy,
        round: usize,
        progress: &(dyn Fn(String) + Sync),
    ) -> Result<(), ProxyBenchError> {
        let workloads = self.plan.ordered_workloads();
        let global: Vec<Workload> = workloads.iter().copied().filter(|w| !w.is_private()).collect();
        if !global.is_empty() {
            let launched = self.launch(proxy, &self.global).await?;
            let outcome = self
                .run_workloads(proxy, &launched, &self.global, &global, round, progress)
                .await;
            launched.stop().await;
            outcome?;
        }
        if let Some(private) = &self.private {
            let launched = self.launch(proxy, private).await?;
            let outcome = self
                .run_workloads(proxy, &launched, private, &[Workload::Private], round, progress)
                .await;
            launched.stop().await;
            outcome?;
        }
        Ok(())
    }

    async fn launch(
        &self,
        proxy: &BenchedProxy,
        upstream: &Upstream,
    ) -> Result<LaunchedProxy, ProxyBenchError> {
        let launcher = Launcher::Command(proxy.command.clone());
        launch(
            &launcher,
            &upstream.url,
            &self.ca_path,
            &self.pki.ca_pem,
            self.plan.startup,
        )
        .await
        .map_err(|err| ProxyBenchError::ProxyStart {
            name: proxy.name.clone(),
            reason: err.to_string(),
            tail: err.tail(),
        })
    }

    /// Each workload at each connection count against one started proxy, warming its cache as each needs.
    async fn run_workloads(
        &self,
        proxy: &BenchedProxy,
        launched: &LaunchedProxy,
        upstream: &Upstream,
        workloads: &[Workload],
        round: usize,
        progress: &(dyn Fn(String) + Sync),
    ) -> Result<(), ProxyBenchError> {
        let target = Target {
            addr: launched.addr,
            tls: None,
        };
        let mut rss = (None, None);
        let mut warm_set_cached = false;
        for &workload in workloads {
            if workload.needs_warm_set() && !(warm_set_cached && workload != Workload::Private) {
                let before = launched.process_group().and_then(group_rss_bytes);
                if !self.warm(proxy, &target, upstream, workload).await? {
                    progress(format!(
                        "round {round}  {}  {workload}: not measured (see the notes)",
                        proxy.name
                    ));
                    continue;
                }
                let after = launched.process_group().and_then(group_rss_bytes);
                warm_set_cached = true;
                if workload == Workload::Warm {
                    rss = (before, after);
                }
            } else if workload == Workload::Hits {
                self.warm(proxy, &target, upstream, workload).await?;
            }
            for &connections in &self.plan.connections {
                let mut sample = self
                    .measure(
                        &target,
                        Some(upstream),
                        launched.process_group(),
                        workload,
                        connections,
                        round,
                    )
                    .await;
                if workload == Workload::Warm {
                    (sample.0.rss_before_warm, sample.0.rss_after_warm) = rss;
                }
                self.record(
                    &proxy.name,
                    TargetKind::Proxy,
                    workload,
                    connections,
                    sample,
                    progress,
                );
            }
        }
        Ok(())
    }

    /// Looks up what `workload` needs cached (the hot object twice, so that its second lookup is a hit).
    /// False when the proxy answered none of them 2xx: that workload is then not measured, and a note says why.
    async fn warm(
        &self,
        proxy: &BenchedProxy,
        target: &Target,
        upstream: &Upstream,
        workload: Workload,
    ) -> Result<bool, ProxyBenchError> {
        let mut lookups: Vec<Vec<u8>> = warming(workload, self.plan.warm_objects)
            .into_iter()
            .map(|(file, tenant)| {
                let mut request = Vec::new();
                lookup_request(&mut request, &file, 0, tenant);
                request
            })
            .collect();
        if workload == Workload::Hits {
            lookups.extend(lookups.clone());
        }
        let connections = if workload == Workload::Hits {
            1
        } else {
            WARMING_CONNECTIONS
        };
        let total = lookups.len();
        let warmed = warm_up(target, lookups, connections, WARMING_BOUND)
            .await
            .map_err(|reason| ProxyBenchError::Warming {
                name: proxy.name.clone(),
                workload: workload.name().to_owned(),
                reason,
            })?;
        upstream.mock.clear_log();
        if warmed.ok == 0 {
            self.note(format!(
                "{}: {workload} not measured: none of its {total} warming lookups was answered 2xx (first status {}){}",
                proxy.name,
                warmed.first_non_2xx.map_or_else(|| "none".to_owned(), |s| s.to_string()),
                if workload.is_private() {
                    "; the proxy may not pass the tenant's Authorization on (no Private KSN side)"
                } else {
                    ""
                }
            ));
            return Ok(false);
        }
        if warmed.ok < total {
            self.note(format!(
                "{}: {workload}: only {} of {total} warming lookups were answered 2xx (first other status {})",
                proxy.name,
                warmed.ok,
                warmed.first_non_2xx.map_or_else(|| "none".to_owned(), |s| s.to_string()),
            ));
        }
        Ok(true)
    }

    /// One load run; the sample and the first problem it saw. `group`: the proxy's process group, whose CPU
    /// time is read around the run.
    async fn measure(
        &self,
        target: &Target,
        upstream: Option<&Upstream>,
        group: Option<i32>,
        workload: Workload,
        connections: usize,
        round: usize,
    ) -> (Sample, Option<String>) {
        if let Some(upstream) = upstream {
            upstream.mock.clear_log();
        }
        let shape = LoadShape {
            connections,
            duration: self.plan.duration,
            request_timeout: self.plan.request_timeout,
        };
        let epoch = self.epoch.fetch_add(1, Ordering::Relaxed);
        let cpu_before = group.and_then(group_cpu_seconds);
        let figures = run_load(target, workload, self.plan.warm_objects, epoch, shape).await;
        let cpu_after = group.and_then(group_cpu_seconds);
        let upstream_requests = upstream.map(|u| u.mock.clear_log() as u64);
        let mut sample = sample(round, &figures, upstream_requests);
        sample.cpu_seconds = cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before).max(0.0));
        (sample, problem(&figures))
    }

    fn record(
        &self,
        target: &str,
        kind: TargetKind,
        workload: Workload,
        connections: usize,
        (sample, problem): (Sample, Option<String>),
        progress: &(dyn Fn(String) + Sync),
    ) {
        progress(format!(
            "round {}  {target}  {workload}  c={connections}: {:.0} req/s  p50 {:.3} ms  p99 {:.3} ms  upstream/req {}{}",
            sample.round,
            sample.requests_per_second,
            sample.p50_micros as f64 / 1000.0,
            sample.p99_micros as f64 / 1000.0,
            sample
                .upstream_per_request()
                .map_or_else(|| "-".to_owned(), |u| format!("{u:.3}")),
            problem.as_deref().map(|p| format!("  ({p})")).unwrap_or_default(),
        ));
        let mut measured = self
            .measured
            .lock()
            .expect("no panic while the figures lock is held");
        let row = measured
            .iter_mut()
            .find(|m| m.target == target && m.workload == workload && m.connections == connections);
        match row {
            Some(row) => {
                row.samples.push(sample);
                if row.first_problem.is_none() {
                    row.first_problem = problem;
                }
            }
            None => measured.push(Measured {
                target: target.to_owned(),
                kind,
                workload,
                connections,
                samples: vec![sample],
                first_problem: problem,
            }),
        }
    }

    fn note(&self, note: String) {
        let mut notes = self.notes.lock().expect("no panic while the notes lock is held");
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.ceiling.stop()).await;
        self.global.take_down().await;
        if let Some(private) = self.private {
            private.take_down().await;
        }
    }
}

fn sample(round: usize, figures: &LoadFigures, upstream_requests: Option<u64>) -> Sample {
    let at = |q| figures.latency.quantile_micros(q).unwrap_or(0);
    Sample {
        round,
        requests_per_second: figures.ok_per_second(),
        p50_micros: at(0.50),
        p99_micros: at(0.99),
        p999_micros: at(0.999),
        ok: figures.ok,
        non_2xx: figures.non_2xx,
        errors: figures.errors,
        upstream_requests,
        rss_before_warm: None,
        rss_after_warm: None,
        cpu_seconds: None,
    }
}

fn problem(figures: &LoadFigures) -> Option<String> {
    match (figures.first_non_2xx, &figures.first_error) {
        (_, Some(error)) => Some(format!("{} failed exchanges, first: {error}", figures.errors)),
        (Some(status), None) => Some(format!("{} answers not 2xx, first: {status}", figures.non_2xx)),
        (None, None) => None,
    }
}
