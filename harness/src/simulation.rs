//! `ksnsim sim`: a topology run for a simulated while with generated load and scheduled faults, every
//! invariant checked at the end, and the trace digested. Same topology, seed and faults: same digest.

use ksnsim_reports::{
    Failure, ItemReport, RequirementId, RunKind, RunReport, TraceEvent, Verdict, trace_digest,
};
use serde::Deserialize;
use std::time::Duration;

use crate::duration::{format_duration, parse_duration};
use crate::invariants::InvariantResult;
use crate::topology::{KsnKind, Topology};
use crate::world::{DnsTarget, EndpointAction, Fault, HarnessError, LoadPlan, SimWorld, hostnames};

/// Generated load per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSpec {
    pub lookups_per_endpoint: u32,
    pub detection_every: u32,
    pub objects: u32,
}

impl Default for LoadSpec {
    fn default() -> Self {
        Self {
            lookups_per_endpoint: 100,
            detection_every: 10,
            objects: 500,
        }
    }
}

/// A fault at a simulated time.
#[derive(Debug, Clone)]
pub struct TimedFault {
    pub at: Duration,
    pub fault: Fault,
}

#[derive(Debug, Clone)]
pub struct SimulationPlan {
    pub topology: Topology,
    pub seed: u64,
    pub duration: Duration,
    pub load: LoadSpec,
    pub faults: Vec<TimedFault>,
    /// Loss on every link of every endpoint to its first hop, 0..1.
    pub loss: f64,
}

pub struct SimulationOutcome {
    pub seed: u64,
    pub simulated: Duration,
    pub trace: Vec<TraceEvent>,
    pub digest: String,
    pub invariants: Vec<InvariantResult>,
}

impl SimulationOutcome {
    pub fn holds(&self) -> bool {
        self.invariants.iter().all(|i| i.violation.is_none())
    }
}

/// Runs `plan` on the calling thread (which must not be inside a tokio runtime).
pub fn run_simulation(plan: &SimulationPlan) -> Result<SimulationOutcome, HarnessError> {
    let mut world = SimWorld::build(&plan.topology, plan.seed)?;
    for (i, host) in world.endpoint_names().into_iter().enumerate() {
        let load = LoadPlan {
            lookups: plan.load.lookups_per_endpoint,
            over: plan.duration,
            objects: plan.load.objects,
            detection_every: plan.load.detection_every,
            seed: plan.seed.wrapping_add(i as u64),
        };
        if plan.loss > 0.0 {
            let first_hop = plan.topology.endpoint_names()[i]
                .1
                .behind
                .clone()
                .unwrap_or_else(|| hostnames::GLOBAL_KSN.into());
            world.apply(Fault::Loss {
                a: host.clone(),
                b: first_hop,
                rate: plan.loss,
            })?;
        }
        world.act(&host, EndpointAction::Load(load))?;
    }
    let mut faults = plan.faults.clone();
    faults.sort_by_key(|f| f.at);
    for timed in faults {
        let now = world.elapsed();
        if timed.at > now {
            world.run_for(timed.at - now)?;
        }
        world.apply(timed.fault)?;
    }
    let now = world.elapsed();
    if plan.duration > now {
        world.run_for(plan.duration - now)?;
    }
    // Let uploads in flight settle before the books are balanced.
    world.run_for(Duration::from_secs(120))?;
    let invariants = world.check_invariants()?;
    let trace = world.trace();
    Ok(SimulationOutcome {
        seed: plan.seed,
        simulated: world.elapsed(),
        digest: trace_digest(&trace),
        trace,
        invariants,
    })
}

