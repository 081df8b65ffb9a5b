//! PX-CACHE-1, -2, -3, -5, -6, -7: what the proxy may answer from its cache, until when, and how much of it
//! it keeps. Upstream hits are counted in the mock's request log.

use futures::future::join_all;
use std::time::Duration;

use ksnsim_mocks::{Fault, LoggedRequest};
use ksnsim_reference::protocol::{BatchAnswer, ObjectRef, Reputation, Verdict};

use crate::conformance::client::{
    answers_as_origin, describe, is_success, reputation, same_as_origin, seen, ttl_within,
};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::plan::MAX_CAPACITY_TESTED;
use crate::conformance::requests::{batch, for_kind, lookup, object, without};
use crate::conformance::session::Session;

/// On a Private proxy, the lookups are one tenant's (licensed): a proxy that never caches a request that
/// carries `Authorization` makes 5 upstream requests of them.
pub(super) async fn repeated_lookups(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-CACHE-1", 1);
    let origin = s.upstream.mock.reputation(&x);
    let mut right = 0;
    let mut last = None;
    for _ in 0..5 {
        let answer = s.proxy.send(&mut f, for_kind(s.kind(), lookup(&x))).await;
        right += usize::from(answers_as_origin(&answer, &origin));
        last = Some(seen(&answer));
    }
    if right == 0 {
        // Not one answer to cache: whether the proxy caches is not shown (PX-FWD-1 judges the forwarding).
        f.undecided(format!(
            "no lookup got the upstream's reputation (the last: {}), so caching cannot be judged",
            last.unwrap_or_default()
        ));
        return f.conclude("-");
    }
    f.expect(
        right == 5,
        format!("all 5 lookups came back with the upstream's reputation ({right} did)"),
    );
    let hits = s.upstream.lookups_of(&x);
    f.expect(
        hits == 1,
        format!("5 identical lookups within the ttl cost {hits} upstream request(s); expected 1"),
    );
    f.conclude("5 identical lookups, 1 upstream request")
}

pub(super) async fn refetch_after_ttl(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-CACHE-2", 1);
    s.upstream.set(&x, Verdict::Untrusted, 1);
    let first = s.proxy.send(&mut f, lookup(&x)).await;
    f.expect_seen(
        reputation(&first).is_some_and(|r| r.verdict == Verdict::Untrusted),
        "the first lookup got the upstream's verdict (untrusted, ttl 1 s)",
        || seen(&first),
    );
    let cached = s.proxy.send(&mut f, lookup(&x)).await;
    f.expect(
        ttl_within(&cached, 1),
        "an answer within the ttl claimed no longer life than the upstream's 1 s (ttl and max-age)",
    );
    s.upstream.set(&x, Verdict::Trusted, 1);
    f.note("the upstream's verdict changed to trusted; waiting 2 s for the 1 s ttl to pass");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = s.proxy.send(&mut f, lookup(&x)).await;
    let hits = s.upstream.lookups_of(&x);
    f.expect(
        hits >= 2,
        format!("after the ttl the lookup went upstream again ({hits} upstream request(s); expected 2)"),
    );
    f.expect_seen(
        reputation(&again).is_some_and(|r| r.verdict == Verdict::Trusted),
        "after the ttl the lookup got the upstream's new verdict (trusted)",
        || seen(&again),
    );
    f.conclude("kept no longer than the 1 s ttl; fetched again after it, with the new verdict")
}

pub(super) async fn unavailable_not_cached(s: &Session) -> Outcome {
    error_not_cached(s, "PX-CACHE-3/503", Fault::Unavailable, "503 unavailable").await
}

pub(super) async fn rate_limited_not_cached(s: &Session) -> Outcome {
    let fault = Fault::RateLimited { retry_after: 1 };
    error_not_cached(s, "PX-CACHE-3/429", fault, "429 rate_limited").await
}

/// Two lookups while the upstream answers `fault`: both must go upstream; then, fault cleared, a third gets
/// the reputation (it was not answered by a cached error).
async fn error_not_cached(s: &Session, id: &str, fault: Fault, shown: &str) -> Outcome {
    let mut f = Findings::default();
    let x = object(id, 1);
    s.upstream.mock.set_fault(Some(fault));
    f.note(format!("the upstream answers {shown} from now on"));
    for _ in 0..2 {
        let answer = s.proxy.send(&mut f, lookup(&x)).await;
        f.expect_seen(
            !is_success(&answer),
            format!("the upstream's {shown} came back as an error"),
            || seen(&answer),
        );
    }
    s.upstream.mock.set_fault(None);
    recovered(s, &mut f, &x, shown).await;
    f.conclude(format!(
        "each lookup under {shown} went upstream; the error was never answered from cache"
    ))
}

