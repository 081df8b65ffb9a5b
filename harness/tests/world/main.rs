//! The simulated world end to end: the reference agent and proxy and the mocks, on turmoil, driven by
//! actions and faults; and the determinism the whole product rests on.

use ksnsim_harness::topology::Topology;
use ksnsim_harness::world::{EndpointAction, SimWorld};
use ksnsim_reference::protocol::ObjectRef;
use std::time::Duration;

fn file(n: u64) -> ObjectRef {
    ObjectRef::File(
        format!("{n:064x}")
            .parse()
            .expect("64 hex digits are a file hash"),
    )
}

const CHAIN: &str = r#"
    [[proxy]]
    name = "as"
    ksn = "global"
    [[proxy]]
    name = "dp1"
    upstream = "as"
    [[endpoint]]
    name = "ep1"
    behind = "dp1"
    accepted_statement = 1
    [[endpoint]]
    name = "ep2"
    accepted_statement = 1
    [[endpoint]]
    name = "ep3"
    behind = "dp1"
    accepted_statement = 1
"#;

fn world(text: &str, seed: u64) -> SimWorld {
    let topology = Topology::from_toml(text, "test").expect("the test topology is valid");
    SimWorld::build(&topology, seed).expect("the test world builds")
}

#[test]
fn a_direct_endpoint_resolves_the_ksn_name_and_gets_a_verdict() {
    let mut world = world(CHAIN, 1);
    let outcome = world.act("ep2", EndpointAction::Lookup(file(1))).unwrap();
    assert!(outcome.ok(), "{}", outcome.summary());
    let ksn = world.ksn(ksnsim_harness::topology::KsnKind::Global).unwrap();
    assert_eq!(ksn.requests_to("/v1/reputation/file/"), 1);
}

#[test]
fn px_chain_1_lookups_through_a_chain_are_cached_at_the_first_proxy() {
    let mut world = world(CHAIN, 2);
    // ep1 asks first; ep3, behind the same distribution point, gets dp1's cached copy.
    for host in ["ep1", "ep3", "ep3"] {
        let outcome = world.act(host, EndpointAction::Lookup(file(7))).unwrap();
        assert!(outcome.ok(), "{}", outcome.summary());
    }
    let hits = world.events().iter().filter(|e| matches!(&e.what,
        ksnsim_harness::trace::SimEventKind::ServerAnswer { server, cache: Some(c), .. } if server == "dp1" && c == "hit")).count();
    assert_eq!(
        hits, 1,
        "ep3's first lookup is a hit at dp1; its second is answered by its own cache"
    );
    let ksn = world.ksn(ksnsim_harness::topology::KsnKind::Global).unwrap();
    assert_eq!(ksn.requests_to("/v1/reputation/file/"), 1);
}

#[test]
fn the_same_seed_gives_the_same_trace_byte_for_byte() {
    let run = |seed| {
        let mut world = world(CHAIN, seed);
        world.act("ep1", EndpointAction::Lookup(file(1))).unwrap();
        world.act("ep2", EndpointAction::RecordDetections(3)).unwrap();
        world.run_for(Duration::from_secs(180)).unwrap();
        world.act("ep2", EndpointAction::Lookup(file(2))).unwrap();
        ksnsim_reports::trace_digest(&world.trace())
    };
    assert_eq!(run(5), run(5));
}

#[test]
fn an_endpoint_that_is_down_does_nothing_and_says_so_alone_or_together() {
    let mut world = world(CHAIN, 4);
    world
        .apply(ksnsim_harness::world::Fault::Crash("ep2".into()))
        .unwrap();
    let alone = world.act("ep2", EndpointAction::Lookup(file(1))).unwrap();
    assert_eq!(alone.error.as_deref(), Some("ep2 is down"));
    let before = world.elapsed();
    let together = world
        .act_together(vec![
            ("ep1".into(), EndpointAction::Lookup(file(2))),
            ("ep2".into(), EndpointAction::Lookup(file(2))),
        ])
        .unwrap();
    assert!(together[0].ok(), "{}", together[0].summary());
    assert_eq!(together[1].error.as_deref(), Some("ep2 is down"));
    assert!(
        world.elapsed() - before < Duration::from_secs(60),
        "no waiting for a host that is down"
    );
}
