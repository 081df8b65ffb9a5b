//! PX-ERR-2: malformed or oversized requests get 400/413, and the proxy keeps serving everyone else: after
//! each bad request (and while clients stall mid-request) a normal lookup must still be answered.

use std::time::Duration;
use tokio::io::AsyncWriteExt;

use ksnsim_reference::http::OutgoingRequest;
use ksnsim_reference::net::{Net, RealNet};
use ksnsim_reference::protocol::{ErrorBody, ErrorCode, ObjectRef};

use crate::conformance::client::{
    answers_as_origin, describe, describe_request, first_bytes, is_error, seen,
};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, call, lookup, object, upload, with};
use crate::conformance::session::{PROMPT_ANSWER, Session};
use crate::conformance::streaming::{StreamedAnswer, send_streaming};

pub(super) async fn bad_path(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let ping_by_post = with(OutgoingRequest::post("/v1/ping", ""), "KSN-Statement", "1");
    for request in [call("/v2/reputation"), call("/v1/reputation/batch"), ping_by_post] {
        refused(s, &mut f, request, ErrorCode::BadRequest).await;
    }
    still_serving(s, &mut f, "PX-ERR-2/bad-path").await;
    f.conclude("an unknown path and wrong methods got 400; service went on")
}

pub(super) async fn bad_hash(s: &Session) -> Outcome {
    one_refusal(
        s,
        "PX-ERR-2/bad-hash",
        call("/v1/reputation/file/not-a-hash"),
        ErrorCode::BadRequest,
    )
    .await
}

pub(super) async fn bad_json(s: &Session) -> Outcome {
    let request = with(
        OutgoingRequest::post("/v1/reputation/batch", "{not json"),
        "KSN-Statement",
        "1",
    );
    one_refusal(s, "PX-ERR-2/bad-json", request, ErrorCode::BadRequest).await
}

pub(super) async fn bad_header(s: &Session) -> Outcome {
    let request = with(lookup(&object("PX-ERR-2/bad-header", 1)), "KSN-Mode", "turbo");
    one_refusal(s, "PX-ERR-2/bad-header", request, ErrorCode::BadRequest).await
}

pub(super) async fn oversized_batch(s: &Session) -> Outcome {
    let objects: Vec<ObjectRef> = (0..101).map(|n| object("PX-ERR-2/oversized-batch", n)).collect();
    one_refusal(
        s,
        "PX-ERR-2/oversized-batch",
        batch(&objects),
        ErrorCode::TooLarge,
    )
    .await
}

/// The body limit of the contract (1 MiB); the check sends twice as much.
const OVERSIZED: usize = 2 * 1024 * 1024;

/// Bytes the upstream may receive during the oversized exchange without any of the body having reached it: a
/// TLS handshake takes a few KiB. The upstream (like a real KSN) stops reading an oversized body early, and
/// refuses one whose declared length is over the limit from its head alone, reading none of it: that request
/// shows in its log (with its 413), which is why the log is checked beside the bytes.
const FORWARDED_BYTES: u64 = 16 * 1024;

