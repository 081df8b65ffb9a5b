//! `ksnsim explore` against a bug nobody wrote into the schedule: a proxy that keys its cache without the
//! tenant (the conformance self-test's `shared-cache`, planted in the world of a field ticket). Explore must
//! find the violation (PX-CACHE-4) around the ticket's scenario, shrink it, write a feature file that the
//! suite runner fails with the same requirement and trace digest, and do the same again under the same seed.
//! Without the planted bug, the same search finds nothing.

use std::path::{Path, PathBuf};

use ksnsim_scenarios::explore::{ExploreOptions, Start, explore, read_scenario};
use ksnsim_scenarios::{SuiteOptions, run_suite};

/// A shop and a bank behind one Private KSN proxy; the bank's license changes to one the provider has not
/// registered. What the ticket does not say: that the bank then looks up a file the shop looked up.
const TICKET: &str = r#"Feature: A field ticket: a bank's lookups after a license change
  Scenario: The bank's new license is not registered yet
    Given a Private KSN with registered licenses "LICENSE-A", "LICENSE-B"
    And a distribution point "kpsn-dp" with a KSN proxy for the Private KSN
    PLANTED
    And an endpoint "shop" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-B"
    And "shop" has accepted KSN Statement version 1
    And an endpoint "bank" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-A"
    And "bank" has accepted KSN Statement version 1
    When "shop" looks up the files "invoice.exe", "tool.exe", "setup.msi", "report.pdf" in one batch
    And the license of "bank" changes to "LICENSE-NEW"
    Then the lookup of "shop" fails
"#;

fn features_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

/// The ticket in a folder of its own, with or without the planted bug.
fn ticket(test: &str, planted: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ksnsim-explore-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary folder can be created");
    let line = if planted {
        r#"And the KSN proxy "kpsn-dp" misbehaves on purpose: "shared-cache""#
    } else {
        r#"And the KSN proxy "kpsn-dp" keeps at most 1000 verdicts"#
    };
    let path = dir.join("ticket.feature");
    std::fs::write(&path, TICKET.replace("PLANTED", line)).expect("the ticket can be written");
    path
}

fn explore_options(ticket: &Path, out: &str) -> ExploreOptions {
    let mut options = ExploreOptions::new(
        features_dir(),
        ticket.parent().expect("the ticket is in a folder").join(out),
    );
    options.start = Start::Around(read_scenario(ticket, 2).expect("the ticket's scenario is at line 2"));
    options.budget = None;
    options.max_runs = Some(200);
    options.seed = 7;
    options
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

#[test]
fn px_cache_4_explore_finds_a_shared_cache_around_a_ticket_and_hands_back_a_scenario_that_fails_the_same_way()
{
    let ticket = ticket("planted", true);
    let options = explore_options(&ticket, "out");
    let outcome = runtime()
        .block_on(explore(&options, |_| {}))
        .expect("explore runs");
    let finding = outcome
        .finding
        .expect("the planted shared cache is found within 200 runs");
    eprintln!(
        "found {} at run {} of {} ({} steps, shrunk to {} in {} runs)",
        finding.requirement,
        finding.run,
        outcome.progress.runs,
        finding.steps_before,
        finding.steps_after,
        finding.shrink_runs
    );
    assert_eq!(finding.requirement, "PX-CACHE-4", "{finding:?}");
    assert!(finding.replays_the_same(), "{finding:?}");
    assert!(finding.steps_after <= finding.steps_before, "{finding:?}");

    // The written file, run as `ksnsim run FILE` runs it: the same requirement and trace digest.
    let text = std::fs::read_to_string(&finding.feature).expect("the feature file was written");
    eprintln!("{text}");
    assert!(text.contains("@PX-CACHE-4"), "{text}");
    assert!(text.contains(&format!("@seed-{}", finding.seed)), "{text}");
    let mut suite = SuiteOptions::new(features_dir());
    suite.only = vec![finding.feature.clone()];
    let run = runtime()
        .block_on(run_suite(&suite))
        .expect("the written file runs");
    let item = &run.report.items[0];
    assert_eq!(
        item.failure
            .as_ref()
            .and_then(|f| f.requirement.as_ref())
            .map(|r| r.as_str()),
        Some("PX-CACHE-4")
    );
    assert_eq!(item.trace_digest.as_deref(), Some(finding.digest.as_str()));

    // The same seed: the same search, the same finding, the same file (bounded to the runs it took).
    let mut options = explore_options(&ticket, "again");
    options.max_runs = Some(finding.run + 1);
    let again = runtime()
        .block_on(explore(&options, |_| {}))
        .expect("explore runs again")
        .finding
        .expect("found again");
    assert_eq!(
        (again.run, again.digest.clone()),
        (finding.run, finding.digest.clone())
    );
    let text_again = std::fs::read_to_string(&again.feature).expect("written again");
    let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body(&text_again),
        body(&text),
        "only the provenance line (the command) may differ"
    );
    let _ = std::fs::remove_dir_all(ticket.parent().expect("the ticket is in a folder"));
}

#[test]
fn without_the_planted_bug_the_same_search_finds_nothing() {
    let ticket = ticket("clean", false);
    let mut options = explore_options(&ticket, "out");
    options.max_runs = Some(32);
    let outcome = runtime()
        .block_on(explore(&options, |_| {}))
        .expect("explore runs");
    assert!(outcome.finding.is_none(), "{:?}", outcome.finding);
    assert_eq!(outcome.progress.runs, 32);
    assert!(
        outcome.coverage.requirements().contains("PX-CACHE-4"),
        "the tenant rule had something to judge: {:?}",
        outcome.coverage.requirements()
    );
    let _ = std::fs::remove_dir_all(ticket.parent().expect("the ticket is in a folder"));
}
