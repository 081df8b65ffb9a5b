//! Why the proxy could not give the upstream's answer, and how each reason maps onto the wire contract.
//! This is the one place where proxy failures become statuses and error codes.

use std::time::Duration;

use crate::http::{Answer, ClientError, ServerUrl, error_answer};
use crate::protocol::{ErrorCode, ProtocolError};

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The client's request breaks the contract (PX-ERR-2).
    #[error("{0}")]
    BadRequest(#[from] ProtocolError),
    /// The upstream could not be reached (name, connection) (PX-ERR-1).
    #[error("upstream {upstream} unreachable: {detail}")]
    UpstreamUnreachable { upstream: ServerUrl, detail: String },
    /// The upstream's certificate was not trusted or not for its name: nothing was sent (PX-TLS-1).
    #[error("upstream {upstream} failed TLS verification, nothing was sent: {detail}")]
    UpstreamTls { upstream: ServerUrl, detail: String },
    /// The upstream answered something that is not the contract.
    #[error("upstream {upstream} sent an answer that breaks the contract: {detail}")]
    UpstreamGarbage { upstream: ServerUrl, detail: String },
    /// The upstream did not answer within the bound (PX-ERR-1).
    #[error("upstream {upstream} did not answer within {after:?}")]
    UpstreamTimeout { upstream: ServerUrl, after: Duration },
}

impl ProxyError {
    /// Classifies a failed exchange with the upstream.
    pub fn from_client(upstream: &ServerUrl, err: ClientError) -> Self {
        let upstream = upstream.clone();
        let detail = err.to_string();
        match err {
            ClientError::Timeout { after, .. } => Self::UpstreamTimeout { upstream, after },
            ClientError::Tls { .. } | ClientError::NoTrust { .. } => Self::UpstreamTls { upstream, detail },
            ClientError::Resolve { .. } | ClientError::Connect { .. } => {
                Self::UpstreamUnreachable { upstream, detail }
            }
            ClientError::Http { .. } | ClientError::AnswerTooLarge { .. } => {
                Self::UpstreamGarbage { upstream, detail }
            }
        }
    }

    pub fn garbage(upstream: &ServerUrl, detail: impl Into<String>) -> Self {
        Self::UpstreamGarbage {
            upstream: upstream.clone(),
            detail: detail.into(),
        }
    }

    /// The error code of the contract.
    pub fn wire(&self) -> ErrorCode {
        match self {
            Self::BadRequest(err) => err.code(),
            Self::UpstreamUnreachable { .. } | Self::UpstreamTls { .. } | Self::UpstreamGarbage { .. } => {
                ErrorCode::UpstreamUnavailable
            }
            Self::UpstreamTimeout { .. } => ErrorCode::UpstreamTimeout,
        }
    }

    /// The answer the client gets.
    pub fn answer(&self) -> Answer {
        error_answer(self.wire(), self.to_string())
    }

    /// True when the upstream is down or silent, so that a stale answer may stand in (PX-STALE-1).
    pub fn upstream_down(&self) -> bool {
        !matches!(self, Self::BadRequest(_))
    }
}
