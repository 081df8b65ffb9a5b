//! A server running in a task of its own: its bound address, and how to stop it. Dropping the handle stops
//! the server too, so that a test never leaks one.

use std::io;
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use ksnsim_reference::http::Shutdown;

/// A spawned server.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Running {
    /// Spawns `server(shutdown)` on the current runtime.
    pub fn spawn<F, Fut>(addr: SocketAddr, server: F) -> Self
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = io::Result<()>> + Send + 'static,
    {
        let (stop, shutdown) = Shutdown::new();
        Self {
            addr,
            stop,
            task: Some(tokio::spawn(server(shutdown))),
        }
    }

    /// The address the server listens on (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it to finish: it accepts no more, lets requests in flight finish within
    /// its drain timeout, and cuts what is still open after that.
    pub async fn stop(mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|err| Err(io::Error::other(err))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
