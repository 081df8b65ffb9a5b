//! From check outcomes to a conformance `RunReport` (one item per check, with its requirement, the
//! catalogue's level and the evidence), and the verdict table printed on the terminal.

use ksnsim_reports::{Failure, ItemReport, Requirement, RequirementId, RunKind, RunReport, Verdict};

use super::checks::Check;
use super::findings::Outcome;
use super::plan::ConformancePlan;

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
        let reason = reason(item);
        let mut lines = wrap(&reason, REASON_WIDTH).into_iter();
        out.push_str(&format!(
            "{:width$}  {:6}  {:10}  {}\n",
            item.id,
            level.as_str(),
            item.verdict.label(),
            lines.next().unwrap_or_default()
        ));
        // The rest of the reason on lines of their own, under it: the part that explains a verdict is never cut.
        let indent = width + 2 + 6 + 2 + 10 + 2;
        for line in lines {
            out.push_str(&format!("{:indent$}{line}\n", ""));
        }
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

/// How wide the reason column is before it wraps.
const REASON_WIDTH: usize = 100;

/// `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reason_wraps_and_is_never_cut() {
        let reason = "expected: nothing of the oversized request reached the upstream; seen: the upstream received \
                      1626598 bytes of it (and 1 more)";
        let lines = wrap(reason, 40);
        assert!(lines.iter().all(|line| line.chars().count() <= 40), "{lines:?}");
        assert_eq!(lines.join(" "), reason);
        assert_eq!(wrap("", 40), [""]);
        assert_eq!(
            wrap("one-word-longer-than-the-width", 10),
            ["one-word-longer-than-the-width"]
        );
    }

    #[test]
    fn the_table_shows_the_whole_reason() {
        let mut run = RunReport::new(RunKind::Conformance, RUN_NAME);
        let mut item = ItemReport::new("PX-ERR-2/oversized-body", "a 2 MiB body", "PX-ERR", Verdict::Fail);
        let message = format!(
            "expected: the client got 413; seen: {}",
            "no answer: reset ".repeat(12)
        );
        item.failure = Some(Failure {
            message: message.clone(),
            requirement: None,
            event: None,
        });
        run.items.push(item);
        let table = render_table(&run);
        let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(message.trim_end()), "{table}");
        assert!(table.lines().all(|line| line.chars().count() <= 160), "{table}");
    }
}
