//! Each invariant against hand-built traces: one that keeps it, and one that breaks it, where the checker
//! must name the breaking event. (The scenarios show the invariants hold on the reference implementation;
//! these show they can fail.)

use std::time::Duration;

use super::*;
use crate::topology::Topology;
use crate::trace::{SeenRequest, SimEvent, SimEventKind};
use ksnsim_mocks::StatisticsTotals;

fn facts() -> WorldFacts {
    let topology = Topology::from_toml(
        r#"
        [servers]
        private = true
        licenses = ["LICENSE-A"]
        [[proxy]]
        name = "dp"
        ksn = "private"
        [[endpoint]]
        name = "ep"
        accepted_statement = 1
        [[endpoint]]
        name = "lab"
        mode = "basic"
        allow_public_dns = false
        [[endpoint]]
        name = "bank"
        ksn = "private"
        license = "LICENSE-A"
        behind = "dp"
        "#,
        "test",
    )
    .unwrap();
    WorldFacts::from_topology(&topology)
}

fn at(ms: u64, what: SimEventKind) -> SimEvent {
    SimEvent {
        at: Duration::from_millis(ms),
        what,
    }
}

fn sends(host: &str, path: &str) -> SimEventKind {
    SimEventKind::ClientRequest {
        host: host.into(),
        to: "https://ksn.global.test:443".into(),
        method: "GET".into(),
        path: path.into(),
    }
}

fn state(host: &str, what: &str, to: &str) -> SimEventKind {
    SimEventKind::State {
        host: host.into(),
        what: what.into(),
        from: String::new(),
        to: to.into(),
    }
}

fn server_request(server: &str, peer: &str, exchange: u64, request: SeenRequest) -> SimEventKind {
    SimEventKind::ServerRequest {
        server: server.into(),
        peer: peer.into(),
        exchange,
        request,
    }
}

fn answer(server: &str, peer: &str, exchange: u64, status: u16) -> SimEventKind {
    SimEventKind::ServerAnswer {
        server: server.into(),
        peer: peer.into(),
        exchange,
        path: "/".into(),
        status,
        cache: None,
        seen: Default::default(),
    }
}

fn check(invariant: &dyn Invariant, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
    invariant.check(facts, events)
}

#[test]
fn ep_stmt_1_traffic_before_acceptance_is_caught_at_the_request() {
    let facts = facts();
    let good = [
        at(0, state("ep", "consent", "accepted v1")),
        at(1, sends("ep", "/v1/reputation/file/x")),
    ];
    assert_eq!(
        check(
            &no_traffic_without_consent::NoTrafficWithoutConsent,
            &facts,
            &good
        ),
        None
    );
    let bad = [
        at(0, sends("ep", "/v1/ping")),
        at(1, state("ep", "consent", "accepted v1")),
    ];
    let violation = check(&no_traffic_without_consent::NoTrafficWithoutConsent, &facts, &bad).unwrap();
    assert_eq!(violation.index, Some(0));
    let withdrawn = [
        at(0, state("ep", "consent", "accepted v1")),
        at(1, state("ep", "consent", "v1 withdrawn for statistics")),
        at(2, sends("ep", "/v1/reputation/file/x")),
        at(3, sends("ep", "/v1/statistics")),
    ];
    assert_eq!(
        check(
            &no_traffic_without_consent::NoTrafficWithoutConsent,
            &facts,
            &withdrawn
        )
        .unwrap()
        .index,
        Some(3)
    );
}

#[test]
fn ep_mode_1_and_3_statistics_outside_extended_and_traffic_when_off_are_caught() {
    let facts = facts();
    let basic_statistics = [
        at(0, sends("lab", "/v1/reputation/file/x")),
        at(1, sends("lab", "/v1/statistics")),
    ];
    let invariant = no_statistics_outside_extended::NoStatisticsOutsideExtended;
    assert_eq!(
        check(&invariant, &facts, &basic_statistics).unwrap().index,
        Some(1)
    );
    let switched = [
        at(0, state("lab", "participation", "extended")),
        at(1, sends("lab", "/v1/statistics")),
    ];
    assert_eq!(check(&invariant, &facts, &switched), None);
    let off = [
        at(0, state("ep", "participation", "off")),
        at(1, sends("ep", "/v1/reputation/file/x")),
    ];
    assert_eq!(
        check(
            &no_statistics_outside_extended::NoTrafficWhenNotSending,
            &facts,
            &off
        )
        .unwrap()
        .index,
        Some(1)
    );
    let server_side = [at(
        0,
        server_request(
            "ksn-global",
            "dp",
            0,
            SeenRequest {
                path: "/v1/statistics".into(),
                mode: Some("basic".into()),
                ..SeenRequest::default()
            },
        ),
    )];
    assert_eq!(check(&invariant, &facts, &server_side).unwrap().index, Some(0));
}

