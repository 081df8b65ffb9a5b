//! The fixed run report every writer's snapshot test renders: one of each verdict, a failing item with a trace
//! across four hosts (a fault, a state change), a requirement nobody covers, and text that needs escaping.

use crate::digest::trace_digest;
use crate::model::{
    EventKind, Failure, ItemReport, Level, Requirement, RequirementId, RunKind, RunReport, TraceEvent,
    Verdict,
};

pub(crate) fn id(text: &str) -> RequirementId {
    text.parse().expect("fixture ids are valid")
}

pub(crate) fn event(at_ms: u64, kind: EventKind, from: &str, to: &str, summary: &str) -> TraceEvent {
    TraceEvent {
        at_ms,
        kind,
        from: from.into(),
        to: to.into(),
        summary: summary.into(),
    }
}

fn requirement(req: &str, level: Level, text: &str) -> Requirement {
    Requirement {
        id: id(req),
        level,
        text: text.into(),
    }
}

fn catalogue() -> Vec<Requirement> {
    vec![
        requirement(
            "PX-FWD-1",
            Level::Must,
            "relay lookups upstream and return the upstream's status and body",
        ),
        requirement(
            "PX-CACHE-1",
            Level::Must,
            "serve a repeated identical lookup from cache within its ttl",
        ),
        requirement(
            "PX-CACHE-3",
            Level::Must,
            "never cache an error answer (4xx, 5xx)",
        ),
        requirement(
            "PX-CACHE-5",
            Level::Should,
            "answer a batch partly from cache and forward only the misses",
        ),
        requirement(
            "PX-CACHE-6",
            Level::Should,
            "coalesce concurrent identical misses into one upstream request",
        ),
        requirement(
            "PX-STALE-1",
            Level::May,
            "serve a stale answer within a grace window | and say so",
        ),
        requirement(
            "PX-CHAIN-1",
            Level::Must,
            "work as a chain: distribution point -> Administration Server proxy -> KSN",
        ),
    ]
}

/// The failing item's trace: a fault on the upstream, DNS, the error answer cached, then served again.
pub(crate) fn failing_trace() -> Vec<TraceEvent> {
    use EventKind::*;
    vec![
        event(
            0,
            Fault,
            "global-ksn",
            "",
            "answer every lookup with 500 Internal Server Error",
        ),
        event(10, Request, "endpoint-1", "dp-proxy", "POST /v1/lookup 1 hash"),
        event(11, Dns, "dp-proxy", "dns-1", "A? ksn.example.test"),
        event(13, Dns, "dns-1", "dp-proxy", "A ksn.example.test = 192.168.0.4"),
        event(14, Request, "dp-proxy", "global-ksn", "POST /v1/lookup 1 hash"),
        event(40, Answer, "global-ksn", "dp-proxy", "500 Internal Server Error"),
        event(
            41,
            State,
            "dp-proxy",
            "",
            "cache store 9f86d081 status=500 ttl=600s",
        ),
        event(42, Answer, "dp-proxy", "endpoint-1", "500 Internal Server Error"),
        event(
            1010,
            Request,
            "endpoint-1",
            "dp-proxy",
            "POST /v1/lookup 1 hash (retry)",
        ),
        event(
            1011,
            Answer,
            "dp-proxy",
            "endpoint-1",
            "500 <from cache> & \"X-Cache: HIT\"",
        ),
        event(
            1012,
            Note,
            "endpoint-1",
            "",
            "lookup failed twice; no upstream request for the retry",
        ),
    ]
}

fn passing_with_trace() -> ItemReport {
    let mut item = ItemReport::new(
        "PX-CACHE-1/repeat-lookup",
        "five identical lookups",
        "cache",
        Verdict::Pass,
    );
    item.requirements = vec![id("PX-CACHE-1"), id("PX-FWD-1")];
    item.seed = Some(7);
    item.trace = vec![
        event(
            0,
            EventKind::Request,
            "endpoint-1",
            "dp-proxy",
            "POST /v1/lookup x5",
        ),
        event(
            2,
            EventKind::Answer,
            "dp-proxy",
            "endpoint-1",
            "200 OK (4 from cache)",
        ),
    ];
    item.trace_digest = Some(trace_digest(&item.trace));
    item.evidence = vec!["upstream requests: 1 for 5 identical lookups".into()];
    item.sim_time_ms = Some(2);
    item
}

fn failing() -> ItemReport {
    let trace = failing_trace();
    let mut item = ItemReport::new(
        "PX-CACHE-3/error-500",
        "an upstream 500 is not cached",
        "cache",
        Verdict::Fail,
    );
    item.requirements = vec![id("PX-CACHE-3")];
    item.level = Some(Level::Must);
    item.seed = Some(42);
    item.trace_digest = Some(trace_digest(&trace));
    item.replay = Some(
        "ksnsim conformance --proxy './acme-proxy --config \"a b.toml\"' --check PX-CACHE-3/error-500 --seed 42"
            .into(),
    );
    item.failure = Some(Failure {
        message: "cached an error answer: status 500 was stored & served again | expected <no cache>".into(),
        requirement: Some(id("PX-CACHE-3")),
        event: Some(trace[6].clone()),
    });
    item.evidence = vec![
        "upstream requests: 1 (expected 2)".into(),
        "header X-Cache: HIT\u{1}".into(),
    ];
    item.sim_time_ms = Some(1012);
    item.trace = trace;
    item
}

fn errored() -> ItemReport {
    let mut item = ItemReport::new(
        "PX-CACHE-6/coalesce",
        "concurrent misses coalesce",
        "cache",
        Verdict::Error,
    );
    item.requirements = vec![id("PX-CACHE-6")];
    item.seed = Some(9);
    item.replay = Some("ksnsim conformance --check PX-CACHE-6/coalesce --seed 9".into());
    item.failure = Some(Failure {
        message: "harness error: mock Global KSN did not start: 192.168.0.4:443 in use".into(),
        requirement: None,
        event: None,
    });
    item
}

fn simple(item_id: &str, name: &str, group: &str, req: &str, verdict: Verdict) -> ItemReport {
    let mut item = ItemReport::new(item_id, name, group, verdict);
    item.requirements = vec![id(req)];
    item
}

/// The fixture run, normalized (items sorted by id).
pub(crate) fn fixture() -> RunReport {
    let mut run = RunReport::new(RunKind::Conformance, "proxy conformance <core> | v1");
    run.implementation = Some("acme-proxy 2.1 \"beta\"".into());
    run.seed = Some(1);
    run.catalogue = catalogue();
    let mut relay = simple(
        "PX-FWD-1/relay-200",
        "relay a 200 answer",
        "forwarding",
        "PX-FWD-1",
        Verdict::Pass,
    );
    relay.seed = Some(3);
    let mut stale = simple(
        "PX-STALE-1/grace",
        "stale answer in grace window",
        "stale & grace",
        "PX-STALE-1",
        Verdict::NotApplicable,
    );
    stale.failure = Some(Failure {
        message: "the implementation declares no stale serving".into(),
        requirement: None,
        event: None,
    });
    run.items = vec![
        passing_with_trace(),
        failing(),
        simple(
            "PX-CACHE-5/batch-partial",
            "batch answered partly from cache",
            "cache",
            "PX-CACHE-5",
            Verdict::NotTested,
        ),
        errored(),
        relay,
        stale,
    ];
    run.normalize();
    run
}
