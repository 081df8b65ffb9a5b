//! The scenario suite as a test target that `cargo test` and `cargo nextest` both accept: it answers
//! `--list` (one `name: test` line per scenario), takes a name filter (substring, or `--exact`), ignores the
//! flags libtest takes that mean nothing here, runs the scenarios in simulation, and ends with the line
//! `N passed, N failed`. Every scenario also runs twice when `KSNSIM_TWICE=1`, to compare trace digests.

use cucumber::gherkin;
use ksnsim_scenarios::coverage::feature_files;
use ksnsim_scenarios::suite::test_name;
use ksnsim_scenarios::{SuiteOptions, run_suite};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// libtest flags that take a value, whose value must not be read as a filter.
const FLAGS_WITH_VALUE: [&str; 7] = [
    "--format",
    "--test-threads",
    "--color",
    "-Z",
    "--logfile",
    "--skip",
    "--report-time",
];

struct Invocation {
    list: bool,
    ignored: bool,
    exact: bool,
    filter: Option<String>,
}

fn parse(args: impl Iterator<Item = String>) -> Invocation {
    let mut invocation = Invocation {
        list: false,
        ignored: false,
        exact: false,
        filter: None,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => invocation.list = true,
            "--ignored" => invocation.ignored = true,
            "--exact" => invocation.exact = true,
            flag if FLAGS_WITH_VALUE.contains(&flag) => {
                args.next();
            }
            flag if flag.starts_with('-') => {}
            filter => invocation.filter = Some(filter.to_owned()),
        }
    }
    invocation
}

fn features_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

fn list() -> Result<(), String> {
    for path in feature_files(&features_dir()) {
        let feature = gherkin::Feature::parse_path(&path, gherkin::GherkinEnv::default())
            .map_err(|err| format!("{}: {err}", path.display()))?;
        let scenarios = feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
            println!("{}: test", test_name(&feature, scenario));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let invocation = parse(std::env::args().skip(1));
    if invocation.list {
        // No scenario is ignored, so `--ignored --list` lists nothing.
        if !invocation.ignored
            && let Err(err) = list()
        {
            eprintln!("features: {err}");
            return ExitCode::from(2);
        }
        return ExitCode::SUCCESS;
    }
    if invocation.ignored {
        println!("0 passed, 0 failed");
        return ExitCode::SUCCESS;
    }
    let mut options = SuiteOptions::new(features_dir());
    options.name_filter = invocation.filter;
    options.exact = invocation.exact;
    options.concurrency = std::env::var("KSNSIM_CONCURRENCY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() * 2));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    let outcome = match runtime.block_on(run_suite(&options)) {
        Ok(outcome) => outcome,
        Err(ksnsim_scenarios::SuiteError::NothingMatched(_)) => {
            println!("0 passed, 0 failed");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("features: {err}");
            return ExitCode::from(2);
        }
    };
    let mut failed = 0;
    for item in &outcome.report.items {
        let passed = item.verdict == ksnsim_reports::Verdict::Pass;
        println!(
            "test {} {} ... {}",
            item.id,
            item.name,
            if passed { "ok" } else { "FAILED" }
        );
        if !passed {
            failed += 1;
        }
    }
    if failed > 0 {
        println!("\nfailures:");
        for item in outcome
            .report
            .items
            .iter()
            .filter(|i| i.verdict != ksnsim_reports::Verdict::Pass)
        {
            let message = item.failure.as_ref().map_or("", |f| f.message.as_str());
            println!("\n---- {} {} ----\n{message}", item.id, item.name);
            if let Some(event) = item.failure.as_ref().and_then(|f| f.event.as_ref()) {
                println!("event: {event}");
            }
            println!("replay: {}", item.replay.as_deref().unwrap_or("-"));
            let steps = outcome.steps_of(&item.id);
            if !steps.is_empty() {
                println!("steps:");
                steps.iter().for_each(|step| println!("{step}"));
            }
            let shown = item.trace.len().saturating_sub(40);
            if !item.trace.is_empty() {
                println!("last {} events of the trace:", item.trace.len() - shown);
                item.trace[shown..].iter().for_each(|event| println!("  {event}"));
            }
        }
    }
    let passed = outcome.report.items.len() - failed;
    println!("\n{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
