//! One keep-alive connection of the load generator: plain TCP to a proxy (or TLS to the mock KSN, to measure
//! the upstream's own rate), a request written whole, its answer read and framed without copying the body.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ksnsim_reference::net::{BoxConnection, Net, RealNet};
use rustls::pki_types::ServerName;

use super::wire::{self, FramingError};

/// Largest answer read (head and body): the contract's 1 MiB body limit and room for the head.
const MAX_ANSWER: usize = 1024 * 1024 + 64 * 1024;

/// Where the load goes: plain HTTP, or HTTPS trusting `tls` for the name `localhost`.
#[derive(Clone)]
pub(crate) struct Target {
    pub addr: SocketAddr,
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// Why an exchange failed (the connection is then dropped and made again).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExchangeError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the answer cannot be framed: {0}")]
    Framing(#[from] FramingError),
    #[error("the connection closed before the answer was complete")]
    Closed,
    #[error("the answer is over {MAX_ANSWER} bytes")]
    TooLarge,
}

/// What came back for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answered {
    pub status: u16,
    /// The server closes the connection after this answer.
    pub closes: bool,
}

/// An open connection and the bytes read past the last answer.
pub(crate) struct Connection {
    stream: BoxConnection,
    buf: Vec<u8>,
    filled: usize,
}

impl Connection {
    pub(crate) async fn open(target: &Target) -> Result<Self, ExchangeError> {
        let stream = RealNet.connect(target.addr).await?;
        let stream: BoxConnection = match &target.tls {
            Some(config) => {
                let name = ServerName::try_from("localhost").expect("localhost is a valid server name");
                Box::new(
                    tokio_rustls::TlsConnector::from(config.clone())
                        .connect(name, stream)
                        .await?,
                )
            }
            None => stream,
        };
        Ok(Self {
            stream,
            buf: vec![0; 16 * 1024],
            filled: 0,
        })
    }

    /// Sends `request` and reads its whole answer.
    pub(crate) async fn exchange(&mut self, request: &[u8]) -> Result<Answered, ExchangeError> {
        self.stream.write_all(request).await?;
        self.stream.flush().await?;
        loop {
            if let Some((answered, used)) = self.complete_answer()? {
                self.buf.copy_within(used..self.filled, 0);
                self.filled -= used;
                return Ok(answered);
            }
            self.read_more().await?;
        }
    }

    /// The answer at the start of the buffer and its length, once it is all there.
    fn complete_answer(&self) -> Result<Option<(Answered, usize)>, ExchangeError> {
        let bytes = &self.buf[..self.filled];
        let Some(head) = wire::parse_head(bytes, true)? else {
            return Ok(None);
        };
        let answered = Answered {
            status: head.status,
            closes: head.closes,
        };
        let end = if wire::has_no_body(head.status) {
            Some(head.len)
        } else if head.chunked {
            wire::chunked_end(&bytes[head.len..])?.map(|end| head.len + end)
        } else if let Some(length) = head.content_length {
            (bytes.len() >= head.len + length).then_some(head.len + length)
        } else {
            // Neither length nor chunks: the body runs until the server closes (read_more says when).
            None
        };
        Ok(end.map(|end| (answered, end)))
    }

    async fn read_more(&mut self) -> Result<(), ExchangeError> {
        if self.filled == self.buf.len() {
            if self.buf.len() >= MAX_ANSWER {
                return Err(ExchangeError::TooLarge);
            }
            self.buf.resize((self.buf.len() * 2).min(MAX_ANSWER), 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        if n == 0 {
            return Err(ExchangeError::Closed);
        }
        self.filled += n;
        Ok(())
    }
}
