//! Faults a mock KSN server can be switched into at run time, to test how clients and proxies cope
//! (PX-ERR-1, PX-STAT-1, PX-STALE-1, EP-RATE-1, EP-STAT-1). They apply to API calls, never to `/_mock/`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// How long a hanging server keeps a request before it finally answers 503: far longer than any client
/// waits, yet finite, so that nothing in a simulation waits forever.
pub const HANG_BOUND: Duration = Duration::from_secs(3600);

/// One fault, as the control API takes it: `{"kind":"delay","ms":500}`, `{"kind":"unavailable"}`,
/// `{"kind":"rate_limited","retry_after":30}`, `{"kind":"garbage"}`, `{"kind":"wrong_object"}`,
/// `{"kind":"close_mid_answer"}`, `{"kind":"hang"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Wait `ms` milliseconds, then answer normally.
    Delay { ms: u64 },
    /// 503 unavailable (overloaded, maintenance).
    Unavailable,
    /// 429 rate_limited with `Retry-After: retry_after` (seconds).
    RateLimited { retry_after: u64 },
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with a well-formed reputation for another object than the one asked (for a batch, the first
    /// result names another object): an answer that breaks the contract in a way only a reader of the body
    /// sees (PX-CACHE-3, PX-ERR-3). Other calls are answered normally.
    WrongObject,
    /// Do the work (state changes included), then break the answer off halfway and close the connection.
    CloseMidAnswer,
    /// Answer nothing for [`HANG_BOUND`].
    Hang,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Delay { ms } => write!(f, "delay {ms} ms"),
            Self::Unavailable => f.write_str("unavailable"),
            Self::RateLimited { retry_after } => write!(f, "rate limited, retry after {retry_after} s"),
            Self::Garbage => f.write_str("garbage"),
            Self::WrongObject => f.write_str("verdicts for other objects"),
            Self::CloseMidAnswer => f.write_str("close mid-answer"),
            Self::Hang => f.write_str("hang"),
        }
    }
}

/// The body a `garbage` fault sends with its 200.
pub const GARBAGE_BODY: &[u8] = b"<html>\x00this is not the KSN contract";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_read_the_documented_json_and_reject_typos() {
        let read = |json: &str| serde_json::from_str::<Fault>(json);
        assert_eq!(
            read(r#"{"kind":"delay","ms":500}"#).unwrap(),
            Fault::Delay { ms: 500 }
        );
        assert_eq!(read(r#"{"kind":"unavailable"}"#).unwrap(), Fault::Unavailable);
        assert_eq!(
            read(r#"{"kind":"rate_limited","retry_after":30}"#).unwrap(),
            Fault::RateLimited { retry_after: 30 }
        );
        assert_eq!(read(r#"{"kind":"garbage"}"#).unwrap(), Fault::Garbage);
        assert_eq!(read(r#"{"kind":"wrong_object"}"#).unwrap(), Fault::WrongObject);
        assert_eq!(
            read(r#"{"kind":"close_mid_answer"}"#).unwrap(),
            Fault::CloseMidAnswer
        );
        assert_eq!(read(r#"{"kind":"hang"}"#).unwrap(), Fault::Hang);
        assert!(read(r#"{"kind":"delay","msec":5}"#).is_err());
        assert!(read(r#"{"kind":"explode"}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Fault::Delay { ms: 5 }).unwrap(),
            r#"{"kind":"delay","ms":5}"#
        );
    }

    #[test]
    fn each_fault_reads_as_what_it_does() {
        let shown = [
            Fault::Delay { ms: 500 },
            Fault::Unavailable,
            Fault::RateLimited { retry_after: 30 },
            Fault::Garbage,
            Fault::WrongObject,
            Fault::CloseMidAnswer,
            Fault::Hang,
        ]
        .map(|fault| fault.to_string());
        assert_eq!(
            shown,
            [
                "delay 500 ms",
                "unavailable",
                "rate limited, retry after 30 s",
                "garbage",
                "verdicts for other objects",
                "close mid-answer",
                "hang",
            ]
        );
    }
}
