//! `ksnsim replay`: run one scenario again with the seed a run printed, show its trace as a timeline, and
//! check that the digest is the one recorded (exit 4 when it is not: the run was not deterministic). With
//! `--trace FILE`, print a recorded trace instead.

use ksnsim_reports::{TraceEvent, Verdict, exit, read_trace_jsonl, trace_digest};
use ksnsim_scenarios::{SuiteOptions, run_suite};
use std::io::BufReader;

use super::{CliError, features_dir, runtime};
use crate::args::ReplayArgs;

pub fn run(args: ReplayArgs) -> Result<u8, CliError> {
    if let Some(path) = &args.trace {
        let file = std::fs::File::open(path)
            .map_err(|err| CliError::BadInput(format!("--trace {}: {err}", path.display())))?;
        let trace = read_trace_jsonl(&mut BufReader::new(file))
            .map_err(|err| CliError::BadInput(format!("--trace {}: {err}", path.display())))?;
        print_timeline(&trace);
        println!("trace sha256 {}", trace_digest(&trace));
        return Ok(exit::SUCCESS);
    }
    let (Some(scenario), Some(seed)) = (args.scenario.clone(), args.seed) else {
        return Err(CliError::BadInput(
            "give FEATURE:LINE and --seed N, or --trace FILE".into(),
        ));
    };
    if !scenario.contains(':') {
        return Err(CliError::BadInput(format!(
            "{scenario:?}: name the scenario as FEATURE:LINE, e.g. features/proxy_cache.feature:23"
        )));
    }
    let mut options = SuiteOptions::new(features_dir()?);
    // Only the scenario's own file is parsed: it may live anywhere (a ticket folder), as with `ksnsim run`.
    let file = scenario
        .rsplit_once(':')
        .map_or(scenario.as_str(), |(file, _)| file);
    options.only = vec![std::path::PathBuf::from(file)];
    options.replay = Some((scenario.clone(), seed));
    options.concurrency = 1;
    options.keep_traces = true;
    let outcome = runtime()?
        .block_on(run_suite(&options))
        .map_err(|err| CliError::BadInput(format!("{err} (is {scenario} the line of a Scenario?)")))?;
    let item = outcome
        .report
        .items
        .into_iter()
        .next()
        .ok_or_else(|| CliError::BadInput(format!("no scenario at {scenario}")))?;
    print_timeline(&item.trace);
    let digest = item.trace_digest.clone().unwrap_or_default();
    println!(
        "{} {} — {} (seed {seed})",
        item.verdict.as_str(),
        item.id,
        item.name
    );
    if let Some(failure) = &item.failure {
        println!("  {}", failure.message);
    }
    println!("trace sha256 {digest}");
    match &args.digest {
        Some(expected) if *expected != digest => {
            eprintln!(
                "ksnsim replay: the trace differs from the recorded one ({expected}): this scenario is not deterministic"
            );
            Ok(exit::NONDETERMINISM)
        }
        Some(_) => {
            println!("same digest as recorded");
            Ok(if item.verdict == Verdict::Pass {
                exit::SUCCESS
            } else {
                exit::REQUIREMENT_FAILED
            })
        }
        None => Ok(if item.verdict == Verdict::Pass {
            exit::SUCCESS
        } else {
            exit::REQUIREMENT_FAILED
        }),
    }
}

/// One line per event: time, kind, who to whom, what.
fn print_timeline(trace: &[TraceEvent]) {
    for event in trace {
        let route = if event.to.is_empty() {
            event.from.clone()
        } else {
            format!("{} -> {}", event.from, event.to)
        };
        println!(
            "{:>10.3}s  {:<8} {:<28} {}",
            event.at_ms as f64 / 1000.0,
            event.kind.as_str(),
            route,
            event.summary
        );
    }
}
