//! The explore summary: runs, distinct schedules, runs per second, what was found (and whether its feature
//! file replays the same), and the requirement x fault coverage, as `summary.md` and `explore.json`.

use std::path::Path;

use super::{ExploreError, ExploreOutcome};

/// `summary.md`: what a field engineer attaches to a ticket.
pub fn summary_markdown(outcome: &ExploreOutcome, command: &str) -> String {
    let p = &outcome.progress;
    let mut out = format!(
        "# ksnsim explore\n\n`{command}`\n\n- runs: {} ({} distinct schedules), {:.1} s, {:.1} runs/s\n- runs a step of which the world refused (model gaps, not findings): {}\n- runs that could not run: {}\n",
        p.runs,
        outcome.distinct,
        p.elapsed.as_secs_f64(),
        p.runs_per_second(),
        p.refused,
        p.errors,
    );
    match &outcome.finding {
        None => out.push_str("- violation: none found\n"),
        Some(f) => out.push_str(&format!(
            "- violation: {}: {}\n- {}: `{}`\n- `ksnsim run` on it: {}\n",
            f.violated(),
            f.message,
            f.shrunk(),
            f.feature.display(),
            f.replay()
        )),
    }
    let unexercised: Vec<&String> = outcome
        .guarded
        .iter()
        .filter(|r| !outcome.coverage.requirements().contains(*r))
        .collect();
    out.push_str(&format!(
        "\n## Requirement x fault coverage\n\nRuns in which the requirement's invariant had something to judge, by the kinds of fault the schedule held.\n\n{}",
        outcome.coverage.markdown()
    ));
    if !unexercised.is_empty() {
        let ids: Vec<&str> = unexercised.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!("\nNever exercised: {}\n", ids.join(", ")));
    }
    let unreached: Vec<&str> = ksnsim_harness::spec::all_clauses()
        .iter()
        .map(|c| c.id)
        .filter(|id| outcome.coverage.clause_runs(id) == 0)
        .collect();
    out.push_str(&format!(
        "\n## Clauses reached\n\n{} of {} clauses of the specification had something to judge in at least one run.\n",
        ksnsim_harness::spec::all_clauses().len() - unreached.len(),
        ksnsim_harness::spec::all_clauses().len()
    ));
    if !unreached.is_empty() {
        out.push_str(&format!("Never reached: {}\n", unreached.join(", ")));
    }
    out
}

pub fn to_json(outcome: &ExploreOutcome, command: &str) -> serde_json::Value {
    let p = &outcome.progress;
    let finding = outcome.finding.as_ref().map(|f| {
        serde_json::json!({
            "requirement": f.requirement,
            "invariant": f.invariant,
            "message": f.message,
            "run": f.run,
            "time_to_find_ms": f.time_to_find.as_millis() as u64,
            "steps_before": f.steps_before,
            "steps_after": f.steps_after,
            "shrink_runs": f.shrink_runs,
            "seed": f.seed,
            "trace_digest": f.digest,
            "feature": f.feature.display().to_string(),
            "replays_the_same": f.replays_the_same(),
        })
    });
    serde_json::json!({
        "command": command,
        "runs": p.runs,
        "distinct_schedules": outcome.distinct,
        "elapsed_ms": p.elapsed.as_millis() as u64,
        "runs_per_second": p.runs_per_second(),
        "refused": p.refused,
        "errors": p.errors,
        "finding": finding,
        "coverage": outcome.coverage.to_json(),
        "guarded_requirements": outcome.guarded,
    })
}

/// Writes `summary.md` and `explore.json` into `dir`.
pub fn write_reports(outcome: &ExploreOutcome, command: &str, dir: &Path) -> Result<(), ExploreError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ExploreError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let summary = dir.join("summary.md");
    std::fs::write(&summary, summary_markdown(outcome, command)).map_err(io(&summary))?;
    let json = dir.join("explore.json");
    let text = serde_json::to_string_pretty(&to_json(outcome, command)).expect("JSON values serialize");
    std::fs::write(&json, text + "\n").map_err(io(&json))?;
    Ok(())
}
