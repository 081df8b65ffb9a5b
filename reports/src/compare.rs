//! Conformance results of several implementations side by side: requirements and checks against
//! implementations, one verdict per cell, like the caching-test matrices proxy vendors know.
//!
//! A pure fold of the runs given; columns keep the order the runs were given in.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::escape::{markdown, markdown_code, xml};
use crate::html::{write_page_end, write_page_start};
use crate::markdown::verdict_badge;
use crate::model::{Level, RunReport, Verdict};

/// Requirements and checks (rows) against implementations (columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonMatrix {
    /// Column headings: each run's implementation, or its name when it names none, in the order given.
    pub implementations: Vec<String>,
    /// One row per requirement id: the catalogues' union, in order of first appearance.
    pub requirements: Vec<ComparisonRow>,
    /// One row per item (check) id: the union of all runs' items, sorted by id.
    pub checks: Vec<ComparisonRow>,
}

/// One requirement or check across the implementations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonRow {
    /// The requirement id or the check's item id.
    pub id: String,
    /// The requirement's level, or the check's gating level in the first run that has it.
    pub level: Level,
    /// The requirement text or the check name.
    pub title: String,
    /// One per implementation; `None` when that run has no such requirement or check.
    pub cells: Vec<Option<Verdict>>,
}

impl ComparisonMatrix {
    /// Folds the runs into one matrix; the requirement verdicts are each run's `requirement_matrix`.
    pub fn from_runs(runs: &[RunReport]) -> Self {
        Self {
            implementations: runs
                .iter()
                .map(|run| run.implementation.clone().unwrap_or_else(|| run.name.clone()))
                .collect(),
            requirements: requirement_rows(runs),
            checks: check_rows(runs),
        }
    }
}

fn requirement_rows(runs: &[RunReport]) -> Vec<ComparisonRow> {
    let verdicts: Vec<BTreeMap<String, Verdict>> = runs
        .iter()
        .map(|run| {
            let rows = run.requirement_matrix().into_iter();
            rows.map(|row| (row.requirement.id.to_string(), row.verdict))
                .collect()
        })
        .collect();
    let mut rows: Vec<ComparisonRow> = Vec::new();
    for requirement in runs.iter().flat_map(|run| &run.catalogue) {
        let id = requirement.id.to_string();
        if rows.iter().any(|row| row.id == id) {
            continue;
        }
        let cells = verdicts.iter().map(|run| run.get(&id).copied()).collect();
        rows.push(ComparisonRow {
            id,
            level: requirement.level,
            title: requirement.text.clone(),
            cells,
        });
    }
    rows
}

fn check_rows(runs: &[RunReport]) -> Vec<ComparisonRow> {
    let mut rows: BTreeMap<&str, ComparisonRow> = BTreeMap::new();
    for (column, run) in runs.iter().enumerate() {
        for item in &run.items {
            let row = rows.entry(item.id.as_str()).or_insert_with(|| ComparisonRow {
                id: item.id.clone(),
                level: run.gating_level(item),
                title: item.name.clone(),
                cells: vec![None; runs.len()],
            });
            // A duplicate id within one run keeps its first verdict, as the matrix does.
            row.cells[column].get_or_insert(item.verdict);
        }
    }
    rows.into_values().collect()
}

/// Writes the matrix as two Markdown tables, requirements then checks.
pub fn write_comparison_markdown(matrix: &ComparisonMatrix, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# ksnsim conformance comparison")?;
    writeln!(out)?;
    write_markdown_table("requirement", &matrix.implementations, &matrix.requirements, out)?;
    write_markdown_table("check", &matrix.implementations, &matrix.checks, out)
}

