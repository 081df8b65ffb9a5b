//! PX-STAT-1 and PX-STAT-2: statistics are relayed without loss (never acknowledged before the upstream
//! accepted them; Idempotency-Key kept), and statistics, statement and ping answers are never cached.

use std::time::Duration;

use ksnsim_mocks::Fault;
use ksnsim_reference::protocol::{Statement, StatementVersion, StatisticsAccepted};

use crate::conformance::client::{answered, describe, is_success, relays_garbage, seen, status};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{call, upload, with};
use crate::conformance::session::Session;

/// How long statistics relayed after the answer may take to show up upstream.
const RELAY_WAIT: Duration = Duration::from_secs(2);

pub(super) async fn ack_after_upstream(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let faults = [
        (Fault::Unavailable, "503 unavailable"),
        (Fault::Garbage, "a 200 with a body that is not JSON"),
        (Fault::CloseMidAnswer, "an answer cut off halfway"),
    ];
    for (n, (fault, shown)) in faults.into_iter().enumerate() {
        s.upstream.mock.set_fault(Some(fault));
        let answer = s.proxy.send(&mut f, upload(2, &format!("stat-1-ack-{n}"))).await;
        if relays_garbage(&answer) {
            f.note(
                "the proxy relayed the upstream's own 200 and body unchanged: that acknowledges nothing (the \
                 502 the contract asks for a non-contract answer is judged by PX-ERR-3/garbage)",
            );
            continue;
        }
        f.expect_seen(
            !is_success(&answer),
            format!("with the upstream answering {shown}, the upload was not acknowledged"),
            || seen(&answer),
        );
    }
    s.upstream.mock.set_fault(None);
    let basic = with(upload(2, "stat-1-ack-basic"), "KSN-Mode", "basic");
    let basic = s.proxy.send(&mut f, basic).await;
    f.expect_seen(
        !is_success(&basic),
        "statistics in basic mode, which the upstream refuses (403), were not acknowledged",
        || seen(&basic),
    );
    s.upstream.take_down().await;
    f.note("the upstream is down (connections refused)");
    let down = s.proxy.send(&mut f, upload(2, "stat-1-ack-down")).await;
    f.expect_seen(
        !is_success(&down),
        "with the upstream down, the upload was not acknowledged",
        || seen(&down),
    );
    if let Err(err) = s.upstream.bring_back().await {
        f.harness_broke(format!("the mock KSN could not serve again: {err}"));
        return f.conclude("-");
    }
    let key = "stat-1-ack-good";
    let good = s.proxy.send(&mut f, upload(2, key)).await;
    let accepted_before = s
        .upstream
        .count(|r| r.idempotency_key.as_deref() == Some(key) && r.status == Some(202));
    f.expect_seen(
        status(&good) == Some(202),
        "with the upstream up, the upload was acknowledged with 202",
        || seen(&good),
    );
    f.expect(
        accepted_before >= 1,
        "when the 202 arrived, the upstream had already accepted the upload",
    );
    f.conclude(
        "no 2xx of its own under 503, garbage, a cut-off answer, a refusal or a down upstream; 202 only after \
         the upstream's",
    )
}

pub(super) async fn idempotency_key(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let key = "stat-1-idempotency-7d1e";
    let before = s.upstream.mock.statistics().records;
    s.upstream.mock.set_fault(Some(Fault::CloseMidAnswer));
    f.note("the upstream counts the upload, then cuts its answer off halfway");
    let first = s.proxy.send(&mut f, upload(3, key)).await;
    f.note(format!("first attempt: {}", describe(&first)));
    s.upstream.mock.set_fault(None);
    let retry = s.proxy.send(&mut f, upload(3, key)).await;
    f.expect_seen(
        answered(&retry, 202, |body| {
            serde_json::from_slice::<StatisticsAccepted>(body).is_ok_and(|b| b.accepted == 3)
        }),
        "the retry under the same key was acknowledged: 202 {\"accepted\":3}",
        || seen(&retry),
    );
    let attempts = s
        .upstream
        .await_count(2, RELAY_WAIT, |r| r.is("/v1/statistics"))
        .await;
    let log = s.upstream.mock.log();
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.expect(
        attempts >= 2,
        format!("both attempts reached the upstream ({attempts} did)"),
    );
    f.expect(
        log.iter()
            .filter(|r| r.is("/v1/statistics"))
            .all(|r| r.idempotency_key.as_deref() == Some(key)),
        format!("every attempt reached the upstream with Idempotency-Key: {key}"),
    );
    let counted = s.upstream.mock.statistics().records - before;
    f.expect(
        counted == 3,
        format!("the upstream counted the 3 records once ({counted} counted)"),
    );
    f.conclude("the retry kept its Idempotency-Key; the records were counted once")
}

pub(super) async fn never_cached(s: &Session) -> Outcome {
    let mut f = Findings::default();
    for _ in 0..2 {
        let answer = s.proxy.send(&mut f, upload(1, "stat-2-same-key")).await;
        f.expect_seen(
            status(&answer) == Some(202),
            "the upload was acknowledged with 202",
            || seen(&answer),
        );
    }
    for path in ["/v1/statement", "/v1/ping"] {
        for _ in 0..2 {
            let answer = s.proxy.send(&mut f, call(path)).await;
            f.expect_seen(is_success(&answer), format!("{path} succeeded"), || seen(&answer));
        }
    }
    for path in ["/v1/statistics", "/v1/statement", "/v1/ping"] {
        let reached = s.upstream.await_count(2, RELAY_WAIT, |r| r.is(path)).await;
        f.expect(
            reached >= 2,
            format!("both {path} calls reached the upstream ({reached} did)"),
        );
    }
    let newer = s
        .upstream
        .mock
        .publish_statement(StatementVersion(2), &[StatementVersion(1)]);
    f.note("the upstream published Statement version 2");
    let published = s.proxy.send(&mut f, call("/v1/statement")).await;
    f.expect_seen(
        published
            .as_ref()
            .is_ok_and(|a| Statement::from_json(&a.body).is_ok_and(|st| st == newer)),
        "the Statement published meanwhile was seen at once",
        || seen(&published),
    );
    f.conclude("every statistics, statement and ping call went upstream")
}
