//! Which scenarios cover which requirement: read from the features' tags, checked against the catalogue,
//! and written as `features/COVERAGE.md` (a generated file that CI regenerates and compares).

use cucumber::gherkin;
use ksnsim_harness::catalogue::catalogue;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Requirement id -> the scenarios (`file:line name`) tagged with it, in catalogue order.
pub fn coverage(features_dir: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut covered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let parent = features_dir.parent().unwrap_or(features_dir);
    for path in feature_files(features_dir) {
        let feature = gherkin::Feature::parse_path(&path, gherkin::GherkinEnv::default())
            .map_err(|err| format!("{}: {err}", path.display()))?;
        let shown = path.strip_prefix(parent).unwrap_or(&path).display().to_string();
        for scenario in feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()))
        {
            for tag in feature.tags.iter().chain(&scenario.tags) {
                let place = format!("{shown}:{} {}", scenario.position.line, scenario.name);
                covered
                    .entry(tag.trim_start_matches('@').to_owned())
                    .or_default()
                    .push(place);
            }
        }
    }
    Ok(covered)
}

/// Every `.feature` file under `dir`, sorted.
pub fn feature_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "feature") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Catalogue ids that no scenario covers.
pub fn uncovered(covered: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    catalogue()
        .into_iter()
        .map(|r| r.id.to_string())
        .filter(|id| !covered.contains_key(id))
        .collect()
}

/// Per clause, the scenarios (item ids) whose run gave it something to judge, from a suite run's outcome.
pub fn clause_reach(outcome: &crate::suite::SuiteOutcome) -> BTreeMap<String, Vec<String>> {
    let mut reach: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (item, clauses) in &outcome.clauses {
        for clause in clauses {
            reach.entry(clause.clone()).or_default().push(item.clone());
        }
    }
    reach
}

/// The `features/COVERAGE.md` table: the scenarios tagged with each requirement, and per clause its judge,
/// its bound and the scenarios that reach it (`reach`, from [`clause_reach`]).
pub fn render(covered: &BTreeMap<String, Vec<String>>, reach: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::from(
        "# Requirement coverage\n\nGenerated from the features' tags by `cargo test -p ksnsim-scenarios --test coverage` \
         (set `KSNSIM_UPDATE_COVERAGE=1` to rewrite it). Do not edit by hand.\n\n\
         | requirement | level | scenarios |\n|---|---|---|\n",
    );
    for requirement in catalogue() {
        let places = covered
            .get(requirement.id.as_str())
            .map(|p| p.join("<br>"))
            .unwrap_or_else(|| "**none**".into());
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            requirement.id,
            requirement.level.as_str(),
            places.replace('|', "\\|")
        );
    }
    out.push_str(
        "\n## Clauses and their judges\n\nThe executable specification (`features/clauses.toml`, \
         `harness/src/spec/`): every clause of every requirement, the judge that decides it on every run, its \
         bound, and the scenarios of the suite (seed 1) whose run gave it something to judge. A clause without a \
         judge is shown as **none** and fails `cargo test -p ksnsim-harness`; one no scenario reaches is shown as \
         **gap**. How many explore runs reach each clause is in the summary of every `ksnsim explore` run.\n\n\
         | clause | kind | judge | bound | scenarios reaching it | what it says |\n|---|---|---|---|---|---|\n",
    );
    for clause in ksnsim_harness::spec::all_clauses() {
        let kind = match clause.kind {
            ksnsim_harness::spec::ClauseKind::Safety => "safety",
            ksnsim_harness::spec::ClauseKind::Liveness => "liveness",
        };
        let judge = ksnsim_harness::spec::judge_of(clause.id).unwrap_or_else(|| "**none**".into());
        let reached = match reach.get(clause.id).map(Vec::as_slice) {
            None | Some([]) => "**gap**".to_owned(),
            Some([only]) => only.clone(),
            Some([first, rest @ ..]) => format!("{} (first: {first})", rest.len() + 1),
        };
        let _ = writeln!(
            out,
            "| {} | {kind} | {judge} | {} | {} | {} |",
            clause.id,
            clause.bound.unwrap_or("").replace('|', "\\|"),
            reached.replace('|', "\\|"),
            clause.text.replace('|', "\\|")
        );
    }
    out
}
