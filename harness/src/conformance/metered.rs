//! A network whose listeners count the bytes their connections received: how ksnsim's upstream tells how
//! much of a request reached it even when its HTTP layer refused the request before any handler (and so
//! the mock's request log) saw it (PX-ERR-2/oversized-body).

use async_trait::async_trait;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use ksnsim_reference::net::{BoxConnection, Datagram, Listener, Net, SharedNet};

/// Bytes received by every connection accepted on a [`MeteredNet`]'s listeners (TLS records included).
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter(Arc<AtomicU64>);

impl Meter {
    pub(crate) fn received(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

/// `inner`, with every accepted connection metered.
pub(crate) struct MeteredNet {
    inner: SharedNet,
    meter: Meter,
}

impl MeteredNet {
    pub(crate) fn shared(inner: SharedNet, meter: Meter) -> SharedNet {
        Arc::new(Self { inner, meter })
    }
}

#[async_trait]
impl Net for MeteredNet {
    async fn connect(&self, addr: SocketAddr) -> io::Result<BoxConnection> {
        self.inner.connect(addr).await
    }

    async fn listen(&self, addr: SocketAddr) -> io::Result<Box<dyn Listener>> {
        let inner = self.inner.listen(addr).await?;
        Ok(Box::new(MeteredListener {
            inner,
            meter: self.meter.clone(),
        }))
    }

    async fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn Datagram>> {
        self.inner.bind_udp(addr).await
    }

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        self.inner.resolve(host, port).await
    }
}

struct MeteredListener {
    inner: Box<dyn Listener>,
    meter: Meter,
}

#[async_trait]
impl Listener for MeteredListener {
    async fn accept(&self) -> io::Result<(BoxConnection, SocketAddr)> {
        let (connection, peer) = self.inner.accept().await?;
        let metered = MeteredConnection {
            inner: connection,
            meter: self.meter.clone(),
        };
        Ok((Box::new(metered), peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

struct MeteredConnection {
    inner: BoxConnection,
    meter: Meter,
}

impl AsyncRead for MeteredConnection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = buf.filled().len().saturating_sub(before);
        this.meter.0.fetch_add(read as u64, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for MeteredConnection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
