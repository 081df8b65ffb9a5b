//! The conformance driver: makes ksnsim's PKI, starts the upstreams and proxies each lane needs, runs the
//! checks (lanes side by side, the checks of a lane one after another) and folds the outcomes into a report.
//!
//! Lanes: the shared Global session runs most checks in turn; checks that wait for expiry or stop the
//! upstream get a fresh session each, and so do those that need another upstream (bad certificates, a
//! chain, the Private KSN). Against an already running proxy there is one session, used in turn.

use futures::future::{BoxFuture, join_all};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use ksnsim_mocks::{ServerCert, TestPki, Validity};
use ksnsim_reference::http::ServerUrl;
use ksnsim_reference::net::{Net, RealNet};
use ksnsim_reference::protocol::KsnType;
use ksnsim_reports::RunReport;

use super::checks::{self, BadCert, Body, Check, Lane};
use super::client::ProxyClient;
use super::error::ConformanceError;
use super::findings::Outcome;
use super::launch::{LaunchError, LaunchedProxy, launch};
use super::plan::{ConformancePlan, Launcher, ProxyUnderTest, RunningProxy};
use super::report;
use super::session::{ChainSession, Session, Settings};
use super::terminator::TlsTerminator;
use super::upstream::Upstream;

/// No check may take longer than this, whatever the proxy does.
const CHECK_BOUND: Duration = Duration::from_secs(120);
/// The seed of ksnsim's conformance PKI: with the fixed validity below, `ca.pem` is the same on every run.
const PKI_SEED: u64 = 0x006b_736e_636f_6e66;
/// 2024-01-01 to 2099-12-31: fixed, so that a proxy started with one run's CA file trusts every run's.
const VALID_FROM_UNIX: u64 = 1_704_067_200;
const VALID_UNTIL_UNIX: u64 = 4_102_358_400;

const NEEDS_PRIVATE: &str = "needs a proxy of the Private KSN: pass --private-cmd 'CMD {listen} {upstream} {ca}' \
                             (what was not tested is reported as not tested, never as passed)";
const NEEDS_RESTART: &str = "needs ksnsim to start the proxy itself, with another upstream; the proxy was \
                             already running (--proxy): use --proxy-cmd to test this";

/// Runs every selected check against the plan's proxy.
pub async fn run_conformance(plan: &ConformancePlan) -> Result<RunReport, ConformanceError> {
    let checks = checks::all();
    let selected = select(&checks, plan.only.as_deref())?;
    let env = Environment::prepare(plan)?;
    let mut outcomes: Vec<Option<Outcome>> = checks.iter().map(|_| None).collect();
    let mut runnable = Vec::new();
    for (index, check) in checks.iter().enumerate() {
        let skipped = match (&plan.only, selected[index]) {
            (Some(only), false) => Some(format!("filtered out by --only {only}")),
            _ => env.unavailable(check.lane).map(str::to_owned),
        };
        match skipped {
            Some(reason) => outcomes[index] = Some(Outcome::not_tested(reason)),
            None => runnable.push(index),
        }
    }
    let ran = match &plan.proxy {
        ProxyUnderTest::Launch(launcher) => env.run_launched(launcher, &checks, &runnable).await,
        ProxyUnderTest::Running(running) => env.run_against_running(running, &checks, &runnable).await?,
    };
    for (index, outcome) in ran {
        outcomes[index] = Some(outcome);
    }
    let outcomes = outcomes
        .into_iter()
        .map(|outcome| {
            outcome
                .unwrap_or_else(|| Outcome::error("ksnsim did not run this check (a driver bug)", Vec::new()))
        })
        .collect();
    Ok(report::build(plan, &checks, outcomes))
}

/// [`run_conformance`] on a runtime of its own, for callers that are not async (the `ksnsim` CLI).
pub fn run_conformance_blocking(plan: &ConformancePlan) -> Result<RunReport, ConformanceError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ConformanceError::Runtime)?;
    // The proxies run in process groups of their own, so a terminal's Ctrl-C no longer reaches them: on Ctrl-C
    // the run is dropped, and dropping a started proxy kills its whole group.
    let report = runtime.block_on(async {
        tokio::select! {
            biased;
            () = interrupted() => Err(ConformanceError::Interrupted),
            report = run_conformance(plan) => report,
        }
    });
    // Hung mock handlers (the silent-upstream check) must not hold the process.
    runtime.shutdown_timeout(Duration::from_secs(1));
    report
}

