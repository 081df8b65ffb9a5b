//! The KSN Statement: a versioned text that must be accepted before any KSN traffic (EP-STMT-1, SRV-STMT-1).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::ProtocolError;

/// A Statement version, as sent in the `KSN-Statement` header: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatementVersion(pub u32);

impl FromStr for StatementVersion {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err(ProtocolError::bad(format!(
                "KSN-Statement {text:?} is not a Statement version: expected a positive integer such as 3"
            ))),
        }
    }
}

impl fmt::Display for StatementVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `GET /v1/statement` answer: the current Statement and the earlier versions it still honours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub id: String,
    pub version: StatementVersion,
    /// Versions whose acceptance the server still honours (the current one included).
    pub includes: Vec<StatementVersion>,
}

impl Statement {
    pub fn from_json(bytes: &[u8]) -> Result<Self, ProtocolError> {
        super::reputation::parse_json(bytes, "statement answer")
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a Statement always serializes")
    }

    /// Whether a request under `version` is still honoured.
    pub fn honours(&self, version: StatementVersion) -> bool {
        self.version == version || self.includes.contains(&version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_header_must_be_a_positive_integer() {
        assert_eq!("3".parse::<StatementVersion>().unwrap(), StatementVersion(3));
        for bad in ["0", "-1", "v3", "", "3.0"] {
            assert!(bad.parse::<StatementVersion>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn statement_honours_current_and_included_versions_only() {
        let s = Statement {
            id: "x".into(),
            version: StatementVersion(3),
            includes: vec![StatementVersion(2)],
        };
        assert!(s.honours(StatementVersion(3)));
        assert!(s.honours(StatementVersion(2)));
        assert!(!s.honours(StatementVersion(1)));
    }
}
