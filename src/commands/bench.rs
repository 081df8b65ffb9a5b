//! `ksnsim bench`: run a benchmark and print its figures (wall times side by side, and their ratio).

use ksnsim_harness::bench::{BenchSpec, bench_sim};
use ksnsim_harness::duration::{format_duration, parse_duration};
use ksnsim_reports::exit;

use super::CliError;
use crate::args::BenchCommand;

pub fn run(command: BenchCommand) -> Result<u8, CliError> {
    let BenchCommand::Sim {
        endpoints,
        proxies,
        lookups,
        duration,
        loss,
        seed,
    } = command;
    let duration = parse_duration(&duration).map_err(|err| CliError::BadInput(format!("--for: {err}")))?;
    if endpoints == 0 || proxies == 0 {
        return Err(CliError::BadInput(
            "--endpoints and --proxies must be at least 1".into(),
        ));
    }
    let spec = BenchSpec {
        endpoints,
        proxies,
        lookups,
        duration,
        loss,
        seed,
    };
    eprintln!(
        "ksnsim bench sim: {endpoints} endpoints behind {proxies} distribution points, {lookups} lookups each over {}, {:.1}% loss",
        format_duration(duration),
        loss * 100.0
    );
    let result = bench_sim(spec)?;
    println!(
        "hosts {}  exchanges {}  trace events {}  invariants {}",
        result.hosts,
        result.exchanges,
        result.events,
        if result.invariants_hold {
            "hold"
        } else {
            "VIOLATED"
        }
    );
    println!(
        "ksnsim harness   {:>8.2} s wall",
        result.harness_wall.as_secs_f64()
    );
    println!(
        "bare turmoil     {:>8.2} s wall (same hosts, tick, time and exchanges, plain TCP)",
        result.bare_wall.as_secs_f64()
    );
    println!("ratio            {:>8.2}x", result.ratio());
    println!("trace sha256 {}", result.digest);
    Ok(if result.invariants_hold {
        exit::SUCCESS
    } else {
        exit::REQUIREMENT_FAILED
    })
}
