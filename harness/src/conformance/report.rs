//! From check outcomes to a conformance `RunReport` (one item per check, with its requirement, the
//! catalogue's level and the evidence), and the verdict table printed on the terminal.

use ksnsim_reports::{Failure, ItemReport, Requirement, RequirementId, RunKind, RunReport, Verdict};

use super::checks::Check;
use super::findings::Outcome;
use super::plan::ConformancePlan;
use super::upstream::shorten;

/// The name of every conformance run.
pub const RUN_NAME: &str = "KSN proxy conformance (wire protocol v1)";

/// The report of a run: the PX part of the catalogue, one item per check, in id order.
pub(crate) fn build(plan: &ConformancePlan, checks: &[Check], outcomes: Vec<Outcome>) -> RunReport {
    let catalogue: Vec<Requirement> = crate::catalogue::catalogue()
        .into_iter()
        .filter(|requirement| requirement.id.as_str().starts_with("PX-"))
        .collect();
    let mut run = RunReport::new(RunKind::Conformance, RUN_NAME);
    run.implementation = Some(plan.implementation.clone());
    run.items = checks
        .iter()
        .zip(outcomes)
        .map(|(check, outcome)| item(check, outcome, &catalogue))
        .collect();
    run.catalogue = catalogue;
    run.normalize();
    run
}

fn item(check: &Check, outcome: Outcome, catalogue: &[Requirement]) -> ItemReport {
    let requirement: RequirementId = check
        .requirement()
        .parse()
        .expect("check ids start with a valid requirement id: a unit test checks every one");
    let family = check
        .requirement()
        .rsplit_once('-')
        .map_or(check.id, |(family, _)| family);
    let mut item = ItemReport::new(check.id, check.title, family, outcome.verdict);
    item.level = catalogue.iter().find(|r| r.id == requirement).map(|r| r.level);
    item.requirements = vec![requirement.clone()];
    if outcome.verdict == Verdict::Pass {
        item.evidence = std::iter::once(outcome.reason).chain(outcome.evidence).collect();
    } else {
        item.failure = Some(Failure {
            message: outcome.reason,
            requirement: Some(requirement),
            event: None,
        });
        item.evidence = outcome.evidence;
    }
    item
}

/// One line per check: id, level, verdict and why; then the totals.
pub fn render_table(run: &RunReport) -> String {
    let width = run
        .items
        .iter()
        .map(|item| item.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut out = format!("{:width$}  {:6}  {:10}  REASON\n", "ID", "LEVEL", "VERDICT");
    for item in &run.items {
        let level = run.gating_level(item);
        out.push_str(&format!(
            "{:width$}  {:6}  {:10}  {}\n",
            item.id,
            level.as_str(),
            item.verdict.label(),
            shorten(&reason(item), 110)
        ));
    }
    let totals = run.totals();
    out.push_str(&format!(
        "{} checks: {} pass, {} fail, {} error, {} not tested, {} n/a\n",
        totals.total(),
        totals.pass,
        totals.fail,
        totals.error,
        totals.not_tested,
        totals.not_applicable
    ));
    out
}

/// Why an item has its verdict, in one line.
fn reason(item: &ItemReport) -> String {
    match &item.failure {
        Some(failure) => failure.message.clone(),
        None => item
            .evidence
            .first()
            .cloned()
            .unwrap_or_else(|| item.name.clone()),
    }
}
