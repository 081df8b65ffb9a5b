//! `ksn-mock`: mock Global and/or Private KSN servers on real sockets, for proxy vendors and field engineers.
//!
//! ```text
//! ksn-mock --global 127.0.0.1:0 --private 127.0.0.1:0 --pki DIR [--db FILE] [--license KEY]... [--ttl SECONDS]
//! ```
//! Makes a test PKI (certificates for localhost, 127.0.0.1 and ::1), writes `DIR/ca.pem`, and prints
//! `listening global https://ADDR` / `listening private https://ADDR` once each server accepts connections.
//! On SIGTERM or ctrl-c it stops accepting, lets the requests in flight finish (at most `--shutdown-grace-ms`,
//! default 10 s), then exits 0. Bad flags or files: a message on stderr and exit code 2.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ksnsim_mocks::{MockKsn, ReputationDb, Running, TestPki, Validity};
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::ServerOptions;
use ksnsim_reference::net::{RealNet, SharedNet};
use ksnsim_reference::protocol::{KsnType, LicenseKey};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;

/// Mock Global and Private KSN servers (TLS 1.3, wire contract v1) with a `/_mock/` control API.
#[derive(Debug, Parser)]
#[command(name = "ksn-mock", version)]
struct Args {
    /// Run a Global KSN on this address (port 0 picks a free one).
    #[arg(long)]
    global: Option<SocketAddr>,
    /// Run a Private KSN on this address (port 0 picks a free one).
    #[arg(long)]
    private: Option<SocketAddr>,
    /// Directory to write the CA certificate to (DIR/ca.pem); created if missing.
    #[arg(long)]
    pki: PathBuf,
    /// Reputation database (JSON: default_ttl, global and local entries).
    #[arg(long)]
    db: Option<PathBuf>,
    /// A license key the Private KSN accepts; repeat for more.
    #[arg(long = "license", value_name = "KEY")]
    licenses: Vec<LicenseKey>,
    /// The ttl of verdicts that name none, in seconds (overrides the database's default_ttl).
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<u64>,
    /// Seed of the PKI keys and Statement ids.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// On SIGTERM or ctrl-c, how long requests in flight get to finish before the mock exits anyway.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    shutdown_grace_ms: u64,
}

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("nothing to run: pass --global ADDR, --private ADDR, or both")]
    NoServer,
    #[error(transparent)]
    Db(#[from] ksnsim_mocks::DbError),
    #[error(transparent)]
    Pki(#[from] ksnsim_mocks::PkiError),
    #[error("the generated certificate was not accepted: {0}")]
    Tls(#[from] tls::TlsSetupError),
    #[error("cannot listen on {addr} for the {kind:?} KSN: {source}")]
    Listen {
        addr: SocketAddr,
        kind: KsnType,
        source: std::io::Error,
    },
}

async fn run(args: Args) -> Result<(), StartError> {
    if args.global.is_none() && args.private.is_none() {
        return Err(StartError::NoServer);
    }
    let mut db = match &args.db {
        Some(path) => ReputationDb::load(path)?,
        None => ReputationDb::default(),
    };
    if let Some(ttl) = args.ttl {
        db.set_default_ttl(ttl);
    }
    let clock = SystemClock::shared();
    let validity = Validity::around(clock.now(), 365);
    let pki = TestPki::generate(args.seed, &["localhost", "127.0.0.1", "::1"], validity)?;
    pki.write_ca(&args.pki)?;
    let tls = tls::server_config(&pki.server.chain_pem, &pki.server.key_pem, clock.clone())?;
    let net = RealNet::shared();
    let rng = SharedRng::seeded(args.seed);
    let options = ServerOptions {
        drain_timeout: Duration::from_millis(args.shutdown_grace_ms),
        ..ServerOptions::default()
    };
    let mut servers = Vec::new();
    for (kind, addr) in [(KsnType::Global, args.global), (KsnType::Private, args.private)] {
        let Some(addr) = addr else { continue };
        let mock = MockKsn::new(kind, rng.fork(), clock.clone());
        mock.set_db(db.clone());
        for key in &args.licenses {
            mock.register_license(key);
        }
        servers.push(start(&net, &mock, addr, tls.clone(), &options).await?);
    }
    ksnsim_reference::process::shutdown_signal().await;
    // All servers drain at once, so that the grace period bounds the whole stop.
    let mut stopping = tokio::task::JoinSet::new();
    for server in servers {
        stopping.spawn(server.stop());
    }
    while let Some(stopped) = stopping.join_next().await {
        if let Ok(Err(err)) = stopped {
            eprintln!("ksn-mock: server stopped with an error: {err}");
        }
    }
    Ok(())
}

async fn start(
    net: &SharedNet,
    mock: &MockKsn,
    addr: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    options: &ServerOptions,
) -> Result<Running, StartError> {
    let kind = mock.kind();
    let listen_error = |source| StartError::Listen { addr, kind, source };
    let listener = net.listen(addr).await.map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    let (serving, options) = (mock.clone(), options.clone());
    let running = Running::spawn(bound, move |shutdown| async move {
        serving.serve_with(listener, Some(tls), options, shutdown).await
    });
    println!("listening {} https://{}", kind.as_str(), running.addr());
    Ok(running)
}

fn main() -> ExitCode {
    let args = Args::parse();
    ksnsim_reference::process::init_logging();
    ksnsim_reference::process::run_main("ksn-mock", run(args))
}
