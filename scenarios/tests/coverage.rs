//! Every requirement of the catalogue is covered by at least one scenario, and `features/COVERAGE.md` is the
//! table the features' tags and a run of the suite (seed 1) give (regenerate with `KSNSIM_UPDATE_COVERAGE=1`).

use ksnsim_scenarios::coverage::{clause_reach, coverage, render, uncovered};
use ksnsim_scenarios::{SuiteOptions, run_suite};
use std::path::Path;

fn features() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

#[test]
fn every_requirement_is_covered_by_a_scenario() {
    let covered = coverage(&features()).unwrap();
    assert_eq!(
        uncovered(&covered),
        Vec::<String>::new(),
        "requirements without a scenario"
    );
}

#[test]
fn coverage_table_is_up_to_date() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    let outcome = runtime
        .block_on(run_suite(&SuiteOptions::new(features())))
        .expect("the suite runs");
    let table = render(&coverage(&features()).unwrap(), &clause_reach(&outcome));
    let path = features().join("COVERAGE.md");
    if std::env::var_os("KSNSIM_UPDATE_COVERAGE").is_some() {
        std::fs::write(&path, &table).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == table,
        "features/COVERAGE.md is stale: run KSNSIM_UPDATE_COVERAGE=1 cargo test -p ksnsim-scenarios --test coverage"
    );
}
