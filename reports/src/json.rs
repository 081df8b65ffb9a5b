//! The JSON run report: the file other tools read and `ksnsim report`/`merge` read back.
//!
//! Pretty-printed, two-space indented, fields in the order below, items sorted by id, a final newline; the
//! same report always gives the same bytes. `SCHEMA.md` beside `Cargo.toml` describes it for users.
//!
//! ```text
//! RunReport   format_version: u32 (1), kind: "suite" | "simulation" | "conformance", name: string,
//!             implementation?: string, seed?: u64, catalogue: [Requirement], items: [ItemReport]
//! Requirement id: RequirementId, level: "MUST" | "SHOULD" | "MAY", text: string
//! ItemReport  id: string, name: string, group: string, requirements?: [RequirementId], level?: Level,
//!             verdict: "pass" | "fail" | "not_applicable" | "not_tested" | "error", seed?: u64,
//!             trace_digest?: hex string, replay?: string, failure?: Failure, evidence?: [string],
//!             trace?: [TraceEvent], sim_time_ms?: u64
//! Failure     message: string, requirement?: RequirementId, event?: TraceEvent
//! TraceEvent  at_ms: u64, kind: "request" | "answer" | "dns" | "state" | "fault" | "note",
//!             from: string, to: string, summary: string
//! ```
//! `?` marks a field that is left out when absent or empty. Unknown fields are rejected by name.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use serde::Deserialize;

use crate::error::ReportError;
use crate::model::{FORMAT_VERSION, RunReport};

/// Writes `run` as pretty JSON, items sorted by id, with a final newline.
pub fn write_json(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let mut normalized = run.clone();
    normalized.normalize();
    serde_json::to_writer_pretty(&mut *out, &normalized)?;
    out.write_all(b"\n")
}

/// Reads a JSON run report; errors name the line and column, and a newer `format_version` is refused.
pub fn read_json(input: &mut impl Read) -> Result<RunReport, ReportError> {
    read_from(input, "report")
}

/// Reads the JSON run report at `path`; errors name the path.
pub fn read_json_file(path: &Path) -> Result<RunReport, ReportError> {
    let origin = path.display().to_string();
    let file = File::open(path).map_err(|source| ReportError::Read {
        origin: origin.clone(),
        source,
    })?;
    read_from(&mut BufReader::new(file), &origin)
}

fn read_from(input: &mut impl Read, origin: &str) -> Result<RunReport, ReportError> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|source| ReportError::Read {
            origin: origin.to_owned(),
            source,
        })?;
    check_version(&text, origin)?;
    serde_json::from_str(&text).map_err(|err| bad_json(&err, origin))
}

/// Just enough of a report to learn its version before the strict parse, whose unknown-field errors would
/// otherwise hide that the file is simply newer than this ksnsim.
#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<u32>,
}

fn check_version(text: &str, origin: &str) -> Result<(), ReportError> {
    match serde_json::from_str::<VersionProbe>(text) {
        Ok(VersionProbe {
            format_version: Some(found),
        }) if found == 0 || found > FORMAT_VERSION => Err(ReportError::UnsupportedFormat {
            origin: origin.to_owned(),
            found,
            supported: FORMAT_VERSION,
        }),
        // Anything else, including JSON that does not parse, is for the strict parse to explain.
        _ => Ok(()),
    }
}

fn bad_json(err: &serde_json::Error, origin: &str) -> ReportError {
    ReportError::BadJson {
        origin: origin.to_owned(),
        line: err.line(),
        column: err.column(),
        problem: strip_position(&err.to_string()),
    }
}

/// serde_json appends " at line L column C", which the error already carries in its own fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::fixture;

    fn written(run: &RunReport) -> String {
        let mut out = Vec::new();
        write_json(run, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fixture_json_snapshot() {
        insta::assert_snapshot!(written(&fixture()));
    }

    #[test]
    fn write_then_read_round_trips() {
        let run = fixture();
        let back = read_json(&mut written(&run).as_bytes()).unwrap();
        assert_eq!(back, run);
    }

    #[test]
    fn writing_sorts_items_so_order_does_not_change_bytes() {
        let mut shuffled = fixture();
        shuffled.items.reverse();
        assert_eq!(written(&shuffled), written(&fixture()));
    }

    #[test]
    fn a_newer_format_is_refused_before_its_new_fields_confuse_the_parse() {
        let text = r#"{"format_version": 2, "kind": "suite", "name": "x", "shiny_new_field": 1}"#;
        let err = read_json(&mut text.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                ReportError::UnsupportedFormat {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade ksnsim"), "{err}");
    }

    #[test]
    fn bad_json_names_line_column_and_field() {
        let text = "{\n  \"format_version\": 1,\n  \"kind\": \"suite\",\n  \"nmae\": \"x\"\n}";
        let err = read_json(&mut text.as_bytes()).unwrap_err();
        match &err {
            ReportError::BadJson { line, problem, .. } => {
                assert_eq!(*line, 4);
                assert!(
                    problem.contains("nmae") && !problem.contains(" at line "),
                    "{problem}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().starts_with("report:4:"), "{err}");
    }

    #[test]
    fn the_schema_example_reads() {
        let schema = include_str!("../SCHEMA.md");
        let example = schema
            .split("```json\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let run = read_json(&mut example.as_bytes()).unwrap();
        assert_eq!(run.requirement_matrix()[0].verdict, crate::model::Verdict::Fail);
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = read_json_file(Path::new("/nonexistent/ksnsim-run.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ksnsim-run.json"), "{err}");
    }
}
