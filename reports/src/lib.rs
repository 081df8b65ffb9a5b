//! Results model and writers of ksnsim: what a run found, per item and per requirement, as JUnit, JSON,
//! Markdown and HTML. Depends on nothing else of ours.
//!
//! ```text
//! harness ── builds ──> RunReport ──> write_junit · write_json · write_markdown · write_html
//!                           │
//!                           ├── totals · requirement_matrix · gate ──> exit::for_gate ──> process exit code
//!                           ├── merge_runs (the shares of a partitioned run)
//!                           └── ComparisonMatrix (implementations side by side)
//! ```
//! Every writer is a pure function of the report: same report, same bytes (no clock, no hash-map order,
//! items in id order). Start at `model.rs`; the folds are in `fold.rs`.
//!
//! - `model`: the report types, serde in both directions; `fold`: totals, requirement matrix, release gate.
//! - `exit`: the exit codes of every ksnsim command; `error`: what went wrong reading or merging reports.
//! - `digest`: trace JSON lines and their SHA-256; `merge`: partitioned runs into one; `compare`: side by side.
//! - `junit`, `json`, `markdown`, `html` (+ `sequence_svg`): the writers; `escape`: escaping shared by them.

mod compare;
mod digest;
mod error;
mod escape;
pub mod exit;
#[cfg(test)]
mod fixture;
mod fold;
mod html;
mod json;
mod junit;
mod markdown;
mod merge;
mod model;
mod sequence_svg;

pub use crate::{
    compare::{ComparisonMatrix, ComparisonRow, write_comparison_html, write_comparison_markdown},
    digest::{read_trace_jsonl, trace_digest, write_trace_jsonl},
    error::ReportError,
    fold::{GateLevel, GateOutcome, RequirementRow, Totals},
    html::write_html,
    json::{read_json, read_json_file, write_json},
    junit::write_junit,
    markdown::write_markdown,
    merge::merge_runs,
    model::{
        EventKind, FORMAT_VERSION, Failure, ItemReport, Level, Requirement, RequirementId, RunKind,
        RunReport, TraceEvent, Verdict,
    },
};