pub(super) async fn refused_not_cached(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-CACHE-3/403", 1);
    f.note("lookups without KSN-Statement: the upstream answers 403 statement_not_accepted");
    for _ in 0..2 {
        let answer = s.proxy.send(&mut f, without(lookup(&x), "KSN-Statement")).await;
        f.expect_seen(
            !is_success(&answer),
            "the upstream's 403 came back as an error",
            || seen(&answer),
        );
    }
    recovered(s, &mut f, &x, "403").await;
    f.conclude("each refused lookup went upstream; the 403 was never answered from cache")
}

/// After two error answers for `x`: both reached the upstream, and a good lookup now gets the reputation.
async fn recovered(s: &Session, f: &mut Findings, x: &ObjectRef, shown: &str) {
    let during = s.upstream.lookups_of(x);
    f.expect(
        during >= 2,
        format!(
            "both lookups during the {shown} reached the upstream ({during} did): the error was not cached"
        ),
    );
    let after = s.proxy.send(f, lookup(x)).await;
    f.expect(
        answers_as_origin(&after, &s.upstream.mock.reputation(x)),
        format!("the next good lookup got the reputation, not the cached {shown}"),
    );
}

pub(super) async fn partial_batch(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-CACHE-5";
    let (a, b, c) = (object(id, 1), object(id, 2), object(id, 3));
    let warm = s.proxy.send(&mut f, lookup(&a)).await;
    f.expect_seen(
        is_success(&warm),
        "a single lookup of A put A in the cache",
        || seen(&warm),
    );
    s.upstream.mock.clear_log();
    let objects = [b.clone(), a.clone(), c.clone()];
    let answer = s.proxy.send(&mut f, batch(&objects)).await;
    let origin = |object: &ObjectRef| s.upstream.mock.reputation(object);
    f.expect(
        batch_matches(&answer, &objects, origin),
        "the batch [B, A, C] came back with the upstream's reputations, in order",
    );
    let forwarded = forwarded_objects(&s.upstream.mock.log());
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.expect(
        forwarded == 2 && s.upstream.lookups_of(&a) == 0,
        format!("only the 2 misses (B, C) went upstream; {forwarded} object(s) did"),
    );
    s.upstream.mock.clear_log();
    let again = s.proxy.send(&mut f, batch(&objects)).await;
    f.expect(
        batch_matches(&again, &objects, origin),
        "the same batch again came back right",
    );
    let more = forwarded_objects(&s.upstream.mock.log());
    f.expect(
        more == 0,
        format!("the same batch again was answered from cache ({more} object(s) went upstream)"),
    );
    f.conclude("the batch's cached object was answered locally; only the misses went upstream")
}

/// Whether `answer` is a 200 whose batch answers exactly `objects`, in order, each as `origin` has it.
fn batch_matches(
    answer: &Result<ksnsim_reference::http::Answer, ksnsim_reference::http::ClientError>,
    objects: &[ObjectRef],
    origin: impl Fn(&ObjectRef) -> Reputation,
) -> bool {
    answer
        .as_ref()
        .ok()
        .filter(|a| a.status == 200)
        .and_then(|a| BatchAnswer::from_json_for(&a.body, objects).ok())
        .is_some_and(|b| {
            b.results
                .iter()
                .zip(objects)
                .all(|(got, asked)| same_as_origin(got, &origin(asked)))
        })
}

/// Objects looked up upstream: those of batch requests plus single lookups.
fn forwarded_objects(log: &[LoggedRequest]) -> usize {
    log.iter()
        .map(|r| match r.objects {
            Some(n) => n,
            None => usize::from(r.is("/v1/reputation/")),
        })
        .sum()
}

pub(super) async fn coalescing(s: &Session) -> Outcome {
    const CONCURRENT: usize = 8;
    let mut f = Findings::default();
    let x = object("PX-CACHE-6", 1);
    let origin = s.upstream.mock.reputation(&x);
    s.upstream.mock.set_fault(Some(Fault::Delay { ms: 500 }));
    f.note(format!(
        "the upstream takes 500 ms per answer; {CONCURRENT} identical lookups at once"
    ));
    let answers = join_all((0..CONCURRENT).map(|_| s.proxy.send_timed(lookup(&x)))).await;
    s.upstream.mock.set_fault(None);
    for (answer, took) in &answers {
        f.note(format!(
            "lookup -> {} ({} ms)",
            describe(answer),
            took.as_millis()
        ));
    }
    f.expect(
        answers
            .iter()
            .all(|(answer, _)| answers_as_origin(answer, &origin)),
        format!("all {CONCURRENT} lookups came back with the upstream's reputation"),
    );
    let hits = s.upstream.lookups_of(&x);
    f.expect(
        hits == 1,
        format!("{CONCURRENT} concurrent identical misses cost {hits} upstream request(s); expected 1"),
    );
    f.conclude(format!(
        "{CONCURRENT} concurrent identical misses, 1 upstream request"
    ))
}

