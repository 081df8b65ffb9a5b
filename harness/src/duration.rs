//! Durations as people write them in topologies, fault files and scenarios: `500ms`, `30s`, `15m`, `2h`,
//! `1d`, or in words: `15 minutes`, `2 hours`, `1 day`.

use std::time::Duration;

/// A duration that could not be read; says what forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a duration: write a number and a unit, e.g. 500ms, 30s, 15m, 2h, 1d or \"2 hours\"")]
pub struct DurationError {
    pub text: String,
}

pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let fail = || DurationError {
        text: text.to_owned(),
    };
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).ok_or_else(fail)?;
    let (number, unit) = trimmed.split_at(split);
    let n: u64 = number.parse().map_err(|_| fail())?;
    let unit_ms: u64 = match unit.trim() {
        "ms" | "millisecond" | "milliseconds" => 1,
        "s" | "second" | "seconds" => 1000,
        "m" | "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return Err(fail()),
    };
    n.checked_mul(unit_ms).map(Duration::from_millis).ok_or_else(fail)
}

/// The short form, for messages and traces.
pub fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis() as u64;
    match ms {
        0 => "0s".into(),
        _ if ms.is_multiple_of(86_400_000) => format!("{}d", ms / 86_400_000),
        _ if ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
        _ if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_forms_read_alike() {
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("2 hours").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("15 minutes").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1 day").unwrap(), Duration::from_secs(86_400));
        for bad in ["", "h", "2 fortnights", "-1s", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "90m");
    }
}
