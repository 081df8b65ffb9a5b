//! A one-request HTTP/1.1 client over [`Net`]: connect, TLS handshake (verifying chain and host name),
//! send, read the whole answer, all within one time bound. Every failure says which step failed.
//!
//! One connection per request by default: simulated TCP has no retransmission, so a partition kills a
//! connection for good, and a fresh connection per exchange makes retries simple and correct. A client
//! [`with_pool`](HttpClient::with_pool) keeps idle keep-alive connections for lookups (see `pool`).

use bytes::Bytes;
use http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsConnector;

use super::answer::Answer;
use super::pool::{ConnectionPool, PoolBounds, PooledConnection};
use crate::net::{BoxConnection, SharedNet};

/// Where a server is: `http://host:port` or `https://host:port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
}

/// A server URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not a server URL: {why} (expected http://HOST:PORT or https://HOST:PORT)")]
pub struct UrlError {
    url: String,
    why: &'static str,
}

impl FromStr for ServerUrl {
    type Err = UrlError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let fail = |why| UrlError {
            url: url.to_owned(),
            why,
        };
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(fail("the scheme must be http or https"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') {
            return Err(fail("a path is not allowed"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| fail("the port is not a number"))?),
            None => (authority, if tls { 443 } else { 80 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(fail("the host is missing"));
        }
        Ok(Self {
            tls,
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// A request to send: the path and query, the headers to set, the body.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    pub method: Method,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl OutgoingRequest {
    pub fn get(path_and_query: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn post(path_and_query: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut request = Self::get(path_and_query);
        request.method = Method::POST;
        request.body = body.into();
        request
            .headers
            .push(("content-type".into(), "application/json".into()));
        request
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Which step of an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not resolve {host}: {source}")]
    Resolve { host: String, source: io::Error },
    #[error("could not connect to {addr}: {source}")]
    Connect { addr: SocketAddr, source: io::Error },
    #[error("{server} is https but no CA was configured to verify it")]
    NoTrust { server: ServerUrl },
    #[error("TLS with {server} failed: {source}")]
    Tls { server: ServerUrl, source: io::Error },
    #[error("HTTP exchange with {server} failed: {source}")]
    Http { server: ServerUrl, source: hyper::Error },
    #[error("{server} sent an answer over {limit} bytes")]
    AnswerTooLarge { server: ServerUrl, limit: usize },
    #[error("{server} did not answer within {after:?}")]
    Timeout { server: ServerUrl, after: Duration },
}

impl ClientError {
    /// True when the peer answered nothing in time (as opposed to failing fast).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

/// Sends one request per connection (or, with a pool, lookups on kept connections), within `timeout` for the
/// whole exchange.
#[derive(Clone)]
pub struct HttpClient {
    net: SharedNet,
    tls: Option<TlsConnector>,
    timeout: Duration,
    max_answer_bytes: usize,
    pool: Option<Arc<ConnectionPool>>,
}

impl HttpClient {
    pub fn new(net: SharedNet, trust: Option<Arc<ClientConfig>>, timeout: Duration) -> Self {
        Self {
            net,
            tls: trust.map(TlsConnector::from),
            timeout,
            max_answer_bytes: 4 * crate::protocol::MAX_BODY_BYTES,
            pool: None,
        }
    }

    /// Keeps up to `bounds.max_idle` idle connections for the lookups of [`send`](Self::send) (0: none).
    pub fn with_pool(mut self, bounds: PoolBounds) -> Self {
        self.pool = ConnectionPool::new(bounds).map(Arc::new);
        self
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Resolves `server.host` through the [`Net`](crate::net::Net) and sends to the first address that connects.
    pub async fn send(&self, server: &ServerUrl, request: OutgoingRequest) -> Result<Answer, ClientError> {
        self.bounded(server, async {
            if let Some(answer) = self.send_reused(server, &request).await {
                return answer;
            }
            let addrs = self
                .net
                .resolve(&server.host, server.port)
                .await
                .map_err(|source| ClientError::Resolve {
                    host: server.host.clone(),
                    source,
                })?;
            let mut last = None;
            for addr in addrs {
                match self.net.connect(addr).await {
                    Ok(stream) => return self.exchange(stream, server, request).await,
                    Err(source) => last = Some(ClientError::Connect { addr, source }),
                }
            }
            Err(last.unwrap_or_else(|| ClientError::Resolve {
                host: server.host.clone(),
                source: io::Error::new(io::ErrorKind::NotFound, "no address"),
            }))
        })
        .await
    }

    /// Sends to a known address, verifying TLS against `server.host` (the endpoint resolves KSN names itself).
    pub async fn send_to(
        &self,
        addr: SocketAddr,
        server: &ServerUrl,
        request: OutgoingRequest,
    ) -> Result<Answer, ClientError> {
        self.bounded(server, async {
            let stream = self
                .net
                .connect(addr)
                .await
                .map_err(|source| ClientError::Connect { addr, source })?;
            self.exchange(stream, server, request).await
        })
        .await
    }

    async fn bounded(
        &self,
        server: &ServerUrl,
        exchange: impl Future<Output = Result<Answer, ClientError>>,
    ) -> Result<Answer, ClientError> {
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(ClientError::Timeout {
                    server: server.clone(),
                    after: self.timeout,
                })
            })
    }

    /// A lookup on an idle pooled connection: `None` when there is none (or no pool, or not a lookup), or when
    /// the kept connection failed under it (the caller then sends it on a fresh one; a lookup may be repeated).
    async fn send_reused(
        &self,
        server: &ServerUrl,
        request: &OutgoingRequest,
    ) -> Option<Result<Answer, ClientError>> {
        let pool = self.pool.as_ref()?;
        let lookup = request.method == Method::GET
            || (request.method == Method::POST && request.path_and_query == "/v1/reputation/batch");
        if !lookup {
            return None;
        }
        let mut kept = pool.take(server)?;
        kept.sender.ready().await.ok()?;
        let answer = self
            .send_on(&mut kept.sender, server, request.clone())
            .await
            .ok()?;
        pool.put(server, kept);
        Some(Ok(answer))
    }

    async fn exchange(
        &self,
        stream: BoxConnection,
        server: &ServerUrl,
        request: OutgoingRequest,
    ) -> Result<Answer, ClientError> {
        let stream = self.secure(stream, server).await?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| ClientError::Http {
                server: server.clone(),
                source,
            })?;
        let driver = tokio::spawn(async move {
            // The connection ends with the exchange (or leaves the pool); its error surfaces through the sender.
            let _ = connection.await;
        });
        let mut connection = PooledConnection { sender, driver };
        let answer = self.send_on(&mut connection.sender, server, request).await;
        // Without a pool (or after a failure) the connection is dropped here, which stops its driver.
        if let (Ok(_), Some(pool)) = (&answer, &self.pool) {
            pool.put(server, connection);
        }
        answer
    }

    /// Sends `request` on `sender` and reads the whole answer.
    async fn send_on(
        &self,
        sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        server: &ServerUrl,
        request: OutgoingRequest,
    ) -> Result<Answer, ClientError> {
        let http = |source| ClientError::Http {
            server: server.clone(),
            source,
        };
        let response = sender
            .send_request(self.build(server, request))
            .await
            .map_err(http)?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, self.max_answer_bytes)
            .collect()
            .await
            .map_err(|err| match err.downcast::<hyper::Error>() {
                Ok(source) => http(*source),
                Err(_) => ClientError::AnswerTooLarge {
                    server: server.clone(),
                    limit: self.max_answer_bytes,
                },
            })?;
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.to_bytes(),
            cut_after: None,
        })
    }

    async fn secure(&self, stream: BoxConnection, server: &ServerUrl) -> Result<BoxConnection, ClientError> {
        if !server.tls {
            return Ok(stream);
        }
        let connector = self.tls.as_ref().ok_or_else(|| ClientError::NoTrust {
            server: server.clone(),
        })?;
        let tls_error = |source| ClientError::Tls {
            server: server.clone(),
            source,
        };
        let name = ServerName::try_from(server.host.clone())
            .map_err(|err| tls_error(io::Error::new(io::ErrorKind::InvalidInput, err)))?;
        let stream = connector.connect(name, stream).await.map_err(tls_error)?;
        Ok(Box::new(stream))
    }

    fn build(&self, server: &ServerUrl, request: OutgoingRequest) -> Request<Full<Bytes>> {
        let mut http_request = Request::new(Full::new(request.body));
        *http_request.method_mut() = request.method;
        *http_request.uri_mut() = request
            .path_and_query
            .parse()
            .unwrap_or_else(|_| http::Uri::from_static("/"));
        let headers = http_request.headers_mut();
        if let Ok(host) = HeaderValue::from_str(&format!("{}:{}", server.host, server.port)) {
            headers.insert(http::header::HOST, host);
        }
        for (name, value) in request.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.append(name, value);
            }
        }
        http_request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Handler, IncomingRequest, Shutdown, json_answer, serve};
    use crate::net::{Net, RealNet};
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    /// A server that answers 200 and notes the client port of every request (one port per connection).
    #[derive(Default)]
    struct Ports(Mutex<Vec<u16>>);

    #[async_trait::async_trait]
    impl Handler for Ports {
        async fn handle(&self, request: IncomingRequest) -> Answer {
            self.0.lock().unwrap().push(request.peer.port());
            json_answer(200, "{}".to_owned())
        }
    }

    async fn connections_used(client: &HttpClient, requests: Vec<OutgoingRequest>) -> (usize, usize) {
        connections_used_at(client, "127.0.0.1:0".parse().unwrap(), requests)
            .await
            .0
    }

    /// Serves on `addr` for `requests`, then stops (closing every connection): (requests, connections) and the
    /// address served on.
    async fn connections_used_at(
        client: &HttpClient,
        addr: SocketAddr,
        requests: Vec<OutgoingRequest>,
    ) -> ((usize, usize), SocketAddr) {
        let listener = RealNet.listen(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server: ServerUrl = format!("http://{addr}").parse().unwrap();
        let ports = Arc::new(Ports::default());
        let (stop, shutdown) = Shutdown::new();
        let serving = tokio::spawn(serve(listener, None, ports.clone(), Default::default(), shutdown));
        let count = requests.len();
        for request in requests {
            assert!(client.send(&server, request).await.unwrap().status.is_success());
        }
        let _ = stop.send(true);
        let _ = serving.await;
        let seen = ports.0.lock().unwrap().clone();
        assert_eq!(seen.len(), count);
        (
            (seen.len(), seen.into_iter().collect::<BTreeSet<_>>().len()),
            addr,
        )
    }

    fn lookups(n: usize) -> Vec<OutgoingRequest> {
        (0..n)
            .map(|i| OutgoingRequest::get(format!("/v1/reputation/file/{i:064x}")))
            .collect()
    }

    #[tokio::test]
    async fn without_a_pool_every_request_gets_a_connection_of_its_own() {
        let client = HttpClient::new(RealNet::shared(), None, Duration::from_secs(5));
        assert_eq!(connections_used(&client, lookups(3)).await, (3, 3));
    }

    #[tokio::test]
    async fn with_a_pool_lookups_reuse_one_connection_and_uploads_never_do() {
        let bounds = PoolBounds {
            max_idle: 4,
            idle_timeout: Duration::from_secs(30),
        };
        let client = HttpClient::new(RealNet::shared(), None, Duration::from_secs(5)).with_pool(bounds);
        assert_eq!(connections_used(&client, lookups(3)).await, (3, 1));
        // A statistics upload after a lookup: the lookup's kept connection is not used for it.
        let upload = OutgoingRequest::post("/v1/statistics", "{\"records\":[]}");
        let (requests, connections) = connections_used(&client, vec![lookups(1).remove(0), upload]).await;
        assert_eq!((requests, connections), (2, 2));
        assert_eq!(client.pool.as_ref().map(|p| p.idle() <= 4), Some(true));
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_closed_is_replaced_by_a_fresh_one() {
        let bounds = PoolBounds {
            max_idle: 4,
            idle_timeout: Duration::from_secs(30),
        };
        let client = HttpClient::new(RealNet::shared(), None, Duration::from_secs(5)).with_pool(bounds);
        // The server stops (closing the kept connection) and comes back on the same address: the next lookups
        // find the kept connection closed and go on a fresh one.
        let (used, addr) = connections_used_at(&client, "127.0.0.1:0".parse().unwrap(), lookups(2)).await;
        assert_eq!(used, (2, 1));
        let (used, _) = connections_used_at(&client, addr, lookups(2)).await;
        assert_eq!(used, (2, 1));
    }

    #[test]
    fn server_urls_parse_with_default_ports_and_reject_paths() {
        let url: ServerUrl = "https://ksn.test:8443".parse().unwrap();
        assert_eq!((url.tls, url.host.as_str(), url.port), (true, "ksn.test", 8443));
        assert_eq!("http://proxy/".parse::<ServerUrl>().unwrap().port, 80);
        assert_eq!(
            "https://[::1]:9".parse::<ServerUrl>().unwrap().to_string(),
            "https://[::1]:9"
        );
        for bad in ["ftp://x", "https://x/v1", "https://:1", "http://x:port"] {
            let err = bad.parse::<ServerUrl>().unwrap_err();
            assert!(err.to_string().contains("expected http://HOST:PORT"), "{err}");
        }
    }
}
