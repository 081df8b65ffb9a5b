//! The contract's JSON error body on the answers hyper writes by itself: a request it cannot parse gets an
//! automatic `400`, `414` or `431` with an empty body, before any handler sees it. This connection wrapper
//! recognises those exact answers in the outgoing bytes and sends the same status with
//! `{"error":...,"message":...}` and `Content-Type: application/json` instead (wire contract, Errors).
//!
//! Handlers' answers never look like them: hyper's automatic answers are the only ones that carry
//! `connection: close` and `content-length: 0` and nothing else. The wrapper reports no vectored writes, so
//! that hyper hands it one flat buffer whose end is the automatic answer, whole, the first time it appears.

use std::io;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::protocol::{ErrorBody, ErrorCode};

/// One automatic answer of hyper, and what goes on the wire in its place.
struct Replacement {
    automatic: Vec<u8>,
    with_body: Vec<u8>,
}

impl Replacement {
    fn new(status: u16, reason: &str, code: ErrorCode, message: &str) -> Self {
        let automatic =
            format!("HTTP/1.1 {status} {reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
                .into_bytes();
        let body = ErrorBody::new(code, message).to_json();
        let mut with_body = format!(
            "HTTP/1.1 {status} {reason}\r\nconnection: close\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        with_body.extend_from_slice(&body);
        Self { automatic, with_body }
    }
}

static REPLACEMENTS: LazyLock<[Replacement; 3]> = LazyLock::new(|| {
    [
        Replacement::new(
            400,
            "Bad Request",
            ErrorCode::BadRequest,
            "the request is not valid HTTP/1.1 (request line or a header is malformed): fix the client's request",
        ),
        Replacement::new(
            414,
            "URI Too Long",
            ErrorCode::TooLarge,
            "the request URL is too long: send a shorter URL (many objects go in one POST /v1/reputation/batch)",
        ),
        Replacement::new(
            431,
            "Request Header Fields Too Large",
            ErrorCode::TooLarge,
            "the request headers are too large or too many (at most 100): send fewer or shorter headers",
        ),
    ]
});

/// `buf` with an automatic answer at its end replaced by the same answer with a contract body, if it has one.
fn replace_automatic(buf: &[u8]) -> Option<Vec<u8>> {
    let found = REPLACEMENTS.iter().find(|r| buf.ends_with(&r.automatic))?;
    let mut out = Vec::with_capacity(buf.len() + found.with_body.len());
    out.extend_from_slice(&buf[..buf.len() - found.automatic.len()]);
    out.extend_from_slice(&found.with_body);
    Some(out)
}

/// A connection whose automatic hyper error answers carry the contract's JSON body.
pub(super) struct ErrorBodies<S> {
    inner: S,
    /// Replacement bytes still to write, and how many of them are written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> ErrorBodies<S> {
    pub(super) fn new(inner: S) -> Self {
        Self { inner, pending: None }
    }
}

impl<S: AsyncWrite + Unpin> ErrorBodies<S> {
    /// Writes what is pending; ready once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ErrorBodies<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ErrorBodies<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(replaced) = replace_automatic(buf) {
            self.pending = Some((replaced, 0));
            // All of `buf` is taken; what is left of the replacement goes out on the next write or flush.
            if let Poll::Ready(Err(err)) = self.poll_pending(cx) {
                return Poll::Ready(Err(err));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_automatic_answer_at_the_end_gets_a_contract_body_and_the_rest_is_kept() {
        let earlier = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let mut buf = earlier.clone();
        buf.extend_from_slice(b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        let out = replace_automatic(&buf).unwrap();
        assert!(out.starts_with(&earlier));
        let text = String::from_utf8(out[earlier.len()..].to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 ") && head.contains("content-type: application/json"));
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: ErrorBody = serde_json::from_str(body).unwrap();
        assert_eq!(body.error, ErrorCode::TooLarge);
    }

    #[test]
    fn handler_answers_are_left_alone() {
        let json = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(replace_automatic(json).is_none());
        assert!(replace_automatic(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
