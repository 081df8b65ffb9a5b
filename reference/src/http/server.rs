//! The server loop: accept on a [`Listener`], optionally terminate TLS, speak HTTP/1.1 with hyper, hand each
//! request (body already read, within limits and time) to a [`Handler`].
//!
//! Bad input never takes the server down: an oversized body gets 413, a request hyper cannot parse gets
//! 400, 414 or 431 with the contract's JSON body (`error_bodies`), a client that is too slow to send or
//! stops reading its answers (`write_stall`) gets its connection closed, and every connection runs in its
//! own task (PX-ERR-2).

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::accept_backoff::AcceptBackoff;
use super::answer::{Answer, error_answer};
use super::body_budget::{BodyBudget, BodyRefused};
use super::error_bodies::ErrorBodies;
use super::write_stall::WriteStall;
use crate::net::{BoxConnection, Listener};
use crate::protocol::{ErrorCode, MAX_BODY_BYTES, header};

/// A request as handlers see it: the body is already complete.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub peer: SocketAddr,
}

impl IncomingRequest {
    /// A header's value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What a server does with each request.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, request: IncomingRequest) -> Answer;

    /// A request the server answered itself, before its body was read whole (413 for a body over
    /// `max_body_bytes`, 503 over the body budget, 400 for a body unreadable or late): `request` carries the
    /// head and an empty body, `answer` what the server will send. A handler that logs what it receives
    /// records it here (a server's access log shows its 413s too); it may add headers. Default: sent as is.
    async fn refused(&self, _request: IncomingRequest, answer: Answer) -> Answer {
        answer
    }
}

/// Limits that protect the server from its clients.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Larger bodies are answered with 413 without being read further.
    pub max_body_bytes: usize,
    /// At most this many bytes of request bodies held at once, over all connections; a body past it gets
    /// 503 with `Retry-After`.
    pub max_buffered_body_bytes: usize,
    /// A client that has not sent its request head by then is disconnected.
    pub header_timeout: Duration,
    /// A client that has not sent its whole body by then gets 400.
    pub body_timeout: Duration,
    /// A client that reads nothing of its answers for this long (a write to it stays blocked) is
    /// disconnected, and what was buffered for it is dropped.
    pub write_timeout: Duration,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// At most this many client connections at once (`None`: no cap); past it new clients wait in the
    /// listen queue. A cap below the open-file limit keeps descriptors for the upstream and for files.
    pub max_connections: Option<usize>,
    /// On shutdown, how long the requests in flight get to finish (the grace period); then they are cut.
    pub drain_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: MAX_BODY_BYTES,
            max_buffered_body_bytes: 64 * MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            max_connections: None,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Tells a running server to stop; cloning gives more receivers.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A trigger and the signal it sets.
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Self(rx))
    }

    /// A signal that never fires (servers that live as long as their task).
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx); // keeps the channel open so that `wait` pends forever
        Self(rx)
    }

    /// Resolves once shutdown is asked for (or the trigger is dropped).
    pub async fn wait(&mut self) {
        while !*self.0.borrow_and_update() {
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }
}

/// Serves `handler` on `listener` until `shutdown` fires; then stops accepting (the listener is closed, so
/// new clients are refused), lets every request in flight finish and closes idle connections, all within
/// `drain_timeout`, and cuts what is still open after that.
pub async fn serve(
    listener: Box<dyn Listener>,
    tls: Option<TlsAcceptor>,
    handler: Arc<dyn Handler>,
    options: ServerOptions,
    mut shutdown: Shutdown,
) -> io::Result<()> {
    let budget = BodyBudget::new(options.max_buffered_body_bytes);
    let options = Arc::new(options);
    let max_connections = options.max_connections.unwrap_or(usize::MAX).max(1);
    let mut connections = JoinSet::new();
    let mut backoff = AcceptBackoff::default();
    let mut said_full = false;
    loop {
        let room = connections.len() < max_connections;
        if !room && !said_full {
            said_full = true;
            tracing::warn!(
                "{max_connections} client connections open, the most allowed (max_connections): new clients \
                 wait in the listen queue until one closes (said once)"
            );
        }
        let accepted = tokio::select! {
            biased;
            _ = shutdown.wait() => break,
            accepted = listener.accept(), if room => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff.succeeded();
                let connection = serve_connection(
                    stream,
                    peer,
                    tls.clone(),
                    handler.clone(),
                    (options.clone(), budget.clone()),
                    shutdown.clone(),
                );
                connections.spawn(connection);
            }
            Err(err) => {
                let pause = backoff.failed(&err);
                if !pause.is_zero() {
                    tokio::select! {
                        biased;
                        _ = shutdown.wait() => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                }
            }
        }
    }
    drop(listener);
    let in_flight = connections.len();
    let drained = tokio::time::timeout(options.drain_timeout, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        tracing::warn!(
            "{} of {in_flight} connections still open after the drain timeout of {:?}: cut",
            connections.len(),
            options.drain_timeout
        );
        connections.abort_all();
    }
    Ok(())
}

