//! ksnsim's TLS terminator for a proxy chain (PX-CHAIN-1): the contract has every proxy speak TLS to its
//! upstream, also to another proxy, but a proxy under test listens for clients on plain HTTP only. The
//! terminator accepts TLS on a loopback port with ksnsim's KSN certificate (so the downstream proxy verifies
//! it with the same CA and name as the KSN) and passes the bytes on to the upstream proxy's plain listener.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinSet;

use ksnsim_mocks::{Running, ServerCert};
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::ServerUrl;
use ksnsim_reference::net::{BoxConnection, Net, RealNet};
use ksnsim_reference::tls;

use super::error::ConformanceError;

/// How long a TLS handshake may take.
const HANDSHAKE_BOUND: Duration = Duration::from_secs(5);
/// How long one relayed connection may last (longer than any check's exchange).
const CONNECTION_BOUND: Duration = Duration::from_secs(120);

/// A TLS listener in front of a plain one.
pub(crate) struct TlsTerminator {
    pub url: ServerUrl,
    running: Running,
}

impl TlsTerminator {
    /// Accepts TLS on a fresh loopback port showing `cert`, and relays every connection to `backend`.
    pub(crate) async fn start(cert: &ServerCert, backend: SocketAddr) -> Result<Self, ConformanceError> {
        let config = tls::server_config(&cert.chain_pem, &cert.key_pem, SystemClock::shared())
            .map_err(ConformanceError::Tls)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = RealNet
            .listen(loopback)
            .await
            .map_err(ConformanceError::Upstream)?;
        let addr = listener.local_addr().map_err(ConformanceError::Upstream)?;
        let running = Running::spawn(addr, move |mut shutdown| async move {
            let mut connections = JoinSet::new();
            loop {
                let accepted = tokio::select! {
                    biased;
                    () = shutdown.wait() => break,
                    accepted = listener.accept() => accepted,
                    Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                };
                if let Ok((client, _peer)) = accepted {
                    let relay = relay(acceptor.clone(), client, backend);
                    connections.spawn(tokio::time::timeout(CONNECTION_BOUND, relay));
                }
            }
            connections.abort_all();
            Ok(())
        });
        let url = format!("https://{addr}")
            .parse()
            .expect("an https URL of a socket address always parses");
        Ok(Self { url, running })
    }

    pub(crate) async fn stop(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.running.stop()).await;
    }
}

/// One connection: the TLS handshake, then bytes both ways until either side closes.
async fn relay(
    acceptor: tokio_rustls::TlsAcceptor,
    client: BoxConnection,
    backend: SocketAddr,
) -> io::Result<()> {
    let mut client = tokio::time::timeout(HANDSHAKE_BOUND, acceptor.accept(client))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
    let mut upstream = RealNet.connect(backend).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
