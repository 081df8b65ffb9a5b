//! `ksnsim explore FEATURE:LINE`: a scenario to explore around. Its Given steps (with the feature's
//! Background) make the world; its When steps come first in every schedule, in their order, with generated
//! actions and faults interleaved; its Then steps are left out (under injected faults they no longer hold:
//! the invariants judge the run instead). The hosts its Given steps name are the hosts actions can name.

use std::path::{Path, PathBuf};

use cucumber::gherkin::{self, StepType};

use super::world_shape::{EndpointHost, Hosts, ProxyHost};
use crate::params::quoted_list;

/// The scenario a field engineer starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartingScenario {
    /// `features/x.feature:LINE`, as given.
    pub place: String,
    pub name: String,
    pub given: Vec<String>,
    pub when: Vec<String>,
    pub hosts: Hosts,
}

#[derive(Debug, thiserror::Error)]
pub enum AroundError {
    #[error(
        "{0:?} is not FEATURE:LINE (a feature file and the line of a Scenario in it, e.g. features/dns.feature:12)"
    )]
    NotAPlace(String),
    #[error("{path}: {problem}")]
    Unreadable { path: String, problem: String },
    #[error("{path} has no Scenario at line {line}; its scenarios start at lines {lines}")]
    NoScenario {
        path: String,
        line: usize,
        lines: String,
    },
    #[error(
        "{place}: step {step:?} has a table or doc string, which explore cannot yet carry into a schedule"
    )]
    Unsupported { place: String, step: String },
    #[error("{origin}: {field}: {problem}")]
    Topology {
        origin: String,
        field: String,
        problem: String,
    },
}

/// Splits `FEATURE:LINE`.
pub fn parse_place(text: &str) -> Result<(PathBuf, usize), AroundError> {
    let (path, line) = text
        .rsplit_once(':')
        .ok_or_else(|| AroundError::NotAPlace(text.to_owned()))?;
    let line = line
        .parse()
        .map_err(|_| AroundError::NotAPlace(text.to_owned()))?;
    Ok((PathBuf::from(path), line))
}

/// Reads the scenario at `line` of `path`.
pub fn read_scenario(path: &Path, line: usize) -> Result<StartingScenario, AroundError> {
    let shown = path.display().to_string();
    let feature = gherkin::Feature::parse_path(path, gherkin::GherkinEnv::default()).map_err(|err| {
        AroundError::Unreadable {
            path: shown.clone(),
            problem: err.to_string(),
        }
    })?;
    let scenarios: Vec<&gherkin::Scenario> = feature
        .scenarios
        .iter()
        .chain(feature.rules.iter().flat_map(|r| &r.scenarios))
        .collect();
    let Some(scenario) = scenarios.iter().find(|s| s.position.line == line) else {
        let lines: Vec<String> = scenarios.iter().map(|s| s.position.line.to_string()).collect();
        return Err(AroundError::NoScenario {
            path: shown,
            line,
            lines: lines.join(", "),
        });
    };
    let place = format!("{shown}:{line}");
    let background = feature.background.iter().flat_map(|b| &b.steps);
    let (mut given, mut when) = (Vec::new(), Vec::new());
    for step in background.chain(&scenario.steps) {
        if step.table.is_some() || step.docstring.is_some() {
            return Err(AroundError::Unsupported {
                place,
                step: step.value.clone(),
            });
        }
        match step.ty {
            StepType::Given => given.push(step.value.clone()),
            StepType::When => when.push(step.value.clone()),
            StepType::Then => {}
        }
    }
    let hosts = hosts_named(&given);
    Ok(StartingScenario {
        place,
        name: scenario.name.clone(),
        given,
        when,
        hosts,
    })
}

/// The endpoints, proxies and KSN servers that Given steps create, read off their text.
pub(super) fn hosts_named(given: &[String]) -> Hosts {
    let mut hosts = Hosts::default();
    for step in given {
        let names = quoted_list(step);
        if step.starts_with("a Private KSN") {
            hosts.private_ksn = true;
        } else if step.starts_with("an endpoint ") && !names.is_empty() {
            hosts.endpoints.push(EndpointHost {
                name: names[0].clone(),
                behind: step.contains(" behind ").then(|| names.get(1).cloned()).flatten(),
                private: step.contains("using Private KSN"),
                accepted: None,
            });
        } else if (step.contains(" with a KSN proxy ") || step.starts_with("an Administration Server proxy "))
            && !names.is_empty()
        {
            let upstream = step
                .contains(" chained to ")
                .then(|| names.get(1).cloned())
                .flatten();
            let private = match &upstream {
                Some(up) => hosts.proxies.iter().any(|p| p.name == *up && p.private),
                None => step.ends_with("for the Private KSN"),
            };
            hosts.proxies.push(ProxyHost {
                name: names[0].clone(),
                upstream,
                private,
            });
        } else if let Some(version) = step
            .strip_prefix('"')
            .and_then(|rest| rest.split_once("\" has accepted KSN Statement version "))
        {
            let (name, version) = version;
            if let Some(e) = hosts.endpoints.iter_mut().find(|e| e.name == name) {
                e.accepted = version.trim().parse().ok();
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_off_given_steps() {
        let given: Vec<String> = [
            "a Global KSN",
            r#"a Private KSN with registered licenses "LICENSE-A""#,
            r#"an Administration Server proxy "as" for the Private KSN"#,
            r#"a distribution point "dp1" with a KSN proxy chained to "as""#,
            r#"an endpoint "bank" in extended mode behind "dp1" using Private KSN with license "LICENSE-A""#,
            r#""bank" has accepted KSN Statement version 2"#,
            r#"an endpoint "lab" in basic mode"#,
        ]
        .map(str::to_owned)
        .to_vec();
        let hosts = hosts_named(&given);
        assert!(hosts.private_ksn);
        assert_eq!(hosts.proxies[1].upstream.as_deref(), Some("as"));
        assert!(
            hosts.proxies[1].private,
            "a proxy chained to a Private one serves the Private KSN"
        );
        assert_eq!(hosts.endpoints[0].behind.as_deref(), Some("dp1"));
        assert!(hosts.endpoints[0].private);
        assert_eq!(hosts.endpoints[0].accepted, Some(2));
        assert_eq!(hosts.endpoints[1].behind, None);
        assert_eq!(hosts.endpoints[1].accepted, None);
    }

    #[test]
    fn a_place_needs_a_line() {
        assert!(matches!(
            parse_place("features/dns.feature"),
            Err(AroundError::NotAPlace(_))
        ));
        assert_eq!(
            parse_place("a/b.feature:12").unwrap(),
            (PathBuf::from("a/b.feature"), 12)
        );
    }
}
