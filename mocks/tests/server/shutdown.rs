//! SIGTERM on the real `ksn-mock`: it stops accepting, finishes the request in flight (a `delay` fault), then
//! exits 0 within its grace period (`--shutdown-grace-ms`).

use std::time::Duration;
use tokio::time::Instant;

use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::{HttpClient, OutgoingRequest, ServerUrl};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::tls;

#[path = "../../../reference/tests/proxy/child.rs"]
mod child;

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_refuses_new_clients_and_exits_0() {
    let dir = std::env::temp_dir().join(format!("ksn-mock-sigterm-{}", std::process::id()));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ksn-mock"));
    command
        .args(["--global", "127.0.0.1:0", "--shutdown-grace-ms", "4000", "--pki"])
        .arg(&dir);
    let mut mock = child::Server::start(command, 1);
    let url: ServerUrl = mock.listening[0].rsplit(' ').next().unwrap().parse().unwrap();
    let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let trust = tls::client_config(&ca, SystemClock::shared()).unwrap();
    let client = HttpClient::new(RealNet::shared(), Some(trust), Duration::from_secs(8));
    let mut fault = OutgoingRequest::post("/_mock/faults", r#"{"kind":"delay","ms":1500}"#);
    fault.method = http::Method::PUT;
    assert_eq!(client.send(&url, fault).await.unwrap().status, 200);

    let (sender, target) = (client.clone(), url.clone());
    let in_flight = tokio::spawn(async move { sender.send(&target, OutgoingRequest::get("/v1/ping")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    mock.terminate();
    let terminated = Instant::now();
    assert!(
        child::refused_within(mock.addr(0), Duration::from_secs(1)).await,
        "new clients are refused after SIGTERM"
    );
    let answer = in_flight
        .await
        .unwrap()
        .expect("the client in flight gets its answer");
    assert_eq!(answer.body.as_ref(), br#"{"ksn":"global"}"#);
    let status = mock.exited_within(Duration::from_secs(5)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exit 0 after the drain");
    assert!(
        terminated.elapsed() < Duration::from_secs(4),
        "{:?}",
        terminated.elapsed()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
