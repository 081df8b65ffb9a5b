//! `ksnsim bench`: run a benchmark and print its figures: `sim` (wall times side by side, and their ratio),
//! `proxy` (KSN load against proxies on loopback, as a table; `--report` writes bench.json and bench.md).

use std::path::{Path, PathBuf};
use std::time::Duration;

use ksnsim_harness::bench::{
    BenchSpec, BenchedProxy, ProxyBenchError, ProxyBenchPlan, Workload, bench_sim, render_bench_markdown,
    render_bench_table, run_proxy_bench_blocking,
};
use ksnsim_harness::conformance::ProxyCommand;
use ksnsim_harness::duration::{format_duration, parse_duration};
use ksnsim_reports::exit;

use super::CliError;
use crate::args::{BenchCommand, BenchProxyArgs};

pub fn run(command: BenchCommand) -> Result<u8, CliError> {
    match command {
        BenchCommand::Sim {
            endpoints,
            proxies,
            lookups,
            duration,
            loss,
            seed,
        } => run_sim(endpoints, proxies, lookups, &duration, loss, seed),
        BenchCommand::Proxy(args) => run_proxy(&args),
    }
}

fn run_sim(
    endpoints: usize,
    proxies: usize,
    lookups: u32,
    duration: &str,
    loss: f64,
    seed: u64,
) -> Result<u8, CliError> {
    let duration = parse_duration(duration).map_err(|err| CliError::BadInput(format!("--for: {err}")))?;
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

/// `ksnsim bench proxy`: resolve the flags, run the rounds, print the table, write the report.
fn run_proxy(args: &BenchProxyArgs) -> Result<u8, CliError> {
    let plan = resolve_proxy_plan(args)?;
    eprintln!(
        "ksnsim bench proxy: {} at {:?} connections, {} round(s) of {} per measurement; ksnsim's CA goes to {}",
        plan.proxies
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plan.connections,
        plan.rounds,
        format_duration(plan.duration),
        plan.pki_dir.join("ca.pem").display()
    );
    let report = run_proxy_bench_blocking(&plan, &|line| eprintln!("  {line}")).map_err(bench_error)?;
    print!("{}", render_bench_table(&report));
    if let Some(dir) = &args.report {
        let written = write_bench_report(dir, &report)
            .map_err(|err| CliError::Harness(format!("--report {}: {err}", dir.display())))?;
        println!("reports: {}", written.join(", "));
    }
    Ok(exit::SUCCESS)
}

fn bench_error(err: ProxyBenchError) -> CliError {
    if err.is_user_error() {
        CliError::BadInput(err.to_string())
    } else {
        CliError::Harness(err.to_string())
    }
}

fn resolve_proxy_plan(args: &BenchProxyArgs) -> Result<ProxyBenchPlan, CliError> {
    let bad = |flag: &str, why: String| CliError::BadInput(format!("{flag}: {why}"));
    let duration = parse_duration(&args.duration).map_err(|err| bad("--duration", err.to_string()))?;
    let connections = args
        .connections
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.parse::<usize>().ok().filter(|n| (1..=10_000).contains(n)))
        .collect::<Option<Vec<_>>>()
        .filter(|list| !list.is_empty())
        .ok_or_else(|| {
            bad(
                "--connections",
                format!(
                    "{:?}: give counts from 1 to 10000, comma-separated, e.g. 8,64",
                    args.connections
                ),
            )
        })?;
    let workloads =
        Workload::parse_list(&args.workloads).map_err(|err| bad("--workloads", err.to_string()))?;
    let proxies = if args.proxy_cmds.is_empty() {
        vec![default_proxy()?]
    } else {
        args.proxy_cmds
            .iter()
            .map(|text| named_proxy(text))
            .collect::<Result<_, _>>()?
    };
    let mut names: Vec<&str> = proxies.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(bad(
            "--proxy-cmd",
            format!(
                "the name {:?} is given twice: name each proxy differently (NAME=CMD)",
                twice[0]
            ),
        ));
    }
    if args.rounds == 0 || args.warm_objects == 0 {
        return Err(CliError::BadInput(
            "--rounds and --warm-objects must be at least 1".into(),
        ));
    }
    Ok(ProxyBenchPlan {
        proxies,
        connections,
        duration,
        rounds: args.rounds,
        workloads,
        warm_objects: args.warm_objects,
        pki_dir: args.pki.clone(),
        startup: Duration::from_secs(15),
        request_timeout: Duration::from_secs(10),
    })
}

/// `NAME=CMD` (or a bare command, named after its program), checked as `ksnsim conformance` checks it.
fn named_proxy(text: &str) -> Result<BenchedProxy, CliError> {
    let (name, template) = match text.split_once('=') {
        Some((name, rest)) if !name.is_empty() && !name.contains(char::is_whitespace) => (Some(name), rest),
        _ => (None, text),
    };
    let command = super::conformance::command("--proxy-cmd", template)?;
    Ok(BenchedProxy {
        name: name.map_or_else(|| command.program_name(), str::to_owned),
        command,
    })
}

/// The reference `ksn-proxy`: next to this ksnsim, else on PATH.
fn default_proxy() -> Result<BenchedProxy, CliError> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("ksn-proxy")))
        .filter(|path| path.is_file());
    let on_path = || {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join("ksn-proxy"))
            .find(|candidate| candidate.is_file())
    };
    let program: PathBuf = beside.or_else(on_path).ok_or_else(|| {
        CliError::BadInput(
            "no --proxy-cmd, and the reference ksn-proxy is neither next to ksnsim nor on PATH: build it \
             (cargo build --release -p ksnsim-reference --bin ksn-proxy) or give --proxy-cmd NAME=CMD"
                .into(),
        )
    })?;
    let quoted = format!("'{}'", program.display().to_string().replace('\'', r"'\''"));
    let template = format!("{quoted} --listen {{listen}} --upstream {{upstream}} --ca {{ca}}");
    let command = ProxyCommand::parse(&template)
        .map_err(|err| CliError::Harness(format!("the default ksn-proxy command: {err}")))?;
    Ok(BenchedProxy {
        name: "ksn-proxy".to_owned(),
        command,
    })
}

/// Writes bench.json and bench.md into `dir`; the files written.
fn write_bench_report(
    dir: &Path,
    report: &ksnsim_harness::bench::ProxyBenchReport,
) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let json = dir.join("bench.json");
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(&json, text + "\n")?;
    let md = dir.join("bench.md");
    std::fs::write(&md, render_bench_markdown(report))?;
    Ok(vec![json.display().to_string(), md.display().to_string()])
}
