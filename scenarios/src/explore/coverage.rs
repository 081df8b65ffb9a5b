//! Requirement x fault coverage of an explore run: for each requirement an invariant guards, under which kinds
//! of fault it had something to judge at least once (how many runs), so that "no violation" can be read for
//! what it is worth. Written to the explore report as a Markdown table and as JSON.

use std::collections::{BTreeMap, BTreeSet};

/// The column of runs with no fault at all.
pub const NO_FAULT: &str = "no fault";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Runs per (requirement, fault kind).
    cells: BTreeMap<(String, String), u64>,
    /// Runs per requirement, whatever the faults.
    totals: BTreeMap<String, u64>,
    requirements: BTreeSet<String>,
    faults: BTreeSet<String>,
    runs: u64,
    /// Runs per clause of the specification that had something to judge.
    clauses: BTreeMap<String, u64>,
}

impl Coverage {
    /// Counts one run: the requirements its trace exercised, under the fault kinds its schedule had.
    pub fn add_run<'a>(&mut self, exercised: &[String], faults: impl IntoIterator<Item = &'a str>) {
        let mut faults: BTreeSet<&str> = faults.into_iter().collect();
        if faults.is_empty() {
            faults.insert(NO_FAULT);
        }
        for fault in &faults {
            self.faults.insert((*fault).to_owned());
        }
        self.runs += 1;
        for requirement in exercised {
            self.requirements.insert(requirement.clone());
            *self.totals.entry(requirement.clone()).or_default() += 1;
            for fault in &faults {
                *self
                    .cells
                    .entry((requirement.clone(), (*fault).to_owned()))
                    .or_default() += 1;
            }
        }
    }

    /// Counts the clauses one run had something to judge for (each once per run).
    pub fn add_clauses(&mut self, clauses: &[String]) {
        let unique: BTreeSet<&String> = clauses.iter().collect();
        for clause in unique {
            *self.clauses.entry(clause.clone()).or_default() += 1;
        }
    }

    /// Runs in which `clause` had something to judge.
    pub fn clause_runs(&self, clause: &str) -> u64 {
        self.clauses.get(clause).copied().unwrap_or(0)
    }

    /// Requirements exercised at least once.
    pub fn requirements(&self) -> &BTreeSet<String> {
        &self.requirements
    }

    pub fn runs(&self, requirement: &str, fault: &str) -> u64 {
        self.cells
            .get(&(requirement.to_owned(), fault.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Runs in which `requirement` had something to judge, under any faults.
    pub fn total(&self, requirement: &str) -> u64 {
        self.totals.get(requirement).copied().unwrap_or(0)
    }

    /// The matrix as a Markdown table: a row per requirement, its runs of all, then a column per fault kind.
    pub fn markdown(&self) -> String {
        let faults: Vec<&String> = self.faults.iter().collect();
        let mut out = format!(
            "| requirement | runs (of {}) | {} |\n|---|---:|{}\n",
            self.runs,
            faults.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(" | "),
            "---:|".repeat(faults.len())
        );
        for requirement in &self.requirements {
            let cells: Vec<String> = faults
                .iter()
                .map(|f| match self.runs(requirement, f) {
                    0 => "-".to_owned(),
                    n => n.to_string(),
                })
                .collect();
            out.push_str(&format!(
                "| {requirement} | {} | {} |\n",
                self.total(requirement),
                cells.join(" | ")
            ));
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        let rows: serde_json::Map<String, serde_json::Value> = self
            .requirements
            .iter()
            .map(|r| {
                let cells: serde_json::Map<String, serde_json::Value> = self
                    .faults
                    .iter()
                    .map(|f| (f.clone(), self.runs(r, f).into()))
                    .collect();
                (r.clone(), cells.into())
            })
            .collect();
        serde_json::json!({
            "runs": self.runs,
            "faults": self.faults,
            "exercised": self.totals,
            "by_fault": rows,
            "clauses": self.clauses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_under_each_of_its_faults_and_a_run_without_faults_under_no_fault() {
        let mut coverage = Coverage::default();
        coverage.add_run(&["EP-STAT-1".into()], ["loss", "crash", "loss"]);
        coverage.add_run(&["EP-STAT-1".into(), "EP-DNS-1".into()], []);
        assert_eq!(coverage.runs("EP-STAT-1", "loss"), 1);
        assert_eq!(coverage.runs("EP-STAT-1", NO_FAULT), 1);
        assert_eq!(coverage.runs("EP-DNS-1", "crash"), 0);
        let table = coverage.markdown();
        assert!(table.contains("| EP-DNS-1 | 1 | - | - | 1 |"), "{table}");
        assert!(table.starts_with("| requirement | runs (of 2) |"), "{table}");
        assert_eq!(coverage.total("EP-STAT-1"), 2);
        assert_eq!(coverage.to_json()["by_fault"]["EP-STAT-1"]["crash"], 1);
    }
}
