//! Many clients stall with almost complete large bodies: the proxy holds at most `max_buffered_body_bytes`
//! of bodies at once, refuses further bodies with 503, `Retry-After` and the contract body, keeps answering
//! lookups (no body), and takes bodies again once the stalled ones are gone.

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use ksnsim_reference::net::BoxConnection;
use ksnsim_reference::protocol::{ErrorCode, KsnType};

use super::raw::{answers, connect, last_error, read_to_close};
use super::{Proxy, Upstream, file, lookup, upload};

const MIB: usize = 1024 * 1024;

/// The head of a statistics upload that declares `length` body bytes.
fn upload_head(length: usize) -> String {
    format!(
        "POST /v1/statistics HTTP/1.1\r\nHost: x\r\nKSN-Statement: 1\r\nKSN-Mode: extended\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// A client that sends all of a 1 MiB body but its last byte, then waits.
async fn stall_almost_complete(proxy: &Proxy) -> BoxConnection {
    let mut stream = connect(proxy.addr()).await;
    stream.write_all(upload_head(MIB).as_bytes()).await.unwrap();
    stream.write_all(&vec![b' '; MIB - 1]).await.unwrap();
    stream
}

#[tokio::test]
async fn bodies_past_the_shared_budget_get_503_with_retry_after_and_lookups_go_on() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start_with(&ksn.url, |c| c.server.max_buffered_body_bytes = 4 * MIB).await;
    let mut stalled = Vec::new();
    for _ in 0..4 {
        stalled.push(stall_almost_complete(&proxy).await);
    }
    // Let the proxy read what the stalled clients sent.
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A whole body past the budget is read (and dropped), then refused.
    let mut late = connect(proxy.addr()).await;
    late.write_all(upload_head(MIB).as_bytes()).await.unwrap();
    late.write_all(&vec![b' '; MIB]).await.unwrap();
    let text = read_to_close(&mut late, Duration::from_secs(3)).await;
    let (status, content_type, code) = last_error(&text);
    assert_eq!((status, code), (503, ErrorCode::Unavailable), "{text}");
    assert_eq!(content_type, "application/json");
    assert!(answers(&text)[0].1.contains("retry-after: 1\r\n"), "{text}");

    let refused = proxy.send(upload(1, "small-while-full")).await;
    assert_eq!(refused.status, 503, "a small body too, while the budget is spent");
    assert_eq!(
        proxy.send(lookup(&file(1))).await.status,
        200,
        "lookups carry no body"
    );

    drop(stalled);
    let deadline = Instant::now() + Duration::from_secs(3);
    let accepted = loop {
        let answer = proxy.send(upload(1, "after-the-stall")).await;
        if answer.status != 503 || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        accepted.status, 202,
        "the budget is back once the stalled bodies are gone"
    );
}
