//! The results model: what one ksnsim run found, item by item, as it is written to and read from files.
//!
//! Plain data, serde in both directions. Every type a person may write by hand denies unknown fields, and
//! nothing is `untagged` or `flatten`, so a mistyped field is named in the error. The folds over this model
//! (totals, requirement matrix, gate) live in `fold.rs`; the writers live one per file beside it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ReportError;

/// The version of the JSON format this ksnsim writes and the newest it reads.
///
/// Bump it when a change would make an older reader misread a newer file (see `SCHEMA.md`).
pub const FORMAT_VERSION: u32 = 1;

/// A stable requirement id from the catalogue, such as `PX-CACHE-1` or `EP-STMT-2`.
///
/// Uppercase ASCII letters, digits and dashes; it starts with a letter, and dashes only separate non-empty parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequirementId(String);

impl RequirementId {
    /// The id as written in the catalogue.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Why `id` is not a requirement id, or `None` when it is one.
    fn problem(id: &str) -> Option<&'static str> {
        let first = id.chars().next()?;
        if !first.is_ascii_uppercase() {
            return Some("it must start with an uppercase letter");
        }
        if let Some(bad) = id
            .chars()
            .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Some(if bad.is_ascii_lowercase() {
                "it has a lowercase letter"
            } else {
                "it has a character other than A-Z, 0-9 and '-'"
            });
        }
        if id.ends_with('-') || id.contains("--") {
            return Some("it has an empty part between dashes");
        }
        None
    }
}

impl FromStr for RequirementId {
    type Err = ReportError;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        let problem = if id.is_empty() {
            Some("it is empty")
        } else {
            Self::problem(id)
        };
        match problem {
            None => Ok(Self(id.to_owned())),
            Some(problem) => Err(ReportError::InvalidRequirementId {
                id: id.to_owned(),
                problem,
            }),
        }
    }
}

impl TryFrom<String> for RequirementId {
    type Error = ReportError;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        id.parse()
    }
}

impl From<RequirementId> for String {
    fn from(id: RequirementId) -> Self {
        id.0
    }
}

impl fmt::Display for RequirementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How binding a requirement is, as in RFC 2119.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// An implementation that does not do this is not conformant.
    Must,
    /// Expected; a deviation needs a reason. Gates only a strict run.
    Should,
    /// Optional behaviour; never gates a run.
    May,
}

impl Level {
    /// The keyword as written in the catalogue: `MUST`, `SHOULD` or `MAY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
            Self::May => "MAY",
        }
    }

    /// The more binding of two levels.
    pub(crate) fn stronger(self, other: Self) -> Self {
        if other.rank() > self.rank() { other } else { self }
    }

    fn rank(self) -> u8 {
        match self {
            Self::May => 0,
            Self::Should => 1,
            Self::Must => 2,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the requirement catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: RequirementId,
    pub level: Level,
    /// What the requirement asks, in the words of the seed documents.
    pub text: String,
}

/// The outcome of one item, or of one requirement once folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The implementation did what the requirement asks.
    Pass,
    /// The implementation violated the requirement; `Failure` says where.
    Fail,
    /// The requirement does not apply to this implementation or configuration.
    NotApplicable,
    /// Nothing ran for it (filtered out, or no check exists yet).
    NotTested,
    /// The harness could not judge (it broke, or its mocks did). Never blamed on the implementation.
    Error,
}

impl Verdict {
    /// The serialized name: `pass`, `fail`, `not_applicable`, `not_tested`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NotApplicable => "not_applicable",
            Self::NotTested => "not_tested",
            Self::Error => "error",
        }
    }

    /// The name for people: `pass`, `fail`, `n/a`, `not tested`, `error`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NotApplicable => "n/a",
            Self::NotTested => "not tested",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What kind of run produced a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// The Gherkin scenarios under `features/`, against the reference implementation.
    Suite,
    /// One simulated world run outside the suite (a field failure being reproduced, a soak).
    Simulation,
    /// The conformance checks, against a third-party KSN proxy over real sockets.
    Conformance,
}

