//! PX-FWD-1: lookups and the other calls are relayed upstream, and the upstream's status and body come back.
//! (Statistics the upstream refuses are PX-STAT-1's concern: see `statistics`.)

use std::time::Duration;

use ksnsim_mocks::Fault;
use ksnsim_reference::protocol::{BatchAnswer, ErrorCode, Ping, Statement, StatisticsAccepted};

use crate::conformance::client::{answered, answers_as_origin, is_error, same_as_origin, seen};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, call, for_kind, lookup, object, upload, url_object, without};
use crate::conformance::session::Session;

const ANSWERS: &str = "PX-FWD-1/answers";
const ERRORS: &str = "PX-FWD-1/errors";

/// Every call through the proxy, as an endpoint of its KSN type sends it (licensed, for a Private KSN: a
/// proxy that drops `Authorization` gets the KSN's 401 for all but ping and statement).
pub(super) async fn answers(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let mock = &s.upstream.mock;
    let kind = s.kind();
    for object in [object(ANSWERS, 1), url_object(ANSWERS, 2)] {
        let answer = s.proxy.send(&mut f, for_kind(kind, lookup(&object))).await;
        f.expect_seen(
            answers_as_origin(&answer, &mock.reputation(&object)),
            format!("the lookup of {object} came back with the upstream's reputation"),
            || seen(&answer),
        );
    }
    let objects = [object(ANSWERS, 3), url_object(ANSWERS, 4), object(ANSWERS, 5)];
    let answer = s.proxy.send(&mut f, for_kind(kind, batch(&objects))).await;
    let in_order = answer
        .as_ref()
        .ok()
        .filter(|a| a.status == 200)
        .and_then(|a| BatchAnswer::from_json_for(&a.body, &objects).ok())
        .is_some_and(|b| {
            b.results
                .iter()
                .zip(&objects)
                .all(|(got, asked)| same_as_origin(got, &mock.reputation(asked)))
        });
    f.expect_seen(
        in_order,
        "the batch came back with the upstream's reputations, in request order",
        || seen(&answer),
    );
    other_calls(s, &mut f).await;
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.conclude("lookups, batch, ping, statement and statistics came back as the upstream answered them")
}

async fn other_calls(s: &Session, f: &mut Findings) {
    let kind = s.kind();
    let ping = s.proxy.send(f, for_kind(kind, call("/v1/ping"))).await;
    f.expect_seen(
        answered(&ping, 200, |body| {
            serde_json::from_slice::<Ping>(body).is_ok_and(|p| p.ksn == kind)
        }),
        format!(
            "ping came back as the upstream's {{\"ksn\":\"{}\"}}",
            kind.as_str()
        ),
        || seen(&ping),
    );
    let statement = s.proxy.send(f, for_kind(kind, call("/v1/statement"))).await;
    let current = s.upstream.mock.statement();
    f.expect_seen(
        answered(&statement, 200, |body| {
            Statement::from_json(body).is_ok_and(|st| st == current)
        }),
        "the statement came back as the upstream's",
        || seen(&statement),
    );
    let upload = s.proxy.send(f, for_kind(kind, upload(3, "fwd-1-answers"))).await;
    f.expect_seen(
        answered(&upload, 202, |body| {
            serde_json::from_slice::<StatisticsAccepted>(body).is_ok_and(|b| b.accepted == 3)
        }),
        "the statistics upload came back as 202 {\"accepted\":3}",
        || seen(&upload),
    );
    let relayed = s
        .upstream
        .await_count(1, Duration::from_secs(2), |r| r.is("/v1/statistics"))
        .await;
    f.expect(relayed >= 1, "the statistics upload reached the upstream");
}

pub(super) async fn errors(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let unaccepted = s
        .proxy
        .send(&mut f, without(lookup(&object(ERRORS, 1)), "KSN-Statement"))
        .await;
    f.expect_seen(
        is_error(&unaccepted, ErrorCode::StatementNotAccepted),
        "a lookup without KSN-Statement got the upstream's 403 statement_not_accepted",
        || seen(&unaccepted),
    );
    s.upstream.mock.set_fault(Some(Fault::Unavailable));
    let down = s.proxy.send(&mut f, lookup(&object(ERRORS, 2))).await;
    f.expect_seen(
        is_error(&down, ErrorCode::Unavailable),
        "the upstream's 503 unavailable came back as 503 unavailable",
        || seen(&down),
    );
    s.upstream
        .mock
        .set_fault(Some(Fault::RateLimited { retry_after: 7 }));
    let limited = s.proxy.send(&mut f, lookup(&object(ERRORS, 3))).await;
    s.upstream.mock.set_fault(None);
    f.expect_seen(
        is_error(&limited, ErrorCode::RateLimited),
        "the upstream's 429 rate_limited came back as 429 rate_limited",
        || seen(&limited),
    );
    let retry_after = limited.as_ref().ok().and_then(|a| a.header("retry-after"));
    f.note(format!(
        "Retry-After of the 429 as relayed: {} (the upstream sent 7)",
        retry_after.unwrap_or("(none)")
    ));
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.conclude("403, 503 and 429 of the upstream came back to lookups with their status and error body")
}
