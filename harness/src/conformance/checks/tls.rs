//! PX-TLS-1: the proxy verifies its upstream's certificate: one from a CA it was not told to trust, or one
//! for another host name, means 502 and no request data sent (the upstream's log stays empty).

use std::time::Duration;

use crate::conformance::client::{seen, status};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, lookup, object, upload};
use crate::conformance::session::Session;

pub(super) async fn untrusted_ca(s: &Session) -> Outcome {
    refuses(
        s,
        "PX-TLS-1/untrusted-ca",
        "a certificate from a CA the proxy was not told to trust",
    )
    .await
}

pub(super) async fn wrong_name(s: &Session) -> Outcome {
    refuses(
        s,
        "PX-TLS-1/wrong-name",
        "a certificate from the trusted CA for wrong-name.invalid, not 127.0.0.1",
    )
    .await
}

async fn refuses(s: &Session, id: &str, certificate: &str) -> Outcome {
    let mut f = Findings::default();
    f.note(format!("the upstream at {} shows {certificate}", s.upstream.url));
    for (what, request) in [
        ("a lookup", lookup(&object(id, 1))),
        ("a batch", batch(&[object(id, 2)])),
    ] {
        let answer = s.proxy.send(&mut f, request).await;
        f.expect_seen(status(&answer) == Some(502), format!("{what} got 502"), || {
            seen(&answer)
        });
    }
    // What the proxy answers to statistics is PX-STAT-1's concern; here only whether they were sent.
    s.proxy.send(&mut f, upload(2, "tls-1")).await.ok();
    // Anything relayed in the background would arrive within moments.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reached = s.upstream.mock.log().len();
    s.upstream.log_lines().into_iter().for_each(|line| f.note(line));
    f.expect(
        reached == 0,
        format!("no request reached the upstream ({reached} did)"),
    );
    f.conclude("502 for lookups and nothing at all sent to the upstream")
}
