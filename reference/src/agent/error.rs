//! Why the agent did not do what was asked. Refusals by its own rules (mode, consent, task state) are kept
//! apart from failures of the network or the servers, so that a trace says which it was.

use std::time::Duration;

use super::consent::ConsentError;
use super::dns::ResolveError;
use super::statistics_files::StatisticsFileError;
use super::task::TaskError;
use crate::http::ClientError;
use crate::protocol::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    // The agent's own rules: nothing was sent.
    #[error("the KSN Statement is not accepted: no KSN traffic")]
    StatementNotAccepted,
    #[error("acceptance of the KSN Statement was withdrawn for {0}: nothing of that kind is sent")]
    Withdrawn(&'static str),
    #[error("participation mode {mode} does not send {what}")]
    ModeForbids { mode: &'static str, what: &'static str },
    #[error("the KSN Usage task is {0}: no data is exchanged")]
    TaskNotRunning(&'static str),
    #[error("KSN rate limits this client for another {0:?} (enabled with restrictions): nothing sent")]
    Restricted(Duration),
    #[error(transparent)]
    Consent(#[from] ConsentError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error("cannot queue statistics: {0}")]
    QueueFull(#[from] super::queue::QueueFull),

    // The network and the servers.
    #[error(transparent)]
    Dns(#[from] ResolveError),
    #[error("KSN proxy unavailable and direct use of KSN servers is not allowed: {0}")]
    ProxyUnavailable(ClientError),
    #[error(transparent)]
    Transport(#[from] ClientError),
    #[error("KSN answered 429 rate_limited: retry after {0:?}")]
    RateLimited(Duration),
    #[error("KSN answered {status} {}: {}", .body.error, .body.message)]
    Refused { status: u16, body: ErrorBody },
    #[error("KSN answered {status} with a body that is not the contract's: {detail}")]
    Garbage { status: u16, detail: String },

    // The device.
    #[error(transparent)]
    StatisticsFile(#[from] StatisticsFileError),
    #[error("cannot persist the agent's state: {0}")]
    Store(std::io::Error),
}

impl AgentError {
    /// The contract error code, when a server refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused { body, .. } => Some(body.error),
            Self::RateLimited(_) => Some(ErrorCode::RateLimited),
            _ => None,
        }
    }

    /// True when nothing left the device because of the agent's own rules.
    pub fn refused_locally(&self) -> bool {
        matches!(
            self,
            Self::StatementNotAccepted
                | Self::Withdrawn(_)
                | Self::ModeForbids { .. }
                | Self::TaskNotRunning(_)
                | Self::Restricted(_)
        )
    }
}
