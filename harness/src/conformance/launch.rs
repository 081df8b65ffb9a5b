//! Starting a proxy under test and stopping it: a command (a child process on a free loopback port, leading a
//! process group of its own so that its workers stop with it, its output kept for evidence) or the reference
//! proxy in-process. Every wait is bounded.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::time::Instant;

use ksnsim_mocks::Running;
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::ServerUrl;
use ksnsim_reference::net::{Net, RealNet};
use ksnsim_reference::proxy::{KsnProxy, ProxyConfig};
use ksnsim_reference::tls;

use super::command::{Placeholders, ProxyCommand};
use super::plan::{ConfigureProxy, Launcher};
use super::ports::free_loopback_port;
use super::process_group::ProcessGroup;

/// How many lines of the proxy's output are kept for evidence.
const TAIL_LINES: usize = 20;

/// A proxy could not be started; every check that needed it is an `error`, with this as evidence.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LaunchError {
    #[error("could not start {program:?}: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("the proxy exited ({status}) before it accepted connections on {listen}")]
    Exited {
        status: String,
        listen: SocketAddr,
        tail: Vec<String>,
    },
    #[error("the proxy did not accept connections on {listen} within {after:?}")]
    NeverListened {
        listen: SocketAddr,
        after: Duration,
        tail: Vec<String>,
    },
    #[error("ksnsim could not start the in-process proxy: {0}")]
    InProcess(String),
}

impl LaunchError {
    /// The proxy's last output lines, for evidence.
    pub(crate) fn tail(&self) -> Vec<String> {
        match self {
            Self::Exited { tail, .. } | Self::NeverListened { tail, .. } => tail.clone(),
            Self::Spawn { .. } | Self::InProcess(_) => Vec::new(),
        }
    }
}

/// A started proxy: where it listens, and what keeps it alive.
pub(crate) struct LaunchedProxy {
    pub addr: SocketAddr,
    kept: Kept,
}

enum Kept {
    Process { group: ProcessGroup, tail: OutputTail },
    InProcess(Running),
}

impl LaunchedProxy {
    /// The last lines the proxy printed (empty for an in-process proxy).
    pub(crate) fn tail(&self) -> Vec<String> {
        match &self.kept {
            Kept::Process { tail, .. } => tail.lines(),
            Kept::InProcess(_) => Vec::new(),
        }
    }

    /// The process group of a proxy started as a command (its leader's pid); `None` in-process.
    pub(crate) fn process_group(&self) -> Option<i32> {
        match &self.kept {
            Kept::Process { group, .. } => group.pgid(),
            Kept::InProcess(_) => None,
        }
    }

    /// Stops the process group (SIGTERM, then SIGKILL) or the in-process server, waiting a bounded while.
    pub(crate) async fn stop(self) {
        match self.kept {
            Kept::Process { group, .. } => {
                group.stop().await;
            }
            Kept::InProcess(running) => {
                let _ = tokio::time::timeout(Duration::from_secs(5), running.stop()).await;
            }
        }
    }
}

/// Starts a proxy whose upstream is `upstream`, trusting the CA in `ca_path` (`ca_pem` for in-process).
pub(crate) async fn launch(
    launcher: &Launcher,
    upstream: &ServerUrl,
    ca_path: &Path,
    ca_pem: &str,
    startup: Duration,
) -> Result<LaunchedProxy, LaunchError> {
    match launcher {
        Launcher::Command(command) => launch_command(command, upstream, ca_path, startup).await,
        Launcher::InProcess(configure) => launch_in_process(configure, upstream, ca_pem).await,
    }
}

