//! The conformance checks: one or more per PX requirement, each with a stable id (`PX-CACHE-3/503`), a title,
//! the lane it runs in (which proxy and upstream it needs) and its body.
//!
//! - `forwarding` PX-FWD-1 · `caching` PX-CACHE-1, -2, -3, -5, -6, -7 · `tenants` PX-CACHE-4
//! - `headers` PX-AUTH-1 · `statistics` PX-STAT-1, -2 · `failures` PX-ERR-1 · `bad_input` PX-ERR-2
//! - `tls` PX-TLS-1 · `isolation` PX-TYPE-1 · `chain` PX-CHAIN-1 · `stale` PX-STALE-1
//!
//! Each check uses objects named after its id (no two checks share a cache entry), starts from an upstream
//! with no fault and an empty log, and puts back what it changed (a fault, a stopped upstream).

mod bad_input;
mod caching;
mod chain;
mod failures;
mod forwarding;
mod headers;
mod isolation;
mod stale;
mod statistics;
mod tenants;
mod tls;

use futures::future::BoxFuture;

use super::findings::Outcome;
use super::session::{ChainSession, Session};

/// Which certificate a bad upstream shows (PX-TLS-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadCert {
    /// Same names, signed by a CA the proxy was not told to trust.
    UntrustedCa,
    /// Signed by the trusted CA, for another host name.
    WrongName,
}

/// Which proxy and upstream a check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// The one Global session, one check after another.
    Shared,
    /// A Global session of its own (expiry waits, a stopped or silent upstream); on an already running proxy,
    /// the shared session after every shared check.
    Own,
    /// A Global proxy started against an upstream with a bad certificate (not on an already running proxy).
    BadCert(BadCert),
    /// Two proxies in a chain (not on an already running proxy).
    Chain,
    /// The Private KSN proxy (`--private-cmd`).
    Private,
    /// The Global and the Private proxy side by side (`--private-cmd`).
    Types,
}

/// A check on one proxy.
pub(crate) type OneProxy = for<'a> fn(&'a Session) -> BoxFuture<'a, Outcome>;
/// A check on the Global and the Private proxy.
pub(crate) type TwoProxies = for<'a> fn(&'a Session, &'a Session) -> BoxFuture<'a, Outcome>;
/// A check on a chain of two proxies.
pub(crate) type Chained = for<'a> fn(&'a ChainSession) -> BoxFuture<'a, Outcome>;

pub(crate) enum Body {
    One(OneProxy),
    Types(TwoProxies),
    Chain(Chained),
}

/// One conformance check.
pub(crate) struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub lane: Lane,
    pub body: Body,
}

impl Check {
    /// The requirement id: the part of the check id before `/`.
    pub(crate) fn requirement(&self) -> &'static str {
        self.id.split('/').next().unwrap_or(self.id)
    }
}

fn check(id: &'static str, title: &'static str, lane: Lane, body: OneProxy) -> Check {
    Check {
        id,
        title,
        lane,
        body: Body::One(body),
    }
}