/// Judged by what reached the upstream (nothing of the oversized request: a proxy that streams it on and
/// relays the KSN's 413 has sent the KSN what it must not) and by the status the client got. The contract
/// has one answer for a body over the limit, 413 (400 is for malformed input; this body is well-formed).
/// The answer is read while the body is still being sent, since a proxy may refuse it early.
pub(super) async fn oversized_body(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let mut request = upload(1, "err-2-oversized");
    request.body = format!(r#"{{"records":[{{"pad":"{}"}}]}}"#, "x".repeat(OVERSIZED)).into();
    let shown = describe_request(&request);
    let before = s.upstream.bytes_received();
    let answer = send_streaming(s.proxy.addr, &request, s.settings.bounds.request).await;
    let status = answer.status.clone();
    f.note(format!(
        "{shown} -> {} (the proxy took {} of the {} body bytes before it answered or closed)",
        describe_streamed(&answer),
        answer.body_sent,
        request.body.len()
    ));
    let received = s.upstream.bytes_received().saturating_sub(before);
    let logged = s.upstream.count(|r| r.is("/v1/statistics"));
    f.note(format!(
        "during it the upstream received {received} bytes (TLS included) and logged {logged} statistics request(s)"
    ));
    f.expect_seen(
        nothing_forwarded(received, logged),
        "nothing of the oversized request reached the upstream",
        || format!("the upstream received {received} bytes and logged {logged} statistics request(s)"),
    );
    f.expect_seen(status == Ok(413), "the client got 413", || {
        describe_streamed(&answer)
    });
    if is_413_without_contract_body(&answer) {
        f.note(format!(
            "note: the 413 carries no contract JSON body (no requirement asks it of a proxy's own 413): {}",
            first_bytes(&answer.body)
        ));
    }
    still_serving(s, &mut f, "PX-ERR-2/oversized-body").await;
    f.conclude("a 2 MiB body got 413 and nothing of it reached the upstream; service went on")
}

/// Whether `answer` is a 413 whose body is not the contract's `too_large` error (worth a note, not a failure: no
/// requirement asks the contract body of a proxy's own 413).
fn is_413_without_contract_body(answer: &StreamedAnswer) -> bool {
    answer.status == Ok(413)
        && serde_json::from_slice::<ErrorBody>(&answer.body)
            .ok()
            .is_none_or(|b| b.error != ErrorCode::TooLarge)
}

/// Whether the lookup after a bad request served its client well: the origin's reputation (`right`), within
/// [`PROMPT_ANSWER`].
fn served_promptly(right: bool, took: Duration) -> bool {
    right && took <= PROMPT_ANSWER
}

/// Whether the upstream, having received `received` bytes and logged `logged` statistics requests during the
/// oversized exchange, got nothing of the request: less than [`FORWARDED_BYTES`] (a handshake's worth) and no
/// request at all.
fn nothing_forwarded(received: u64, logged: usize) -> bool {
    received < FORWARDED_BYTES && logged == 0
}

/// A streamed answer for evidence: `413 <first bytes>` or `no answer: <why>`.
fn describe_streamed(answer: &StreamedAnswer) -> String {
    match &answer.status {
        Ok(status) => format!("{status} {}", first_bytes(&answer.body)),
        Err(why) => format!("no answer: {why}"),
    }
}

async fn one_refusal(s: &Session, id: &str, request: OutgoingRequest, expected: ErrorCode) -> Outcome {
    let mut f = Findings::default();
    refused(s, &mut f, request, expected).await;
    still_serving(s, &mut f, id).await;
    f.conclude(format!("got {} {expected}; service went on", expected.status()))
}

/// Sends a bad request and expects the contract error `expected`.
async fn refused(s: &Session, f: &mut Findings, request: OutgoingRequest, expected: ErrorCode) {
    let shown = describe_request(&request);
    let answer = s.proxy.send(f, request).await;
    f.expect_seen(
        is_error(&answer, expected),
        format!("{shown} got {} {expected}", expected.status()),
        || seen(&answer),
    );
}

/// A normal lookup must still be answered, promptly.
async fn still_serving(s: &Session, f: &mut Findings, id: &str) {
    let x = object(id, 1000);
    let (answer, took) = s.proxy.send_timed(lookup(&x)).await;
    f.note(format!(
        "a normal lookup -> {} ({} ms)",
        describe(&answer),
        took.as_millis()
    ));
    f.expect(
        served_promptly(answers_as_origin(&answer, &s.upstream.mock.reputation(&x)), took),
        format!(
            "afterwards a normal lookup was answered with the reputation within {} s",
            PROMPT_ANSWER.as_secs()
        ),
    );
}

pub(super) async fn slow_client(s: &Session) -> Outcome {
    const STALLED: usize = 4;
    let mut f = Findings::default();
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        match RealNet.connect(s.proxy.addr).await {
            Ok(mut connection) => {
                let half = b"GET /v1/ping HTTP/1.1\r\nHost: proxy\r\nKSN-Cli";
                let _ = connection.write_all(half).await;
                stalled.push(connection);
            }
            Err(err) => {
                f.expect(false, format!("the proxy accepted a connection ({err})"));
            }
        }
    }
    f.note(format!(
        "{} connections sent half a request head and then nothing",
        stalled.len()
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    still_serving(s, &mut f, "PX-ERR-2/slow-client").await;
    drop(stalled);
    f.conclude(format!(
        "{STALLED} stalled clients did not keep the proxy from answering others"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_err_2_a_handshake_is_not_forwarding_but_16_kib_or_a_logged_request_is() {
        assert!(nothing_forwarded(0, 0));
        assert!(nothing_forwarded(6 * 1024, 0), "a TLS handshake's few KiB");
        assert!(!nothing_forwarded(16 * 1024, 0), "16 KiB");
        assert!(!nothing_forwarded(2 * 1024 * 1024, 0), "the body streamed on");
        assert!(!nothing_forwarded(0, 1), "a request refused from its head alone");
    }

    #[test]
    fn px_err_2_a_bare_413_is_noted_and_a_contract_413_or_another_status_is_not() {
        let answer = |status: Result<u16, String>, body: &str| StreamedAnswer {
            status,
            body: body.as_bytes().to_vec(),
            body_sent: 0,
        };
        let contract = r#"{"error":"too_large","message":"body over the limit"}"#;
        assert!(is_413_without_contract_body(&answer(
            Ok(413),
            "<html>Too Large</html>"
        )));
        assert!(is_413_without_contract_body(&answer(Ok(413), "")));
        assert!(!is_413_without_contract_body(&answer(Ok(413), contract)));
        assert!(!is_413_without_contract_body(&answer(
            Ok(502),
            "<html>Bad Gateway</html>"
        )));
        assert!(!is_413_without_contract_body(&answer(Err("closed".into()), "")));
    }

    #[test]
    fn px_err_2_service_afterwards_needs_the_right_answer_and_a_prompt_one() {
        assert!(served_promptly(true, PROMPT_ANSWER));
        assert!(
            !served_promptly(false, Duration::from_millis(5)),
            "a wrong answer, however quick"
        );
        assert!(
            !served_promptly(true, PROMPT_ANSWER + Duration::from_millis(1)),
            "the right answer, late"
        );
    }
}
