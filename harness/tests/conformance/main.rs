//! `ksnsim conformance` judged against known proxies: the reference proxy passes every MUST and SHOULD, and
//! each deliberately broken proxy fails exactly the checks of the requirement it breaks. Over real loopback
//! sockets; the proxies run in-process, except the tests that run the built `ksn-proxy` binary. The broken
//! proxies exist only here: the reference's `self-test-misbehaviour` feature, which this crate enables as a
//! dev-dependency and no shipped build does (the `ksn-proxy` binary has no flag for it).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use futures::future::join_all;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

use ksnsim_harness::conformance::{
    Bounds, ConformancePlan, Launcher, MAX_CAPACITY_TESTED, ProxyCommand, ProxyUnderTest, RunningProxy,
    check_ids, render_table, run_conformance,
};
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::net::RealNet;
use ksnsim_reference::proxy::{KsnProxy, Misbehaviour, ProxyConfig};
use ksnsim_reports::{GateLevel, ItemReport, RunReport, Verdict, exit};

/// What the self-test expects each broken proxy to fail: exactly these checks, nothing else.
const BROKEN: [(Misbehaviour, &[&str]); 8] = [
    (
        Misbehaviour::CacheErrors,
        &["PX-CACHE-3/403", "PX-CACHE-3/429", "PX-CACHE-3/503"],
    ),
    (
        Misbehaviour::SharedCache,
        &["PX-CACHE-4/other-tenant", "PX-CACHE-4/rejected-key"],
    ),
    (Misbehaviour::EarlyAck, &["PX-STAT-1/ack-after-upstream"]),
    (Misbehaviour::IgnoreTtl, &["PX-CACHE-2"]),
    (
        Misbehaviour::NoTlsVerify,
        &["PX-TLS-1/untrusted-ca", "PX-TLS-1/wrong-name"],
    ),
    (Misbehaviour::WholeBatch, &["PX-CACHE-5"]),
    (Misbehaviour::StaleForAnswers, &["PX-STALE-1/only-for-outages"]),
    (
        Misbehaviour::DropIdempotencyKey,
        &[
            "PX-AUTH-1/ksn-headers",
            "PX-CHAIN-1",
            "PX-STAT-1/ack-after-upstream",
            "PX-STAT-1/idempotency-key",
        ],
    ),
];

/// The capacity the in-process proxies get, so that PX-CACHE-7 is tested.
const CAPACITY: usize = 4;

fn pki_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ksnsim-conformance-{}-{name}", std::process::id()))
}

/// The reference proxy in-process, quick to time out, with a small cache and a stale window.
fn reference(misbehave: Option<Misbehaviour>) -> Launcher {
    Launcher::in_process(move |config: &mut ProxyConfig| {
        config.upstream_timeout = Duration::from_secs(3);
        config.cache_capacity = CAPACITY;
        config.stale_grace = Duration::from_secs(30);
        config.misbehave = misbehave;
    })
}

fn in_process_plan(name: &str, misbehave: Option<Misbehaviour>) -> ConformancePlan {
    let mut plan = ConformancePlan::new(
        ProxyUnderTest::Launch(reference(misbehave)),
        format!("ksn-proxy ({name})"),
        pki_dir(name),
    );
    plan.private = Some(reference(misbehave));
    plan.cache_capacity = Some(CAPACITY);
    plan
}

fn ids_with(run: &RunReport, verdict: Verdict) -> BTreeSet<String> {
    run.items
        .iter()
        .filter(|item| item.verdict == verdict)
        .map(|item| item.id.clone())
        .collect()
}

