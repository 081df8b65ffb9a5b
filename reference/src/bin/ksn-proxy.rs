//! `ksn-proxy`: the reference KSN proxy on real sockets.
//!
//! ```text
//! ksn-proxy --listen 127.0.0.1:13111 --upstream https://localhost:8443 --ca ca.pem [--config proxy.toml]
//! ```
//! Prints `listening http://ADDR` once it accepts connections (with `--listen 127.0.0.1:0` the port is
//! picked for it), and shuts down cleanly on SIGTERM or ctrl-c.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::{ServerUrl, Shutdown};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::proxy::{KsnProxy, ProxyConfig, ProxyConfigFile};
use ksnsim_reference::tls;

/// Small allocations on every request, from two runtime threads: mimalloc's thread-local heaps cost less than
/// glibc's malloc there (a quarter of a miss's CPU went to it under `ksnsim bench proxy`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The reference KSN proxy: relays and caches KSN requests for devices without Internet access.
#[derive(Debug, Parser)]
#[command(name = "ksn-proxy", version)]
struct Args {
    /// Address to accept clients on (plain HTTP); port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:13111")]
    listen: SocketAddr,
    /// The KSN server, or the next proxy of a chain: http://HOST:PORT or https://HOST:PORT.
    #[arg(long)]
    upstream: ServerUrl,
    /// PEM file of the CA that signs the upstream's certificate (required for an https upstream).
    #[arg(long)]
    ca: Option<PathBuf>,
    /// TOML file with further settings (upstream_timeout_ms, cache_capacity, stale_grace_seconds, ...).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Bound on one upstream exchange, in milliseconds (overrides the config file).
    #[arg(long)]
    upstream_timeout_ms: Option<u64>,
    /// Most verdicts kept in the cache (overrides the config file; 0 disables the cache).
    #[arg(long)]
    cache_capacity: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Config(#[from] ksnsim_reference::proxy::ConfigError),
    #[error("cannot read the CA file {path}: {source}")]
    Ca { path: String, source: std::io::Error },
    #[error("the CA file {path} is not usable: {source}")]
    CaPem {
        path: String,
        source: tls::TlsSetupError,
    },
    #[error("the upstream {0} is https: pass --ca with the CA that signs its certificate")]
    MissingCa(ServerUrl),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

fn configure(args: &Args) -> Result<(ProxyConfig, Option<std::sync::Arc<rustls::ClientConfig>>), StartError> {
    let mut config = ProxyConfig::new(args.upstream.clone());
    if let Some(path) = &args.config {
        config.apply_file(&ProxyConfigFile::load(path)?);
    }
    if let Some(ms) = args.upstream_timeout_ms {
        config.upstream_timeout = Duration::from_millis(ms);
    }
    if let Some(n) = args.cache_capacity {
        config.cache_capacity = n;
    }
    if config.server.max_connections.is_none()
        && let Some(limit) = open_file_limit()
    {
        // Each kept idle upstream connection holds a descriptor too.
        let pooled = u64::try_from(config.upstream_pool.max_idle).unwrap_or(u64::MAX);
        config.server.max_connections = Some(ProxyConfig::max_connections_for(limit.saturating_sub(pooled)));
    }
    let trust = match &args.ca {
        Some(path) => {
            let shown = path.display().to_string();
            let pem = std::fs::read_to_string(path).map_err(|source| StartError::Ca {
                path: shown.clone(),
                source,
            })?;
            Some(
                tls::client_config(&pem, SystemClock::shared())
                    .map_err(|source| StartError::CaPem { path: shown, source })?,
            )
        }
        None if args.upstream.tls => return Err(StartError::MissingCa(args.upstream.clone())),
        None => None,
    };
    Ok((config, trust))
}

/// The soft limit on open files, if the system has one.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn run(args: Args) -> Result<(), StartError> {
    let (config, trust) = configure(&args)?;
    let net = RealNet::shared();
    let listener = net
        .listen(args.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: args.listen,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| StartError::Listen {
        addr: args.listen,
        source,
    })?;
    let proxy = KsnProxy::new(config, net, trust);
    let (stop, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        ksnsim_reference::process::shutdown_signal().await;
        let _ = stop.send(true);
    });
    if let Some(max) = proxy.config().server.max_connections {
        tracing::info!("at most {max} client connections at once (max_connections)");
    }
    println!("listening http://{bound}");
    if let Err(err) = proxy.serve(listener, None, shutdown).await {
        eprintln!("ksn-proxy: server stopped: {err}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    ksnsim_reference::process::init_logging();
    ksnsim_reference::process::run_main("ksn-proxy", run(args))
}
