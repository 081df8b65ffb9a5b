//! Every error the mock's HTTP layer sends, even for requests too broken to reach its handler, carries the
//! contract's JSON body and `Content-Type: application/json` (wire contract, Errors).

use std::time::Duration;

use ksnsim_mocks::MockKsn;
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::net::RealNet;
use ksnsim_reference::protocol::KsnType;
use ksnsim_reference::rng::SharedRng;

#[path = "../../../reference/tests/proxy/raw.rs"]
mod raw;

#[tokio::test]
async fn requests_hyper_refuses_get_the_contract_error_body() {
    let mock = MockKsn::new(KsnType::Global, SharedRng::seeded(7), SystemClock::shared());
    let running = mock
        .start(&RealNet::shared(), "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    for (case, request, status, code) in raw::unparseable_requests() {
        let text = raw::exchange(running.addr(), &request, Duration::from_secs(5)).await;
        let (got_status, content_type, got_code) = raw::last_error(&text);
        assert_eq!((got_status, got_code), (status, code), "{case}: {text:?}");
        assert_eq!(content_type, "application/json", "{case}: {text:?}");
    }
    let ping = raw::exchange(
        running.addr(),
        b"GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(raw::answers(&ping)[0].0, 200, "the mock keeps serving: {ping:?}");
}
