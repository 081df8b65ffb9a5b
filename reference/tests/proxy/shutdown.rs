//! SIGTERM on the real `ksn-proxy`: it stops accepting, finishes the request in flight (the upstream is slow),
//! then exits 0 within its grace period (`shutdown_grace_ms`).

use std::time::Duration;
use tokio::time::Instant;

use ksnsim_mocks::Fault;
use ksnsim_reference::http::HttpClient;
use ksnsim_reference::net::RealNet;

use super::child::refused_within;
use super::proxy_binary::{start_proxy, upstream_for_binaries};
use super::{LOOKUPS, file, lookup, reputation};

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_refuses_new_clients_and_exits_0() {
    let ksn = upstream_for_binaries().await;
    ksn.mock.set_fault(Some(Fault::Delay { ms: 1500 }));
    let grace = Duration::from_secs(4);
    let mut proxy = start_proxy(&ksn, "shutdown_grace_ms = 4000\n", "sigterm", &[]);
    let url = format!("http://{}", proxy.addr(0)).parse().unwrap();
    let client = HttpClient::new(RealNet::shared(), None, Duration::from_secs(8));
    let in_flight = tokio::spawn(async move { client.send(&url, lookup(&file(1))).await });
    let deadline = Instant::now() + Duration::from_secs(3);
    while ksn.mock.requests_to(LOOKUPS) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        ksn.mock.requests_to(LOOKUPS),
        1,
        "the lookup reached the slow upstream"
    );

    proxy.terminate();
    let terminated = Instant::now();
    assert!(
        refused_within(proxy.addr(0), Duration::from_secs(1)).await,
        "new clients are refused after SIGTERM"
    );
    let answer = in_flight
        .await
        .unwrap()
        .expect("the client in flight gets its answer");
    assert_eq!(reputation(&answer).object, file(1));
    let status = proxy.exited_within(grace + Duration::from_secs(1)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exit 0 after the drain");
    assert!(
        terminated.elapsed() < grace,
        "no need to wait out the grace: {:?}",
        terminated.elapsed()
    );
}
