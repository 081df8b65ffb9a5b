//! Pure folds of a run report: the totals, the verdict per requirement, and the release gate.
//!
//! These are the only verdicts computed outside the harness, and they only fold item verdicts that the harness
//! decided. Writers and the CLI call them; nothing here reads a clock or depends on hash order.

use serde::{Deserialize, Serialize};

use crate::model::{ItemReport, Level, Requirement, RunReport, Verdict};

/// How many items ended in each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub pass: usize,
    pub fail: usize,
    pub not_applicable: usize,
    pub not_tested: usize,
    pub error: usize,
}

impl Totals {
    /// All items counted.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.not_applicable + self.not_tested + self.error
    }

    /// The count for one verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        match verdict {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::NotApplicable => self.not_applicable,
            Verdict::NotTested => self.not_tested,
            Verdict::Error => self.error,
        }
    }

    /// Counts a list of verdicts.
    pub(crate) fn of(verdicts: impl IntoIterator<Item = Verdict>) -> Self {
        let mut totals = Self::default();
        verdicts.into_iter().for_each(|verdict| totals.add(verdict));
        totals
    }

    fn add(&mut self, verdict: Verdict) {
        let slot = match verdict {
            Verdict::Pass => &mut self.pass,
            Verdict::Fail => &mut self.fail,
            Verdict::NotApplicable => &mut self.not_applicable,
            Verdict::NotTested => &mut self.not_tested,
            Verdict::Error => &mut self.error,
        };
        *slot += 1;
    }
}

/// One row of the requirement matrix: a catalogue entry, its folded verdict, and the items that cover it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementRow {
    pub requirement: Requirement,
    pub verdict: Verdict,
    /// Ids of the items that cover the requirement, sorted.
    pub items: Vec<String>,
}

/// The release gate's decision about a run, with the item ids behind it (each list sorted by id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GateOutcome {
    /// Items at a gating level whose verdict is `fail`: the implementation is at fault.
    pub failed: Vec<String>,
    /// Items at a gating level whose verdict is `error`: the harness could not judge.
    pub errored: Vec<String>,
    /// Items that failed or errored below the gating level: reported, but they do not block.
    pub tolerated: Vec<String>,
}

/// How strict a gate is: which requirement levels block a run when one of their items fails or errors.
///
/// Third-party conformance gates on MUST by default (a vendor may lack a SHOULD with a reason); the reference
/// implementation's own suite gates on everything it implements (`All`), SHOULD and MAY included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateLevel {
    /// MUST items block; SHOULD and MAY failures are reported as tolerated.
    #[default]
    Must,
    /// MUST and SHOULD items block.
    Should,
    /// Every item blocks, MAY included: for the reference, which implements every MAY it claims.
    All,
}

impl GateLevel {
    /// The name on the command line: `must`, `should` or `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "must",
            Self::Should => "should",
            Self::All => "all",
        }
    }

    /// The words for a gate line: which requirements must pass.
    pub fn scope(self) -> &'static str {
        match self {
            Self::Must => "every MUST",
            Self::Should => "every MUST and SHOULD",
            Self::All => "every MUST, SHOULD and MAY",
        }
    }

    /// Whether an item judged at `level` can block this gate.
    fn blocks(self, level: Level) -> bool {
        match level {
            Level::Must => true,
            Level::Should => self != Self::Must,
            Level::May => self == Self::All,
        }
    }
}

impl std::str::FromStr for GateLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "must" => Ok(Self::Must),
            "should" => Ok(Self::Should),
            "all" | "may" => Ok(Self::All),
            _ => Err(format!("{text:?} is not a gate level: use must, should or all")),
        }
    }
}

impl GateOutcome {
    /// Whether the run passes the gate.
    pub fn passed(&self) -> bool {
        self.failed.is_empty() && self.errored.is_empty()
    }
}

impl RunReport {
    /// How many items ended in each verdict.
    pub fn totals(&self) -> Totals {
        Totals::of(self.items.iter().map(|item| item.verdict))
    }

    /// One row per catalogue entry, in catalogue order.
    ///
    /// A requirement's verdict, from the items that list it: `fail` if any failed; else `error` if any
    /// errored; else `pass` if at least one passed; else `not_applicable` if every one is n/a; else
    /// `not_tested` (nothing covers it, or only items that did not run).
    pub fn requirement_matrix(&self) -> Vec<RequirementRow> {
        let items = self.sorted_items();
        self.catalogue
            .iter()
            .map(|requirement| {
                let covering: Vec<&ItemReport> = items
                    .iter()
                    .copied()
                    .filter(|item| item.requirements.contains(&requirement.id))
                    .collect();
                RequirementRow {
                    requirement: requirement.clone(),
                    verdict: fold_verdicts(covering.iter().map(|item| item.verdict)),
                    items: covering.iter().map(|item| item.id.clone()).collect(),
                }
            })
            .collect()
    }