/// The table and the evidence of every item that did not pass, for a failed assertion's message.
fn explain(run: &RunReport) -> String {
    let mut text = render_table(run);
    for item in run.items.iter().filter(|item| item.verdict != Verdict::Pass) {
        text.push_str(&format!("\n== {} ({})\n", item.id, item.verdict));
        for line in &item.evidence {
            text.push_str(&format!("   {line}\n"));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_proxy_passes_every_check() {
    let started = Instant::now();
    let run = run_conformance(&in_process_plan("reference", None))
        .await
        .unwrap();
    let passed = ids_with(&run, Verdict::Pass);
    let every: BTreeSet<String> = check_ids().into_iter().map(str::to_owned).collect();
    assert_eq!(passed, every, "{}", explain(&run));
    assert_eq!(exit::for_gate(&run.gate(true)), exit::SUCCESS);
    // What the evidence says of a good proxy: no side note of an error answer without the contract's JSON body,
    // every call of PX-FWD-1/answers judged, and the object PX-CACHE-4 tries to leak cached for tenant A.
    let notes: Vec<&String> = run
        .items
        .iter()
        .flat_map(|item| &item.evidence)
        .filter(|line| line.starts_with("note:"))
        .collect();
    assert!(
        notes.is_empty(),
        "every error answer of the reference is the contract's: {notes:?}"
    );
    let answers = evidence_of(&run, "PX-FWD-1/answers");
    for judged in [
        r#"ok: ping came back as the upstream's {"ksn":"global"}"#,
        "ok: the statement came back as the upstream's",
        r#"ok: the statistics upload came back as 202 {"accepted":3}"#,
        "ok: the statistics upload reached the upstream",
    ] {
        assert!(answers.iter().any(|line| line == judged), "{judged}: {answers:?}");
    }
    let headers = evidence_of(&run, "PX-AUTH-1/ksn-headers");
    assert!(
        headers
            .iter()
            .any(|line| line.contains("| KSN-Client: ep-42 (rack 7) | KSN-Mode: basic | KSN-Statement: 1 |")),
        "the evidence shows the headers each upstream request carried: {headers:?}"
    );
    for id in ["PX-ERR-2/bad-hash", "PX-ERR-2/slow-client"] {
        let evidence = evidence_of(&run, id);
        let judged = |what: &str| {
            evidence
                .iter()
                .any(|line| line.starts_with("ok: ") && line.contains(what))
        };
        assert!(
            (id == "PX-ERR-2/slow-client" || judged("got 400 bad_request"))
                && judged("afterwards a normal lookup was answered with the reputation"),
            "{id} judges the refusal and the service after it: {evidence:?}"
        );
    }
    let cached = "the object is now cached for tenant A (2 lookups, 1 upstream request)";
    let rejected = evidence_of(&run, "PX-CACHE-4/rejected-key");
    assert!(rejected.iter().any(|line| line == cached), "{rejected:?}");
    assert_eq!(run.implementation.as_deref(), Some("ksn-proxy (reference)"));
    assert!(
        run.catalogue.iter().all(|r| r.id.as_str().starts_with("PX-")),
        "the report judges the proxy requirements only"
    );
    println!("{}in {:?}", render_table(&run), started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_proxy_fails_exactly_the_checks_of_what_it_breaks() {
    let plans: Vec<ConformancePlan> = BROKEN
        .iter()
        .map(|(misbehaviour, _)| in_process_plan(misbehaviour.as_str(), Some(*misbehaviour)))
        .collect();
    let runs = join_all(plans.iter().map(run_conformance)).await;
    for ((misbehaviour, expected), run) in BROKEN.iter().zip(runs) {
        let run = run.unwrap();
        let expected: BTreeSet<String> = expected.iter().map(|id| (*id).to_owned()).collect();
        assert_eq!(
            ids_with(&run, Verdict::Fail),
            expected,
            "{misbehaviour}:\n{}",
            explain(&run)
        );
        assert!(
            ids_with(&run, Verdict::Error).is_empty(),
            "{misbehaviour}:\n{}",
            explain(&run)
        );
        // PX-CACHE-5, which whole-batch breaks, is a SHOULD: it fails the gate that counts SHOULDs; PX-STALE-1,
        // which stale-for-answers breaks, is a MAY done wrongly: it fails the gate that counts every level.
        let level = match misbehaviour {
            Misbehaviour::WholeBatch => GateLevel::Should,
            Misbehaviour::StaleForAnswers => GateLevel::All,
            _ => GateLevel::Must,
        };
        assert_eq!(
            exit::for_gate(&run.gate_at(level)),
            exit::REQUIREMENT_FAILED,
            "{misbehaviour}"
        );
        if *misbehaviour == Misbehaviour::SharedCache {
            // Each expectation says what it saw: tenant B's lookup cost the upstream nothing.
            let leaked = "FAILED: tenant B's lookup went to the Private KSN instead of getting tenant A's cached \
                          answer (1 -> 1 upstream requests)";
            let evidence = evidence_of(&run, "PX-CACHE-4/other-tenant");
            assert!(evidence.iter().any(|line| line == leaked), "{evidence:?}");
        }
    }
}

/// A proxy that answers 504 only after its own 3 s upstream timeout fails PX-ERR-1/slow under a 1 s bound,
/// saying which answers came too late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_slower_than_the_bound_fails_px_err_1_saying_so() {
    let mut plan = in_process_plan("slow-bound", None);
    plan.bounds.answer = Duration::from_secs(1);
    plan.only = Some("PX-ERR-1/slow".to_owned());
    let run = run_conformance(&plan).await.unwrap();
    let failed: BTreeSet<String> = ["PX-ERR-1/slow".to_owned()].into();
    assert_eq!(ids_with(&run, Verdict::Fail), failed, "{}", explain(&run));
    let evidence = evidence_of(&run, "PX-ERR-1/slow");
    for late in [
        "FAILED: a lookup was answered within 1 s",
        "FAILED: a batch was answered within 1 s",
    ] {
        assert!(evidence.iter().any(|line| line == late), "{evidence:?}");
    }
}

/// The report's item `id` (every check has one).
fn item_of<'a>(run: &'a RunReport, id: &str) -> &'a ItemReport {
    run.items
        .iter()
        .find(|item| item.id == id)
        .unwrap_or_else(|| panic!("no item {id} in the report"))
}

/// The evidence lines of item `id`.
fn evidence_of<'a>(run: &'a RunReport, id: &str) -> &'a [String] {
    &item_of(run, id).evidence
}

