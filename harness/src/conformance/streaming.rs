//! A client that reads the answer while it is still sending the body, as curl does: for a request the
//! proxy may refuse before it has read all of it (a body over the limit), when a client that first writes
//! everything would see only a reset connection. Raw HTTP/1.1 over loopback TCP, one request per
//! connection, every step bounded by one deadline.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use ksnsim_reference::http::OutgoingRequest;
use ksnsim_reference::net::{Net, RealNet};

/// The most of an answer that is read (an error page is far smaller).
const ANSWER_LIMIT: usize = 256 * 1024;
/// The body is written in pieces of this size, so that an early answer is seen between them.
const PIECE: usize = 64 * 1024;

/// What came back for a streamed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamedAnswer {
    /// The status, or why there was none.
    pub status: Result<u16, String>,
    /// The body as far as it was read.
    pub body: Vec<u8>,
    /// How many bytes of the request body the proxy took before it answered or closed.
    pub body_sent: usize,
}

/// Sends `request` to `addr`, reading the answer while the body is still being written; at most `bound`.
pub(crate) async fn send_streaming(
    addr: SocketAddr,
    request: &OutgoingRequest,
    bound: Duration,
) -> StreamedAnswer {
    let deadline = Instant::now() + bound;
    let connection = match tokio::time::timeout_at(deadline, RealNet.connect(addr)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(err)) => return no_answer(format!("could not connect to {addr}: {err}"), 0),
        Err(_) => return no_answer(format!("could not connect to {addr} within {bound:?}"), 0),
    };
    let (mut reader, mut writer) = tokio::io::split(connection);
    let head = request_head(request);
    let body = request.body.clone();
    let writing = tokio::spawn(async move {
        let mut sent = 0;
        if writer.write_all(head.as_bytes()).await.is_err() {
            return sent;
        }
        for piece in body.chunks(PIECE) {
            if writer.write_all(piece).await.is_err() {
                break;
            }
            sent += piece.len();
        }
        let _ = writer.flush().await;
        sent
    });
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    let outcome = loop {
        if let Some(answer) = complete_answer(&received) {
            break Ok(answer);
        }
        match tokio::time::timeout_at(deadline, reader.read(&mut buffer)).await {
            Err(_) => break Err(format!("no complete answer within {bound:?}")),
            Ok(Err(err)) if received.is_empty() => break Err(format!("the connection failed: {err}")),
            Ok(Ok(0)) | Ok(Err(_)) => {
                break parse_head(&received)
                    .map(|(status, start, _)| (status, received[start..].to_vec()))
                    .ok_or_else(|| "the connection closed before an answer came".to_owned());
            }
            Ok(Ok(n)) => {
                received.extend_from_slice(&buffer[..n]);
                if received.len() > ANSWER_LIMIT {
                    break Err(format!("an answer over {ANSWER_LIMIT} bytes"));
                }
            }
        }
    };
    writing.abort();
    let body_sent = match tokio::time::timeout(Duration::from_millis(100), writing).await {
        Ok(Ok(sent)) => sent,
        _ => 0,
    };
    match outcome {
        Ok((status, body)) => StreamedAnswer {
            status: Ok(status),
            body,
            body_sent,
        },
        Err(why) => no_answer(why, body_sent),
    }
}

fn no_answer(why: String, body_sent: usize) -> StreamedAnswer {
    StreamedAnswer {
        status: Err(why),
        body: Vec::new(),
        body_sent,
    }
}

/// The request line and headers, with the body's length; the connection closes after the answer.
fn request_head(request: &OutgoingRequest) -> String {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: ksn-proxy\r\nConnection: close\r\n",
        request.method, request.path_and_query
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body.len()));
    head
}

/// The status, where the body starts and its length (when given) once the head is complete.
fn parse_head(received: &[u8]) -> Option<(u16, usize, Option<usize>)> {
    let end = received.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&received[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok());
    Some((status, end + 4, length))
}

/// The status and body once a head and a body of its Content-Length were read.
fn complete_answer(received: &[u8]) -> Option<(u16, Vec<u8>)> {
    let (status, start, length) = parse_head(received)?;
    let length = length?;
    let body = received.get(start..start + length)?;
    Some((status, body.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_complete_once_its_content_length_is_read() {
        let head = b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 5\r\n\r\n";
        assert_eq!(complete_answer(head), None);
        let mut whole = head.to_vec();
        whole.extend_from_slice(b"<html");
        assert_eq!(complete_answer(&whole), Some((413, b"<html".to_vec())));
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n"), None);
    }

    #[test]
    fn the_head_carries_the_body_length() {
        let request = OutgoingRequest::post("/v1/statistics", "12345").header("KSN-Mode", "extended");
        let head = request_head(&request);
        assert!(head.starts_with("POST /v1/statistics HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("KSN-Mode: extended\r\n") && head.ends_with("Content-Length: 5\r\n\r\n"));
    }
}
