//! Loopback ports for what ksnsim starts and may stop and start again: the proxies under test (a command
//! binds the port ksnsim picked for it) and the mock upstreams (taken down and brought back on one address).
//!
//! They come from 20000-31999, below the ephemeral ranges (Linux 32768-60999, BSD and macOS 49152-65535)
//! from which the system picks ports for `bind(..:0)`: no client or `:0` server of this or another program
//! takes such a port while it is briefly free. Within this process each port is handed out once; concurrent
//! runs start at offsets scattered by their process ids.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};

const PORTS: Range<u16> = 20_000..32_000;

/// The next port to try (an offset into [`PORTS`]); `u32::MAX` until the first call.
static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);

/// A loopback address that is free now and that this process has not handed out before.
pub(crate) fn free_loopback_port() -> io::Result<SocketAddr> {
    let span = u32::from(PORTS.end - PORTS.start);
    let scattered = std::process::id().wrapping_mul(2_654_435_761) % span;
    let _ = NEXT.compare_exchange(u32::MAX, scattered, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::SeqCst) % span;
        let port = PORTS.start + u16::try_from(offset).unwrap_or(0);
        if let Ok(probe) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return probe.local_addr();
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("no free loopback port in {PORTS:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_outside_the_ephemeral_range_and_never_handed_out_twice() {
        let a = free_loopback_port().unwrap();
        let b = free_loopback_port().unwrap();
        assert_ne!(a, b);
        for addr in [a, b] {
            assert!(addr.ip().is_loopback() && PORTS.contains(&addr.port()), "{addr}");
        }
    }
}
