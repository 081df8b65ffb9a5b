//! A client that pipelines requests and never reads the answers: once the proxy's writes to it stay blocked
//! for `client_timeout_ms`, the proxy drops the connection and what it had buffered for it.

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use ksnsim_reference::protocol::KsnType;

use super::{Proxy, Upstream};

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_within_the_client_timeout() {
    let ksn = Upstream::start(KsnType::Global).await;
    let bound = Duration::from_millis(500);
    let proxy = Proxy::start_with(&ksn.url, |c| c.server.write_timeout = bound).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(proxy.addr()).await.unwrap();

    // Each request gets a 400 from the proxy itself; 2,000 per chunk, at most 200 chunks (about 16 MB).
    let chunk = b"GET /v2/x HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000);
    let started = Instant::now();
    let mut last_progress = started;
    let limit = Duration::from_secs(8);
    let mut closed = None;
    for _ in 0..200 {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.write_all(&chunk)).await {
            Ok(Ok(())) => last_progress = Instant::now(),
            Ok(Err(err)) => {
                closed = Some(err);
                break;
            }
            Err(_) => break,
        }
    }
    let err = closed.unwrap_or_else(|| panic!("the connection is still open after {:?}", started.elapsed()));
    let stalled_for = last_progress.elapsed();
    assert!(
        stalled_for < bound * 6,
        "closed {stalled_for:?} after the client's last write went through ({err})"
    );
    let normal = proxy.send(super::lookup(&super::file(1))).await;
    assert_eq!(normal.status, 200, "others are served");
}