#[test]
fn px_type_1_private_traffic_at_the_global_ksn_is_caught() {
    let facts = facts();
    let invariant = ksn_type_isolation::KsnTypeIsolation;
    let good = [at(
        0,
        server_request("ksn-private", "dp", 0, SeenRequest::default()),
    )];
    assert_eq!(check(&invariant, &facts, &good), None);
    let bad = [at(
        0,
        server_request("ksn-global", "dp", 0, SeenRequest::default()),
    )];
    assert_eq!(check(&invariant, &facts, &bad).unwrap().index, Some(0));
    let license_leak = [at(
        0,
        server_request(
            "ksn-global",
            "ep",
            0,
            SeenRequest {
                tenant: Some("t".into()),
                ..SeenRequest::default()
            },
        ),
    )];
    assert!(check(&invariant, &facts, &license_leak).is_some());
}

#[test]
fn px_cache_4_a_200_to_an_unregistered_tenant_is_caught() {
    let facts = facts();
    let invariant = no_cross_tenant::NoCrossTenantAnswers;
    let lookup = |tenant: &str| SeenRequest {
        path: "/v1/reputation/file/x".into(),
        tenant: Some(tenant.into()),
        objects: vec!["file x".into()],
        ..SeenRequest::default()
    };
    let registered = facts.registered_at_start.iter().next().unwrap().clone();
    let good = [
        at(0, server_request("dp", "bank", 0, lookup(&registered))),
        at(1, server_request("ksn-private", "dp", 0, lookup(&registered))),
        at(2, answer("ksn-private", "dp", 0, 200)),
        at(3, answer("dp", "bank", 0, 200)),
    ];
    assert_eq!(check(&invariant, &facts, &good), None);
    let bad = [
        at(0, server_request("dp", "bank", 0, lookup("0000000000000000"))),
        at(1, answer("dp", "bank", 0, 200)),
    ];
    assert_eq!(check(&invariant, &facts, &bad).unwrap().index, Some(1));
    let refused = [
        at(0, server_request("dp", "bank", 0, lookup("0000000000000000"))),
        at(1, answer("dp", "bank", 0, 401)),
    ];
    assert_eq!(check(&invariant, &facts, &refused), None);
    // A KSN server's own 200 (its garbage fault answers 200 to anyone) came from no cache.
    let from_the_server = [
        at(
            0,
            server_request("ksn-private", "bank", 0, lookup("0000000000000000")),
        ),
        at(1, answer("ksn-private", "bank", 0, 200)),
    ];
    assert_eq!(check(&invariant, &facts, &from_the_server), None);
}

#[test]
fn px_cache_4_an_answer_fetched_for_another_registered_tenant_is_caught() {
    let mut facts = facts();
    facts.registered_at_start.insert("other-tenant".into());
    let invariant = no_cross_tenant::NoCrossTenantAnswers;
    let registered = facts.registered_at_start.iter().next().unwrap().clone();
    let lookup = |tenant: &str, objects: &[&str]| SeenRequest {
        path: "/v1/reputation/batch".into(),
        tenant: Some(tenant.into()),
        objects: objects.iter().map(|o| (*o).to_owned()).collect(),
        ..SeenRequest::default()
    };
    // The other tenant's batch fills the cache with x and y; this tenant's own fetch was of x only.
    let fill = [
        at(
            0,
            server_request(
                "ksn-private",
                "dp",
                0,
                lookup("other-tenant", &["file x", "file y"]),
            ),
        ),
        at(1, answer("ksn-private", "dp", 0, 200)),
        at(
            2,
            server_request("ksn-private", "dp", 1, lookup(&registered, &["file x"])),
        ),
        at(3, answer("ksn-private", "dp", 1, 200)),
    ];
    let asks = |objects: &[&str]| {
        let mut events = fill.to_vec();
        events.push(at(
            4,
            server_request("dp", "bank", 0, lookup(&registered, objects)),
        ));
        events.push(at(5, answer("dp", "bank", 0, 200)));
        events
    };
    assert_eq!(check(&invariant, &facts, &asks(&["file x"])), None);
    let violation =
        check(&invariant, &facts, &asks(&["file x", "file y"])).expect("y was the other tenant's");
    assert_eq!(violation.index, Some(5));
    // A refused or failed upstream answer gives the proxy nothing to serve.
    let mut refused = fill.to_vec();
    refused[3] = at(3, answer("ksn-private", "dp", 1, 503));
    refused.push(at(
        4,
        server_request("dp", "bank", 0, lookup(&registered, &["file x"])),
    ));
    refused.push(at(5, answer("dp", "bank", 0, 200)));
    assert!(check(&invariant, &facts, &refused).is_some());
}

