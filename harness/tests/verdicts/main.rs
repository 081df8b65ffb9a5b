//! The suite's verdicts on proxies that only forward (`conformance-relay`, a test program): a relayed answer
//! is the upstream's and never an acknowledgement of the proxy's own; an oversized body that reaches the
//! KSN fails however the KSN answered; caching and forwarding are judged on the Private proxy too; a
//! proxy that refuses a plain upstream still works in a chain; PX-TYPE-1 looks only at cross-traffic.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use ksnsim_harness::conformance::{
    ConformancePlan, Launcher, ProxyCommand, ProxyUnderTest, render_table, run_conformance,
};
use ksnsim_reports::{RunReport, Verdict};

fn relay(extra: &str) -> Launcher {
    let template = format!(
        "'{}' --listen {{listen}} --upstream {{upstream}} --ca {{ca}} {extra}",
        env!("CARGO_BIN_EXE_conformance-relay")
    );
    Launcher::Command(ProxyCommand::parse(&template).unwrap())
}

fn plan(name: &str, extra: &str) -> ConformancePlan {
    let dir: PathBuf = std::env::temp_dir().join(format!("ksnsim-verdicts-{}-{name}", std::process::id()));
    let mut plan = ConformancePlan::new(ProxyUnderTest::Launch(relay(extra)), name, dir);
    plan.private = Some(relay(extra));
    plan
}

fn ids_with(run: &RunReport, verdict: Verdict) -> BTreeSet<String> {
    run.items
        .iter()
        .filter(|item| item.verdict == verdict)
        .map(|item| item.id.clone())
        .collect()
}

fn evidence(run: &RunReport, id: &str) -> String {
    let item = run.items.iter().find(|item| item.id == id).unwrap();
    format!("{id}: {:?}\n{}", item.failure, item.evidence.join("\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_fails_only_what_it_does_not_do_and_passes_what_it_relays() {
    let run = run_conformance(&plan("relay", "")).await.unwrap();
    println!("{}", render_table(&run));
    let expected_fail: BTreeSet<String> = [
        // No cache: every repeated, batched or concurrent lookup goes upstream, for Global and Private.
        "PX-CACHE-1",
        "PX-CACHE-1/private",
        "PX-CACHE-5",
        "PX-CACHE-6",
        // PX-ERR-3 (a SHOULD): a KSN-aware proxy answers 502 for a non-contract upstream answer; the relay passes it on.
        "PX-ERR-3/garbage",
        // The relay streams a 2 MiB body to the KSN (and relays the KSN's 413).
        "PX-ERR-2/oversized-body",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(
        ids_with(&run, Verdict::Fail),
        expected_fail,
        "{}",
        render_table(&run)
    );
    // Relaying the upstream's own 200 is not an acknowledgement; a chain of relays that refuse a plain
    // upstream works over ksnsim's TLS hop; the cross-traffic check passes.
    for id in [
        "PX-STAT-1/ack-after-upstream",
        "PX-CHAIN-1",
        "PX-TYPE-1",
        "PX-FWD-1/private",
    ] {
        let item = run.items.iter().find(|item| item.id == id).unwrap();
        assert_eq!(item.verdict, Verdict::Pass, "{}", evidence(&run, id));
    }
    let oversized = evidence(&run, "PX-ERR-2/oversized-body");
    assert!(
        oversized
            .contains("nothing of the oversized request reached the upstream; seen: the upstream received"),
        "{oversized}"
    );
    // Twice the contract's 1 MiB limit, in a statistics upload's JSON.
    assert!(oversized.contains("of the 2097176 body bytes"), "{oversized}");
    // The evidence shows what the client got: the KSN's 413, relayed.
    assert!(oversized.contains(" -> 413 "), "{oversized}");
    let garbage = evidence(&run, "PX-ERR-3/garbage");
    assert!(
        garbage.contains("seen: the upstream's 200 and its non-contract body, relayed unchanged"),
        "{garbage}"
    );
    // The note on a 502 without the contract's body is for 502s only, not for the relayed 200.
    assert!(!garbage.contains("note:"), "{garbage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_drops_the_license_key_fails_forwarding_on_private_but_not_isolation() {
    let mut plan = plan("drop-authorization", "--drop-authorization");
    plan.only = Some("PX-".to_owned());
    let run = run_conformance(&plan).await.unwrap();
    println!("{}", render_table(&run));
    let failed = ids_with(&run, Verdict::Fail);
    for id in ["PX-FWD-1/private", "PX-AUTH-1/authorization"] {
        assert!(failed.contains(id), "{}", evidence(&run, id));
    }
    // Every Private answer was a 401: nothing was there to cache or to leak, so caching and tenant isolation
    // cannot be judged (an error, never a failure blamed on the cache).
    for id in [
        "PX-CACHE-1/private",
        "PX-CACHE-4/other-tenant",
        "PX-CACHE-4/rejected-key",
    ] {
        let item = run.items.iter().find(|item| item.id == id).unwrap();
        assert_eq!(item.verdict, Verdict::Error, "{}", evidence(&run, id));
        assert!(
            evidence(&run, id).contains("cannot be judged"),
            "{}",
            evidence(&run, id)
        );
    }
    let fwd = evidence(&run, "PX-FWD-1/private");
    assert!(fwd.contains("seen: 401 license_not_registered"), "{fwd}");
    // Every Private call got 401, but nothing crossed to the other KSN: PX-TYPE-1 holds.
    let types = run.items.iter().find(|item| item.id == "PX-TYPE-1").unwrap();
    assert_eq!(types.verdict, Verdict::Pass, "{}", evidence(&run, "PX-TYPE-1"));
    // The Global side is not touched by the dropped key.
    for id in [
        "PX-FWD-1/answers",
        "PX-FWD-1/errors",
        "PX-STAT-1/ack-after-upstream",
    ] {
        let item = run.items.iter().find(|item| item.id == id).unwrap();
        assert_eq!(item.verdict, Verdict::Pass, "{}", evidence(&run, id));
    }
}
