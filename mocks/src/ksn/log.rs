//! The request log of a mock KSN server: every API call it received, what it carried and what it answered.
//! Tests and the harness read it to check what reached the server (PX-CACHE-1, PX-AUTH-1, PX-TLS-1, ...).

use serde::{Deserialize, Serialize};

use super::faults::Fault;

/// One API request, as the server saw it. Header values are as received (`None` when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedRequest {
    /// 1, 2, 3, ... in order of arrival, never reused (not even after the log is cleared).
    pub seq: u64,
    /// Milliseconds since the server started serving, or, when it is driven through `MockKsn::handler`, since
    /// its first request (monotonic `tokio::time`; simulated time under turmoil).
    pub at_ms: u64,
    /// Who connected (`ip:port`).
    pub peer: String,
    pub method: String,
    /// Path and query, as received.
    pub path: String,
    pub client: Option<String>,
    pub mode: Option<String>,
    pub statement: Option<String>,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    /// The status answered; `None` while the request is in progress (or hanging).
    pub status: Option<u16>,
    /// Records in a statistics upload.
    pub records: Option<usize>,
    /// Objects in a batch lookup.
    pub objects: Option<usize>,
    /// The fault in force when the request arrived.
    pub fault: Option<Fault>,
}

impl LoggedRequest {
    /// True for a request whose path (without query) is `path` or starts with `path` when it ends in `/`.
    pub fn is(&self, path: &str) -> bool {
        let own = self.path.split('?').next().unwrap_or_default();
        if path.ends_with('/') {
            own.starts_with(path)
        } else {
            own == path
        }
    }
}
