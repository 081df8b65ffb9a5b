//! PX-TYPE-1: a proxy set for the Private KSN sends nothing to the Global KSN, and the other way round. Both
//! proxies run side by side, each with its own upstream; each upstream's log must hold only its own proxy's
//! requests (told apart by `KSN-Client`). Judged by that cross-traffic alone: whether the answers were good
//! is PX-FWD-1's question.

use std::time::Duration;

use ksnsim_reference::http::OutgoingRequest;
use ksnsim_reference::protocol::{KsnType, Ping};

use crate::conformance::findings::{Findings, Outcome};
use crate::conformance::requests::{batch, call, licensed, lookup, object, upload, with};
use crate::conformance::session::Session;

const CALLS: usize = 5;

fn every_call(client: &str) -> [OutgoingRequest; CALLS] {
    let id = format!("PX-TYPE-1/{client}");
    [
        lookup(&object(&id, 1)),
        batch(&[object(&id, 2)]),
        upload(1, &format!("type-1-{client}")),
        call("/v1/statement"),
        call("/v1/ping"),
    ]
    .map(|request| with(request, "KSN-Client", client))
}

pub(super) async fn ksn_types_apart(global: &Session, private: &Session) -> Outcome {
    let mut f = Findings::default();
    for (session, client) in [(private, "type-1-private"), (global, "type-1-global")] {
        for request in every_call(client) {
            let request = match session.kind() {
                KsnType::Private => licensed(request, "TENANT-A"),
                KsnType::Global => request,
            };
            let answer = session.proxy.send(&mut f, request).await;
            // Whether the answers were good is PX-FWD-1's question; here only where the calls went counts.
            if let Ok(answer) = &answer
                && let Ok(ping) = serde_json::from_slice::<Ping>(&answer.body)
            {
                f.note(format!(
                    "the {} proxy's ping came from a {} KSN",
                    session.kind(),
                    ping.ksn
                ));
            }
        }
    }
    for (session, own, other) in [
        (private, "type-1-private", "type-1-global"),
        (global, "type-1-global", "type-1-private"),
    ] {
        let mine = |r: &ksnsim_mocks::LoggedRequest| r.client.as_deref() == Some(own);
        let reached = session
            .upstream
            .await_count(CALLS, Duration::from_secs(2), mine)
            .await;
        f.note(format!(
            "the {} KSN got {reached} of the {CALLS} calls of its own proxy",
            session.kind()
        ));
        if reached == 0 {
            f.undecided(format!(
                "the {} proxy sent nothing to its own KSN, so where its calls went tells nothing",
                session.kind()
            ));
        }
        let foreign = session.upstream.count(|r| r.client.as_deref() == Some(other));
        f.expect(
            foreign == 0,
            format!(
                "the {} KSN got nothing from the other proxy ({foreign} requests)",
                session.kind()
            ),
        );
    }
    f.conclude("each proxy talked only to the KSN of its own type")
}
