//! Determinism, the product's promise: every scenario, run twice with the same seed, gives the same trace
//! digest, byte for byte; and a different seed gives a different world.

use ksnsim_scenarios::{SuiteOptions, run_suite};
use std::collections::BTreeMap;
use std::path::Path;

fn digests(options: &SuiteOptions) -> BTreeMap<String, Option<String>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    let outcome = runtime.block_on(run_suite(options)).expect("the suite runs");
    outcome
        .report
        .items
        .into_iter()
        .map(|item| (item.id, item.trace_digest))
        .collect()
}

#[test]
fn every_scenario_twice_gives_the_same_digest() {
    let mut options = SuiteOptions::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../features"));
    options.concurrency = 4;
    let first = digests(&options);
    // A different concurrency changes how scenarios interleave on threads, never what each one does.
    options.concurrency = 1;
    options.tags = Some("not @slow".into());
    let second = digests(&options);
    for (id, digest) in &second {
        assert!(digest.is_some(), "{id} has no trace digest");
        assert_eq!(
            first.get(id),
            Some(digest),
            "{id} gave a different trace the second time"
        );
    }
}

#[test]
fn another_base_seed_changes_the_traces() {
    let mut options = SuiteOptions::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../features"));
    options.only = vec!["features/proxy_cache.feature".into()];
    let a = digests(&options);
    options.base_seed = 99;
    let b = digests(&options);
    assert!(
        a.iter().any(|(id, digest)| b.get(id) != Some(digest)),
        "seeds had no effect on any trace"
    );
}
