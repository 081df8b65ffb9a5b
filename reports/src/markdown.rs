//! The Markdown writer: a run summary that fits a GitHub job summary or a pull-request comment.
//!
//! A heading, the totals, the requirement matrix, the failing items with seed and replay command, and all
//! items folded away in `<details>`. Every cell is escaped; commands are code spans.

use std::io::{self, Write};

use crate::escape::{markdown, markdown_code};
use crate::fold::Totals;
use crate::model::{ItemReport, RunReport, Verdict};

/// Writes `run` as GitHub-flavoured Markdown.
pub fn write_markdown(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    write_heading(run, out)?;
    write_matrix(run, out)?;
    write_failures(run, out)?;
    write_all_items(run, out)
}

/// A verdict with a symbol, so a table can be scanned by colour.
pub(crate) fn verdict_badge(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ fail",
        Verdict::Error => "⚠️ error",
        Verdict::NotApplicable => "➖ n/a",
        Verdict::NotTested => "⬜ not tested",
    }
}

/// `2 passed · 1 failed · …`, leaving out verdicts nobody got.
pub(crate) fn totals_line(totals: &Totals) -> String {
    let parts = [
        (totals.pass, "passed"),
        (totals.fail, "failed"),
        (totals.error, "errored"),
        (totals.not_applicable, "n/a"),
        (totals.not_tested, "not tested"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    if shown.is_empty() {
        "no items".to_owned()
    } else {
        shown.join(" · ")
    }
}

fn write_heading(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# ksnsim {} report: {}", run.kind, markdown(&run.name))?;
    writeln!(out)?;
    let mut facts = Vec::new();
    if let Some(implementation) = &run.implementation {
        facts.push(format!("implementation {}", markdown_code(implementation)));
    }
    if let Some(seed) = run.seed {
        facts.push(format!("seed `{seed}`"));
    }
    facts.push(format!("{} items", run.items.len()));
    writeln!(out, "{}", facts.join(" · "))?;
    writeln!(out)?;
    let totals = run.totals();
    let symbol = match (totals.fail, totals.error) {
        (0, 0) => "✅",
        (0, _) => "⚠️",
        _ => "❌",
    };
    writeln!(out, "**{symbol} {}**", totals_line(&totals))?;
    writeln!(out)
}

fn write_matrix(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Requirements")?;
    writeln!(out)?;
    if run.catalogue.is_empty() {
        writeln!(out, "This run has no requirement catalogue.")?;
        return writeln!(out);
    }
    writeln!(out, "| id | level | verdict | covered by |")?;
    writeln!(out, "|---|---|---|---|")?;
    for row in run.requirement_matrix() {
        let covered = if row.items.is_empty() {
            "—".to_owned()
        } else {
            row.items
                .iter()
                .map(|id| markdown_code(id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let requirement = &row.requirement;
        writeln!(
            out,
            "| {} | {} | {} | {covered} |",
            requirement.id,
            requirement.level,
            verdict_badge(row.verdict)
        )?;
    }
    writeln!(out)
}

fn write_failures(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let failing: Vec<&ItemReport> = run
        .sorted_items()
        .into_iter()
        .filter(|item| matches!(item.verdict, Verdict::Fail | Verdict::Error))
        .collect();
    writeln!(out, "## Failures")?;
    writeln!(out)?;
    if failing.is_empty() {
        writeln!(out, "No item failed or errored.")?;
        return writeln!(out);
    }
    writeln!(out, "| item | verdict | message | seed | replay |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for item in failing {
        writeln!(
            out,
            "| {} {} | {} | {} | {} | {} |",
            markdown_code(&item.id),
            markdown(&item.name),
            verdict_badge(item.verdict),
            failure_cell(item),
            item.seed
                .map_or_else(|| "—".to_owned(), |seed| format!("`{seed}`")),
            item.replay
                .as_deref()
                .map_or_else(|| "—".to_owned(), markdown_code),
        )?;
    }
    writeln!(out)
}

/// The message, then the first violating event on its own line.
fn failure_cell(item: &ItemReport) -> String {
    let Some(failure) = &item.failure else {
        return "—".to_owned();
    };
    let mut cell = markdown(&failure.message);
    if let Some(event) = &failure.event {
        cell.push_str("<br>first violating event: ");
        cell.push_str(&markdown(&event.to_string()));
    }
    cell
}

fn write_all_items(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<details><summary>All {} items</summary>", run.items.len())?;
    writeln!(out)?;
    writeln!(out, "| item | name | group | requirements | verdict |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for item in run.sorted_items() {
        let requirements: Vec<&str> = item.requirements.iter().map(|id| id.as_str()).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            markdown_code(&item.id),
            markdown(&item.name),
            markdown(&item.group),
            requirements.join(", "),
            verdict_badge(item.verdict)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "</details>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::fixture;
    use crate::model::RunKind;

    fn written(run: &RunReport) -> String {
        let mut out = Vec::new();
        write_markdown(run, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fixture_markdown_snapshot() {
        insta::assert_snapshot!(written(&fixture()));
    }

    #[test]
    fn every_table_row_has_the_header_cell_count() {
        for line in written(&fixture()).lines().filter(|line| line.starts_with('|')) {
            let cells = line.replace("\\|", "").matches('|').count();
            assert!(cells == 5 || cells == 6, "{cells} pipes in {line}");
        }
    }

    #[test]
    fn an_empty_run_says_so() {
        let text = written(&RunReport::new(RunKind::Suite, "empty"));
        assert!(
            text.contains("**✅ no items**") && text.contains("no requirement catalogue"),
            "{text}"
        );
    }
}
