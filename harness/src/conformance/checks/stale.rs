//! PX-STALE-1 (MAY): while the upstream is down, an expired answer may stand in within a grace window, and
//! the proxy says so (`KSN-Cache: stale` or a `Warning` header). A proxy that does not offer this is not
//! applicable, never failed. But one that offers it wrongly fails (catalogue decision of 2026-12-07): an
//! answer the upstream gave (a 429 here) is relayed, never replaced by an expired verdict.

use std::time::Duration;

use ksnsim_reference::http::{Answer, ClientError};
use ksnsim_reference::protocol::{ObjectRef, Verdict};

use ksnsim_mocks::Fault;
use ksnsim_reference::protocol::ErrorCode;

use crate::conformance::client::{describe, is_error, reputation, seen};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{lookup, object};
use crate::conformance::session::Session;

pub(super) async fn stale_while_down(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-STALE-1", 1);
    cached_then_expired(s, &mut f, &x).await;
    s.upstream.take_down().await;
    f.note("the ttl passed and the upstream went down");
    let stale = s.proxy.send(&mut f, lookup(&x)).await;
    if let Err(err) = s.upstream.bring_back().await {
        f.harness_broke(format!("the mock KSN could not serve again: {err}"));
    }
    let served = stands_in(&stale, &x);
    let marked = says_stale(&stale);
    f.expect(served, "the expired answer stood in while the upstream was down");
    f.expect(
        marked,
        "the answer said it is stale (KSN-Cache: stale or a Warning header)",
    );
    let absent = if served {
        "an expired answer stood in without saying so (no KSN-Cache: stale, no Warning): not the optional stale mode"
            .to_owned()
    } else {
        format!(
            "no stale answers offered (optional): with the upstream down after the ttl, the proxy answered {}",
            describe(&stale)
        )
    };
    f.conclude_optional(
        "an expired answer stood in while the upstream was down, marked stale",
        absent,
    )
}

/// After the ttl, the upstream answers 429 rate_limited: the proxy relays it, whether or not it offers stale
/// answers; an expired verdict in its place hides the restriction from the endpoint (EP-RATE-1).
pub(super) async fn stale_only_for_outages(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-STALE-1/only-for-outages", 1);
    cached_then_expired(s, &mut f, &x).await;
    s.upstream
        .mock
        .set_fault(Some(Fault::RateLimited { retry_after: 30 }));
    f.note("the ttl passed and the upstream answers every request 429 rate_limited, Retry-After: 30");
    let answer = s.proxy.send(&mut f, lookup(&x)).await;
    s.upstream.mock.set_fault(None);
    // A proxy that never asked its upstream after the ttl (it kept the verdict longer: PX-CACHE-2's matter)
    // met no 429 to relay or replace: nothing to judge here.
    let asked_again = s.upstream.lookups_of(&x) >= 2;
    if !asked_again {
        f.expect(
            false,
            "after the ttl the lookup went upstream again, where the 429 waited",
        );
        return f.conclude_optional(
            "",
            format!(
                "the proxy answered from its cache without asking its upstream after the ttl ({}): whether it keeps a \
                 verdict too long is PX-CACHE-2's check; no 429 reached it here",
                describe(&answer)
            ),
        );
    }
    f.expect_seen(
        is_error(&answer, ErrorCode::RateLimited),
        "the lookup got the upstream's 429 rate_limited",
        || {
            if stands_in(&answer, &x) {
                format!(
                    "the expired verdict, standing in for the 429 the upstream gave ({})",
                    describe(&answer)
                )
            } else {
                seen(&answer)
            }
        },
    );
    f.conclude("the upstream's 429 was relayed, not replaced by an expired verdict")
}

/// The proxy fetches `x` (untrusted, ttl 1 s), and the ttl then runs out.
async fn cached_then_expired(s: &Session, f: &mut Findings, x: &ObjectRef) {
    s.upstream.set(x, Verdict::Untrusted, 1);
    let first = s.proxy.send(f, lookup(x)).await;
    f.expect(
        reputation(&first).is_some(),
        "the first lookup got the reputation (ttl 1 s)",
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
}

/// Whether `answer` is the expired answer for `x` (untrusted, as the upstream had it) standing in.
fn stands_in(answer: &Result<Answer, ClientError>, x: &ObjectRef) -> bool {
    reputation(answer).is_some_and(|r| &r.object == x && r.verdict == Verdict::Untrusted)
}

/// Whether `answer` says it is stale: `KSN-Cache: stale`, or a `Warning` header, either is enough.
fn says_stale(answer: &Result<Answer, ClientError>) -> bool {
    answer
        .as_ref()
        .is_ok_and(|a| a.header("ksn-cache") == Some("stale") || a.header("warning").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reference::http::json_answer;
    use ksnsim_reference::protocol::{Reputation, Source};

    fn answer(object: &ObjectRef, verdict: Verdict) -> Answer {
        let reputation = Reputation {
            object: object.clone(),
            verdict,
            source: Source::Global,
            ttl: 1,
        };
        json_answer(200, reputation.to_json())
    }

    #[test]
    fn px_stale_1_only_the_expired_answer_of_the_object_stands_in() {
        let (x, y) = (object("PX-STALE-1", 1), object("PX-STALE-1", 2));
        assert!(stands_in(&Ok(answer(&x, Verdict::Untrusted)), &x));
        assert!(
            !stands_in(&Ok(answer(&y, Verdict::Untrusted)), &x),
            "another object"
        );
        assert!(
            !stands_in(&Ok(answer(&x, Verdict::Trusted)), &x),
            "another verdict"
        );
    }

    #[test]
    fn px_stale_1_either_ksn_cache_stale_or_a_warning_says_stale() {
        let x = object("PX-STALE-1", 1);
        let plain = answer(&x, Verdict::Untrusted);
        assert!(!says_stale(&Ok(plain.clone())));
        assert!(says_stale(&Ok(plain.clone().with_header("ksn-cache", "stale"))));
        assert!(!says_stale(&Ok(plain.clone().with_header("ksn-cache", "hit"))));
        assert!(says_stale(&Ok(
            plain.with_header("warning", "110 - \"Response is Stale\"")
        )));
    }
}