#[test]
fn ep_stat_1_lost_and_double_counted_records_are_caught() {
    let mut facts = facts();
    let upload = |key: &str, records: usize| SeenRequest {
        path: "/v1/statistics".into(),
        client_id: Some("ep".into()),
        idempotency_key: Some(key.into()),
        records,
        ..SeenRequest::default()
    };
    let events = [
        at(0, server_request("ksn-global", "ep", 0, upload("k1", 3))),
        at(1, answer("ksn-global", "ep", 0, 202)),
        at(2, server_request("ksn-global", "ep", 1, upload("k1", 3))),
        at(3, answer("ksn-global", "ep", 1, 202)),
    ];
    facts.recorded.insert("ep".into(), 5);
    facts.held_at_end.insert("ep".into(), (2, 0, 0));
    assert_eq!(
        check(&statistics_conserved::StatisticsConserved, &facts, &events),
        None,
        "a repeated key counts once"
    );
    facts.recorded.insert("ep".into(), 3);
    facts.held_at_end.insert("ep".into(), (3, 0, 0));
    assert_eq!(
        check(&statistics_conserved::StatisticsConserved, &facts, &events),
        None,
        "counted and still queued: the 202 was lost, the retry carries the same key"
    );
    facts.recorded.insert("ep".into(), 5);
    facts.held_at_end.insert("ep".into(), (0, 0, 0));
    let lost = check(&statistics_conserved::StatisticsConserved, &facts, &events).unwrap();
    assert!(lost.message.contains("2 lost"), "{}", lost.message);
    facts.recorded.insert("ep".into(), 2);
    let twice = check(&statistics_conserved::StatisticsConserved, &facts, &events).unwrap();
    assert!(twice.message.contains("counted twice"), "{}", twice.message);
}

#[test]
fn ep_dns_1_public_dns_before_a_system_failure_or_when_forbidden_is_caught() {
    let facts = facts();
    let invariant = public_dns_only_after_failure::PublicDnsOnlyAfterFailure;
    let dns = |host: &str, public: bool, outcome: &str| SimEventKind::Dns {
        host: host.into(),
        server: if public { "8.8.8.8" } else { "dns" }.into(),
        public,
        name: "ksn.global.test".into(),
        outcome: outcome.into(),
    };
    let good = [
        at(0, dns("ep", false, "no answer")),
        at(1, dns("ep", true, "[10.0.0.1]")),
    ];
    assert_eq!(check(&invariant, &facts, &good), None);
    let early = [
        at(0, dns("ep", false, "[10.0.0.1]")),
        at(1, dns("ep", true, "[10.0.0.1]")),
    ];
    assert_eq!(check(&invariant, &facts, &early).unwrap().index, Some(1));
    let forbidden = [
        at(0, dns("lab", false, "SERVFAIL")),
        at(1, dns("lab", true, "[10.0.0.1]")),
    ];
    assert_eq!(check(&invariant, &facts, &forbidden).unwrap().index, Some(1));
}

fn client_answer(host: &str, status: u16, detail: &str) -> SimEventKind {
    SimEventKind::ClientAnswer {
        host: host.into(),
        status,
        detail: detail.into(),
    }
}

#[test]
fn ep_rate_1_any_request_before_retry_after_ran_out_is_caught() {
    let facts = facts();
    let invariant = retry_after_honoured::RetryAfterHonoured;
    let limited = client_answer("ep", 429, "rate_limited (Retry-After: 30)");
    let honoured = [
        at(0, sends("ep", "/v1/reputation/file/x")),
        at(10, limited.clone()),
        at(30_010, sends("ep", "/v1/lookup")),
    ];
    assert_eq!(check(&invariant, &facts, &honoured), None);
    let license_check_too_early = [
        at(0, sends("ep", "/v1/reputation/file/x")),
        at(10, limited.clone()),
        at(29_000, sends("ep", "/v1/ping")),
    ];
    let violation = check(&invariant, &facts, &license_check_too_early).unwrap();
    assert_eq!(violation.index, Some(2));
    assert!(
        violation.message.contains("1010 ms before"),
        "{}",
        violation.message
    );
    let other_host = [at(10, limited), at(20, sends("lab", "/v1/lookup"))];
    assert_eq!(check(&invariant, &facts, &other_host), None);
    let no_header = [
        at(10, client_answer("ep", 429, "rate_limited")),
        at(20, sends("ep", "/v1/lookup")),
    ];
    assert_eq!(
        check(&invariant, &facts, &no_header),
        None,
        "nothing to honour without the header"
    );
}

