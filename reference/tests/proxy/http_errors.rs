//! Every error the proxy's HTTP layer sends, even for requests too broken to reach the proxy's own code,
//! carries the contract's JSON body and `Content-Type: application/json` (wire contract, Errors; PX-ERR-2).

use std::time::Duration;

use ksnsim_reference::protocol::KsnType;

use super::raw::{exchange, last_error, unparseable_requests};
use super::{Proxy, Upstream};

#[tokio::test]
async fn px_err_2_requests_hyper_refuses_get_the_contract_error_body() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;
    for (case, request, status, code) in unparseable_requests() {
        let text = exchange(proxy.addr(), &request, Duration::from_secs(5)).await;
        let (got_status, content_type, got_code) = last_error(&text);
        assert_eq!((got_status, got_code), (status, code), "{case}: {text:?}");
        assert_eq!(content_type, "application/json", "{case}: {text:?}");
    }
    assert_eq!(proxy.send(super::lookup(&super::file(1))).await.status, 200);
}