/// A proxy whose upstream refuses connections answers no lookup: PX-CACHE-7 fails, and its evidence says the
/// cache was never filled (not that it was).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_answers_no_lookup_fails_the_cache_bound_saying_the_cache_was_never_filled() {
    let launcher = Launcher::in_process(|config: &mut ProxyConfig| {
        config.upstream = "https://127.0.0.1:1".parse().unwrap();
        config.upstream_timeout = Duration::from_secs(3);
        config.cache_capacity = CAPACITY;
    });
    let mut plan = ConformancePlan::new(
        ProxyUnderTest::Launch(launcher),
        "no upstream",
        pki_dir("no-upstream"),
    );
    plan.cache_capacity = Some(CAPACITY);
    plan.only = Some("PX-CACHE-7".to_owned());
    let run = run_conformance(&plan).await.unwrap();
    let failed: BTreeSet<String> = ["PX-CACHE-7".to_owned()].into();
    assert_eq!(ids_with(&run, Verdict::Fail), failed, "{}", explain(&run));
    let filled =
        format!("FAILED: {CAPACITY} distinct lookups filled the cache ({CAPACITY} got no reputation)");
    assert!(
        evidence_of(&run, "PX-CACHE-7").contains(&filled),
        "{}",
        explain(&run)
    );
}

