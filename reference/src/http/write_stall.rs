//! A bound on how long a write to a client may stay blocked: a client that stops reading (its window full)
//! would otherwise hold its connection and every answer buffered for it forever. Past the bound the write
//! fails with `TimedOut`, hyper ends the connection, and what was buffered for that client is freed.
//!
//! The timer is tokio's (turmoil drives it in the simulation); it runs only while a write is blocked and
//! starts again after any progress, so a slow but reading client is never cut.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// A connection whose writes fail once they have been blocked for `bound`.
pub(super) struct WriteStall<S> {
    inner: S,
    bound: Duration,
    /// Running while a write is blocked.
    blocked: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteStall<S> {
    pub(super) fn new(inner: S, bound: Duration) -> Self {
        Self {
            inner,
            bound,
            blocked: None,
        }
    }

    /// Passes `poll` on, starting the timer when it is blocked and failing once the timer fires.
    fn bounded<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.blocked = None;
            return poll;
        }
        let bound = self.bound;
        let timer = self
            .blocked
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(bound)));
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing of its answers for {bound:?}"),
            )));
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStall<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStall<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.bounded(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.bounded(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.bounded(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.bounded(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_write_blocked_past_the_bound_fails_and_one_that_progresses_does_not() {
        // A 16-byte pipe whose reader never reads: the second write blocks for good.
        let (client, _reader) = tokio::io::duplex(16);
        let mut stream = WriteStall::new(client, Duration::from_millis(500));
        stream.write_all(&[0; 16]).await.unwrap();
        let started = tokio::time::Instant::now();
        let err = stream.write_all(&[0; 16]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_is_not_cut() {
        let (client, mut reader) = tokio::io::duplex(16);
        let mut stream = WriteStall::new(client, Duration::from_millis(500));
        let reading = tokio::spawn(async move {
            let mut buf = [0; 16];
            for _ in 0..8 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                tokio::io::AsyncReadExt::read_exact(&mut reader, &mut buf)
                    .await
                    .unwrap();
            }
        });
        for _ in 0..8 {
            stream.write_all(&[0; 16]).await.unwrap();
        }
        reading.await.unwrap();
    }
}
