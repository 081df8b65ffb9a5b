//! PX-ERR-1: an upstream that is unreachable or silent gets 502/504 within a bounded time; the proxy never
//! hangs. The proxy's own timeout is unknown from outside, so the bound is generous (`Bounds::answer`).

use futures::future::join_all;
use std::time::Duration;

use ksnsim_mocks::Fault;
use ksnsim_reference::http::{Answer, ClientError};

use ksnsim_reference::protocol::ErrorCode;

use crate::conformance::client::{describe, error_code, is_success, relays_garbage, seen, status};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, call, lookup, object};
use crate::conformance::session::Session;

/// What a proxy may answer when its upstream is down or silent.
const GATEWAY_ERRORS: [u16; 2] = [502, 504];

pub(super) async fn upstream_down(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-ERR-1/down";
    let bound = s.settings.bounds.answer;
    s.upstream.take_down().await;
    f.note(format!(
        "the upstream is down (connections to {} refused)",
        s.upstream.url
    ));
    let requests = [
        ("a lookup", lookup(&object(id, 1))),
        ("a batch", batch(&[object(id, 2)])),
        ("a ping", call("/v1/ping")),
    ];
    for (what, request) in requests {
        let (answer, took) = s.proxy.send_timed(request).await;
        judge_gateway_answer(&mut f, what, &answer, took, bound, "502 or 504");
        f.note(format!("error code: {:?}", error_code(&answer)));
    }
    if let Err(err) = s.upstream.bring_back().await {
        f.harness_broke(format!("the mock KSN could not serve again: {err}"));
    }
    let again = s.proxy.send(&mut f, lookup(&object(id, 3))).await;
    f.note(format!(
        "once the upstream was back, a lookup {}",
        if is_success(&again) {
            "was answered"
        } else {
            "still failed (not judged here)"
        }
    ));
    f.conclude("502/504 for every call while the upstream was down, within the bound")
}

pub(super) async fn upstream_silent(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-ERR-1/slow";
    let bound = s.settings.bounds.answer;
    s.upstream.mock.set_fault(Some(Fault::Hang));
    f.note(format!(
        "the upstream accepts requests and never answers; waiting up to {} s for the proxy",
        bound.as_secs()
    ));
    let requests = [
        ("a lookup", lookup(&object(id, 1))),
        ("a batch", batch(&[object(id, 2)])),
    ];
    let answers =
        join_all(requests.map(|(what, request)| async move { (what, s.proxy.send_timed(request).await) }))
            .await;
    s.upstream.mock.set_fault(None);
    for (what, (answer, took)) in answers {
        judge_gateway_answer(&mut f, what, &answer, took, bound, "504 or 502");
    }
    f.conclude("504/502 within the bound while the upstream was silent")
}

/// PX-ERR-3 (a SHOULD, catalogue decision of 2026-12-07): a KSN-aware proxy answers 502 upstream_unavailable
/// for a well-formed upstream answer whose body breaks the contract (here a 200 whose body is not the contract's
/// JSON). Relaying it unchanged hands the endpoint an answer it cannot read, but a generic HTTP cache cannot
/// read bodies, so it breaks no MUST.
pub(super) async fn upstream_garbage(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-ERR-3/garbage";
    s.upstream.mock.set_fault(Some(Fault::Garbage));
    f.note("the upstream answers every request with a 200 whose body is not the contract's JSON");
    let requests = [
        ("a lookup", lookup(&object(id, 1))),
        ("a batch", batch(&[object(id, 2)])),
    ];
    for (what, request) in requests {
        let answer = s.proxy.send(&mut f, request).await;
        f.expect_seen(
            status(&answer) == Some(502),
            format!("{what} got 502 (upstream_unavailable)"),
            || {
                if relays_garbage(&answer) {
                    "the upstream's 200 and its non-contract body, relayed unchanged".to_owned()
                } else {
                    seen(&answer)
                }
            },
        );
        if status(&answer) == Some(502) && error_code(&answer) != Some(ErrorCode::UpstreamUnavailable) {
            f.note("note: the 502 carries no contract JSON body upstream_unavailable (not judged here)");
        }
    }
    s.upstream.mock.set_fault(None);
    f.conclude("a 200 with a non-contract body got 502, not passed on")
}

/// One answer to a request made while the upstream was down or silent: a gateway error, within the bound.
fn judge_gateway_answer(
    f: &mut Findings,
    what: &str,
    answer: &Result<Answer, ClientError>,
    took: Duration,
    bound: Duration,
    expected: &str,
) {
    f.note(format!(
        "{what} -> {} ({} ms)",
        describe(answer),
        took.as_millis()
    ));
    f.expect_seen(
        status(answer).is_some_and(|code| GATEWAY_ERRORS.contains(&code)),
        format!("{what} got {expected}"),
        || seen(answer),
    );
    f.expect(
        took <= bound,
        format!("{what} was answered within {} s", bound.as_secs()),
    );
}
