//! PX-CACHE-4: a proxy of a Private KSN keys its cache by tenant: one tenant never gets another's cached
//! answer, and a key the server rejects gets 401 even when the object is cached for another tenant.

use ksnsim_reference::protocol::{ErrorCode, ObjectRef, Verdict};

use crate::conformance::client::{is_error, reputation, seen};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, licensed, lookup, object};
use crate::conformance::session::Session;

pub(super) async fn other_tenant(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-CACHE-4/other-tenant", 1);
    s.upstream.set(&x, Verdict::Untrusted, 600);
    if !tenant_a_answered(s, &mut f, &x).await {
        return f.conclude("-");
    }
    let before = s.upstream.lookups_of(&x);
    let b = s.proxy.send(&mut f, licensed(lookup(&x), "TENANT-B")).await;
    f.expect(reputation(&b).is_some(), "tenant B's lookup got a reputation");
    let after = s.upstream.lookups_of(&x);
    f.expect(
        after > before,
        format!("tenant B's lookup went to the Private KSN instead of getting tenant A's cached answer ({before} -> {after} upstream requests)"),
    );
    let last = s.upstream.mock.log().into_iter().last();
    f.expect(
        last.is_some_and(|r| r.authorization.as_deref() == Some("License TENANT-B")),
        "the upstream request for tenant B carried tenant B's key",
    );
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.conclude("tenant B's lookup went upstream under its own key")
}

pub(super) async fn rejected_key(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-CACHE-4/rejected-key", 1);
    if !tenant_a_answered(s, &mut f, &x).await {
        return f.conclude("-");
    }
    let hits = s.upstream.lookups_of(&x);
    f.note(if hits == 1 {
        "the object is now cached for tenant A (2 lookups, 1 upstream request)".to_owned()
    } else {
        format!(
            "the object is not cached for tenant A ({hits} upstream requests for 2 lookups): the refusals below \
             are judged, but no cached answer was there to leak (PX-CACHE-1/private judges the caching)"
        )
    });
    f.note("TENANT-C is not registered with the Private KSN");
    let c = s.proxy.send(&mut f, licensed(lookup(&x), "TENANT-C")).await;
    f.expect_seen(
        is_error(&c, ErrorCode::LicenseNotRegistered),
        "a lookup with an unregistered key got 401 license_not_registered, not tenant A's cached answer",
        || seen(&c),
    );
    let none = s.proxy.send(&mut f, lookup(&x)).await;
    f.expect_seen(
        is_error(&none, ErrorCode::LicenseNotRegistered),
        "a lookup without a key got 401 license_not_registered",
        || seen(&none),
    );
    let c_batch = s
        .proxy
        .send(&mut f, licensed(batch(std::slice::from_ref(&x)), "TENANT-C"))
        .await;
    f.expect_seen(
        is_error(&c_batch, ErrorCode::LicenseNotRegistered),
        "a batch of the cached object with an unregistered key got 401 license_not_registered",
        || seen(&c_batch),
    );
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.conclude("rejected and missing keys got 401 although the object was cached for another tenant")
}

/// Tenant A looks `x` up twice. Without a reputation for A there is nothing that could leak to another
/// tenant, so isolation cannot be judged (the check is undecided; PX-FWD-1/private and PX-AUTH-1 judge why).
async fn tenant_a_answered(s: &Session, f: &mut Findings, x: &ObjectRef) -> bool {
    let mut answered = 0;
    let mut last = String::new();
    for _ in 0..2 {
        let answer = s.proxy.send(f, licensed(lookup(x), "TENANT-A")).await;
        answered += usize::from(reputation(&answer).is_some());
        last = seen(&answer);
    }
    match answered {
        0 => {
            f.undecided(format!(
                "tenant A's lookups got no reputation (the last: {last}), so no answer could leak to another \
                 tenant: isolation cannot be judged"
            ));
            false
        }
        n => f.expect(
            n == 2,
            format!("both of tenant A's lookups got a reputation ({n} did)"),
        ),
    }
}
