//! PX-STALE-1 (MAY): while the upstream is down, an expired answer may stand in within a grace window, and
//! the proxy says so (`KSN-Cache: stale` or a `Warning` header). A proxy that does not offer this is not
//! applicable, never failed.

use std::time::Duration;

use ksnsim_reference::protocol::Verdict;

use crate::conformance::client::{describe, reputation};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{lookup, object};
use crate::conformance::session::Session;

pub(super) async fn stale_while_down(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let x = object("PX-STALE-1", 1);
    s.upstream.set(&x, Verdict::Untrusted, 1);
    let first = s.proxy.send(&mut f, lookup(&x)).await;
    f.expect(
        reputation(&first).is_some(),
        "the first lookup got the reputation (ttl 1 s)",
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.upstream.take_down().await;
    f.note("the ttl passed and the upstream went down");
    let stale = s.proxy.send(&mut f, lookup(&x)).await;
    if let Err(err) = s.upstream.bring_back().await {
        f.harness_broke(format!("the mock KSN could not serve again: {err}"));
    }
    let served = reputation(&stale).is_some_and(|r| r.object == x && r.verdict == Verdict::Untrusted);
    let marked = stale
        .as_ref()
        .is_ok_and(|a| a.header("ksn-cache") == Some("stale") || a.header("warning").is_some());
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
