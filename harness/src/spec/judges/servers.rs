//! The KSN servers, judged by the same specification (SRV-AUTH-1, SRV-STMT-1, SRV-STAT-1, SRV-PRIV-1): a
//! broken mock would make every other verdict doubtful, so its answers are held to the contract too.

use std::collections::BTreeSet;
use std::time::Duration;

use super::super::endpoint_model::EndpointModel;
use super::super::observed::{Exchange, Observed, at_ms};
use super::super::{Findings, Judge};
use crate::invariants::WorldFacts;
use crate::topology::KsnKind;
use crate::world::{Fault, InputKind};

pub struct Servers;

const CLAUSES: &[&str] = &[
    "SRV-AUTH-1/only-registered",
    "SRV-AUTH-1/registered-served",
    "SRV-STMT-1/refuses-unaccepted",
    "SRV-STMT-1/serves-accepted",
    "SRV-STAT-1/basic-refused",
    "SRV-PRIV-1/local-overrides",
];

impl Judge for Servers {
    fn name(&self) -> &'static str {
        "servers"
    }

    fn clauses(&self) -> &'static [&'static str] {
        CLAUSES
    }

    fn judge(&self, run: &Observed, _model: &EndpointModel, facts: &WorldFacts, findings: &mut Findings) {
        for exchange in &run.exchanges {
            let Some(kind) = Observed::ksn_of_server(exchange.server) else {
                continue;
            };
            let Some(answer) = exchange.answer else { continue };
            // A server told to misbehave (unavailable, rate limited, garbage, ...) is not judged meanwhile.
            if faulted(run, kind, exchange.received) {
                continue;
            }
            let status = answer.status;
            let ok = (200..300).contains(&status);
            let data = !exchange.is_ping_or_statement();
            let index = Some(answer.index);
            let what = format!(
                "{} answered {status} to {} {} from {} at {}",
                exchange.server,
                exchange.request.method,
                exchange.request.path,
                exchange.peer,
                at_ms(answer.at)
            );
            let registered = kind == KsnKind::Global
                || registered_at(run, facts, exchange.request.tenant.as_deref(), exchange.received);
            if kind == KsnKind::Private {
                findings.exercised("SRV-AUTH-1/only-registered");
                if ok && !registered {
                    let message =
                        format!("{what}, but that request carries no license key the provider registered");
                    findings.violated(run, "SRV-AUTH-1/only-registered", index, message);
                }
            }
            let honoured = honoured_at(run, exchange.received);
            let version = exchange
                .request
                .statement
                .as_deref()
                .and_then(|v| v.parse::<u32>().ok());
            let statement_ok = !data || version.is_some_and(|v| honoured.contains(&v));
            if data {
                findings.exercised("SRV-STMT-1/refuses-unaccepted");
                if ok && !statement_ok {
                    let message = format!(
                        "{what} with KSN-Statement {:?}, but the versions it honours are {honoured:?}: it must answer \
                         403 statement_not_accepted",
                        exchange.request.statement.as_deref().unwrap_or("(none)")
                    );
                    findings.violated(run, "SRV-STMT-1/refuses-unaccepted", index, message);
                }
            }
            let error = answer.seen.error.as_deref();
            if registered && error == Some("license_not_registered") {
                findings.violated(
                    run,
                    "SRV-AUTH-1/registered-served",
                    index,
                    format!("{what} license_not_registered, but the key is registered"),
                );
            }
            if registered && kind == KsnKind::Private {
                findings.exercised("SRV-AUTH-1/registered-served");
            }
            if statement_ok && data {
                findings.exercised("SRV-STMT-1/serves-accepted");
                if error == Some("statement_not_accepted") {
                    findings.violated(
                        run,
                        "SRV-STMT-1/serves-accepted",
                        index,
                        format!("{what} statement_not_accepted, but it honours that version"),
                    );
                }
            }
            if exchange.is_statistics() {
                judge_statistics(run, exchange, &what, findings);
            }
        }
        local_overrides(run, findings);
    }
}

fn judge_statistics(run: &Observed, exchange: &Exchange, what: &str, findings: &mut Findings) {
    if exchange.request.mode.as_deref() == Some("basic") {
        findings.exercised("SRV-STAT-1/basic-refused");
        if exchange.succeeded() {
            let message = format!(
                "{what} with KSN-Mode basic: statistics in basic mode must get 403 statistics_not_allowed"
            );
            findings.violated(
                run,
                "SRV-STAT-1/basic-refused",
                exchange.answer.map(|a| a.index),
                message,
            );
        }
    }
}

/// A mock fault on the server of `kind` is in force at `at`.
fn faulted(run: &Observed, kind: KsnKind, at: Duration) -> bool {
    let mut on = false;
    for (when, fault) in run.faults() {
        if when > at {
            break;
        }
        if let Fault::Ksn { kind: k, fault } = fault
            && *k == kind
        {
            on = fault.is_some();
        }
    }
    on
}

/// Whether the tenant's key is registered with the Private KSN at `at`.
fn registered_at(run: &Observed, facts: &WorldFacts, tenant: Option<&str>, at: Duration) -> bool {
    let Some(tenant) = tenant else { return false };
    let mut registered = facts.registered_at_start.contains(tenant);
    for (when, fault) in run.faults() {
        if when > at {
            break;
        }
        if let Fault::License { key, registered: now } = fault
            && key
                .parse::<ksnsim_reference::protocol::LicenseKey>()
                .is_ok_and(|k| k.tenant().to_string() == tenant)
        {
            registered = *now;
        }
    }
    registered
}

/// The Statement versions the servers honour at `at`: the current one and those before it, unless a
/// publication retired the older ones.
fn honoured_at(run: &Observed, at: Duration) -> BTreeSet<u32> {
    let mut current = run.topology.servers.statement;
    let mut oldest = 1;
    for (when, fault) in run.faults() {
        if when > at {
            break;
        }
        if let Fault::PublishStatement {
            version,
            retire_older,
        } = fault
        {
            current = *version;
            if *retire_older {
                oldest = *version;
            }
        }
    }
    (oldest..=current).collect()
}

/// An object the Private KSN's local database rates gets that verdict from it.
fn local_overrides(run: &Observed, findings: &mut Findings) {
    for input in run.inputs {
        let InputKind::Reputation {
            ksn: KsnKind::Private,
            layer: ksnsim_mocks::Layer::Local,
            entry,
        } = &input.what
        else {
            continue;
        };
        let object = entry.object.to_string();
        let wanted = entry.verdict.as_str();
        for exchange in run.at(crate::world::hostnames::PRIVATE_KSN) {
            let Some(answer) = exchange.answer else { continue };
            if answer.at < input.started || faulted(run, KsnKind::Private, exchange.received) {
                continue;
            }
            for verdict in answer.seen.verdicts.iter().filter(|v| v.object == object) {
                findings.exercised("SRV-PRIV-1/local-overrides");
                if verdict.verdict != wanted {
                    let message = format!(
                        "the Private KSN answered {object} as {} at {}, but its local database rates it {wanted}, which \
                         overrides the global verdict",
                        verdict.verdict,
                        at_ms(answer.at)
                    );
                    findings.violated(run, "SRV-PRIV-1/local-overrides", Some(answer.index), message);
                }
            }
        }
    }
}
