//! `Net` on turmoil: the reference implementation's network seam, simulated. Host names resolve through the
//! world's own name table (turmoil's would silently invent an address for an unknown name).

use async_trait::async_trait;
use ksnsim_reference::net::{BoxConnection, Datagram, Listener, Net, SharedNet};
use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Host names and their simulated addresses, fixed when the world is built.
#[derive(Debug, Clone, Default)]
pub struct NameTable {
    by_name: BTreeMap<String, IpAddr>,
    by_ip: BTreeMap<IpAddr, String>,
}

impl NameTable {
    pub fn insert(&mut self, name: &str, ip: IpAddr) {
        self.by_name.insert(name.to_owned(), ip);
        self.by_ip.insert(ip, name.to_owned());
    }

    /// Another name for an address (a DNS name of a host); the host keeps its own name in traces.
    pub fn alias(&mut self, name: &str, ip: IpAddr) {
        self.by_name.insert(name.to_owned(), ip);
    }

    pub fn ip(&self, name: &str) -> Option<IpAddr> {
        self.by_name.get(name).copied()
    }

    /// The host name of an address, or the address itself when it is nobody's.
    pub fn name_of(&self, ip: IpAddr) -> String {
        self.by_ip.get(&ip).cloned().unwrap_or_else(|| ip.to_string())
    }
}

/// The simulated network, as seen from one host.
#[derive(Debug, Clone)]
pub struct SimNet {
    names: Arc<NameTable>,
}

impl SimNet {
    pub fn shared(names: Arc<NameTable>) -> SharedNet {
        Arc::new(Self { names })
    }
}

struct SimListener(turmoil::net::TcpListener);

#[async_trait]
impl Listener for SimListener {
    async fn accept(&self) -> io::Result<(BoxConnection, SocketAddr)> {
        let (stream, peer) = self.0.accept().await?;
        Ok((Box::new(stream), peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

struct SimDatagram(turmoil::net::UdpSocket);

#[async_trait]
impl Datagram for SimDatagram {
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
impl Net for SimNet {
    async fn connect(&self, addr: SocketAddr) -> io::Result<BoxConnection> {
        Ok(Box::new(turmoil::net::TcpStream::connect(addr).await?))
    }

    async fn listen(&self, addr: SocketAddr) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(SimListener(
            turmoil::net::TcpListener::bind(addr).await?,
        )))
    }

    async fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn Datagram>> {
        Ok(Box::new(SimDatagram(turmoil::net::UdpSocket::bind(addr).await?)))
    }

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        match self.names.ip(host) {
            Some(ip) => Ok(vec![SocketAddr::new(ip, port)]),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no simulated host is named {host}"),
            )),
        }
    }
}