/// Resolves on Ctrl-C (SIGINT); never, when the handler cannot be installed (the run then goes on).
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Which checks `--only` selects; an error when it selects none.
fn select(checks: &[Check], only: Option<&str>) -> Result<Vec<bool>, ConformanceError> {
    let selected: Vec<bool> = checks
        .iter()
        .map(|check| only.is_none_or(|prefix| check.id.starts_with(prefix)))
        .collect();
    match only {
        Some(only) if !selected.contains(&true) => {
            let mut families: Vec<&str> = Vec::new();
            for family in checks.iter().map(Check::requirement) {
                if !families.contains(&family) {
                    families.push(family);
                }
            }
            Err(ConformanceError::NoCheckSelected {
                only: only.to_owned(),
                known: families.join(", "),
            })
        }
        _ => Ok(selected),
    }
}

/// A lane could not be set up: each of its checks is an `error`.
enum SetupError {
    Harness(ConformanceError),
    Launch(LaunchError),
}

impl SetupError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Harness(err) => Outcome::error(err.to_string(), Vec::new()),
            Self::Launch(err) => {
                let mut evidence = vec![format!("the proxy could not be started: {err}")];
                evidence.extend(err.tail());
                Outcome::error(format!("the proxy could not be started: {err}"), evidence)
            }
        }
    }
}

/// What a lane hands its checks.
#[derive(Clone, Copy)]
enum Ready<'a> {
    One(&'a Session),
    Two(&'a Session, &'a Session),
    Chain(&'a ChainSession),
}

impl Ready<'_> {
    async fn reset(&self) -> io::Result<()> {
        match self {
            Self::One(s) => s.upstream.reset().await,
            Self::Two(g, p) => {
                g.upstream.reset().await?;
                p.upstream.reset().await
            }
            Self::Chain(c) => c.upstream.reset().await,
        }
    }

    fn proxy_output(&self) -> Vec<String> {
        match self {
            Self::One(s) => s.proxy_output(),
            Self::Two(g, p) => g.proxy_output().into_iter().chain(p.proxy_output()).collect(),
            Self::Chain(c) => c.proxy_output(),
        }
    }
}

/// Runs the checks `indices` one after another on `ready`.
async fn run_lane(ready: Ready<'_>, checks: &[Check], indices: Vec<usize>) -> Vec<(usize, Outcome)> {
    let mut outcomes = Vec::new();
    for index in indices {
        outcomes.push((index, run_check(&checks[index], ready).await));
    }
    outcomes
}

async fn run_check(check: &Check, ready: Ready<'_>) -> Outcome {
    if let Err(err) = ready.reset().await {
        let reason = format!("ksnsim's mock KSN could not serve again: {err}");
        return Outcome::error(reason, Vec::new());
    }
    let future = match (&check.body, ready) {
        (Body::One(body), Ready::One(session)) => body(session),
        (Body::Types(body), Ready::Two(global, private)) => body(global, private),
        (Body::Chain(body), Ready::Chain(chain)) => body(chain),
        _ => {
            return Outcome::error(
                "ksnsim ran this check in the wrong lane (a driver bug)",
                Vec::new(),
            );
        }
    };
    let mut outcome = tokio::time::timeout(CHECK_BOUND, future)
        .await
        .unwrap_or_else(|_| {
            let reason = format!("the check did not finish within {} s", CHECK_BOUND.as_secs());
            Outcome::error(reason, Vec::new())
        });
    let output = ready.proxy_output();
    if !outcome.verdict.eq(&ksnsim_reports::Verdict::Pass) && !output.is_empty() {
        outcome.evidence.push("the proxy's last output lines:".to_owned());
        outcome.evidence.extend(output);
    }
    outcome
}

/// ksnsim's side of the run: its PKI, where the CA file is, what checks may know.
struct Environment<'p> {
    plan: &'p ConformancePlan,
    pki: TestPki,
    ca_path: PathBuf,
    settings: Settings,
}

impl<'p> Environment<'p> {
    fn prepare(plan: &'p ConformancePlan) -> Result<Self, ConformanceError> {
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        if let ProxyUnderTest::Running(running) = &plan.proxy {
            names.push(running.upstream_listen.ip().to_string());
            names.dedup();
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let validity = Validity {
            not_before: UNIX_EPOCH + Duration::from_secs(VALID_FROM_UNIX),
            not_after: UNIX_EPOCH + Duration::from_secs(VALID_UNTIL_UNIX),
        };
        let pki = TestPki::generate(PKI_SEED, &names, validity).map_err(ConformanceError::Pki)?;
        let ca_path = pki.write_ca(&plan.pki_dir).map_err(ConformanceError::CaFile)?;
        let ca_path = std::path::absolute(&ca_path).unwrap_or(ca_path);
        Ok(Self {
            plan,
            pki,
            ca_path,
            settings: Settings {
                cache_capacity: plan.cache_capacity,
                bounds: plan.bounds,
            },
        })
    }

    /// Why a lane cannot run in this configuration, if it cannot.
    fn unavailable(&self, lane: Lane) -> Option<&'static str> {
        let running = matches!(self.plan.proxy, ProxyUnderTest::Running(_));
        match lane {
            Lane::Private | Lane::Types if self.plan.private.is_none() => Some(NEEDS_PRIVATE),
            Lane::BadCert(_) | Lane::Chain if running => Some(NEEDS_RESTART),
            _ => None,
        }
    }

