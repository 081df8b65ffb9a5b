//! PX-CHAIN-1: the proxy works as a chain: a distribution point's proxy whose upstream is the Administration
//! Server's proxy (over TLS: ksnsim's terminator in front of that proxy's plain listener), whose upstream is
//! the KSN. Lookups, batches, statistics and the KSN's
//! errors cross both proxies, and the endpoint's headers reach the KSN unchanged.

use std::time::Duration;

use ksnsim_mocks::Fault;
use ksnsim_reference::protocol::{BatchAnswer, ErrorCode, Verdict};

use crate::conformance::client::{answers_as_origin, is_error, same_as_origin, seen, status};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{CLIENT_ID, batch, lookup, object, upload};
use crate::conformance::session::ChainSession;
use crate::conformance::upstream::every_request;

pub(super) async fn through_two_proxies(c: &ChainSession) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-CHAIN-1";
    f.note(format!(
        "endpoint -> {} (distribution point) -> {} (TLS, ksnsim's terminator) -> {} (Administration Server) \
         -> {} (KSN)",
        c.point.url, c.hop.url, c.admin.url, c.upstream.url
    ));
    let x = object(id, 1);
    c.upstream.set(&x, Verdict::Riskware, 600);
    for _ in 0..2 {
        let answer = c.point.send(&mut f, lookup(&x)).await;
        f.expect(
            answers_as_origin(&answer, &c.upstream.mock.reputation(&x)),
            "the lookup through the chain got the KSN's reputation",
        );
    }
    let objects = [object(id, 2), x.clone()];
    let answer = c.point.send(&mut f, batch(&objects)).await;
    f.expect_seen(
        answer
            .as_ref()
            .ok()
            .and_then(|a| BatchAnswer::from_json_for(&a.body, &objects).ok())
            .is_some_and(|b| {
                b.results
                    .iter()
                    .zip(&objects)
                    .all(|(got, asked)| same_as_origin(got, &c.upstream.mock.reputation(asked)))
            }),
        "the batch through the chain got the KSN's reputations, in order",
        || seen(&answer),
    );
    let key = "chain-1-upload";
    let uploaded = c.point.send(&mut f, upload(2, key)).await;
    f.expect_seen(
        status(&uploaded) == Some(202),
        "the upload through the chain got 202",
        || seen(&uploaded),
    );
    let relayed = c
        .upstream
        .await_count(1, Duration::from_secs(2), |r| {
            r.idempotency_key.as_deref() == Some(key)
        })
        .await;
    f.expect(
        relayed >= 1,
        "the upload reached the KSN with its Idempotency-Key",
    );
    c.upstream.mock.set_fault(Some(Fault::Unavailable));
    let down = c.point.send(&mut f, lookup(&object(id, 3))).await;
    c.upstream.mock.set_fault(None);
    f.expect(
        is_error(&down, ErrorCode::Unavailable),
        "the KSN's 503 unavailable came back through the chain as 503 unavailable",
    );
    let log = c.upstream.mock.log();
    c.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.expect(
        every_request(&log, |r| r.client.as_deref() == Some(CLIENT_ID)),
        format!("every request reached the KSN with the endpoint's KSN-Client: {CLIENT_ID}"),
    );
    f.conclude("lookups, batch, statistics and errors crossed both proxies")
}