fn write_markdown_table(
    what: &str,
    implementations: &[String],
    rows: &[ComparisonRow],
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "## {}s", capitalized(what))?;
    writeln!(out)?;
    let headings: String = implementations
        .iter()
        .map(|name| format!(" {} |", markdown(name)))
        .collect();
    writeln!(out, "| {what} | level |{headings}")?;
    writeln!(out, "|---|---|{}", "---|".repeat(implementations.len()))?;
    for row in rows {
        let cells: String = row
            .cells
            .iter()
            .map(|cell| format!(" {} |", cell.map_or("—", verdict_badge)))
            .collect();
        let title = if row.title.is_empty() {
            String::new()
        } else {
            format!(" {}", markdown(&row.title))
        };
        writeln!(
            out,
            "| {}{title} | {} |{cells}",
            markdown_code(&row.id),
            row.level
        )?;
    }
    writeln!(out)
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Writes the matrix as one self-contained HTML page with coloured cells.
pub fn write_comparison_html(matrix: &ComparisonMatrix, out: &mut impl Write) -> io::Result<()> {
    write_page_start("ksnsim conformance comparison", out)?;
    writeln!(out, "<header>\n<h1>Conformance comparison</h1>")?;
    writeln!(
        out,
        "<p class=\"facts\">{} implementations · {} requirements · {} checks. Cells: ✓ pass, ✗ fail, ! error \
         (the harness could not judge), – not applicable, ? not tested, blank not in that run.</p>\n</header>",
        matrix.implementations.len(),
        matrix.requirements.len(),
        matrix.checks.len()
    )?;
    write_html_table("Requirements", &matrix.implementations, &matrix.requirements, out)?;
    write_html_table("Checks", &matrix.implementations, &matrix.checks, out)?;
    write_page_end(out)
}

fn write_html_table(
    heading: &str,
    implementations: &[String],
    rows: &[ComparisonRow],
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "<h2>{heading}</h2>\n<table class=\"compare\">")?;
    let headings: Vec<String> = implementations
        .iter()
        .map(|name| format!("<th>{}</th>", xml(name)))
        .collect();
    writeln!(
        out,
        "<tr><th>id</th><th>level</th><th>what</th>{}</tr>",
        headings.join("")
    )?;
    for row in rows {
        let cells: Vec<String> = row.cells.iter().map(|cell| html_cell(*cell)).collect();
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td>{}</tr>",
            xml(&row.id),
            row.level,
            xml(&row.title),
            cells.join("")
        )?;
    }
    writeln!(out, "</table>")
}

fn html_cell(cell: Option<Verdict>) -> String {
    let Some(verdict) = cell else {
        return r#"<td class="cell none" title="not in this run"></td>"#.to_owned();
    };
    let symbol = match verdict {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::Error => "!",
        Verdict::NotApplicable => "–",
        Verdict::NotTested => "?",
    };
    format!(
        r#"<td class="cell {}" title="{}">{symbol}</td>"#,
        verdict.as_str(),
        verdict.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::fixture;

    /// The fixture's implementation, and a rival that passes what it failed and never ran the stale check.
    fn runs() -> Vec<RunReport> {
        let acme = fixture();
        let mut rival = fixture();
        rival.implementation = Some("squid-ksn | 5".into());
        for item in &mut rival.items {
            item.verdict = match item.verdict {
                Verdict::Fail | Verdict::Error => Verdict::Pass,
                other => other,
            };
        }
        rival.items.retain(|item| item.id != "PX-STALE-1/grace");
        vec![acme, rival]
    }

    #[test]
    fn cells_hold_each_runs_verdicts_and_gaps() {
        let matrix = ComparisonMatrix::from_runs(&runs());
        assert_eq!(
            matrix.implementations,
            ["acme-proxy 2.1 \"beta\"", "squid-ksn | 5"]
        );
        let row =
            |rows: &[ComparisonRow], id: &str| rows.iter().find(|row| row.id == id).unwrap().cells.clone();
        assert_eq!(
            row(&matrix.requirements, "PX-CACHE-3"),
            [Some(Verdict::Fail), Some(Verdict::Pass)]
        );
        assert_eq!(
            row(&matrix.requirements, "PX-STALE-1"),
            [Some(Verdict::NotApplicable), Some(Verdict::NotTested)]
        );
        assert_eq!(
            row(&matrix.checks, "PX-STALE-1/grace"),
            [Some(Verdict::NotApplicable), None]
        );
        assert_eq!(matrix.requirements.len(), 7);
        assert!(matrix.checks.windows(2).all(|pair| pair[0].id < pair[1].id));
    }

    #[test]
    fn comparison_markdown_snapshot() {
        let mut out = Vec::new();
        write_comparison_markdown(&ComparisonMatrix::from_runs(&runs()), &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn comparison_html_snapshot() {
        let mut out = Vec::new();
        write_comparison_html(&ComparisonMatrix::from_runs(&runs()), &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn no_runs_make_an_empty_matrix() {
        let matrix = ComparisonMatrix::from_runs(&[]);
        assert!(
            matrix.implementations.is_empty() && matrix.requirements.is_empty() && matrix.checks.is_empty()
        );
    }
}
