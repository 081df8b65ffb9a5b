//! `ksnsim explore`: search generated schedules for a violated requirement, with a progress line while it
//! searches; on a violation, the shrunk feature file and the command that runs it. Exits 1 when it found a
//! violation (0 when none within the budget), 4 when the written file does not fail the same way.

use std::time::{Duration, Instant};

use ksnsim_harness::duration::{format_duration, parse_duration};
use ksnsim_harness::topology::Topology;
use ksnsim_reports::exit;
use ksnsim_scenarios::explore::report::write_reports;
use ksnsim_scenarios::explore::{
    ExploreOptions, ExploreOutcome, Progress, Start, StartingScenario, parse_place, read_scenario,
    starting_world,
};

use super::{CliError, features_dir, runtime};
use crate::args::ExploreArgs;

pub fn run(args: ExploreArgs) -> Result<u8, CliError> {
    let command = command_line();
    let mut options = ExploreOptions::new(features_dir()?, &args.out);
    options.budget =
        Some(parse_duration(&args.budget).map_err(|err| CliError::BadInput(format!("--budget: {err}")))?);
    options.max_runs = args.runs;
    options.seed = args.seed;
    options.max_steps = args.max_steps.max(1);
    options.max_endpoints = args.max_endpoints.max(1);
    options.batch = args.batch.max(1);
    options.shrink_runs = args.shrink_runs;
    options.command = command.clone();
    if let Some(around) = &args.around {
        let start = if around.ends_with(".toml") {
            topology_world(around)?
        } else {
            let (path, line) = parse_place(around).map_err(|err| CliError::BadInput(err.to_string()))?;
            read_scenario(&path, line).map_err(|err| CliError::BadInput(err.to_string()))?
        };
        eprintln!(
            "ksnsim explore: around {} ({}): {} Given, {} When steps",
            start.place,
            start.name,
            start.given.len(),
            start.when.len()
        );
        options.start = Start::Around(start);
    }
    eprintln!(
        "ksnsim explore: seed {}, budget {}{}, up to {} steps per schedule",
        options.seed,
        format_duration(options.budget.unwrap_or_default()),
        args.runs.map(|n| format!(" or {n} runs")).unwrap_or_default(),
        options.max_steps
    );
    let mut last_shown = Instant::now() - Duration::from_secs(10);
    let show = |progress: &Progress| {
        if last_shown.elapsed() >= Duration::from_secs(2) || progress.best.is_some() {
            eprintln!("  {}", progress_line(progress));
            last_shown = Instant::now();
        }
    };
    let outcome = runtime()?
        .block_on(ksnsim_scenarios::explore::explore(&options, show))
        .map_err(|err| CliError::Harness(err.to_string()))?;
    write_reports(&outcome, &command, &args.out).map_err(|err| CliError::Harness(err.to_string()))?;
    print_summary(&outcome, &args.out);
    Ok(match &outcome.finding {
        None => exit::SUCCESS,
        Some(finding) if finding.replays_the_same() => exit::REQUIREMENT_FAILED,
        Some(_) => exit::NONDETERMINISM,
    })
}

/// A topology file's world, as Given steps.
fn topology_world(path: &str) -> Result<StartingScenario, CliError> {
    let text = std::fs::read_to_string(path).map_err(|err| CliError::BadInput(format!("{path}: {err}")))?;
    let topology = Topology::from_toml(&text, path).map_err(|err| CliError::BadInput(err.to_string()))?;
    if topology.tick_ms != 100 {
        eprintln!(
            "ksnsim explore: {path}: tick_ms = {} is not carried; scenarios advance time by their own steps",
            topology.tick_ms
        );
    }
    starting_world(&topology, path).map_err(|err| CliError::BadInput(err.to_string()))
}

fn progress_line(p: &Progress) -> String {
    format!(
        "{} runs, {:.1}/s, {} requirements exercised, {} refused{}",
        p.runs,
        p.runs_per_second(),
        p.requirements_exercised,
        p.refused,
        p.best
            .as_ref()
            .map(|b| format!(", best failure so far: {b}"))
            .unwrap_or_default()
    )
}

fn print_summary(outcome: &ExploreOutcome, out: &std::path::Path) {
    let p = &outcome.progress;
    println!(
        "\n{} runs ({} distinct schedules) in {:.1} s: {:.1} runs/s; {} of {} guarded requirements exercised",
        p.runs,
        outcome.distinct,
        p.elapsed.as_secs_f64(),
        p.runs_per_second(),
        outcome.coverage.requirements().len(),
        outcome.guarded.len()
    );
    if p.refused > 0 {
        println!(
            "{} runs stopped at a step the world refused though the model allowed it (not findings)",
            p.refused
        );
    }
    match &outcome.finding {
        None => println!("no violation found"),
        Some(f) => {
            println!("\nVIOLATED {}\n  {}\n  {}", f.violated(), f.message, f.shrunk());
            println!("  written: {}", f.feature.display());
            println!("  run it:  ksnsim run {}", f.feature.display());
            let verdict = if f.replays_the_same() {
                "checked"
            } else {
                "NONDETERMINISM"
            };
            println!("  {verdict}: {}", f.replay());
        }
    }
    println!(
        "reports: {}/summary.md, {}/explore.json",
        out.display(),
        out.display()
    );
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("ksnsim {}", args.join(" "))
}
