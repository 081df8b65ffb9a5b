//! A test program for the conformance suite's own tests (`harness/tests/verdicts`), not a proxy to deploy:
//! a transparent relay that passes every request to its upstream over verified TLS and every answer back
//! unchanged, with no cache. It is what a third-party proxy that only forwards looks like, so the suite's
//! verdicts on such a proxy can be checked: a relayed answer is the upstream's, never the relay's own.
//!
//! `conformance-relay --listen ADDR --upstream https://HOST:PORT --ca FILE [--drop-authorization]`
//! (`--drop-authorization`: the relay loses the tenant's license key, as a misconfigured proxy does).
//! Like many real proxies it refuses a plain `http://` upstream: KSN proxies speak TLS upstream.

use async_trait::async_trait;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::http::{
    Answer, Handler, HttpClient, IncomingRequest, OutgoingRequest, ServerOptions, ServerUrl, Shutdown,
    error_answer, serve,
};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::protocol::ErrorCode;
use ksnsim_reference::tls;

/// How long the relay waits for its upstream (short, so the suite's silent-upstream check is quick).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);
/// The relay takes bodies far over the contract's limit and passes them on: it judges nothing itself.
const MAX_BODY: usize = 8 * 1024 * 1024;
/// Headers that belong to one hop and are not passed on.
const HOP_HEADERS: [&str; 4] = ["host", "content-length", "connection", "transfer-encoding"];

struct Relay {
    client: HttpClient,
    upstream: ServerUrl,
    drop_authorization: bool,
}

#[async_trait]
impl Handler for Relay {
    async fn handle(&self, request: IncomingRequest) -> Answer {
        let path_and_query = match &request.query {
            Some(query) => format!("{}?{query}", request.path),
            None => request.path.clone(),
        };
        let mut outgoing = OutgoingRequest::get(path_and_query);
        outgoing.method = request.method.clone();
        outgoing.body = request.body.clone();
        for (name, value) in &request.headers {
            let name = name.as_str();
            let dropped = HOP_HEADERS.contains(&name) || (self.drop_authorization && name == "authorization");
            if let (false, Ok(value)) = (dropped, value.to_str()) {
                outgoing.headers.push((name.to_owned(), value.to_owned()));
            }
        }
        match self.client.send(&self.upstream, outgoing).await {
            Ok(answer) => answer,
            Err(err) => error_answer(
                ErrorCode::UpstreamUnavailable,
                format!("the upstream failed: {err}"),
            ),
        }
    }
}

struct Args {
    listen: SocketAddr,
    upstream: ServerUrl,
    ca: String,
    drop_authorization: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut listen, mut upstream, mut ca, mut drop_authorization) = (None, None, None, false);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(value()?.parse().map_err(|e| format!("--listen: {e}"))?),
            "--upstream" => {
                let url = value()?;
                if !url.starts_with("https://") {
                    return Err(format!(
                        "--upstream must be https:// (KSN proxies speak TLS upstream), got {url}"
                    ));
                }
                upstream = Some(url.parse().map_err(|e| format!("--upstream: {e}"))?);
            }
            "--ca" => ca = Some(value()?),
            "--drop-authorization" => drop_authorization = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen ADDR is required")?,
        upstream: upstream.ok_or("--upstream https://HOST:PORT is required")?,
        ca: ca.ok_or("--ca FILE is required")?,
        drop_authorization,
    })
}

async fn run(args: Args) -> Result<(), String> {
    let ca = std::fs::read_to_string(&args.ca).map_err(|e| format!("cannot read --ca {}: {e}", args.ca))?;
    let trust =
        tls::client_config(&ca, SystemClock::shared()).map_err(|e| format!("--ca {}: {e}", args.ca))?;
    let net = RealNet::shared();
    let relay = Relay {
        client: HttpClient::new(net.clone(), Some(trust), UPSTREAM_TIMEOUT),
        upstream: args.upstream,
        drop_authorization: args.drop_authorization,
    };
    let listener = net
        .listen(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let options = ServerOptions {
        max_body_bytes: MAX_BODY,
        ..ServerOptions::default()
    };
    serve(listener, None, Arc::new(relay), options, Shutdown::never())
        .await
        .map_err(|e| format!("serving failed: {e}"))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("conformance-relay: {err}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("conformance-relay: no runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("conformance-relay: {err}");
            ExitCode::FAILURE
        }
    }
}