impl RunKind {
    /// The serialized name: `suite`, `simulation`, `conformance`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suite => "suite",
            Self::Simulation => "simulation",
            Self::Conformance => "conformance",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened at one moment of a run, as the trace recorder saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceEvent {
    /// Milliseconds since the run started: simulated time in a simulation, elapsed time against real sockets.
    pub at_ms: u64,
    pub kind: EventKind,
    /// The host it happened on, or that sent the message.
    pub from: String,
    /// The host a message went to; empty for `State`, `Fault` and `Note`.
    pub to: String,
    /// One line for people: method and path, status, record, state change.
    pub summary: String,
}

impl fmt::Display for TraceEvent {
    /// One line for people: `14 ms request dp-proxy -> global-ksn: POST /v1/lookup`, or
    /// `41 ms state on dp-proxy: cache store` for an event on one host.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            at_ms,
            kind,
            from,
            to,
            summary,
        } = self;
        let kind = kind.as_str();
        if to.is_empty() {
            write!(f, "{at_ms} ms {kind} on {from}: {summary}")
        } else {
            write!(f, "{at_ms} ms {kind} {from} -> {to}: {summary}")
        }
    }
}

/// The kinds of trace events; messages are drawn as arrows, the rest as marks on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A request from `from` to `to` (HTTP, TLS handshake start).
    Request,
    /// An answer from `from` back to `to`.
    Answer,
    /// A DNS query or answer between `from` and `to`.
    Dns,
    /// A state change on `from` (cache entry stored, consent accepted, queue length).
    State,
    /// A fault the harness injected on `from` (partition, crash, upstream 500).
    Fault,
    /// Anything else worth reading, on `from`.
    Note,
}

impl EventKind {
    /// The serialized name: `request`, `answer`, `dns`, `state`, `fault`, `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Answer => "answer",
            Self::Dns => "dns",
            Self::State => "state",
            Self::Fault => "fault",
            Self::Note => "note",
        }
    }

    /// Whether the event is a message between two hosts (drawn as an arrow).
    pub fn is_message(self) -> bool {
        matches!(self, Self::Request | Self::Answer | Self::Dns)
    }
}

/// Why an item failed or errored (or why it does not apply), and where in the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// What was wrong, in one or a few sentences.
    pub message: String,
    /// The requirement that was violated, when the item covers several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<RequirementId>,
    /// The first violating event, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<TraceEvent>,
}

/// One scenario or one conformance check, and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemReport {
    /// Stable across runs: `features/proxy_cache.feature:12` or `PX-CACHE-3/error-500`.
    pub id: String,
    /// The scenario or check name for people.
    pub name: String,
    /// The feature name or the check family; JUnit writes one test suite per group.
    pub group: String,
    /// The requirements this item covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<RequirementId>,
    /// The level the item is judged at; when absent, the strongest level of its requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    pub verdict: Verdict,
    /// The seed of the simulated world or of the check's randomness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Lowercase hex SHA-256 of the trace's JSON lines (see `trace_digest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_digest: Option<String>,
    /// The exact command that replays this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Lines that back the verdict: counters, headers seen, files written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The trace, usually kept only for items that did not pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceEvent>,
    /// Simulated time the item took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_time_ms: Option<u64>,
}

impl ItemReport {
    /// An item with a verdict and nothing else recorded yet.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        group: impl Into<String>,
        verdict: Verdict,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            group: group.into(),
            requirements: Vec::new(),
            level: None,
            verdict,
            seed: None,
            trace_digest: None,
            replay: None,
            failure: None,
            evidence: Vec::new(),
            trace: Vec::new(),
            sim_time_ms: None,
        }
    }
}

/// Everything one run found: the document every writer renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunReport {
    /// [`FORMAT_VERSION`] when written by this ksnsim.
    pub format_version: u32,
    pub kind: RunKind,
    /// The suite, scenario or conformance profile that ran.
    pub name: String,
    /// The implementation under test, for conformance runs (`acme-proxy 2.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
    /// The run's base seed, when items derive theirs from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The requirements this run judges, in catalogue order.
    #[serde(default)]
    pub catalogue: Vec<Requirement>,
    /// Sorted by id once normalized; writers always render them in id order.
    #[serde(default)]
    pub items: Vec<ItemReport>,
}

