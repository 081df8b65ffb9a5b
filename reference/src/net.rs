//! The network seam: connect, listen, UDP and name resolution, behind one object-safe trait.
//!
//! The proxy, the endpoint agent and the mock servers are written once against [`Net`]. [`RealNet`] is tokio
//! on real sockets; the harness provides a turmoil implementation, so the same code runs inside the
//! simulation. The shapes follow tokio's own, so that each implementation is a thin adapter.

use async_trait::async_trait;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// A connected byte stream (TCP, real or simulated).
pub trait Connection: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Connection for T {}

/// A boxed [`Connection`]; TLS and HTTP layers run over it unchanged.
pub type BoxConnection = Box<dyn Connection>;

/// A listening TCP socket.
#[async_trait]
pub trait Listener: Send + Sync {
    async fn accept(&self) -> io::Result<(BoxConnection, SocketAddr)>;
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// A bound UDP socket (the DNS client and servers use it).
#[async_trait]
pub trait Datagram: Send + Sync {
    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize>;
    async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// Everything the reference implementation does with the network.
#[async_trait]
pub trait Net: Send + Sync + 'static {
    async fn connect(&self, addr: SocketAddr) -> io::Result<BoxConnection>;
    async fn listen(&self, addr: SocketAddr) -> io::Result<Box<dyn Listener>>;
    async fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn Datagram>>;
    /// Host name to addresses, the way the host's system resolver would do it. (The endpoint agent has its
    /// own DNS client for KSN names, EP-DNS-1; this is for configured upstreams such as `localhost`.)
    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;
}

/// The network handle that components hold.
pub type SharedNet = Arc<dyn Net>;

/// Connects to the first address of `host:port` that accepts.
pub async fn connect_host(net: &dyn Net, host: &str, port: u16) -> io::Result<BoxConnection> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"));
    for addr in net.resolve(host, port).await? {
        match net.connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// tokio on the machine's real sockets.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealNet;

impl RealNet {
    pub fn shared() -> SharedNet {
        Arc::new(Self)
    }
}

struct RealListener(tokio::net::TcpListener);

#[async_trait]
impl Listener for RealListener {
    async fn accept(&self) -> io::Result<(BoxConnection, SocketAddr)> {
        let (stream, peer) = self.0.accept().await?;
        stream.set_nodelay(true)?;
        Ok((Box::new(stream), peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

struct RealDatagram(tokio::net::UdpSocket);

#[async_trait]
impl Datagram for RealDatagram {
    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.0.send_to(buf, target).await
    }

    async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.0.recv_from(buf).await
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

#[async_trait]
impl Net for RealNet {
    #[expect(
        clippy::disallowed_methods,
        reason = "RealNet is the one place that opens real sockets"
    )]
    async fn connect(&self, addr: SocketAddr) -> io::Result<BoxConnection> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Box::new(stream))
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "RealNet is the one place that opens real sockets"
    )]
    async fn listen(&self, addr: SocketAddr) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(RealListener(tokio::net::TcpListener::bind(addr).await?)))
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "RealNet is the one place that opens real sockets"
    )]
    async fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn Datagram>> {
        Ok(Box::new(RealDatagram(tokio::net::UdpSocket::bind(addr).await?)))
    }

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}
