//! Faults and time: links cut and restored, hosts down and back, KSN servers misbehaving, time passing, the
//! wall clock moving to another day.

use cucumber::when;
use ksnsim_harness::duration::parse_duration;
use ksnsim_harness::topology::KsnKind;
use ksnsim_harness::world::Fault;
use ksnsim_mocks::Fault as ServerFault;
use std::time::Duration;

use crate::params;
use crate::world::KsnWorld;

/// The world's host name of a KSN server, as features name it.
fn host_of(name: &str) -> String {
    match name {
        "the Global KSN" => "ksn-global".into(),
        "the Private KSN" => "ksn-private".into(),
        other => other.trim_matches('"').to_owned(),
    }
}

#[when(
    regex = r#"^("[^"]+"|the Global KSN|the Private KSN) is cut off from ("[^"]+"|the Global KSN|the Private KSN)$"#
)]
async fn cut_off(world: &mut KsnWorld, a: String, b: String) -> Result<(), String> {
    world
        .fault(Fault::Partition {
            a: host_of(&a),
            b: host_of(&b),
            oneway: false,
        })
        .await
}

#[when(
    regex = r#"^("[^"]+"|the Global KSN|the Private KSN) is reconnected to ("[^"]+"|the Global KSN|the Private KSN)$"#
)]
async fn reconnected(world: &mut KsnWorld, a: String, b: String) -> Result<(), String> {
    world
        .fault(Fault::Repair {
            a: host_of(&a),
            b: host_of(&b),
            oneway: false,
        })
        .await
}

/// Messages from `a` to `b` are lost, while `b` can still reach `a` (a one-way partition).
#[when(
    regex = r#"^("[^"]+"|the Global KSN|the Private KSN) can no longer reach ("[^"]+"|the Global KSN|the Private KSN)$"#
)]
async fn one_way_cut(world: &mut KsnWorld, a: String, b: String) -> Result<(), String> {
    world
        .fault(Fault::Partition {
            a: host_of(&a),
            b: host_of(&b),
            oneway: true,
        })
        .await
}

#[when(
    regex = r#"^("[^"]+"|the Global KSN|the Private KSN) can reach ("[^"]+"|the Global KSN|the Private KSN) again$"#
)]
async fn one_way_repair(world: &mut KsnWorld, a: String, b: String) -> Result<(), String> {
    world
        .fault(Fault::Repair {
            a: host_of(&a),
            b: host_of(&b),
            oneway: true,
        })
        .await
}

#[when(
    regex = r#"^the link between ("[^"]+"|the Global KSN|the Private KSN) and ("[^"]+"|the Global KSN|the Private KSN) loses (\d+)% of messages$"#
)]
async fn loss(world: &mut KsnWorld, a: String, b: String, percent: u32) -> Result<(), String> {
    world
        .fault(Fault::Loss {
            a: host_of(&a),
            b: host_of(&b),
            rate: f64::from(percent.min(99)) / 100.0,
        })
        .await
}

#[when(
    regex = r#"^the link between ("[^"]+"|the Global KSN|the Private KSN) and ("[^"]+"|the Global KSN|the Private KSN) has a latency of (\d+) milliseconds$"#
)]
async fn latency(world: &mut KsnWorld, a: String, b: String, ms: u64) -> Result<(), String> {
    world
        .fault(Fault::Latency {
            a: host_of(&a),
            b: host_of(&b),
            latency: Duration::from_millis(ms),
        })
        .await
}

#[when(regex = r#"^"([^"]+)" goes down$"#)]
async fn goes_down(world: &mut KsnWorld, host: String) -> Result<(), String> {
    world.fault(Fault::Crash(host)).await
}

#[when(regex = r#"^"([^"]+)" (?:comes back|restarts)$"#)]
async fn comes_back(world: &mut KsnWorld, host: String) -> Result<(), String> {
    world.fault(Fault::Restart(host)).await
}

#[when(
    regex = r"^the (Global|Private) KSN (becomes unavailable|answers garbage|answers with verdicts for other objects|closes connections mid-answer|stops answering|rate-limits clients for (\d+) seconds|recovers)$"
)]
async fn server_fault(
    world: &mut KsnWorld,
    ksn: String,
    what: String,
    seconds: String,
) -> Result<(), String> {
    let kind: KsnKind = params::ksn(&ksn)?;
    let fault = match what.as_str() {
        "becomes unavailable" => Some(ServerFault::Unavailable),
        "answers garbage" => Some(ServerFault::Garbage),
        "answers with verdicts for other objects" => Some(ServerFault::WrongObject),
        "closes connections mid-answer" => Some(ServerFault::CloseMidAnswer),
        "stops answering" => Some(ServerFault::Hang),
        "recovers" => None,
        _ => Some(ServerFault::RateLimited {
            retry_after: seconds.parse().map_err(|_| "seconds must be a number")?,
        }),
    };
    world.fault(Fault::Ksn { kind, fault }).await
}

#[when(regex = r"^(\d+ (?:milliseconds?|seconds?|minutes?|hours?|days?)) pass(?:es)?$")]
async fn time_passes(world: &mut KsnWorld, duration: String) -> Result<(), String> {
    let duration = parse_duration(&duration).map_err(|e| e.to_string())?;
    world.with_world(move |w| w.run_for(duration)).await
}

#[when(regex = r"^the date changes to the next day$")]
async fn next_day(world: &mut KsnWorld) -> Result<(), String> {
    world.fault(Fault::ClockJump(Duration::from_secs(86_400))).await
}

#[when(regex = r"^the (Global|Private) KSN answers only after (\d+) milliseconds$")]
async fn server_delay(world: &mut KsnWorld, ksn: String, ms: u64) -> Result<(), String> {
    world
        .fault(Fault::Ksn {
            kind: params::ksn(&ksn)?,
            fault: Some(ServerFault::Delay { ms }),
        })
        .await
}

#[when(regex = r"^the wall clock moves forward (\d+) days$")]
async fn clock_jump(world: &mut KsnWorld, days: u64) -> Result<(), String> {
    world
        .fault(Fault::ClockJump(Duration::from_secs(days * 86_400)))
        .await
}
