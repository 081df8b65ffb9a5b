//! `ksnsim run` as a field engineer and release CI use it: feature files outside `features/`, the strict gate
//! of the reference suite, one truthful account of a failed step, `--seeds` and seeds pinned by a tag.
//! Each test runs the real binary on a feature written to its own temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scenario whose only SHOULD requirement (EP-RATE-1) fails on its last step, and a passing one with a
/// pinned seed.
const TICKET: &str = r#"Feature: A field ticket
  @EP-RATE-1
  Scenario: One lookup counted as three
    Given a Global KSN
    And an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1
    When "ep1" looks up the file "a.exe"
    Then the Global KSN received 3 reputation requests

  @EP-RATE-1 @seed-42
  Scenario: One lookup counted once
    Given a Global KSN
    And an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1
    When "ep1" looks up the file "a.exe"
    Then the Global KSN received 1 reputation requests
"#;

/// A folder of its own under the system's temporary directory, with `ticket.feature` in it.
fn ticket_folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ksnsim-run-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary folder can be created");
    std::fs::write(dir.join("ticket.feature"), TICKET).expect("the feature can be written");
    dir
}

fn ksnsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ksnsim"))
        .current_dir(dir)
        .args(args)
        .args(["--report", "out"])
        .output()
        .expect("ksnsim starts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_feature_outside_features_runs_with_ids_relative_to_where_it_was_started() {
    let dir = ticket_folder("anywhere");
    let output = ksnsim(&dir, &["run", "ticket.feature"]);
    let out = stdout(&output);
    assert!(out.contains("2 scenarios: 1 passed, 1 failed"), "{out}");
    assert!(
        out.contains("FAIL ticket.feature:3 — One lookup counted as three"),
        "{out}"
    );
    assert!(
        out.contains("replay: ksnsim replay ticket.feature:3 --seed "),
        "the replay command names the file where it lies: {out}"
    );
}

#[test]
fn the_reference_gate_blocks_a_should_failure_unless_relaxed_to_must() {
    let dir = ticket_folder("gate");
    let strict = ksnsim(&dir, &["run", "ticket.feature"]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
    assert!(
        stdout(&strict).contains("gate: FAIL (every MUST, SHOULD and MAY must pass)"),
        "{}",
        stdout(&strict)
    );
    let relaxed = ksnsim(&dir, &["run", "ticket.feature", "--gate", "must"]);
    assert_eq!(relaxed.status.code(), Some(0), "{}", stdout(&relaxed));
    assert!(
        stdout(&relaxed).contains("(1 below the gate: ticket.feature:3)"),
        "{}",
        stdout(&relaxed)
    );
    let bad = ksnsim(&dir, &["run", "ticket.feature", "--gate", "strict"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must, should or all"));
}

#[test]
fn a_failed_step_is_named_by_its_line_and_text_and_points_at_an_event_about_its_hosts() {
    let dir = ticket_folder("step");
    let out = stdout(&ksnsim(&dir, &["run", "ticket.feature"]));
    assert!(
        out.contains(
            "EP-RATE-1: step failed at ticket.feature:8: Then the Global KSN received 3 reputation requests"
        ),
        "{out}"
    );
    assert!(
        out.contains("reputation requests at the Global KSN: 1, expected 3"),
        "{out}"
    );
    let event = out
        .lines()
        .find(|line| line.trim_start().starts_with("event:"))
        .unwrap_or_default();
    assert!(
        event.contains("ksn-global"),
        "the event is about the Global KSN: {event}"
    );
    assert!(
        out.contains("FAIL    8  Then the Global KSN"),
        "the step account marks the step: {out}"
    );
    let summaries = out.lines().filter(|line| line.contains(" passed")).count();
    assert_eq!(
        summaries, 1,
        "one summary, no second one that counts the failed scenario as passed: {out}"
    );
}

#[test]
fn seeds_multiply_the_runs_except_of_pinned_scenarios_and_partitions_share_them_out() {
    let dir = ticket_folder("seeds");
    let out = stdout(&ksnsim(&dir, &["run", "ticket.feature", "--seeds", "3"]));
    assert!(out.contains("4 scenarios: 1 passed, 3 failed"), "{out}");
    for id in ["ticket.feature:3 ", "ticket.feature:3#1 ", "ticket.feature:3#2 "] {
        assert!(out.contains(&format!("FAIL {id}")), "{id} in {out}");
    }
    let seeds: Vec<&str> = out
        .lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix("replay: ksnsim replay ticket.feature:3 --seed ")
        })
        .map(|rest| rest.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(seeds.len(), 3, "{out}");
    assert!(
        seeds[0] != seeds[1] && seeds[1] != seeds[2] && seeds[0] != seeds[2],
        "{seeds:?}"
    );

    let pinned = stdout(&ksnsim(
        &dir,
        &["run", "ticket.feature", "--seeds", "3", "--gate", "must"],
    ));
    let report = std::fs::read_to_string(dir.join("out/report.json")).expect("the report is written");
    assert!(
        report.contains("\"seed\": 42"),
        "the pinned scenario ran with its seed: {pinned}"
    );

    let shares: usize = (1..=2)
        .map(|k| {
            let share = format!("{k}/2");
            let out = stdout(&ksnsim(
                &dir,
                &["run", "ticket.feature", "--seeds", "3", "--partition", &share],
            ));
            out.lines()
                .find_map(|l| {
                    l.strip_suffix(" errors")
                        .and_then(|l| l.split(" scenarios").next())
                })
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(shares, 4, "the two shares hold the four runs between them");
}

#[test]
fn a_path_that_is_not_a_feature_is_bad_input() {
    let dir = ticket_folder("bad");
    let output = ksnsim(&dir, &["run", "no-such.feature"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such.feature"));
    let zero = ksnsim(&dir, &["run", "ticket.feature", "--seeds", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}