impl RunReport {
    /// An empty report of the current format.
    pub fn new(kind: RunKind, name: impl Into<String>) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            kind,
            name: name.into(),
            implementation: None,
            seed: None,
            catalogue: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Sorts the items by id (stable), the one order every writer and `merge_runs` uses.
    ///
    /// A partitioned run's shares, merged, equal the unpartitioned run once both are normalized.
    pub fn normalize(&mut self) {
        self.items.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// The items in id order, without changing the report.
    pub(crate) fn sorted_items(&self) -> Vec<&ItemReport> {
        let mut items: Vec<&ItemReport> = self.items.iter().collect();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        items
    }

    /// The catalogue entry for `id`, if the catalogue has one.
    pub fn requirement(&self, id: &RequirementId) -> Option<&Requirement> {
        self.catalogue.iter().find(|requirement| requirement.id == *id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_ids_from_the_catalogue_parse() {
        for id in ["PX-CACHE-1", "EP-STMT-2", "SRV-PRIV-1", "A", "X1"] {
            assert_eq!(id.parse::<RequirementId>().unwrap().as_str(), id);
        }
    }

    #[test]
    fn malformed_requirement_ids_say_what_is_wrong() {
        let cases = [
            ("", "it is empty"),
            ("px-cache-1", "it must start with an uppercase letter"),
            ("PX-cache-1", "it has a lowercase letter"),
            ("1PX", "it must start with an uppercase letter"),
            ("PX_CACHE_1", "it has a character other than A-Z, 0-9 and '-'"),
            ("PX--CACHE", "it has an empty part between dashes"),
            ("PX-CACHE-", "it has an empty part between dashes"),
            ("PX CACHE", "it has a character other than A-Z, 0-9 and '-'"),
        ];
        for (id, expected) in cases {
            match id.parse::<RequirementId>() {
                Err(ReportError::InvalidRequirementId { problem, .. }) => {
                    assert_eq!(problem, expected, "{id:?}")
                }
                other => panic!("{id:?} gave {other:?}"),
            }
        }
        let message = "px-1".parse::<RequirementId>().unwrap_err().to_string();
        assert!(
            message.contains("`px-1`") && message.contains("PX-CACHE-1"),
            "{message}"
        );
    }

    #[test]
    fn requirement_ids_are_validated_when_read() {
        let err = serde_json::from_str::<RequirementId>("\"px-1\"").unwrap_err();
        assert!(err.to_string().contains("`px-1`"), "{err}");
    }

    #[test]
    fn enums_serialize_with_their_documented_names() {
        let json = serde_json::to_string(&(
            Level::Must,
            Verdict::NotApplicable,
            RunKind::Conformance,
            EventKind::Dns,
        ))
        .unwrap();
        assert_eq!(json, r#"["MUST","not_applicable","conformance","dns"]"#);
        assert_eq!(Verdict::NotTested.as_str(), "not_tested");
    }

    #[test]
    fn stronger_level_wins() {
        assert_eq!(Level::May.stronger(Level::Must), Level::Must);
        assert_eq!(Level::Should.stronger(Level::May), Level::Should);
    }

    #[test]
    fn normalize_sorts_items_by_id_stably() {
        let mut run = RunReport::new(RunKind::Suite, "s");
        for (id, name) in [("b", "1"), ("a", "2"), ("b", "3")] {
            run.items.push(ItemReport::new(id, name, "g", Verdict::Pass));
        }
        run.normalize();
        let order: Vec<_> = run
            .items
            .iter()
            .map(|i| (i.id.as_str(), i.name.as_str()))
            .collect();
        assert_eq!(order, [("a", "2"), ("b", "1"), ("b", "3")]);
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let err =
            serde_json::from_str::<Requirement>(r#"{"id":"PX-1","level":"MUST","text":"t","levle":"MAY"}"#)
                .unwrap_err();
        assert!(err.to_string().contains("levle"), "{err}");
    }
}
