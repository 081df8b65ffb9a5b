//! PX-AUTH-1: the proxy passes `Authorization` and the `KSN-*` headers (and `Idempotency-Key`) upstream
//! unchanged, as the upstream's request log shows them.

use std::time::Duration;

use ksnsim_mocks::LoggedRequest;
use ksnsim_reference::protocol::{LicenseKey, lookup_path};

use crate::conformance::client::{is_success, seen};
use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, call, licensed, lookup, object, upload, with};
use crate::conformance::session::Session;
use crate::conformance::upstream::{describe_logged, every_request};

const CLIENT: &str = "ep-42 (rack 7)";
const KEY: &str = "Tenant-Key/1+x==";

pub(super) async fn ksn_headers(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-AUTH-1/ksn-headers";
    let x = object(id, 1);
    let idempotency = "idem-7f3a-PX-AUTH-1";
    let requests = [
        with(with(lookup(&x), "KSN-Mode", "basic"), "KSN-Client", CLIENT),
        with(batch(&[object(id, 2)]), "KSN-Client", CLIENT),
        with(upload(1, idempotency), "KSN-Client", CLIENT),
        with(call("/v1/statement"), "KSN-Client", CLIENT),
    ];
    for request in requests {
        let answer = s.proxy.send(&mut f, request).await;
        f.expect_seen(is_success(&answer), "the call succeeded", || seen(&answer));
    }
    // A call answered from the proxy's cache carries no headers upstream: only what arrived is judged here
    // (whether the statement may be cached is PX-STAT-2's question).
    let seen = s.upstream.await_count(4, Duration::from_secs(2), |_| true).await;
    f.note(format!("{seen} of the 4 calls reached the upstream"));
    if seen == 0 {
        f.undecided("no call reached the upstream, so no header could be judged");
    }
    let log = s.upstream.mock.log();
    log.iter().for_each(|r| f.note(headers_seen(r)));
    let find = |path: &str| log.iter().find(|r| r.is(path));
    f.expect(
        every_request(&log, |r| r.client.as_deref() == Some(CLIENT)),
        format!("every upstream request carried KSN-Client: {CLIENT}"),
    );
    f.expect(
        every_request(&log, |r| r.statement.as_deref() == Some("1")),
        "every upstream request carried KSN-Statement: 1",
    );
    f.expect(
        find(&lookup_path(&x)).is_some_and(|r| r.mode.as_deref() == Some("basic")),
        "the lookup reached the upstream with KSN-Mode: basic",
    );
    f.expect(
        find("/v1/statistics").is_some_and(|r| {
            r.mode.as_deref() == Some("extended") && r.idempotency_key.as_deref() == Some(idempotency)
        }),
        format!("the upload reached the upstream with KSN-Mode: extended and Idempotency-Key: {idempotency}"),
    );
    f.conclude("KSN-Client, KSN-Mode, KSN-Statement and Idempotency-Key reached the upstream unchanged")
}

pub(super) async fn authorization(s: &Session) -> Outcome {
    let mut f = Findings::default();
    let id = "PX-AUTH-1/authorization";
    s.upstream.mock.register_license(
        &KEY.parse::<LicenseKey>()
            .expect("the check's license key is valid"),
    );
    let requests = [
        licensed(lookup(&object(id, 1)), KEY),
        licensed(batch(&[object(id, 2)]), KEY),
        licensed(upload(2, "idem-PX-AUTH-1-authorization"), KEY),
    ];
    for request in requests {
        let answer = s.proxy.send(&mut f, request).await;
        f.expect_seen(
            is_success(&answer),
            "the call with a registered key succeeded",
            || seen(&answer),
        );
    }
    let seen = s.upstream.await_count(3, Duration::from_secs(2), |_| true).await;
    f.expect(
        seen >= 3,
        format!("all 3 calls reached the Private KSN ({seen} did)"),
    );
    let log = s.upstream.mock.log();
    log.iter().for_each(|r| f.note(headers_seen(r)));
    let expected = format!("License {KEY}");
    f.expect(
        every_request(&log, |r| r.authorization.as_deref() == Some(expected.as_str())),
        format!("every upstream request carried Authorization: {expected}, byte for byte"),
    );
    f.conclude("Authorization reached the Private KSN unchanged")
}

/// A logged request and the headers it carried.
fn headers_seen(r: &LoggedRequest) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
    format!(
        "{} | KSN-Client: {} | KSN-Mode: {} | KSN-Statement: {} | Authorization: {} | Idempotency-Key: {}",
        describe_logged(r),
        show(&r.client),
        show(&r.mode),
        show(&r.statement),
        show(&r.authorization),
        show(&r.idempotency_key)
    )
}