/// PX-CACHE-7 fills caches of 1 to `MAX_CAPACITY_TESTED` entries: a capacity of 0 or one over the limit is
/// not tested (with the reason), and a cache of exactly the limit is filled and judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn px_cache_7_tests_capacities_from_one_to_the_limit_and_no_others() {
    let plan = |capacity: usize| {
        let launcher = Launcher::in_process(move |config: &mut ProxyConfig| {
            config.upstream_timeout = Duration::from_secs(3);
            config.cache_capacity = capacity.max(1);
        });
        let name = format!("capacity-{capacity}");
        let mut plan = ConformancePlan::new(ProxyUnderTest::Launch(launcher), &name, pki_dir(&name));
        plan.cache_capacity = Some(capacity);
        plan.only = Some("PX-CACHE-7".to_owned());
        plan
    };
    let plans = [0, MAX_CAPACITY_TESTED + 1, MAX_CAPACITY_TESTED].map(plan);
    let runs = join_all(plans.iter().map(run_conformance)).await;
    for (capacity, run) in [0, MAX_CAPACITY_TESTED + 1].into_iter().zip(&runs) {
        let run = run.as_ref().unwrap();
        let item = item_of(run, "PX-CACHE-7");
        assert_eq!(
            item.verdict,
            Verdict::NotTested,
            "capacity {capacity}:\n{}",
            explain(run)
        );
        let reason = &item.failure.as_ref().unwrap().message;
        assert!(
            reason.contains(&format!(
                "--cache-capacity {capacity}: ksnsim fills caches of 1 to {MAX_CAPACITY_TESTED} entries"
            )),
            "{reason}"
        );
    }
    let at_limit = runs[2].as_ref().unwrap();
    assert_eq!(
        item_of(at_limit, "PX-CACHE-7").verdict,
        Verdict::Pass,
        "{}",
        explain(at_limit)
    );
}

/// The built `ksn-proxy` next to this test binary (target/debug/deps/.. -> target/debug/ksn-proxy).
fn ksn_proxy_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("ksn-proxy");
    path.is_file().then_some(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ksn_proxy_binary_passes_when_started_by_command() {
    let Some(binary) = ksn_proxy_binary() else {
        println!(
            "SKIPPED: the ksn-proxy binary is not built next to this test; run `cargo build -p ksnsim-reference \
             --bins` first (`cargo test --workspace` builds it)"
        );
        return;
    };
    let command = |extra: &str| {
        let template = format!(
            "'{}' --listen {{listen}} --upstream {{upstream}} --ca {{ca}} --upstream-timeout-ms 3000 \
             --cache-capacity 3 {extra}",
            binary.display()
        );
        Launcher::Command(ProxyCommand::parse(&template).unwrap())
    };
    let mut plan = ConformancePlan::new(
        ProxyUnderTest::Launch(command("")),
        "ksn-proxy",
        pki_dir("binary"),
    );
    plan.private = Some(command(""));
    plan.cache_capacity = Some(3);
    let started = Instant::now();
    let run = run_conformance(&plan).await.unwrap();
    println!("{}in {:?}", render_table(&run), started.elapsed());
    let expected_na: BTreeSet<String> = ["PX-STALE-1".to_owned()].into();
    assert_eq!(
        ids_with(&run, Verdict::NotApplicable),
        expected_na,
        "ksn-proxy serves no stale answers unless configured to\n{}",
        explain(&run)
    );
    assert_eq!(
        ids_with(&run, Verdict::Pass).len(),
        check_ids().len() - 1,
        "{}",
        explain(&run)
    );
}

#[test]
fn the_shipped_ksn_proxy_has_no_way_to_misbehave() {
    let Some(binary) = ksn_proxy_binary() else {
        println!(
            "SKIPPED: the ksn-proxy binary is not built next to this test (`bash ci/test.sh` builds it)"
        );
        return;
    };
    let out = std::process::Command::new(&binary)
        // An https upstream without --ca: even a binary that took the flag would exit at once, never serve.
        .args(["--listen", "127.0.0.1:0", "--upstream", "https://127.0.0.1:1"])
        .args(["--misbehave", "no-tls-verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unexpected argument '--misbehave'"),
        "the flag is refused as unknown: {stderr}"
    );
}

/// Whether process `pid` still runs (a zombie, exited but not yet reaped by its new parent, does not).
fn runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        !matches!(state, Some('Z' | 'X') | None)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_forks_leaves_no_process_behind() {
    let Some(binary) = ksn_proxy_binary() else {
        println!(
            "SKIPPED: the ksn-proxy binary is not built next to this test; run `cargo build -p ksnsim-reference \
             --bins` first (`bash ci/test.sh` builds it)"
        );
        return;
    };
    let dir = pki_dir("forks");
    std::fs::create_dir_all(&dir).unwrap();
    let pids = dir.join("worker-pids");
    let _ = std::fs::remove_file(&pids);
    // As a proxy with workers does: a worker that ignores SIGTERM, then the proxy itself (same process group).
    let script = dir.join("forking-proxy.sh");
    std::fs::write(
        &script,
        format!(
            "( trap '' TERM; exec sleep 300 ) &\necho $! >> '{}'\nexec '{}' --listen \"$1\" --upstream \"$2\" \
             --ca \"$3\" --upstream-timeout-ms 3000\n",
            pids.display(),
            binary.display()
        ),
    )
    .unwrap();
    let command = format!("sh '{}' {{listen}} {{upstream}} {{ca}}", script.display());
    let launcher = Launcher::Command(ProxyCommand::parse(&command).unwrap());
    let mut plan = ConformancePlan::new(ProxyUnderTest::Launch(launcher), "forking", &dir);
    plan.only = Some("PX-FWD-1".to_owned());
    let run = run_conformance(&plan).await.unwrap();
    assert!(ids_with(&run, Verdict::Error).is_empty(), "{}", explain(&run));
    let workers: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|line| line.trim().parse().unwrap())
        .collect();
    assert!(!workers.is_empty(), "the proxy forked its worker");
    let left: Vec<u32> = workers.into_iter().filter(|pid| runs(*pid)).collect();
    assert!(left.is_empty(), "workers still running after the run: {left:?}");
}

