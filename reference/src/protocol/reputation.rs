//! Reputation answers, batch lookups and ping: what an endpoint learns about an object.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::objects::ObjectRef;
use super::{MAX_BATCH_OBJECTS, ProtocolError};

/// What KSN knows of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Trusted,
    Riskware,
    Untrusted,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Riskware => "riskware",
            Self::Untrusted => "untrusted",
            Self::Unknown => "unknown",
        }
    }
}

impl FromStr for Verdict {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "trusted" => Ok(Self::Trusted),
            "riskware" => Ok(Self::Riskware),
            "untrusted" => Ok(Self::Untrusted),
            "unknown" => Ok(Self::Unknown),
            other => Err(ProtocolError::bad(format!(
                "verdict {other:?} is not one of trusted, riskware, untrusted, unknown"
            ))),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which KSN gave the verdict; also which kind of KSN a server or proxy serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Global,
    Private,
}

/// Global KSN or Private KSN (KPSN); the same two values as [`Source`].
pub type KsnType = Source;

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Private => "private",
        }
    }
}

impl FromStr for Source {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "global" => Ok(Self::Global),
            "private" => Ok(Self::Private),
            other => Err(ProtocolError::bad(format!(
                "KSN type {other:?} is not global or private"
            ))),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"object":..., "verdict":..., "source":..., "ttl":<seconds>}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reputation {
    pub object: ObjectRef,
    pub verdict: Verdict,
    pub source: Source,
    /// Seconds the answer may be reused for.
    pub ttl: u64,
}

impl Reputation {
    pub fn from_json(bytes: &[u8]) -> Result<Self, ProtocolError> {
        parse_json(bytes, "reputation answer")
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a Reputation always serializes: strings and numbers")
    }
}

/// `POST /v1/reputation/batch` body: 1 to 100 objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub objects: Vec<ObjectRef>,
}

impl BatchRequest {
    /// Parses and checks the object count (0 is a bad request, over 100 is too large).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let batch: Self = parse_json(bytes, "batch lookup")?;
        match batch.objects.len() {
            0 => Err(ProtocolError::bad("batch lookup has no objects: send 1 to 100")),
            n if n > MAX_BATCH_OBJECTS => Err(ProtocolError::TooLarge(format!(
                "batch lookup has {n} objects; the limit is {MAX_BATCH_OBJECTS}: split it"
            ))),
            _ => Ok(batch),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a BatchRequest always serializes")
    }
}

/// `{"results":[Reputation, ...]}`, in the order of the request's objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchAnswer {
    pub results: Vec<Reputation>,
}

impl BatchAnswer {
    /// Parses an answer and checks that it answers exactly `asked`, in order.
    pub fn from_json_for(bytes: &[u8], asked: &[ObjectRef]) -> Result<Self, ProtocolError> {
        let answer: Self = parse_json(bytes, "batch answer")?;
        let answered: Vec<&ObjectRef> = answer.results.iter().map(|r| &r.object).collect();
        if answered.len() != asked.len() || answered.iter().zip(asked).any(|(a, b)| *a != b) {
            return Err(ProtocolError::bad(format!(
                "batch answer does not answer the {} objects asked, in order ({} results)",
                asked.len(),
                answered.len()
            )));
        }
        Ok(answer)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a BatchAnswer always serializes")
    }
}

/// `GET /v1/ping` answer: `{"ksn":"global"}` or `{"ksn":"private"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    pub ksn: KsnType,
}

/// Parses JSON, turning serde's message into one that names the document and the place.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, ProtocolError> {
    serde_json::from_slice(bytes).map_err(|err| ProtocolError::bad(format!("{what} is not valid: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: u8) -> ObjectRef {
        ObjectRef::File(format!("{n:064x}").parse().unwrap())
    }

    #[test]
    fn reputation_json_is_the_contract_shape() {
        let rep = Reputation {
            object: file(1),
            verdict: Verdict::Untrusted,
            source: Source::Private,
            ttl: 60,
        };
        let json = String::from_utf8(rep.to_json()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"object":{{"file":"{:064x}"}},"verdict":"untrusted","source":"private","ttl":60}}"#,
                1
            )
        );
        assert_eq!(Reputation::from_json(json.as_bytes()).unwrap(), rep);
    }

    #[test]
    fn batch_limits_are_enforced_with_the_right_error() {
        let empty = br#"{"objects":[]}"#;
        assert!(matches!(
            BatchRequest::from_json(empty),
            Err(ProtocolError::BadRequest(_))
        ));
        let big = BatchRequest {
            objects: (0..101).map(|n| file(n as u8)).collect(),
        }
        .to_json();
        assert!(matches!(
            BatchRequest::from_json(&big),
            Err(ProtocolError::TooLarge(_))
        ));
        let ok = BatchRequest {
            objects: (0..100).map(|n| file(n as u8)).collect(),
        }
        .to_json();
        assert_eq!(BatchRequest::from_json(&ok).unwrap().objects.len(), 100);
    }

    #[test]
    fn malformed_json_names_the_document() {
        let err = BatchRequest::from_json(b"{not json").unwrap_err();
        assert!(err.to_string().starts_with("batch lookup is not valid"), "{err}");
    }

    #[test]
    fn batch_answer_must_answer_what_was_asked_in_order() {
        let asked = vec![file(1), file(2)];
        let rep = |o: ObjectRef| Reputation {
            object: o,
            verdict: Verdict::Trusted,
            source: Source::Global,
            ttl: 1,
        };
        let good = BatchAnswer {
            results: vec![rep(file(1)), rep(file(2))],
        }
        .to_json();
        assert!(BatchAnswer::from_json_for(&good, &asked).is_ok());
        let swapped = BatchAnswer {
            results: vec![rep(file(2)), rep(file(1))],
        }
        .to_json();
        assert!(BatchAnswer::from_json_for(&swapped, &asked).is_err());
    }
}