    /// The release gate.
    ///
    /// Each item is judged at its *gating level*: the strongest of its own `level` and the catalogue
    /// levels of the requirements it lists. An item with neither (an untagged scenario), or listing an id the
    /// catalogue does not have, is judged at MUST: a failing test is never silently ignored.
    ///
    /// MUST items gate always, SHOULD items only when `strict_should`, MAY items never. The run passes when
    /// no gating item failed or errored. This is the same as "no MUST (strictly: no SHOULD) requirement
    /// failed or errored, and no other item failed", except that an item covering only SHOULD or MAY
    /// requirements may fail without blocking: those land in `tolerated`, so a vendor's missing optional
    /// behaviour is reported and not fatal. `not_applicable` and `not_tested` never block.
    pub fn gate(&self, strict_should: bool) -> GateOutcome {
        self.gate_at(if strict_should {
            GateLevel::Should
        } else {
            GateLevel::Must
        })
    }

    /// The release gate at a chosen strictness: an item blocks when `gate` blocks its gating level
    /// ([`GateLevel::blocks`]); below it, its failure or error is `tolerated`.
    pub fn gate_at(&self, gate: GateLevel) -> GateOutcome {
        let mut outcome = GateOutcome::default();
        for item in self.sorted_items() {
            let list = match item.verdict {
                Verdict::Fail | Verdict::Error if !gate.blocks(self.gating_level(item)) => {
                    &mut outcome.tolerated
                }
                Verdict::Fail => &mut outcome.failed,
                Verdict::Error => &mut outcome.errored,
                Verdict::Pass | Verdict::NotApplicable | Verdict::NotTested => continue,
            };
            list.push(item.id.clone());
        }
        outcome
    }

    /// The level an item is judged at by [`RunReport::gate`].
    pub fn gating_level(&self, item: &ItemReport) -> Level {
        let mut levels = item
            .requirements
            .iter()
            .map(|id| self.requirement(id).map_or(Level::Must, |r| r.level));
        let first = item.level.or_else(|| levels.next()).unwrap_or(Level::Must);
        levels.fold(first, Level::stronger)
    }
}

