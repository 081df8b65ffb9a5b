//! EP-RATE-1: after a 429 that carries `Retry-After: N`, an endpoint sends no request of any kind (lookup,
//! batch, statistics, license check) until N seconds have passed. The value is read from the answer as it
//! came off the wire (the agent's observation quotes the header), not from what the agent made of it.

use std::collections::BTreeMap;

use super::{Invariant, Violation, WorldFacts, violation};
use crate::trace::{SimEvent, SimEventKind};

pub struct RetryAfterHonoured;

/// The seconds of a `Retry-After: N` quoted in an answer's detail (delta-seconds, RFC 9110 §10.2.3).
fn retry_after_seconds(detail: &str) -> Option<u64> {
    let (_, rest) = detail.split_once("Retry-After: ")?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

fn millis(event: &SimEvent) -> u64 {
    u64::try_from(event.at.as_millis()).unwrap_or(u64::MAX)
}

impl Invariant for RetryAfterHonoured {
    fn requirement(&self) -> &'static str {
        "EP-RATE-1"
    }

    fn name(&self) -> &'static str {
        "no request while a Retry-After runs"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        let mut restricted_until: BTreeMap<&str, u64> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            match &event.what {
                SimEventKind::ClientAnswer {
                    host,
                    status: 429,
                    detail,
                } if facts.is_endpoint(host) => {
                    if let Some(seconds) = retry_after_seconds(detail) {
                        let until = millis(event) + seconds * 1000;
                        let entry = restricted_until.entry(host).or_default();
                        *entry = (*entry).max(until);
                    }
                }
                SimEventKind::ClientRequest { host, path, .. } => {
                    if let Some(until) = restricted_until
                        .get(host.as_str())
                        .filter(|until| millis(event) < **until)
                    {
                        let message = format!(
                            "{host} sent {path} {} ms before the Retry-After of its last 429 ran out",
                            until - millis(event)
                        );
                        return violation(index, event, message);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        events.iter().any(|e| {
            matches!(&e.what, SimEventKind::ClientAnswer { host, status: 429, detail }
                if facts.is_endpoint(host) && retry_after_seconds(detail).is_some())
        })
    }
}
