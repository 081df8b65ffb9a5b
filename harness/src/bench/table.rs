//! The proxy benchmark as a table for the terminal and as Markdown (`bench.md`): one row per target,
//! workload and connection count, medians of the rounds; then the notes. Pure functions of the report.

use std::fmt::Write as _;

use super::results::{BenchRow, ProxyBenchReport};

const HEADERS: [&str; 11] = [
    "target",
    "workload",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "upstream/req",
    "CPU us/req",
    "RSS/entry",
    "non-2xx/errors",
];

fn cells(row: &BenchRow) -> [String; 11] {
    [
        row.target.clone(),
        row.workload.name().to_owned(),
        row.connections.to_string(),
        format!("{:.0}", row.requests_per_second),
        format!("{:.3}", row.p50_ms),
        format!("{:.3}", row.p99_ms),
        format!("{:.3}", row.p999_ms),
        row.upstream_per_request
            .map_or_else(|| "-".to_owned(), |u| format!("{u:.3}")),
        row.cpu_micros_per_request
            .map_or_else(|| "-".to_owned(), |us| format!("{us:.1}")),
        row.rss_bytes_per_entry
            .map_or_else(|| "-".to_owned(), |b| format!("{b:.0} B")),
        format!("{}/{}", row.non_2xx, row.errors),
    ]
}

/// How the run was made, in one line.
fn setting(report: &ProxyBenchReport) -> String {
    let load = |l: Option<f64>| l.map_or_else(|| "?".to_owned(), |l| format!("{l:.2}"));
    format!(
        "{} cores, load average {} at the start and {} at the end; {} round(s) of {:.1} s per measurement; \
         warm set {} objects; medians of the rounds",
        report.cores,
        load(report.load_at_start),
        load(report.load_at_end),
        report.rounds,
        report.duration_ms as f64 / 1000.0,
        report.warm_objects
    )
}

/// The table with aligned columns, the setting above it and the notes below.
pub fn render_bench_table(report: &ProxyBenchReport) -> String {
    let rows: Vec<[String; 11]> = report.rows.iter().map(cells).collect();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            // Text columns left-aligned, figures right-aligned.
            if i < 2 {
                let _ = write!(out, "{cell:<width$}  ");
            } else {
                let _ = write!(out, "{cell:>width$}  ");
            }
        }
        out.trim_end().to_owned()
    };
    let mut out = format!("{}\n", setting(report));
    out.push_str(&line(&HEADERS.map(str::to_owned)));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out.push_str(&notes(report, ""));
    out
}

/// The same as Markdown.
pub fn render_bench_markdown(report: &ProxyBenchReport) -> String {
    let mut out = String::from("# ksnsim bench proxy\n\n");
    let _ = writeln!(out, "{}.\n", setting(report));
    for (name, command) in &report.proxies {
        let _ = writeln!(out, "- `{name}`: `{command}`");
    }
    out.push('\n');
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        HEADERS
            .iter()
            .enumerate()
            .map(|(i, _)| if i < 2 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for row in &report.rows {
        let _ = writeln!(out, "| {} |", cells(row).join(" | "));
    }
    let notes = notes(report, "- ");
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

fn notes(report: &ProxyBenchReport, bullet: &str) -> String {
    let mut out = String::new();
    for row in report.rows.iter().filter(|r| r.first_problem.is_some()) {
        let _ = writeln!(
            out,
            "{bullet}{} {} c={}: {}",
            row.target,
            row.workload,
            row.connections,
            row.first_problem.as_deref().unwrap_or_default()
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "{bullet}{note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::TargetKind;
    use crate::bench::workloads::Workload;

    fn report() -> ProxyBenchReport {
        ProxyBenchReport {
            format_version: 1,
            cores: 2,
            load_at_start: Some(0.5),
            load_at_end: None,
            duration_ms: 5000,
            rounds: 3,
            warm_objects: 100,
            connections: vec![8],
            workloads: vec![Workload::Hits],
            proxies: vec![("nginx".into(), "bash careful.sh {listen} {upstream} {ca}".into())],
            rows: vec![BenchRow {
                target: "nginx".into(),
                kind: TargetKind::Proxy,
                workload: Workload::Hits,
                connections: 8,
                rounds: 3,
                requests_per_second: 12345.4,
                p50_ms: 0.5,
                p99_ms: 1.25,
                p999_ms: 3.0,
                upstream_per_request: Some(0.0),
                cpu_micros_per_request: Some(12.25),
                rss_bytes_per_entry: None,
                rss_after_warm_bytes: None,
                non_2xx: 2,
                errors: 0,
                first_problem: Some("2 answers not 2xx, first: 502".into()),
                requests_per_second_by_round: vec![1.0, 2.0, 3.0],
            }],
            notes: vec!["nginx: private not measured".into()],
        }
    }

    #[test]
    fn the_table_has_a_row_per_measurement_and_the_problems_below() {
        let table = render_bench_table(&report());
        assert!(
            table.starts_with("2 cores, load average 0.50 at the start and ? at the end"),
            "{table}"
        );
        let row = table.lines().find(|l| l.starts_with("nginx")).unwrap();
        for cell in ["hits", "12345", "0.500", "1.250", "3.000", "0.000", "12.2", "2/0"] {
            assert!(row.contains(cell), "{cell} missing in {row}");
        }
        assert!(
            table.contains("nginx hits c=8: 2 answers not 2xx, first: 502"),
            "{table}"
        );
        assert!(table.contains("nginx: private not measured"), "{table}");
    }

    #[test]
    fn the_markdown_is_a_table_with_the_commands() {
        let md = render_bench_markdown(&report());
        assert!(
            md.contains("- `nginx`: `bash careful.sh {listen} {upstream} {ca}`"),
            "{md}"
        );
        assert!(md.contains("| target | workload | conns |"), "{md}");
        assert!(
            md.contains("| nginx | hits | 8 | 12345 | 0.500 | 1.250 | 3.000 | 0.000 | 12.2 | - | 2/0 |"),
            "{md}"
        );
        assert!(md.contains("- nginx: private not measured"), "{md}");
    }
}