/// The requirement-matrix rule (see [`RunReport::requirement_matrix`]).
fn fold_verdicts(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let seen = Totals::of(verdicts);
    if seen.fail > 0 {
        Verdict::Fail
    } else if seen.error > 0 {
        Verdict::Error
    } else if seen.pass > 0 {
        Verdict::Pass
    } else if seen.not_applicable > 0 && seen.not_tested == 0 {
        Verdict::NotApplicable
    } else {
        Verdict::NotTested
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RequirementId, RunKind};

    fn id(s: &str) -> RequirementId {
        s.parse().unwrap()
    }

    fn run(catalogue: &[(&str, Level)], items: &[(&str, &[&str], Verdict)]) -> RunReport {
        let mut run = RunReport::new(RunKind::Conformance, "fold");
        run.catalogue = catalogue
            .iter()
            .map(|(req, level)| Requirement {
                id: id(req),
                level: *level,
                text: String::new(),
            })
            .collect();
        for (item_id, reqs, verdict) in items {
            let mut item = ItemReport::new(*item_id, *item_id, "g", *verdict);
            item.requirements = reqs.iter().map(|r| id(r)).collect();
            run.items.push(item);
        }
        run
    }

    fn matrix_verdict(verdicts: &[Verdict]) -> Verdict {
        let items: Vec<(String, Verdict)> = verdicts
            .iter()
            .enumerate()
            .map(|(n, v)| (format!("item-{n}"), *v))
            .collect();
        let items: Vec<(&str, &[&str], Verdict)> = items
            .iter()
            .map(|(name, v)| (name.as_str(), &["R-1"][..], *v))
            .collect();
        run(&[("R-1", Level::Must)], &items).requirement_matrix()[0].verdict
    }

    #[test]
    fn matrix_rule_folds_covering_verdicts() {
        use Verdict::*;
        assert_eq!(matrix_verdict(&[Pass, Fail, Error]), Fail);
        assert_eq!(matrix_verdict(&[Pass, Error, NotTested]), Error);
        assert_eq!(matrix_verdict(&[Pass, NotApplicable, NotTested]), Pass);
        assert_eq!(matrix_verdict(&[NotApplicable, NotApplicable]), NotApplicable);
        assert_eq!(matrix_verdict(&[NotApplicable, NotTested]), NotTested);
        assert_eq!(matrix_verdict(&[]), NotTested);
    }

    #[test]
    fn matrix_keeps_catalogue_order_and_lists_covering_items_sorted() {
        let run = run(
            &[("B-1", Level::Must), ("A-1", Level::Should), ("C-1", Level::May)],
            &[
                ("z", &["A-1"], Verdict::Pass),
                ("y", &["A-1", "B-1"], Verdict::Pass),
            ],
        );
        let rows = run.requirement_matrix();
        let ids: Vec<&str> = rows.iter().map(|row| row.requirement.id.as_str()).collect();
        assert_eq!(ids, ["B-1", "A-1", "C-1"]);
        assert_eq!(rows[1].items, ["y", "z"]);
        assert_eq!(rows[2].verdict, Verdict::NotTested);
    }

    #[test]
    fn totals_count_each_verdict() {
        let run = run(
            &[],
            &[
                ("a", &[], Verdict::Pass),
                ("b", &[], Verdict::Pass),
                ("c", &[], Verdict::Error),
            ],
        );
        let totals = run.totals();
        assert_eq!((totals.pass, totals.error, totals.total()), (2, 1, 3));
        assert_eq!(totals.count(Verdict::Fail), 0);
    }

    #[test]
    fn gate_blocks_on_must_failures_and_errors() {
        let run = run(
            &[("M-1", Level::Must)],
            &[
                ("a", &["M-1"], Verdict::Fail),
                ("b", &["M-1"], Verdict::Error),
                ("c", &["M-1"], Verdict::Pass),
            ],
        );
        let outcome = run.gate(false);
        assert_eq!(
            (outcome.failed, outcome.errored),
            (vec!["a".to_owned()], vec!["b".to_owned()])
        );
    }

    #[test]
    fn gate_tolerates_should_unless_strict_and_may_always() {
        let run = run(
            &[("S-1", Level::Should), ("O-1", Level::May)],
            &[("s", &["S-1"], Verdict::Fail), ("o", &["O-1"], Verdict::Error)],
        );
        let lenient = run.gate(false);
        assert!(lenient.passed());
        assert_eq!(lenient.tolerated, ["o", "s"]);
        let strict = run.gate(true);
        assert_eq!(
            (strict.failed, strict.tolerated),
            (vec!["s".to_owned()], vec!["o".to_owned()])
        );
        let all = run.gate_at(GateLevel::All);
        assert_eq!(
            (all.failed, all.errored, all.tolerated),
            (vec!["s".to_owned()], vec!["o".to_owned()], Vec::<String>::new())
        );
    }

    #[test]
    fn gate_levels_parse_from_their_names_and_nothing_else() {
        for level in [GateLevel::Must, GateLevel::Should, GateLevel::All] {
            assert_eq!(level.as_str().parse::<GateLevel>(), Ok(level));
        }
        assert_eq!("MAY".parse::<GateLevel>(), Ok(GateLevel::All));
        let err = "strict".parse::<GateLevel>().unwrap_err();
        assert!(err.contains("must, should or all"), "{err}");
    }

    #[test]
    fn gate_judges_untagged_and_uncatalogued_items_at_must() {
        let run = run(
            &[],
            &[
                ("untagged", &[], Verdict::Fail),
                ("unknown", &["X-9"], Verdict::Error),
            ],
        );
        let outcome = run.gate(false);
        assert_eq!(
            (outcome.failed, outcome.errored),
            (vec!["untagged".to_owned()], vec!["unknown".to_owned()])
        );
    }

    #[test]
    fn gating_level_is_the_strongest_of_item_and_requirements() {
        let mut run = run(
            &[("S-1", Level::Should), ("M-1", Level::Must)],
            &[("x", &["S-1"], Verdict::Fail)],
        );
        run.items[0].level = Some(Level::May);
        assert_eq!(run.gating_level(&run.items[0]), Level::Should);
        run.items[0].requirements.push(id("M-1"));
        assert_eq!(run.gating_level(&run.items[0]), Level::Must);
        run.items[0].requirements.clear();
        assert_eq!(run.gating_level(&run.items[0]), Level::May);
    }

    #[test]
    fn gate_ignores_not_applicable_and_not_tested() {
        let run = run(
            &[],
            &[("a", &[], Verdict::NotApplicable), ("b", &[], Verdict::NotTested)],
        );
        assert_eq!(run.gate(true), GateOutcome::default());
    }
}