/// The `--faults` file: faults at simulated times.
///
/// ```toml
/// [[fault]]
/// at = "10m"
/// kind = "partition"
/// a = "dp1"
/// b = "as"
/// ```
/// Kinds and their fields: `partition`, `repair`, `partition_oneway`, `repair_oneway` (`a`, `b`: from a to b),
/// `hold`, `release`, `loss` (`a`, `b`, `rate`), `latency` (`a`, `b`, `latency`), `crash`, `restart` (`host`),
/// `dns`, `public_dns` (`mode`: answer, silent, servfail, nxdomain, wrong_address), `ksn_unavailable`, `ksn_ok`,
/// `license_registered`, `license_removed` (`key`), `statement` (`version`, `retire_older`), `clock_jump` (`by`).
///
/// ```toml
/// a = "dp1"
/// b = "as"
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsFile {
    #[serde(default, rename = "fault")]
    faults: Vec<FaultEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultEntry {
    at: String,
    kind: String,
    #[serde(default)]
    a: Option<String>,
    #[serde(default)]
    b: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    rate: Option<f64>,
    #[serde(default)]
    latency: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    retire_older: bool,
    #[serde(default)]
    by: Option<String>,
}

/// Reads a faults file; errors name the entry and the field.
pub fn parse_faults(text: &str, origin: &str) -> Result<Vec<TimedFault>, String> {
    let file: FaultsFile =
        toml::from_str(text).map_err(|err| format!("{origin}: {}", err.to_string().trim()))?;
    file.faults
        .into_iter()
        .enumerate()
        .map(|(i, entry)| fault_of(entry).map_err(|problem| format!("{origin}: fault[{i}]: {problem}")))
        .collect()
}

fn fault_of(entry: FaultEntry) -> Result<TimedFault, String> {
    let at = parse_duration(&entry.at).map_err(|e| format!("at: {e}"))?;
    let need = |value: Option<String>, field: &str| {
        value.ok_or_else(|| format!("kind {:?} needs {field}", entry.kind))
    };
    let fault = match entry.kind.as_str() {
        "partition" | "repair" | "partition_oneway" | "repair_oneway" => {
            let (a, b) = (need(entry.a, "a")?, need(entry.b, "b")?);
            let oneway = entry.kind.ends_with("_oneway");
            if entry.kind.starts_with("partition") {
                Fault::Partition { a, b, oneway }
            } else {
                Fault::Repair { a, b, oneway }
            }
        }
        "hold" => Fault::Hold {
            a: need(entry.a, "a")?,
            b: need(entry.b, "b")?,
        },
        "release" => Fault::Release {
            a: need(entry.a, "a")?,
            b: need(entry.b, "b")?,
        },
        "license_registered" | "license_removed" => Fault::License {
            key: need(entry.key, "key")?,
            registered: entry.kind == "license_registered",
        },
        "statement" => Fault::PublishStatement {
            version: entry.version.ok_or("kind \"statement\" needs version")?,
            retire_older: entry.retire_older,
        },
        "clock_jump" => {
            Fault::ClockJump(parse_duration(&need(entry.by, "by")?).map_err(|e| format!("by: {e}"))?)
        }
        "crash" => Fault::Crash(need(entry.host, "host")?),
        "restart" => Fault::Restart(need(entry.host, "host")?),
        "loss" => Fault::Loss {
            a: need(entry.a, "a")?,
            b: need(entry.b, "b")?,
            rate: entry.rate.ok_or("kind \"loss\" needs rate")?,
        },
        "latency" => {
            let latency =
                parse_duration(&need(entry.latency, "latency")?).map_err(|e| format!("latency: {e}"))?;
            Fault::Latency {
                a: need(entry.a, "a")?,
                b: need(entry.b, "b")?,
                latency,
            }
        }
        "dns" | "public_dns" => {
            let target = if entry.kind == "dns" {
                DnsTarget::System
            } else {
                DnsTarget::AllPublic
            };
            let mode = need(entry.mode, "mode")?;
            let mode = dns_mode_named(&mode).ok_or_else(|| {
                format!("mode {mode:?}: use answer, silent, servfail, nxdomain or wrong_address")
            })?;
            Fault::Dns { target, mode }
        }
        "ksn_unavailable" => Fault::Ksn {
            kind: KsnKind::Global,
            fault: Some(ksnsim_mocks::Fault::Unavailable),
        },
        "ksn_ok" => Fault::Ksn {
            kind: KsnKind::Global,
            fault: None,
        },
        other => return Err(format!("kind {other:?} is not a fault this file can schedule")),
    };
    Ok(TimedFault { at, fault })
}

/// A DNS server mode by the name fault files and scenarios use.
pub fn dns_mode_named(name: &str) -> Option<ksnsim_mocks::DnsMode> {
    use ksnsim_mocks::DnsMode;
    Some(match name {
        "answer" => DnsMode::Answer,
        "silent" => DnsMode::Silent,
        "servfail" => DnsMode::ServFail,
        "nxdomain" => DnsMode::NxDomain,
        "wrong_address" => DnsMode::WrongAddress {
            address: std::net::Ipv4Addr::UNSPECIFIED,
        },
        _ => return None,
    })
}

/// A one-line summary per invariant, and the verdict, for the terminal.
pub fn render_summary(outcome: &SimulationOutcome) -> String {
    let mut out = format!(
        "seed {}  simulated {}  events {}  trace sha256 {}\n",
        outcome.seed,
        format_duration(outcome.simulated),
        outcome.trace.len(),
        outcome.digest
    );
    for result in &outcome.invariants {
        match &result.violation {
            None => out.push_str(&format!(
                "  holds     {:<11} {}\n",
                result.requirement, result.name
            )),
            Some(violation) => {
                out.push_str(&format!(
                    "  VIOLATED  {:<11} {}\n            {}\n",
                    result.requirement, result.name, violation.message
                ));
                if let Some(event) = &violation.event {
                    out.push_str(&format!(
                        "            first violating event: {}\n",
                        event.to_trace_event()
                    ));
                }
            }
        }
    }
    out
}

/// The run as a report: one item per invariant, with the first violating event and the trace kept when one
/// is violated.
pub fn to_report(outcome: &SimulationOutcome, topology: &Topology, replay: &str) -> RunReport {
    let mut run = RunReport::new(RunKind::Simulation, format!("ksnsim sim: {}", topology.name));
    run.seed = Some(outcome.seed);
    run.catalogue = crate::catalogue::catalogue();
    for result in &outcome.invariants {
        let verdict = if result.violation.is_some() {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        let mut item = ItemReport::new(
            format!("invariant/{}", result.requirement),
            result.name,
            "invariants",
            verdict,
        );
        item.requirements = result.requirement.parse::<RequirementId>().into_iter().collect();
        item.seed = Some(outcome.seed);
        item.trace_digest = Some(outcome.digest.clone());
        item.replay = Some(replay.to_owned());
        item.sim_time_ms = Some(outcome.simulated.as_millis() as u64);
        if let Some(violation) = &result.violation {
            item.failure = Some(Failure {
                message: violation.message.clone(),
                requirement: item.requirements.first().cloned(),
                event: violation.event.as_ref().map(|e| e.to_trace_event()),
            });
            let start = violation.index.unwrap_or(outcome.trace.len()).saturating_sub(60);
            let end = violation.index.map_or(outcome.trace.len(), |i| i + 1);
            item.trace = outcome.trace[start..end].to_vec();
        }
        run.items.push(item);
    }
    run.normalize();
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_reads_and_errors_name_the_entry() {
        let text = r#"
            [[fault]]
            at = "1m"
            kind = "partition_oneway"
            a = "ep"
            b = "dp"
            [[fault]]
            at = "2m"
            kind = "hold"
            a = "ep"
            b = "dp"
            [[fault]]
            at = "3m"
            kind = "public_dns"
            mode = "servfail"
            [[fault]]
            at = "4m"
            kind = "license_registered"
            key = "K"
            [[fault]]
            at = "5m"
            kind = "statement"
            version = 2
            retire_older = true
            [[fault]]
            at = "6m"
            kind = "clock_jump"
            by = "1d"
        "#;
        let faults = parse_faults(text, "f.toml").unwrap();
        assert_eq!(faults.len(), 6);
        assert!(matches!(faults[0].fault, Fault::Partition { oneway: true, .. }));
        assert!(matches!(
            faults[2].fault,
            Fault::Dns {
                target: DnsTarget::AllPublic,
                ..
            }
        ));
        assert!(matches!(
            faults[4].fault,
            Fault::PublishStatement {
                version: 2,
                retire_older: true
            }
        ));
        assert!(matches!(faults[5].fault, Fault::ClockJump(d) if d == Duration::from_secs(86_400)));
        let err = parse_faults("[[fault]]\nat = \"1m\"\nkind = \"crash\"", "f.toml").unwrap_err();
        assert_eq!(err, "f.toml: fault[0]: kind \"crash\" needs host");
        let err = parse_faults("[[fault]]\nat = \"1m\"\nkind = \"meteor\"", "f.toml").unwrap_err();
        assert!(err.contains("not a fault this file can schedule"), "{err}");
    }
}
