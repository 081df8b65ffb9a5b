//! `ksnsim report merge|compare`: combine report.json files — the shares of a partitioned run into one
//! report, or conformance runs of several implementations into one comparison matrix.

use ksnsim_reports::{
    ComparisonMatrix, GateLevel, RunKind, RunReport, merge_runs, read_json_file, write_comparison_html,
    write_comparison_markdown,
};
use std::path::{Path, PathBuf};

use super::CliError;
use crate::args::ReportCommand;
use crate::output::write_and_announce;

pub fn run(command: ReportCommand) -> Result<u8, CliError> {
    match command {
        ReportCommand::Merge { inputs, out, gate } => {
            let runs = read_all(&inputs)?;
            let merged = merge_runs(runs).map_err(|err| CliError::BadInput(err.to_string()))?;
            let totals = merged.totals();
            println!(
                "{} items: {} passed, {} failed",
                merged.items.len(),
                totals.pass,
                totals.fail
            );
            write_and_announce(&merged, &out)?;
            let gate = gate.unwrap_or(match merged.kind {
                RunKind::Suite => GateLevel::All,
                _ => GateLevel::Must,
            });
            Ok(ksnsim_reports::exit::for_gate(&merged.gate_at(gate)))
        }
        ReportCommand::Compare { inputs, out } => {
            let matrix = ComparisonMatrix::from_runs(&read_all(&inputs)?);
            std::fs::create_dir_all(&out)
                .map_err(|err| CliError::BadInput(format!("--out {}: {err}", out.display())))?;
            let write = |name: &str,
                         f: &dyn Fn(&mut std::fs::File) -> std::io::Result<()>|
             -> Result<PathBuf, CliError> {
                let path = out.join(name);
                let mut file = std::fs::File::create(&path)
                    .map_err(|err| CliError::BadInput(format!("{}: {err}", path.display())))?;
                f(&mut file).map_err(|err| CliError::Harness(format!("{}: {err}", path.display())))?;
                Ok(path)
            };
            let md = write("comparison.md", &|f| write_comparison_markdown(&matrix, f))?;
            let html = write("comparison.html", &|f| write_comparison_html(&matrix, f))?;
            println!(
                "comparison of {}: {}, {}",
                matrix.implementations.join(", "),
                md.display(),
                html.display()
            );
            Ok(ksnsim_reports::exit::SUCCESS)
        }
    }
}

/// Reads each input: a report.json, or a folder holding one.
fn read_all(inputs: &[PathBuf]) -> Result<Vec<RunReport>, CliError> {
    inputs
        .iter()
        .map(|input| {
            let path: &Path = input;
            let file = if path.is_dir() {
                path.join("report.json")
            } else {
                path.to_path_buf()
            };
            read_json_file(&file).map_err(|err| CliError::BadInput(err.to_string()))
        })
        .collect()
}
