//! A raw TCP client for the tests of bad input: bytes no HTTP library would send, and the answer as text.
//! The mock's tests use it too (`#[path]`), so that both servers are held to the same cases.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ksnsim_reference::net::{BoxConnection, Net, RealNet};
use ksnsim_reference::protocol::{ErrorBody, ErrorCode};

/// Connects to `addr` on loopback.
pub async fn connect(addr: SocketAddr) -> BoxConnection {
    RealNet.connect(addr).await.unwrap()
}

/// Sends `request` on a fresh connection and reads until the server closes it (at most `bound`).
pub async fn exchange(addr: SocketAddr, request: &[u8], bound: Duration) -> String {
    let mut stream = connect(addr).await;
    stream.write_all(request).await.unwrap();
    read_to_close(&mut stream, bound).await
}

/// Everything the server sends until it closes the connection; panics past `bound`.
pub async fn read_to_close(stream: &mut BoxConnection, bound: Duration) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(bound, stream.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no close within {bound:?}; got {:?}",
                String::from_utf8_lossy(&answer)
            )
        })
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// The answers in `text` (HTTP/1.1 answers one after another, each with a `content-length`), as
/// (status, lower-case head, body).
pub fn answers(text: &str) -> Vec<(u16, String, String)> {
    let mut rest = text;
    let mut found = Vec::new();
    while !rest.is_empty() {
        let (head, after) = rest
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {rest:?}"));
        let head = head.to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .unwrap_or_else(|| panic!("no content-length in {head:?}"))
            .parse()
            .unwrap();
        let status = head[9..12].parse().unwrap();
        found.push((status, head.clone(), after[..length].to_owned()));
        rest = &after[length..];
    }
    found
}

/// The last answer of `text`: its status, its content type and its contract error code; panics with the
/// text if that answer is not a contract error.
pub fn last_error(text: &str) -> (u16, String, ErrorCode) {
    let (status, head, body) = answers(text)
        .pop()
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let content_type = head
        .lines()
        .find_map(|line| line.strip_prefix("content-type: ").map(str::to_owned))
        .unwrap_or_default();
    let error: ErrorBody = serde_json::from_str(&body)
        .unwrap_or_else(|err| panic!("answer {status} has no contract body ({err}): {text:?}"));
    assert!(!error.message.is_empty(), "{text:?}");
    (status, content_type, error.error)
}

/// Requests hyper refuses before any handler sees them, and what each must get.
pub fn unparseable_requests() -> Vec<(&'static str, Vec<u8>, u16, ErrorCode)> {
    let long_url = format!(
        "GET /v1/reputation/url?u={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let big_header = format!(
        "GET /v1/ping HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(2_000_000)
    );
    let many_headers: String = (0..200).map(|n| format!("X-{n}: a\r\n")).collect();
    vec![
        (
            "garbage request line",
            b"GARBAGE\r\n\r\n".to_vec(),
            400,
            ErrorCode::BadRequest,
        ),
        (
            "bad header line",
            b"GET /v1/ping HTTP/1.1\r\nHost: x\r\nX-Bad\x01: y\r\n\r\n".to_vec(),
            400,
            ErrorCode::BadRequest,
        ),
        ("URL too long", long_url.into_bytes(), 414, ErrorCode::TooLarge),
        (
            "header too large",
            big_header.into_bytes(),
            431,
            ErrorCode::TooLarge,
        ),
        (
            "too many headers",
            format!("GET /v1/ping HTTP/1.1\r\n{many_headers}\r\n").into_bytes(),
            431,
            ErrorCode::TooLarge,
        ),
        (
            "garbage after a good request",
            b"GET /v2/x HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n".to_vec(),
            400,
            ErrorCode::BadRequest,
        ),
    ]
}