async fn serve_connection(
    stream: BoxConnection,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    handler: Arc<dyn Handler>,
    (options, budget): (Arc<ServerOptions>, BodyBudget),
    mut shutdown: Shutdown,
) {
    let stream: BoxConnection = match tls {
        None => stream,
        Some(acceptor) => {
            let handshake = tokio::time::timeout(options.handshake_timeout, acceptor.accept(stream));
            let handshake = tokio::select! {
                biased;
                done = handshake => done,
                () = shutdown.wait() => return,
            };
            match handshake {
                Ok(Ok(tls_stream)) => Box::new(tls_stream),
                Ok(Err(err)) => return tracing::debug!("TLS handshake with {peer} failed: {err}"),
                Err(_) => return tracing::debug!("TLS handshake with {peer} timed out"),
            }
        }
    };
    let (header_timeout, write_timeout) = (options.header_timeout, options.write_timeout);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let (handler, options, budget) = (handler.clone(), options.clone(), budget.clone());
        async move {
            let response = respond(request, peer, handler.as_ref(), &options, &budget).await;
            Ok::<_, Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .auto_date_header(false)
        .header_read_timeout(header_timeout)
        .serve_connection(
            TokioIo::new(ErrorBodies::new(WriteStall::new(stream, write_timeout))),
            service,
        );
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        biased;
        result = connection.as_mut() => result,
        () = shutdown.wait() => {
            // The request in flight (if any) is answered; then the connection closes instead of idling.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!("connection from {peer} ended: {err}");
    }
}

type ResponseBody = BoxBody<Bytes, io::Error>;

async fn respond(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    handler: &dyn Handler,
    options: &ServerOptions,
    budget: &BodyBudget,
) -> hyper::Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let mut incoming = IncomingRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: Bytes::new(),
        peer,
    };
    let collected = tokio::time::timeout(options.body_timeout, budget.collect(body, options.max_body_bytes));
    let refusal = match collected.await {
        Ok(Ok(held)) => Ok(held),
        Ok(Err(BodyRefused::TooLarge)) => {
            let message = format!("request body is over {} bytes: split it", options.max_body_bytes);
            Err(error_answer(ErrorCode::TooLarge, message))
        }
        Ok(Err(BodyRefused::OverBudget { total })) => {
            let message = format!(
                "the server holds {total} bytes of request bodies already (max_buffered_body_bytes): retry shortly"
            );
            Err(error_answer(ErrorCode::Unavailable, message).with_header(header::RETRY_AFTER, "1"))
        }
        Ok(Err(BodyRefused::Unreadable(err))) => Err(error_answer(
            ErrorCode::BadRequest,
            format!("request body unreadable: {err}"),
        )),
        Err(_) => {
            let message = "request body did not arrive in time: send it at once";
            Err(error_answer(ErrorCode::BadRequest, message))
        }
    };
    let body = match refusal {
        Ok(held) => held,
        Err(answer) => return into_response(handler.refused(incoming, answer).await),
    };
    incoming.body = body.bytes.clone();
    // The body's share of the budget is given back once the request is answered.
    let answer = handler.handle(incoming).await;
    drop(body);
    into_response(answer)
}

/// A hyper response from an [`Answer`]; `cut_after` makes the body break off, closing the connection.
fn into_response(answer: Answer) -> hyper::Response<ResponseBody> {
    let body: ResponseBody = match answer.cut_after {
        None => Full::new(answer.body)
            .map_err(|never: Infallible| match never {})
            .boxed(),
        Some(keep) => {
            let head = answer.body.slice(..keep.min(answer.body.len()));
            let frames: Vec<Result<Frame<Bytes>, io::Error>> = vec![
                Ok(Frame::data(head)),
                Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "answer cut off on purpose",
                )),
            ];
            StreamBody::new(futures::stream::iter(frames)).boxed()
        }
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    response
}