fn upload(server: &str, exchange: u64, key: Option<&str>, records: usize) -> SimEventKind {
    server_request(
        server,
        "ep",
        exchange,
        SeenRequest {
            path: "/v1/statistics".into(),
            client_id: Some("ep".into()),
            idempotency_key: key.map(str::to_owned),
            records,
            ..SeenRequest::default()
        },
    )
}

#[test]
fn srv_stat_1_a_server_whose_count_disagrees_with_its_log_is_caught() {
    let invariant = server_count_matches_log::ServerCountMatchesLog;
    let events = [
        at(0, upload("ksn-global", 0, Some("k1"), 3)),
        at(1, answer("ksn-global", "ep", 0, 202)),
        at(2, upload("ksn-global", 1, Some("k1"), 3)),
        at(3, answer("ksn-global", "ep", 1, 202)),
        at(4, upload("ksn-global", 2, Some("k2"), 2)),
        at(5, answer("ksn-global", "ep", 2, 503)),
    ];
    let mut facts = facts();
    let counted = |records, uploads| StatisticsTotals { records, uploads };
    facts.server_counted.insert("ksn-global".into(), counted(3, 1));
    assert_eq!(check(&invariant, &facts, &events), None);
    facts.server_counted.insert("ksn-global".into(), counted(6, 2));
    let violation = check(&invariant, &facts, &events).unwrap();
    assert!(
        violation
            .message
            .contains("counted 6 statistics records in 2 uploads")
            && violation.message.contains("shows 3 records in 1 uploads"),
        "{}",
        violation.message
    );
    facts.server_counted.insert("ksn-global".into(), counted(0, 0));
    assert!(
        check(&invariant, &facts, &events).is_some(),
        "a server that forgets to count is caught too"
    );
    facts.server_counted.insert("ksn-global".into(), counted(3, 0));
    assert!(
        check(&invariant, &facts, &events).is_some(),
        "a server that counts the records but not the upload is caught too"
    );
}

#[test]
fn ep_status_1_a_status_that_disagrees_with_the_last_success_is_caught() {
    let invariant = status_tells_the_truth::StatusTellsTheTruth;
    let minutes = |m: u64| m * 60_000;
    let ok = |ms: u64| {
        at(
            ms,
            SimEventKind::ClientAnswer {
                host: "ep".into(),
                status: 200,
                detail: String::new(),
            },
        )
    };
    let with_status = |available: bool, end_ms: u64| {
        let mut facts = facts();
        let seen = StatusSeen {
            at: Duration::from_millis(end_ms),
            sim_host: "ep".into(),
            task: "running".into(),
            ksn: "Extended".into(),
            available,
            summary: if available {
                "Extended"
            } else {
                "Extended, unavailable"
            }
            .into(),
        };
        facts.status_at_end.insert("ep".into(), seen);
        facts
    };
    let success_at_20 = [ok(minutes(20))];
    // 10 minutes after a success: available, and it must say so.
    assert_eq!(
        check(&invariant, &with_status(true, minutes(30)), &success_at_20),
        None
    );
    let wrongly_down = check(&invariant, &with_status(false, minutes(30)), &success_at_20).expect("caught");
    assert!(
        wrongly_down.message.contains("within 15 minutes"),
        "{}",
        wrongly_down.message
    );
    // 20 minutes after it: unavailable, and it must say so.
    assert_eq!(
        check(&invariant, &with_status(false, minutes(40)), &success_at_20),
        None
    );
    let wrongly_up = check(&invariant, &with_status(true, minutes(40)), &success_at_20).expect("caught");
    assert!(
        wrongly_up.message.contains("(available)"),
        "{}",
        wrongly_up.message
    );
    // A restart 5 minutes before the end is a fresh start: available without a success yet.
    let restarted = [
        ok(minutes(20)),
        at(
            minutes(35),
            SimEventKind::Fault {
                target: "ep".into(),
                description: "restart ep".into(),
            },
        ),
    ];
    assert_eq!(
        check(&invariant, &with_status(true, minutes(40)), &restarted),
        None
    );
    // Right at the window's edge either answer is right.
    assert_eq!(
        check(
            &invariant,
            &with_status(true, minutes(35) + 20_000),
            &[ok(minutes(20) + 20_000)]
        ),
        None
    );
    assert_eq!(
        check(&invariant, &with_status(false, minutes(35)), &success_at_20),
        None
    );
    // Off and stopped endpoints are not judged.
    let mut off = with_status(true, minutes(40));
    off.status_at_end.get_mut("ep").unwrap().ksn = "Off".into();
    assert_eq!(check(&invariant, &off, &success_at_20), None);
}
