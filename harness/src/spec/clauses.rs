//! The clause table: each catalogue requirement split into the clauses a run can show broken, each a safety
//! clause (must never) or a liveness clause (must, within a stated bound), with the seed sentence it comes
//! from. Read from `features/clauses.toml` when the harness is built, so that the table and its judges can
//! never disagree at run time.

use serde::Deserialize;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClauseKind {
    Safety,
    Liveness,
}

/// One clause.
#[derive(Debug, Clone)]
pub struct Clause {
    /// `REQUIREMENT/slug`, e.g. `EP-LIC-2/stops`.
    pub id: &'static str,
    pub requirement: &'static str,
    pub kind: ClauseKind,
    pub text: &'static str,
    /// The bound of a liveness clause, and why it is that.
    pub bound: Option<&'static str>,
    /// The seed sentence (or catalogue decision) it comes from.
    pub seed: &'static str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClauseFile {
    clause: Vec<ClauseEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClauseEntry {
    id: String,
    kind: ClauseKind,
    text: String,
    #[serde(default)]
    bound: Option<String>,
    seed: String,
}

const CLAUSES_TOML: &str = include_str!("../../../features/clauses.toml");

static CLAUSES: LazyLock<Vec<Clause>> = LazyLock::new(|| {
    let file: ClauseFile = toml::from_str(CLAUSES_TOML)
        .unwrap_or_else(|err| panic!("features/clauses.toml does not parse (a build-time file): {err}"));
    file.clause
        .into_iter()
        .map(|entry| {
            let id: &'static str = Box::leak(entry.id.into_boxed_str());
            let requirement = id.split('/').next().unwrap_or(id);
            Clause {
                id,
                requirement,
                kind: entry.kind,
                text: Box::leak(entry.text.into_boxed_str()),
                bound: entry.bound.map(|b| &*Box::leak(b.into_boxed_str())),
                seed: Box::leak(entry.seed.into_boxed_str()),
            }
        })
        .collect()
});

/// Every clause, in the file's order.
pub fn all_clauses() -> &'static [Clause] {
    &CLAUSES
}

pub fn clause(id: &str) -> Option<&'static Clause> {
    CLAUSES.iter().find(|c| c.id == id)
}
