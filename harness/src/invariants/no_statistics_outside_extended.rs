//! EP-MODE-1: statistics only in extended mode (never with `KSN-Mode: basic`); EP-MODE-2 and EP-MODE-3: in
//! save-to-file mode and when not participating, no KSN request at all.

use std::collections::BTreeMap;

use super::{Invariant, Violation, WorldFacts, violation};
use crate::topology::Mode;
use crate::trace::{SimEvent, SimEventKind};

fn mode_named(name: &str) -> Option<Mode> {
    match name {
        "extended" => Some(Mode::Extended),
        "basic" => Some(Mode::Basic),
        "save to file" => Some(Mode::SaveToFile),
        "off" => Some(Mode::Off),
        _ => None,
    }
}

/// Follows each endpoint's participation through the trace, calling `judge` on each of its requests.
fn follow_modes(
    facts: &WorldFacts,
    events: &[SimEvent],
    judge: impl Fn(&str, Mode, &str) -> Option<String>,
) -> Option<Violation> {
    let mut modes: BTreeMap<&str, Mode> = facts
        .endpoints
        .iter()
        .map(|(n, f)| (n.as_str(), f.mode))
        .collect();
    for (index, event) in events.iter().enumerate() {
        match &event.what {
            SimEventKind::State { host, what, to, .. } if what == "participation" => {
                if let Some(mode) = mode_named(to) {
                    modes.insert(host, mode);
                }
            }
            SimEventKind::ClientRequest { host, path, .. } => {
                if let Some(mode) = modes.get(host.as_str())
                    && let Some(message) = judge(host, *mode, path)
                {
                    return violation(index, event, message);
                }
            }
            SimEventKind::ServerRequest { server, request, .. }
                if request.path.starts_with("/v1/statistics") && request.mode.as_deref() == Some("basic") =>
            {
                let message = format!("{server} received statistics sent with KSN-Mode: basic");
                return violation(index, event, message);
            }
            _ => {}
        }
    }
    None
}

pub struct NoStatisticsOutsideExtended;

impl Invariant for NoStatisticsOutsideExtended {
    fn requirement(&self) -> &'static str {
        "EP-MODE-1"
    }

    fn name(&self) -> &'static str {
        "statistics only in extended mode"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        follow_modes(facts, events, |host, mode, path| {
            (path.starts_with("/v1/statistics") && mode != Mode::Extended)
                .then(|| format!("{host} sent statistics in {mode:?} mode"))
        })
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        super::any_endpoint_request(facts, events)
    }
}

pub struct NoTrafficWhenNotSending;

impl Invariant for NoTrafficWhenNotSending {
    fn requirement(&self) -> &'static str {
        "EP-MODE-3"
    }

    fn name(&self) -> &'static str {
        "no KSN requests when off or saving statistics to file"
    }

    fn check(&self, facts: &WorldFacts, events: &[SimEvent]) -> Option<Violation> {
        follow_modes(facts, events, |host, mode, path| {
            matches!(mode, Mode::Off | Mode::SaveToFile)
                .then(|| format!("{host} sent {path} in {mode:?} mode"))
        })
    }

    fn exercised(&self, facts: &WorldFacts, events: &[SimEvent]) -> bool {
        super::any_endpoint_request(facts, events)
    }
}
