//! What field engineers and CI rely on: a failing scenario's replay command, as the JUnit file gives it,
//! reproduces the scenario with the same trace digest; and the shares of a partitioned run, merged, equal
//! the unpartitioned run.

use ksnsim_reports::{Verdict, merge_runs, write_json, write_junit};
use ksnsim_scenarios::{SuiteOptions, run_suite};
use std::path::{Path, PathBuf};

fn run(options: &SuiteOptions) -> ksnsim_reports::RunReport {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime builds");
    runtime
        .block_on(run_suite(options))
        .expect("the suite runs")
        .report
}

/// A features folder with one scenario that fails on purpose (its check expects the wrong count).
fn failing_features() -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("ksnsim-replay-{}", std::process::id()))
        .join("features");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let feature = r#"Feature: a field failure
  @PX-CACHE-1
  Scenario: the upstream saw more than expected
    Given a Global KSN
    And a distribution point "dp1" with a KSN proxy for the Global KSN
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1
    When "ep1" looks up the file "a.exe"
    And "ep1" looks up the file "b.exe"
    Then the Global KSN received 1 reputation request
"#;
    std::fs::write(dir.join("field.feature"), feature).expect("write feature");
    dir
}

#[test]
fn a_failing_scenarios_replay_command_from_junit_reproduces_its_digest() {
    let dir = failing_features();
    let report = run(&SuiteOptions::new(&dir));
    let item = &report.items[0];
    assert_eq!(item.verdict, Verdict::Fail);
    assert!(
        item.failure.as_ref().unwrap().message.starts_with("PX-CACHE-1: "),
        "{:?}",
        item.failure
    );
    let mut junit = Vec::new();
    write_junit(&report, &mut junit).unwrap();
    let junit = String::from_utf8(junit).unwrap();
    // The command as a person copies it from the JUnit failure text.
    let after = junit
        .split("ksnsim replay ")
        .nth(1)
        .expect("the JUnit failure names the replay command");
    let command = after.split(['\n', '<', '"']).next().unwrap_or("");
    let words: Vec<&str> = command.split_whitespace().collect();
    let at = |flag: &str| {
        words
            .iter()
            .position(|w| *w == flag)
            .map(|i| words[i + 1])
            .expect(flag)
    };
    let scenario = words
        .iter()
        .find(|w| w.contains(".feature:"))
        .expect("FEATURE:LINE");
    let seed: u64 = at("--seed").parse().unwrap();
    let digest = at("--digest");

    let mut replay = SuiteOptions::new(&dir);
    replay.replay = Some(((*scenario).to_owned(), seed));
    let again = run(&replay);
    assert_eq!(again.items.len(), 1);
    assert_eq!(
        again.items[0].trace_digest.as_deref(),
        Some(digest),
        "the replay gave another trace"
    );
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn merged_partitions_equal_the_unpartitioned_run_byte_for_byte() {
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
    let mut options = SuiteOptions::new(&features);
    options.only = vec![
        "features/proxy_cache.feature".into(),
        "features/statement.feature".into(),
    ];
    let whole = run(&options);
    let shares: Vec<_> = (1..=3)
        .map(|k| {
            options.partition = Some((k, 3));
            run(&options)
        })
        .collect();
    assert!(
        shares.iter().filter(|s| !s.items.is_empty()).count() >= 2,
        "the split put everything in one share"
    );
    let merged = merge_runs(shares).unwrap();
    let json = |r: &ksnsim_reports::RunReport| {
        let mut out = Vec::new();
        write_json(r, &mut out).unwrap();
        out
    };
    assert_eq!(json(&merged), json(&whole));
}

#[test]
fn an_undefined_step_fails_the_scenario_and_says_so() {
    let dir = std::env::temp_dir()
        .join(format!("ksnsim-undefined-{}", std::process::id()))
        .join("features");
    std::fs::create_dir_all(&dir).unwrap();
    let feature = "Feature: a typo\n  @PX-FWD-1\n  Scenario: misspelt\n    Given a Global KSN\n    When \"ep1\" lookz up the file \"a.exe\"\n";
    std::fs::write(dir.join("typo.feature"), feature).unwrap();
    let report = run(&SuiteOptions::new(&dir));
    assert_eq!(report.items[0].verdict, Verdict::Fail);
    let message = &report.items[0].failure.as_ref().unwrap().message;
    assert!(message.contains("no step of the library matches"), "{message}");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}