/// Every check, in the order the shared lane runs them.
pub(crate) fn all() -> Vec<Check> {
    use Lane::{Own, Private, Shared};
    vec![
        check(
            "PX-FWD-1/answers",
            "lookups, batch, ping, statement and statistics come back as the upstream answered",
            Shared,
            |s| Box::pin(forwarding::answers(s)),
        ),
        check(
            "PX-FWD-1/private",
            "through the Private proxy, licensed calls come back as the Private KSN answered",
            Private,
            |s| Box::pin(forwarding::answers(s)),
        ),
        check(
            "PX-FWD-1/errors",
            "the upstream's contract errors come back with their status and body",
            Shared,
            |s| Box::pin(forwarding::errors(s)),
        ),
        check(
            "PX-CACHE-1",
            "identical lookups within the ttl cost one upstream request",
            Shared,
            |s| Box::pin(caching::repeated_lookups(s)),
        ),
        check(
            "PX-CACHE-1/private",
            "identical lookups of one tenant within the ttl cost one request to the Private KSN",
            Private,
            |s| Box::pin(caching::repeated_lookups(s)),
        ),
        check(
            "PX-CACHE-2",
            "a lookup is fetched again once its ttl passed",
            Own,
            |s| Box::pin(caching::refetch_after_ttl(s)),
        ),
        check(
            "PX-CACHE-3/503",
            "a 503 of the upstream is not cached",
            Shared,
            |s| Box::pin(caching::unavailable_not_cached(s)),
        ),
        check(
            "PX-CACHE-3/429",
            "a 429 of the upstream is not cached",
            Shared,
            |s| Box::pin(caching::rate_limited_not_cached(s)),
        ),
        check(
            "PX-CACHE-3/403",
            "a 403 of the upstream is not cached",
            Shared,
            |s| Box::pin(caching::refused_not_cached(s)),
        ),
        check(
            "PX-CACHE-4/other-tenant",
            "one tenant never gets another tenant's cached answer",
            Private,
            |s| Box::pin(tenants::other_tenant(s)),
        ),
        check(
            "PX-CACHE-4/rejected-key",
            "a key the server rejects gets 401 even when the object is cached for another tenant",
            Private,
            |s| Box::pin(tenants::rejected_key(s)),
        ),
        check(
            "PX-CACHE-5",
            "a batch is answered partly from cache and only the misses go upstream",
            Shared,
            |s| Box::pin(caching::partial_batch(s)),
        ),
        check(
            "PX-CACHE-6",
            "concurrent identical misses are coalesced into one upstream request",
            Shared,
            |s| Box::pin(caching::coalescing(s)),
        ),
        check(
            "PX-CACHE-7",
            "the cache is bounded and evicts the least recently used entry",
            Own,
            |s| Box::pin(caching::bounded_lru(s)),
        ),
        check(
            "PX-AUTH-1/ksn-headers",
            "KSN-Client, KSN-Mode, KSN-Statement and Idempotency-Key reach the upstream unchanged",
            Shared,
            |s| Box::pin(headers::ksn_headers(s)),
        ),
        check(
            "PX-AUTH-1/authorization",
            "Authorization reaches the Private KSN unchanged",
            Private,
            |s| Box::pin(headers::authorization(s)),
        ),
        check(
            "PX-STAT-1/ack-after-upstream",
            "statistics are never acknowledged before the upstream accepted them",
            Own,
            |s| Box::pin(statistics::ack_after_upstream(s)),
        ),
        check(
            "PX-STAT-1/idempotency-key",
            "a retried upload keeps its Idempotency-Key and is counted once",
            Shared,
            |s| Box::pin(statistics::idempotency_key(s)),
        ),
        check(
            "PX-STAT-2",
            "statistics, statement and ping answers are never cached",
            Shared,
            |s| Box::pin(statistics::never_cached(s)),
        ),
        check(
            "PX-ERR-1/down",
            "an unreachable upstream gets 502/504 within the bound",
            Own,
            |s| Box::pin(failures::upstream_down(s)),
        ),
        check(
            "PX-ERR-1/slow",
            "a silent upstream gets 504/502 within the bound",
            Own,
            |s| Box::pin(failures::upstream_silent(s)),
        ),
        check(
            "PX-ERR-3/garbage",
            "an upstream answer that is not the contract's gets 502",
            Shared,
            |s| Box::pin(failures::upstream_garbage(s)),
        ),
        check(
            "PX-ERR-2/bad-path",
            "an unknown path or wrong method gets 400, and service goes on",
            Shared,
            |s| Box::pin(bad_input::bad_path(s)),
        ),
        check(
            "PX-ERR-2/bad-hash",
            "a malformed file hash gets 400, and service goes on",
            Shared,
            |s| Box::pin(bad_input::bad_hash(s)),
        ),
        check(
            "PX-ERR-2/bad-json",
            "a batch body that is not JSON gets 400, and service goes on",
            Shared,
            |s| Box::pin(bad_input::bad_json(s)),
        ),
        check(
            "PX-ERR-2/bad-header",
            "a malformed KSN header gets 400, and service goes on",
            Shared,
            |s| Box::pin(bad_input::bad_header(s)),
        ),
        check(
            "PX-ERR-2/oversized-batch",
            "a batch of 101 objects gets 413, and service goes on",
            Shared,
            |s| Box::pin(bad_input::oversized_batch(s)),
        ),
        check(
            "PX-ERR-2/oversized-body",
            "a 2 MiB body gets 413, and service goes on",
            Shared,
            |s| Box::pin(bad_input::oversized_body(s)),
        ),
        check(
            "PX-ERR-2/slow-client",
            "clients that stall mid-request do not stop the proxy serving others",
            Shared,
            |s| Box::pin(bad_input::slow_client(s)),
        ),
        check(
            "PX-TLS-1/untrusted-ca",
            "an upstream certificate from an untrusted CA means 502 and nothing sent",
            Lane::BadCert(BadCert::UntrustedCa),
            |s| Box::pin(tls::untrusted_ca(s)),
        ),
        check(
            "PX-TLS-1/wrong-name",
            "an upstream certificate for another name means 502 and nothing sent",
            Lane::BadCert(BadCert::WrongName),
            |s| Box::pin(tls::wrong_name(s)),
        ),
        Check {
            id: "PX-TYPE-1",
            title: "a Private proxy sends nothing to the Global KSN, and the other way round",
            lane: Lane::Types,
            body: Body::Types(|global, private| Box::pin(isolation::ksn_types_apart(global, private))),
        },
        Check {
            id: "PX-CHAIN-1",
            title: "a distribution point's proxy works through the Administration Server's proxy",
            lane: Lane::Chain,
            body: Body::Chain(|chain| Box::pin(chain::through_two_proxies(chain))),
        },
        check(
            "PX-STALE-1",
            "a stale answer stands in while the upstream is down, and says so (optional)",
            Own,
            |s| Box::pin(stale::stale_while_down(s)),
        ),
        check(
            "PX-STALE-1/only-for-outages",
            "an answer the upstream gave (429) is relayed, never replaced by an expired verdict",
            Own,
            |s| Box::pin(stale::stale_only_for_outages(s)),
        ),
    ]
}

/// Every check id, in run order.
pub fn check_ids() -> Vec<&'static str> {
    all().iter().map(|check| check.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_name_catalogue_requirements() {
        let catalogue = crate::catalogue::catalogue();
        let ids = check_ids();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        for check in all() {
            assert!(
                catalogue.iter().any(|r| r.id.as_str() == check.requirement()),
                "{} names no catalogue requirement",
                check.id
            );
        }
        for requirement in catalogue.iter().filter(|r| r.id.as_str().starts_with("PX-")) {
            assert!(
                all().iter().any(|c| c.requirement() == requirement.id.as_str()),
                "{} has no check",
                requirement.id
            );
        }
    }
}
