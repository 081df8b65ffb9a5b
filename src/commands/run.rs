//! `ksnsim run`: the scenario suite in simulation. Shows a line per scenario as it finishes, then a summary
//! with each failing scenario's seed and the command that replays it; writes the reports; exits by the gate
//! (`--gate all` by default: the suite judges the reference, which must meet every level it implements).

use ksnsim_reports::{Verdict, exit};
use ksnsim_scenarios::{SuiteError, SuiteOptions, run_suite};

use super::{CliError, features_dir, runtime};
use crate::args::RunArgs;
use crate::output::{gate_line, write_and_announce};

pub fn run(args: RunArgs) -> Result<u8, CliError> {
    let mut options = SuiteOptions::new(features_dir()?);
    options.only = args.features.clone();
    options.tags = args.tags.clone();
    options.base_seed = args.seed;
    options.concurrency = args.concurrency.max(1);
    options.partition = args.partition.as_deref().map(parse_partition).transpose()?;
    if args.seeds == 0 {
        return Err(CliError::BadInput(
            "--seeds 0: give at least 1 (the default)".into(),
        ));
    }
    options.seeds = args.seeds;
    options.progress = true;
    eprintln!(
        "ksnsim run: base seed {}{}{}",
        args.seed,
        match args.seeds {
            1 => String::new(),
            n => format!(", {n} seeds per scenario"),
        },
        args.partition
            .as_deref()
            .map(|p| format!(", share {p}"))
            .unwrap_or_default()
    );
    let outcome = runtime()?
        .block_on(run_suite(&options))
        .map_err(|err| match err {
            SuiteError::Tags { .. } | SuiteError::NoFeatures(_) => CliError::BadInput(err.to_string()),
            SuiteError::NothingMatched(_) => CliError::BadInput(format!("{err}: check the paths and --tags")),
        })?;
    let report = &outcome.report;
    let totals = report.totals();
    println!(
        "\n{} scenarios: {} passed, {} failed, {} errors",
        report.items.len(),
        totals.pass,
        totals.fail,
        totals.error
    );
    for item in report.items.iter().filter(|i| i.verdict != Verdict::Pass) {
        println!(
            "\n{} {} — {}",
            item.verdict.as_str().to_uppercase(),
            item.id,
            item.name
        );
        if let Some(failure) = &item.failure {
            println!("  {}", failure.message);
            if let Some(event) = &failure.event {
                println!("  event: {event}");
            }
        }
        println!("  replay: {}", item.replay.as_deref().unwrap_or("-"));
        let steps = outcome.steps_of(&item.id);
        if !steps.is_empty() {
            println!("  steps:");
            steps.iter().for_each(|step| println!("  {step}"));
        }
    }
    println!();
    write_and_announce(report, &args.report)?;
    let gate = report.gate_at(args.gate);
    println!("{}", gate_line(&gate, args.gate, "scenario"));
    Ok(if gate.passed() {
        exit::SUCCESS
    } else {
        exit::for_gate(&gate)
    })
}

/// `K/N`, with 1 <= K <= N.
fn parse_partition(text: &str) -> Result<(u64, u64), CliError> {
    let bad = || {
        CliError::BadInput(format!(
            "--partition {text:?}: write K/N with 1 <= K <= N, e.g. 2/4"
        ))
    };
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        Err(bad())
    } else {
        Ok((k, n))
    }
}