async fn launch_in_process(
    configure: &ConfigureProxy,
    upstream: &ServerUrl,
    ca_pem: &str,
) -> Result<LaunchedProxy, LaunchError> {
    let net = RealNet::shared();
    let mut config = ProxyConfig::new(upstream.clone());
    configure(&mut config);
    let trust = tls::client_config(ca_pem, SystemClock::shared())
        .map_err(|err| LaunchError::InProcess(err.to_string()))?;
    let proxy = KsnProxy::new(config, net.clone(), Some(trust));
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = net
        .listen(loopback)
        .await
        .map_err(|err| LaunchError::InProcess(err.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|err| LaunchError::InProcess(err.to_string()))?;
    let running = Running::spawn(addr, move |shutdown| async move {
        proxy.serve(listener, None, shutdown).await
    });
    Ok(LaunchedProxy {
        addr,
        kept: Kept::InProcess(running),
    })
}

async fn launch_command(
    command: &ProxyCommand,
    upstream: &ServerUrl,
    ca_path: &Path,
    startup: Duration,
) -> Result<LaunchedProxy, LaunchError> {
    // A proxy that exits at once may have lost its port to another program in the moment between ksnsim
    // picking it and the proxy binding it: one more try, on another port, tells that apart from a broken start.
    match launch_once(command, upstream, ca_path, startup).await {
        Err(LaunchError::Exited { .. }) => launch_once(command, upstream, ca_path, startup).await,
        launched => launched,
    }
}

async fn launch_once(
    command: &ProxyCommand,
    upstream: &ServerUrl,
    ca_path: &Path,
    startup: Duration,
) -> Result<LaunchedProxy, LaunchError> {
    let listen = free_loopback_port().map_err(|source| LaunchError::Spawn {
        program: command.program().to_owned(),
        source,
    })?;
    let words = command.fill(&Placeholders {
        listen,
        upstream: upstream.clone(),
        ca: ca_path.to_owned(),
    });
    let (program, args) = words.split_first().ok_or_else(|| LaunchError::Spawn {
        program: String::new(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "empty command"),
    })?;
    let mut group = ProcessGroup::spawn(
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true),
    )
    .map_err(|source| LaunchError::Spawn {
        program: program.clone(),
        source,
    })?;
    let tail = OutputTail::default();
    tail.follow(group.leader().stdout.take(), "stdout");
    tail.follow(group.leader().stderr.take(), "stderr");
    // On an error the group is dropped, which kills whatever the command forked before it gave up.
    wait_until_listening(&mut group, &tail, listen, startup).await?;
    Ok(LaunchedProxy {
        addr: listen,
        kept: Kept::Process { group, tail },
    })
}

/// Polls until the proxy accepts a TCP connection, exits, or `startup` passes.
async fn wait_until_listening(
    group: &mut ProcessGroup,
    tail: &OutputTail,
    listen: SocketAddr,
    startup: Duration,
) -> Result<(), LaunchError> {
    let deadline = Instant::now() + startup;
    loop {
        if let Ok(Some(status)) = group.leader().try_wait() {
            // Give the output readers a moment to collect the last words.
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Err(LaunchError::Exited {
                status: status.to_string(),
                listen,
                tail: tail.lines(),
            });
        }
        let attempt = tokio::time::timeout(Duration::from_millis(500), RealNet.connect(listen));
        // Connected, and still alive: it is the proxy listening (not someone else on a reused port).
        if let Ok(Ok(_connection)) = attempt.await
            && matches!(group.leader().try_wait(), Ok(None))
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(LaunchError::NeverListened {
                listen,
                after: startup,
                tail: tail.lines(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The last lines a child printed on stdout and stderr.
#[derive(Debug, Clone, Default)]
struct OutputTail(Arc<Mutex<VecDeque<String>>>);

impl OutputTail {
    fn follow(&self, pipe: Option<impl AsyncRead + Unpin + Send + 'static>, stream: &'static str) {
        let Some(pipe) = pipe else { return };
        let tail = self.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tail.push(format!("{stream}| {line}"));
            }
        });
    }

    fn push(&self, line: String) {
        let mut lines = self
            .0
            .lock()
            .expect("output tail lock is never poisoned: no panics while held");
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("output tail lock is never poisoned: no panics while held")
            .iter()
            .cloned()
            .collect()
    }
}
