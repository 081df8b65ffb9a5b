//! A server binary (`ksn-proxy`, `ksn-mock`) run as a child process for a test: its printed addresses,
//! SIGTERM, and a bounded wait for its exit. The mock's tests use it too (`#[path]`). The child is killed
//! when the handle drops, so that a failed test leaves nothing running.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;
use tokio::time::Instant;

use ksnsim_reference::net::{Net, RealNet};

pub struct Server {
    child: Child,
    /// What the child printed after `listening `, one entry per line, in order.
    pub listening: Vec<String>,
}

impl Server {
    /// Starts `command` and reads `lines` lines of `listening ...` from its standard output.
    pub fn start(mut command: Command, lines: usize) -> Self {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let listening = (0..lines)
            .map(|_| {
                let line = out.next().unwrap().unwrap();
                line.strip_prefix("listening ")
                    .unwrap_or_else(|| panic!("not a listening line: {line}"))
                    .to_owned()
            })
            .collect();
        Self { child, listening }
    }

    /// The address of a `listening [KIND ]SCHEME://ADDR` line.
    pub fn addr(&self, line: usize) -> SocketAddr {
        let url = self.listening[line].rsplit(' ').next().unwrap();
        url.split_once("://").unwrap().1.parse().unwrap()
    }

    #[allow(dead_code, reason = "the mock's tests do not measure their child")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the child to exit, at most `bound`; `None` if it is still running then.
    pub async fn exited_within(&mut self, bound: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True once connecting to `addr` is refused, polled for at most `bound`.
pub async fn refused_within(addr: SocketAddr, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if RealNet.connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