    fn cert(&self, bad: Option<BadCert>) -> &ServerCert {
        match bad {
            None => &self.pki.server,
            Some(BadCert::UntrustedCa) => &self.pki.untrusted,
            Some(BadCert::WrongName) => &self.pki.wrong_name,
        }
    }

    async fn launch(&self, launcher: &Launcher, upstream: &ServerUrl) -> Result<LaunchedProxy, SetupError> {
        let startup = self.plan.bounds.startup;
        launch(launcher, upstream, &self.ca_path, &self.pki.ca_pem, startup)
            .await
            .map_err(SetupError::Launch)
    }

    /// A fresh upstream of `kind` showing `cert`, and a proxy started against it.
    async fn session(
        &self,
        launcher: &Launcher,
        kind: KsnType,
        cert: &ServerCert,
    ) -> Result<Session, SetupError> {
        let upstream = Upstream::start_on_loopback(kind, cert)
            .await
            .map_err(SetupError::Harness)?;
        let proxy = self.launch(launcher, &upstream.url).await?;
        let client = ProxyClient::new(proxy.addr, self.plan.bounds.request);
        Ok(Session::new(upstream, client, self.settings, Some(proxy)))
    }

    /// A fresh upstream and two proxies in a chain.
    async fn chain(&self, launcher: &Launcher) -> Result<ChainSession, SetupError> {
        let upstream = Upstream::start_on_loopback(KsnType::Global, &self.pki.server)
            .await
            .map_err(SetupError::Harness)?;
        let admin = self.launch(launcher, &upstream.url).await?;
        let admin_client = ProxyClient::new(admin.addr, self.plan.bounds.request);
        // The contract's proxies speak TLS upstream, also to another proxy: the distribution point's proxy
        // gets an https upstream, ksnsim's terminator in front of the Administration Server's proxy.
        let hop = match TlsTerminator::start(&self.pki.server, admin.addr).await {
            Ok(hop) => hop,
            Err(err) => {
                admin.stop().await;
                return Err(SetupError::Harness(err));
            }
        };
        let point = match self.launch(launcher, &hop.url).await {
            Ok(point) => point,
            Err(err) => {
                admin.stop().await;
                hop.stop().await;
                return Err(err);
            }
        };
        let point_client = ProxyClient::new(point.addr, self.plan.bounds.request);
        let clients = (admin_client, point_client);
        Ok(ChainSession::new(upstream, clients, hop, vec![admin, point]))
    }

    async fn run_launched(
        &self,
        launcher: &Launcher,
        checks: &[Check],
        runnable: &[usize],
    ) -> Vec<(usize, Outcome)> {
        let shared = match self.session(launcher, KsnType::Global, &self.pki.server).await {
            Ok(shared) => shared,
            Err(err) => return runnable.iter().map(|&index| (index, err.outcome())).collect(),
        };
        let in_lane = |lane: Lane| -> Vec<usize> {
            runnable
                .iter()
                .copied()
                .filter(|&i| checks[i].lane == lane)
                .collect()
        };
        let mut lanes: Vec<BoxFuture<'_, Vec<(usize, Outcome)>>> = Vec::new();
        lanes.push(Box::pin(run_lane(
            Ready::One(&shared),
            checks,
            in_lane(Lane::Shared),
        )));
        for &index in runnable {
            let lane = checks[index].lane;
            let bad = match lane {
                Lane::Own => None,
                Lane::BadCert(bad) => Some(bad),
                _ => continue,
            };
            lanes.push(Box::pin(self.global_lane(launcher, bad, checks, vec![index])));
        }
        let chain = in_lane(Lane::Chain);
        if !chain.is_empty() {
            lanes.push(Box::pin(self.chain_lane(launcher, checks, chain)));
        }
        if let Some(private) = &self.plan.private {
            lanes.push(Box::pin(self.private_lane(
                private,
                None,
                checks,
                in_lane(Lane::Private),
            )));
            lanes.push(Box::pin(self.types_lane(
                launcher,
                private,
                checks,
                in_lane(Lane::Types),
            )));
        }
        let outcomes = join_all(lanes).await.concat();
        shared.close().await;
        outcomes
    }

