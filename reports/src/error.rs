//! Errors of the reports crate: a report, trace or requirement id that cannot be read, or runs that cannot merge.
//!
//! Each is about input a person gave ksnsim (a file, a flag, a set of files to merge), so each says which
//! input, where in it, and what to do. A failed requirement is a verdict, never one of these.

use std::io;

use crate::exit;
use crate::model::RunKind;

/// What went wrong reading, parsing or merging reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "`{id}` is not a requirement id: {problem}; write uppercase letters, digits and dashes, like PX-CACHE-1"
    )]
    InvalidRequirementId { id: String, problem: &'static str },

    #[error(
        "{origin}:{line}:{column}: not a ksnsim run report: {problem}; fix that line or write the report again"
    )]
    BadJson {
        origin: String,
        line: usize,
        column: usize,
        problem: String,
    },

    #[error(
        "{origin}: report format_version {found} is not one this ksnsim reads (it reads 1 to {supported}); \
         read it with the ksnsim that wrote it, or upgrade ksnsim"
    )]
    UnsupportedFormat {
        origin: String,
        found: u32,
        supported: u32,
    },

    #[error(
        "trace line {line}: not a trace event: {problem}; each line must be one JSON object as ksnsim writes it"
    )]
    BadTraceLine { line: usize, problem: String },

    #[error("could not read {origin}: {source}")]
    Read {
        origin: String,
        #[source]
        source: io::Error,
    },

    #[error("no reports to merge; pass the report of every share of the run")]
    NothingToMerge,

    #[error(
        "cannot merge a {other} run (report {share}) into a {first} run; merge only the shares of one partitioned run"
    )]
    MergeKinds {
        first: RunKind,
        other: RunKind,
        share: usize,
    },

    #[error(
        "cannot merge: report {share} has {field} {other}, the first has {first}; \
         merge only the shares of one partitioned run"
    )]
    MergeMismatch {
        field: &'static str,
        share: usize,
        first: String,
        other: String,
    },

    #[error(
        "cannot merge: report {share} has a different requirement catalogue ({detail}); \
         run every share with the same catalogue"
    )]
    MergeCatalogue { share: usize, detail: String },

    #[error(
        "cannot merge: item `{id}` appears in more than one share; each item must run in exactly one share"
    )]
    DuplicateItem { id: String },
}

impl ReportError {
    /// The process exit code for this error: every report error is about input the user gave.
    pub fn exit_code(&self) -> u8 {
        exit::BAD_INPUT
    }
}
