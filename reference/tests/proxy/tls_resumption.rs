//! The proxy's upstream client resumes TLS sessions: without a connection pool every miss opens a new TCP and
//! TLS connection, and only the first of them to a server pays for a full handshake (certificate chain and its
//! verification); the next ones resume the session the server handed out. Seen from the server side.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use ksnsim_reference::http::{HttpClient, OutgoingRequest, PoolBounds, ServerUrl};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::tls;
use rustls::HandshakeKind;

use super::{PKI, clock};

/// A TLS server on loopback that answers every request `200 {}` and closes, recording each handshake's kind.
async fn recording_server(connections: usize) -> (ServerUrl, Arc<Mutex<Vec<Option<HandshakeKind>>>>) {
    let config = tls::server_config(&PKI.server.chain_pem, &PKI.server.key_pem, clock()).unwrap();
    let acceptor = TlsAcceptor::from(config);
    let listener = RealNet::shared()
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port())
        .parse()
        .unwrap();
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let seen = kinds.clone();
    tokio::spawn(async move {
        for _ in 0..connections {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let Ok(mut stream) = acceptor.accept(tcp).await else {
                continue;
            };
            seen.lock().unwrap().push(stream.get_ref().1.handshake_kind());
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
            let _ = stream.write_all(answer).await;
            let _ = stream.shutdown().await;
        }
    });
    (url, kinds)
}

#[tokio::test]
async fn px_tls_1_every_miss_after_the_first_resumes_the_tls_session() {
    let (url, kinds) = recording_server(3).await;
    let trust = tls::client_config(&PKI.ca_pem, clock()).unwrap();
    let client =
        HttpClient::new(RealNet::shared(), Some(trust), Duration::from_secs(5)).with_pool(PoolBounds::OFF);
    for n in 0..3 {
        let answer = client
            .send(&url, OutgoingRequest::get(format!("/v1/ping?n={n}")))
            .await
            .unwrap();
        assert_eq!(answer.status.as_u16(), 200);
    }
    let kinds = kinds.lock().unwrap().clone();
    assert_eq!(
        kinds,
        vec![
            Some(HandshakeKind::Full),
            Some(HandshakeKind::Resumed),
            Some(HandshakeKind::Resumed)
        ],
        "a new connection per exchange, each after the first resuming the session"
    );
}