#[tokio::test]
async fn a_proxy_that_exits_at_start_errors_every_check_with_its_output() {
    let command = "sh -c 'echo cannot bind the port >&2; exit 3' sh {listen} {upstream} {ca}";
    let launcher = Launcher::Command(ProxyCommand::parse(command).unwrap());
    let plan = ConformancePlan::new(ProxyUnderTest::Launch(launcher), "exits", pki_dir("exits"));
    let run = run_conformance(&plan).await.unwrap();
    let errored = ids_with(&run, Verdict::Error);
    let not_tested = ids_with(&run, Verdict::NotTested);
    assert_eq!(
        errored.len() + not_tested.len(),
        check_ids().len(),
        "{}",
        explain(&run)
    );
    assert!(not_tested.iter().all(|id| id.starts_with("PX-CACHE-4")
        || id.ends_with("/private")
        || id.starts_with("PX-AUTH-1/authorization")
        || id.starts_with("PX-TYPE-1")
        || id == "PX-CACHE-7"));
    let item = item_of(&run, "PX-CACHE-1");
    assert!(
        item.failure.as_ref().unwrap().message.contains("exited"),
        "{item:?}"
    );
    assert!(
        item.evidence
            .iter()
            .any(|line| line.contains("stderr| cannot bind the port")),
        "{item:?}"
    );
    assert_eq!(exit::for_gate(&run.gate(false)), exit::HARNESS_ERROR);
}

