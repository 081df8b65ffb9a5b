//! The generator's ceiling: a tiny in-process server on loopback that answers every request at once with the
//! same 200 KSN Reputation (no cache, no upstream, no parsing beyond the framing). What the load generator
//! reaches against it is the most it can measure on this machine; a proxy near that figure is not measured.

use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ksnsim_mocks::Running;
use ksnsim_reference::net::{BoxConnection, Net, RealNet};

use super::wire;
use super::workloads::hot_object;

/// Starts the static answer on a free loopback port.
pub(crate) async fn start() -> io::Result<Running> {
    let listener = RealNet.listen(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let answer = answer_bytes();
    Ok(Running::spawn(addr, move |mut shutdown| async move {
        loop {
            tokio::select! {
                biased;
                () = shutdown.wait() => return Ok(()),
                accepted = listener.accept() => {
                    // A failed accept (a client gone at once) ends only that client.
                    if let Ok((connection, _)) = accepted {
                        tokio::spawn(serve_connection(connection, answer.clone()));
                    }
                }
            }
        }
    }))
}

/// The one answer: a Reputation of the hot object, framed as the mock KSN frames it.
fn answer_bytes() -> std::sync::Arc<Vec<u8>> {
    let body = format!(
        "{{\"object\":{{\"file\":\"{}\"}},\"verdict\":\"trusted\",\"source\":\"global\",\"ttl\":3600}}",
        hot_object()
    );
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: max-age=3600\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    std::sync::Arc::new([head.into_bytes(), body.into_bytes()].concat())
}

/// Answers each request on `connection` until the client closes it or sends something unframeable.
async fn serve_connection(mut connection: BoxConnection, answer: std::sync::Arc<Vec<u8>>) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut filled = 0;
    loop {
        match wire::parse_head(&buf[..filled], false) {
            Ok(Some(head)) => {
                let end = head.len + head.content_length.unwrap_or(0);
                if end > buf.len() {
                    return; // over what a KSN request may carry here: not this server's load
                }
                if filled >= end {
                    if connection.write_all(&answer).await.is_err() {
                        return;
                    }
                    buf.copy_within(end..filled, 0);
                    filled -= end;
                    continue;
                }
            }
            Ok(None) if filled == buf.len() => return,
            Ok(None) => {}
            Err(_) => return,
        }
        match connection.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::connection::{Connection, Target};

    #[tokio::test]
    async fn every_request_on_a_connection_gets_the_same_answer() {
        let server = start().await.unwrap();
        let target = Target {
            addr: server.addr(),
            tls: None,
        };
        let mut connection = Connection::open(&target).await.unwrap();
        let mut request = Vec::new();
        super::super::workloads::batch_request(&mut request, &[hot_object()], 0);
        for _ in 0..3 {
            let answered = connection.exchange(&request).await.unwrap();
            assert_eq!(answered.status, 200);
            assert!(!answered.closes);
        }
        server.stop().await.unwrap();
    }
}
