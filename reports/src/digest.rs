//! Trace files and trace digests: the JSON-lines form of a trace, and the SHA-256 over it that replays compare.
//!
//! The canonical form is one compact JSON object per event, fields in declaration order, each line ending in
//! `\n`. Same events, same bytes, same digest: a replay whose digest differs is nondeterministic (exit 4).

use std::io::{self, BufRead, Write};

use sha2::{Digest, Sha256};

use crate::error::ReportError;
use crate::model::TraceEvent;

/// Writes `events` in the canonical JSON-lines form.
pub fn write_trace_jsonl(events: &[TraceEvent], out: &mut impl Write) -> io::Result<()> {
    for event in events {
        serde_json::to_writer(&mut *out, event)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Reads a JSON-lines trace; blank lines are skipped, and an error names the first line that is not an event.
pub fn read_trace_jsonl(input: &mut impl BufRead) -> Result<Vec<TraceEvent>, ReportError> {
    let mut events = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let line_number = index + 1;
        let line = line.map_err(|err| ReportError::BadTraceLine {
            line: line_number,
            problem: err.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(&line).map_err(|err| ReportError::BadTraceLine {
            line: line_number,
            problem: err.to_string(),
        })?;
        events.push(event);
    }
    Ok(events)
}

/// Lowercase hex SHA-256 of the canonical JSON-lines form of `events`.
pub fn trace_digest(events: &[TraceEvent]) -> String {
    let mut hasher = Sha256::new();
    write_trace_jsonl(events, &mut hasher)
        .expect("serializing strings and integers into a hasher cannot fail");
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;

    fn events() -> Vec<TraceEvent> {
        vec![
            TraceEvent {
                at_ms: 0,
                kind: EventKind::Request,
                from: "endpoint-1".into(),
                to: "dp-proxy".into(),
                summary: "GET /v1/lookup".into(),
            },
            TraceEvent {
                at_ms: 12,
                kind: EventKind::State,
                from: "dp-proxy".into(),
                to: String::new(),
                summary: "cache \"miss\"\n".into(),
            },
        ]
    }

    #[test]
    fn canonical_form_is_one_compact_object_per_line() {
        let mut out = Vec::new();
        write_trace_jsonl(&events(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"at_ms":0,"kind":"request","from":"endpoint-1","to":"dp-proxy","summary":"GET /v1/lookup"}"#,
                "\n",
                r#"{"at_ms":12,"kind":"state","from":"dp-proxy","to":"","summary":"cache \"miss\"\n"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn digest_is_stable_and_sensitive() {
        let digest = trace_digest(&events());
        assert_eq!(digest, trace_digest(&events()));
        assert_eq!(digest.len(), 64);
        assert!(
            digest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let mut changed = events();
        changed[1].at_ms = 13;
        assert_ne!(digest, trace_digest(&changed));
        // The empty trace hashes the empty string.
        assert_eq!(
            trace_digest(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn jsonl_round_trips() {
        let mut out = Vec::new();
        write_trace_jsonl(&events(), &mut out).unwrap();
        assert_eq!(read_trace_jsonl(&mut out.as_slice()).unwrap(), events());
    }

    #[test]
    fn a_bad_line_is_named() {
        let mut out = Vec::new();
        write_trace_jsonl(&events(), &mut out).unwrap();
        out.extend_from_slice(
            b"\n{\"at_ms\":5,\"kind\":\"teleport\",\"from\":\"a\",\"to\":\"\",\"summary\":\"\"}\n",
        );
        let err = read_trace_jsonl(&mut out.as_slice()).unwrap_err();
        match &err {
            ReportError::BadTraceLine { line, problem } => {
                assert_eq!(*line, 4);
                assert!(problem.contains("teleport"), "{problem}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().starts_with("trace line 4:"), "{err}");
    }
}