pub(super) async fn bounded_lru(s: &Session) -> Outcome {
    let Some(capacity) = s.settings.cache_capacity else {
        return Outcome::not_tested(
            "the proxy's cache capacity is not known from outside: pass --cache-capacity N (the number of \
             entries the proxy was started with) to test the bound and LRU eviction",
        );
    };
    if capacity == 0 || capacity > MAX_CAPACITY_TESTED {
        return Outcome::not_tested(format!(
            "--cache-capacity {capacity}: ksnsim fills caches of 1 to {MAX_CAPACITY_TESTED} entries; start the \
             proxy with a smaller cache to test the bound and LRU eviction"
        ));
    }
    let mut f = Findings::default();
    let item = |n: usize| object("PX-CACHE-7", u32::try_from(n).unwrap_or(u32::MAX));
    let failed = fill(s, capacity, &item).await;
    f.expect(
        failed == 0,
        format!("{capacity} distinct lookups filled the cache ({failed} got no reputation)"),
    );
    for (n, what) in [
        (0, "entry 0 used again, so entry 1 is now the least recently used"),
        (capacity, "one entry more than the capacity"),
        (0, "entry 0 asked for again"),
    ] {
        let answer = s.proxy.send(&mut f, lookup(&item(n))).await;
        f.expect_seen(
            reputation(&answer).is_some(),
            format!("{what}: answered with a reputation"),
            || seen(&answer),
        );
    }
    let kept = s.upstream.lookups_of(&item(0));
    f.expect(
        kept == 1,
        format!("the recently used entry 0 stayed cached ({kept} upstream request(s) for it; expected 1)"),
    );
    let answer = s.proxy.send(&mut f, lookup(&item(1))).await;
    f.expect_seen(
        reputation(&answer).is_some(),
        "entry 1 asked for again: answered with a reputation",
        || seen(&answer),
    );
    let evicted = s.upstream.lookups_of(&item(1));
    f.expect(
        evicted == 2,
        format!(
            "the least recently used entry 1 was evicted ({evicted} upstream request(s) for it; expected 2)"
        ),
    );
    f.conclude(format!(
        "{capacity} entries kept; the least recently used went first"
    ))
}

/// Looks up `capacity` distinct objects; returns how many did not get a reputation.
async fn fill(s: &Session, capacity: usize, item: &impl Fn(usize) -> ObjectRef) -> usize {
    let mut failed = 0;
    for n in 0..capacity {
        let (answer, _) = s.proxy.send_timed(lookup(&item(n))).await;
        failed += usize::from(reputation(&answer).is_none());
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reference::http::json_answer;
    use ksnsim_reference::protocol::Source;

    fn origin(object: &ObjectRef) -> Reputation {
        Reputation {
            object: object.clone(),
            verdict: Verdict::Trusted,
            source: Source::Global,
            ttl: 600,
        }
    }

    fn answered(
        status: u16,
        results: Vec<Reputation>,
    ) -> Result<ksnsim_reference::http::Answer, ksnsim_reference::http::ClientError> {
        Ok(json_answer(status, BatchAnswer { results }.to_json()))
    }

    #[test]
    fn px_cache_5_a_batch_matches_only_as_a_200_with_the_origin_s_reputations_in_order() {
        let objects = [object("test", 1), object("test", 2)];
        let right: Vec<Reputation> = objects.iter().map(origin).collect();
        assert!(batch_matches(&answered(200, right.clone()), &objects, origin));
        let reversed = right.iter().rev().cloned().collect();
        assert!(
            !batch_matches(&answered(200, reversed), &objects, origin),
            "out of order"
        );
        assert!(
            !batch_matches(&answered(200, right[..1].to_vec()), &objects, origin),
            "one missing"
        );
        let mut other = right.clone();
        other[1].verdict = Verdict::Untrusted;
        assert!(
            !batch_matches(&answered(200, other), &objects, origin),
            "another verdict"
        );
        assert!(
            !batch_matches(&answered(203, right), &objects, origin),
            "not a 200"
        );
    }
}