#[tokio::test]
async fn a_proxy_that_never_listens_errors_within_the_startup_bound() {
    let command = "sh -c 'sleep 30' sh {listen} {upstream} {ca}";
    let launcher = Launcher::Command(ProxyCommand::parse(command).unwrap());
    let mut plan = ConformancePlan::new(ProxyUnderTest::Launch(launcher), "silent", pki_dir("silent"));
    plan.bounds = Bounds {
        startup: Duration::from_millis(500),
        ..Bounds::default()
    };
    plan.only = Some("PX-FWD-1".to_owned());
    let started = Instant::now();
    let run = run_conformance(&plan).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let errored = ids_with(&run, Verdict::Error);
    assert_eq!(errored.len(), 2, "{}", explain(&run));
    let item = item_of(&run, "PX-FWD-1/answers");
    assert!(
        item.failure
            .as_ref()
            .unwrap()
            .message
            .contains("did not accept connections")
    );
    assert_eq!(
        run.items
            .iter()
            .find(|i| i.id == "PX-CACHE-1")
            .unwrap()
            .failure
            .as_ref()
            .unwrap()
            .message,
        "filtered out by --only PX-FWD-1"
    );
}

/// A loopback port nobody listens on, below the system's ephemeral range (so that no concurrent test's
/// `bind(..:0)` takes it before the run listens there); `n` spreads the callers.
fn free_port(n: u16) -> SocketAddr {
    let start = 19_000 + u16::try_from(std::process::id() % 400).unwrap() + n * 400;
    (start..start + 400)
        .find_map(|port| std::net::TcpListener::bind(("127.0.0.1", port)).ok())
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_already_running_proxy_is_tested_in_place_and_what_needs_a_restart_is_not_tested() {
    let dir = pki_dir("running");
    let upstream_listen = free_port(0);
    // A first run writes ksnsim's CA (the same on every run) for the proxy to trust.
    let mut first = ConformancePlan::new(
        ProxyUnderTest::Running(RunningProxy {
            proxy: free_port(1),
            upstream_listen,
        }),
        "not started yet",
        &dir,
    );
    first.only = Some("PX-FWD-1/answers".to_owned());
    let first = run_conformance(&first).await.unwrap();
    assert_eq!(ids_with(&first, Verdict::Error).len(), 1, "{}", explain(&first));

    let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let mut config = ProxyConfig::new(format!("https://{upstream_listen}").parse().unwrap());
    config.upstream_timeout = Duration::from_secs(3);
    config.cache_capacity = CAPACITY;
    let trust = ksnsim_reference::tls::client_config(&ca, SystemClock::shared()).unwrap();
    let net = RealNet::shared();
    let proxy = KsnProxy::new(config, net.clone(), Some(trust));
    let listener = net.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _serving = ksnsim_mocks::Running::spawn(addr, move |shutdown| async move {
        proxy.serve(listener, None, shutdown).await
    });

    let mut plan = ConformancePlan::new(
        ProxyUnderTest::Running(RunningProxy {
            proxy: addr,
            upstream_listen,
        }),
        "ksn-proxy (running)",
        &dir,
    );
    plan.private = Some(reference(None));
    plan.cache_capacity = Some(CAPACITY);
    let run = run_conformance(&plan).await.unwrap();
    let not_tested: BTreeSet<String> = ["PX-CHAIN-1", "PX-TLS-1/untrusted-ca", "PX-TLS-1/wrong-name"]
        .map(str::to_owned)
        .into();
    assert_eq!(
        ids_with(&run, Verdict::NotTested),
        not_tested,
        "{}",
        explain(&run)
    );
    assert!(
        run.items
            .iter()
            .find(|i| i.id == "PX-CHAIN-1")
            .unwrap()
            .failure
            .as_ref()
            .unwrap()
            .message
            .contains("--proxy-cmd")
    );
    let na: BTreeSet<String> = ["PX-STALE-1".to_owned()].into();
    assert_eq!(ids_with(&run, Verdict::NotApplicable), na, "{}", explain(&run));
    assert!(ids_with(&run, Verdict::Fail).is_empty(), "{}", explain(&run));
    assert!(ids_with(&run, Verdict::Error).is_empty(), "{}", explain(&run));
}
