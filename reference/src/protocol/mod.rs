//! The v1 wire contract (`shared/design/wire-protocol.md`) as Rust types: every request, answer and error.
//!
//! Parsing is strict and every failure says what was wrong in words a person can act on; the same types are
//! used by the proxy, the endpoint agent, the mock servers and the conformance checks, so that all of them
//! agree on one reading of the contract.

mod errors;
mod headers;
mod objects;
mod reputation;
mod request;
mod statement;
pub mod statistics;

pub use errors::{ErrorBody, ErrorCode};
pub use headers::{KsnMode, LicenseKey, TenantId, header};
pub use objects::{FileHash, ObjectRef, ObjectUrl};
pub use reputation::{BatchAnswer, BatchRequest, KsnType, Ping, Reputation, Source, Verdict};
pub use request::{ApiRequest, lookup_path};
pub use statement::{Statement, StatementVersion};
pub use statistics::{StatisticsAccepted, StatisticsBatch};

/// Version of the wire contract this code implements.
pub const PROTOCOL_VERSION: u32 = 1;
/// At most this many objects in one batch lookup.
pub const MAX_BATCH_OBJECTS: usize = 100;
/// At most this many records in one statistics upload.
pub const MAX_STATISTICS_RECORDS: usize = 1000;
/// The largest request body anyone on this protocol accepts (a full batch or statistics upload fits easily).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Input that does not follow the contract. The message names the field and what a valid value looks like;
/// it becomes the `message` of a `400 bad_request` (or `413 too_large`) answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Malformed hash, URL, JSON or header.
    #[error("{0}")]
    BadRequest(String),
    /// Over one of the size limits of the contract.
    #[error("{0}")]
    TooLarge(String),
}

impl ProtocolError {
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// The wire error this becomes.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::TooLarge(_) => ErrorCode::TooLarge,
        }
    }

    /// The JSON error body of the answer.
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
    }
}
