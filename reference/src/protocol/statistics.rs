//! Statistics uploads (extended mode only): free-form records, counted once per Idempotency-Key.

use serde::{Deserialize, Serialize};

use super::{MAX_STATISTICS_RECORDS, ProtocolError};

/// One statistics record: a JSON object whose fields the contract leaves open.
pub type StatisticsRecord = serde_json::Map<String, serde_json::Value>;

/// `POST /v1/statistics` body: 1 to 1000 records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsBatch {
    pub records: Vec<StatisticsRecord>,
}

impl StatisticsBatch {
    /// Parses and checks the record count (0 is a bad request, over 1000 is too large).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let batch: Self = super::reputation::parse_json(bytes, "statistics upload")?;
        match batch.records.len() {
            0 => Err(ProtocolError::bad(
                "statistics upload has no records: send 1 to 1000",
            )),
            n if n > MAX_STATISTICS_RECORDS => Err(ProtocolError::TooLarge(format!(
                "statistics upload has {n} records; the limit is {MAX_STATISTICS_RECORDS}: split it"
            ))),
            _ => Ok(batch),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a StatisticsBatch always serializes: it came from JSON")
    }
}

/// `202 {"accepted":N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsAccepted {
    pub accepted: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_must_be_objects_and_within_limits() {
        assert_eq!(
            StatisticsBatch::from_json(br#"{"records":[{"a":1}]}"#)
                .unwrap()
                .records
                .len(),
            1
        );
        assert!(StatisticsBatch::from_json(br#"{"records":[1]}"#).is_err());
        assert!(matches!(
            StatisticsBatch::from_json(br#"{"records":[]}"#),
            Err(ProtocolError::BadRequest(_))
        ));
        let big = format!(r#"{{"records":[{}]}}"#, vec!["{}"; 1001].join(","));
        assert!(matches!(
            StatisticsBatch::from_json(big.as_bytes()),
            Err(ProtocolError::TooLarge(_))
        ));
    }
}