    /// Checks on a fresh Global session (with a bad certificate when `bad` says so).
    async fn global_lane(
        &self,
        launcher: &Launcher,
        bad: Option<BadCert>,
        checks: &[Check],
        indices: Vec<usize>,
    ) -> Vec<(usize, Outcome)> {
        match self.session(launcher, KsnType::Global, self.cert(bad)).await {
            Ok(session) => {
                let outcomes = run_lane(Ready::One(&session), checks, indices).await;
                session.close().await;
                outcomes
            }
            Err(err) => indices.into_iter().map(|index| (index, err.outcome())).collect(),
        }
    }

    async fn chain_lane(
        &self,
        launcher: &Launcher,
        checks: &[Check],
        indices: Vec<usize>,
    ) -> Vec<(usize, Outcome)> {
        match self.chain(launcher).await {
            Ok(chain) => {
                let outcomes = run_lane(Ready::Chain(&chain), checks, indices).await;
                chain.close().await;
                outcomes
            }
            Err(err) => indices.into_iter().map(|index| (index, err.outcome())).collect(),
        }
    }

    /// Checks on a fresh Private session; with `global`, checks that need both (PX-TYPE-1).
    async fn private_lane(
        &self,
        private: &Launcher,
        global: Option<&Session>,
        checks: &[Check],
        indices: Vec<usize>,
    ) -> Vec<(usize, Outcome)> {
        if indices.is_empty() {
            return Vec::new();
        }
        match self.session(private, KsnType::Private, &self.pki.server).await {
            Ok(session) => {
                let ready = match global {
                    Some(global) => Ready::Two(global, &session),
                    None => Ready::One(&session),
                };
                let outcomes = run_lane(ready, checks, indices).await;
                session.close().await;
                outcomes
            }
            Err(err) => indices.into_iter().map(|index| (index, err.outcome())).collect(),
        }
    }

    /// PX-TYPE-1 on a fresh Global session and a fresh Private one.
    async fn types_lane(
        &self,
        launcher: &Launcher,
        private: &Launcher,
        checks: &[Check],
        indices: Vec<usize>,
    ) -> Vec<(usize, Outcome)> {
        if indices.is_empty() {
            return Vec::new();
        }
        match self.session(launcher, KsnType::Global, &self.pki.server).await {
            Ok(global) => {
                let outcomes = self.private_lane(private, Some(&global), checks, indices).await;
                global.close().await;
                outcomes
            }
            Err(err) => indices.into_iter().map(|index| (index, err.outcome())).collect(),
        }
    }

    /// Against an already running proxy: one session, every check in turn.
    async fn run_against_running(
        &self,
        running: &RunningProxy,
        checks: &[Check],
        runnable: &[usize],
    ) -> Result<Vec<(usize, Outcome)>, ConformanceError> {
        let upstream = Upstream::start(KsnType::Global, &self.pki.server, running.upstream_listen).await?;
        let client = ProxyClient::new(running.proxy, self.plan.bounds.request);
        let shared = Session::new(upstream, client, self.settings, None);
        if !accepts_connections(running.proxy, self.plan.bounds.startup).await {
            let reason = format!(
                "the proxy at {} does not accept connections: start it first",
                running.proxy
            );
            shared.close().await;
            return Ok(runnable
                .iter()
                .map(|&i| (i, Outcome::error(reason.clone(), Vec::new())))
                .collect());
        }
        let in_lane = |lane: Lane| runnable.iter().copied().filter(move |&i| checks[i].lane == lane);
        let in_turn: Vec<usize> = in_lane(Lane::Shared).chain(in_lane(Lane::Own)).collect();
        let mut outcomes = run_lane(Ready::One(&shared), checks, in_turn).await;
        if let Some(private) = &self.plan.private {
            let private_checks = in_lane(Lane::Private).collect();
            outcomes.extend(self.private_lane(private, None, checks, private_checks).await);
            let types = in_lane(Lane::Types).collect();
            outcomes.extend(self.private_lane(private, Some(&shared), checks, types).await);
        }
        shared.close().await;
        Ok(outcomes)
    }
}

/// Whether something accepts TCP connections at `addr` within `within`.
async fn accepts_connections(addr: SocketAddr, within: Duration) -> bool {
    tokio::time::timeout(within, RealNet.connect(addr))
        .await
        .is_ok_and(|connected| connected.is_ok())
}
