//! Writing a run's reports into a folder (`report.json`, `junit.xml`, `summary.md`, `report.html`), and the
//! one line every judging command ends with: whether the run passes its gate.

use ksnsim_reports::{
    GateLevel, GateOutcome, RunReport, write_html, write_json, write_junit, write_markdown,
};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::commands::CliError;

/// Writes every format; returns the files written.
pub fn write_reports(run: &RunReport, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut write = |name: &str, writer: &dyn Fn(&mut BufWriter<File>) -> io::Result<()>| -> io::Result<()> {
        let path = dir.join(name);
        let mut out = BufWriter::new(File::create(&path)?);
        writer(&mut out)?;
        out.flush()?;
        written.push(path);
        Ok(())
    };
    write("report.json", &|out| write_json(run, out))?;
    write("junit.xml", &|out| write_junit(run, out))?;
    write("summary.md", &|out| write_markdown(run, out))?;
    write("report.html", &|out| write_html(run, out))?;
    Ok(written)
}

/// Writes every format into `dir` and says where, as every command does at its end.
pub fn write_and_announce(run: &RunReport, dir: &Path) -> Result<(), CliError> {
    let written = write_reports(run, dir)
        .map_err(|err| CliError::Harness(format!("writing reports to {}: {err}", dir.display())))?;
    let shown: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    println!("reports: {}", shown.join(", "));
    Ok(())
}

/// One line saying whether the run passes the gate at `level`, and what blocks it or was let through below
/// it; `items` names what must pass (`scenario`, `check of acme 2.1`).
pub fn gate_line(gate: &GateOutcome, level: GateLevel, items: &str) -> String {
    let scope = level.scope();
    if gate.passed() {
        let tolerated = match gate.tolerated.len() {
            0 => String::new(),
            n => format!(" ({n} below the gate: {})", gate.tolerated.join(", ")),
        };
        return format!("gate: PASS: {scope} {items} passed{tolerated}");
    }
    let mut line = format!("gate: FAIL ({scope} must pass)");
    if !gate.failed.is_empty() {
        line.push_str(&format!("; failed: {}", gate.failed.join(", ")));
    }
    if !gate.errored.is_empty() {
        line.push_str(&format!("; ksnsim could not judge: {}", gate.errored.join(", ")));
    }
    line
}
