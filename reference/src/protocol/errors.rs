//! Error answers of the contract: a status, a stable code, and a message a person can act on.

use serde::{Deserialize, Serialize};

/// The `error` field of every error answer; each code has exactly one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    LicenseNotRegistered,
    StatementNotAccepted,
    StatisticsNotAllowed,
    TooLarge,
    RateLimited,
    UpstreamUnavailable,
    Unavailable,
    UpstreamTimeout,
}

impl ErrorCode {
    /// The HTTP status that carries this code.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::LicenseNotRegistered => 401,
            Self::StatementNotAccepted | Self::StatisticsNotAllowed => 403,
            Self::TooLarge => 413,
            Self::RateLimited => 429,
            Self::UpstreamUnavailable => 502,
            Self::Unavailable => 503,
            Self::UpstreamTimeout => 504,
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::LicenseNotRegistered => "license_not_registered",
            Self::StatementNotAccepted => "statement_not_accepted",
            Self::StatisticsNotAllowed => "statistics_not_allowed",
            Self::TooLarge => "too_large",
            Self::RateLimited => "rate_limited",
            Self::UpstreamUnavailable => "upstream_unavailable",
            Self::Unavailable => "unavailable",
            Self::UpstreamTimeout => "upstream_timeout",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"error":"<code>","message":"<text>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }

    /// The body as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an ErrorBody always serializes: two strings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_json_with_its_wire_name() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::LicenseNotRegistered,
            ErrorCode::StatementNotAccepted,
            ErrorCode::StatisticsNotAllowed,
            ErrorCode::TooLarge,
            ErrorCode::RateLimited,
            ErrorCode::UpstreamUnavailable,
            ErrorCode::Unavailable,
            ErrorCode::UpstreamTimeout,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn statuses_follow_the_contract_table() {
        assert_eq!(ErrorCode::LicenseNotRegistered.status(), 401);
        assert_eq!(ErrorCode::StatisticsNotAllowed.status(), 403);
        assert_eq!(ErrorCode::UpstreamTimeout.status(), 504);
    }
}
