//! `ksnsim explore TOPOLOGY.toml`: a topology file (the one `ksnsim sim` runs) as the world to explore, written
//! as the step library's Given steps, so that a finding reads like a hand-written scenario and replays under
//! `ksnsim run`. Every field the steps can say is carried; a field they cannot say is an error that names it,
//! never a world quietly different from the file.

use ksnsim_harness::topology::{EndpointSpec, KsnKind, ProxySpec, Servers, Topology};

use super::around::{AroundError, StartingScenario, hosts_named};
use crate::params::{ksn_words, mode_words};

/// The topology's world, with no When steps of its own: every action of a schedule is generated.
pub fn starting_world(topology: &Topology, origin: &str) -> Result<StartingScenario, AroundError> {
    let unsupported = |field: String, problem: &str| AroundError::Topology {
        origin: origin.to_owned(),
        field,
        problem: problem.to_owned(),
    };
    let mut given = servers(&topology.servers);
    for (i, proxy) in topology.proxies.iter().enumerate() {
        given.extend(
            proxy_steps(proxy)
                .map_err(|(field, problem)| unsupported(format!("proxy[{i}].{field}"), problem))?,
        );
    }
    for (i, endpoint) in topology.endpoints.iter().enumerate() {
        given.extend(
            endpoint_steps(endpoint)
                .map_err(|(field, problem)| unsupported(format!("endpoint[{i}].{field}"), problem))?,
        );
    }
    let hosts = hosts_named(&given);
    Ok(StartingScenario {
        place: origin.to_owned(),
        name: topology.name.clone(),
        given,
        when: Vec::new(),
        hosts,
    })
}

/// A field the step library has no words for, and why.
type Unsayable = (String, &'static str);

fn servers(servers: &Servers) -> Vec<String> {
    let mut steps = Vec::new();
    if servers.global {
        steps.push("a Global KSN".to_owned());
    }
    if servers.private {
        steps.push(match servers.licenses.as_slice() {
            [] => "a Private KSN".to_owned(),
            licenses => format!("a Private KSN with registered licenses {}", quoted_list(licenses)),
        });
    }
    steps.push(format!(
        "the current KSN Statement is version {}",
        servers.statement
    ));
    steps.push(format!(
        "the KSN servers give verdicts a ttl of {} seconds",
        servers.ttl_seconds
    ));
    steps
}

fn proxy_steps(proxy: &ProxySpec) -> Result<Vec<String>, Unsayable> {
    let name = &proxy.name;
    let mut steps = vec![match (&proxy.upstream, proxy.ksn) {
        (Some(upstream), _) => {
            format!("a distribution point \"{name}\" with a KSN proxy chained to \"{upstream}\"")
        }
        (None, Some(ksn)) => format!(
            "a distribution point \"{name}\" with a KSN proxy for the {} KSN",
            ksn_words(ksn)
        ),
        (None, None) => return Err(("ksn".into(), "a proxy needs `ksn` or `upstream`")),
    }];
    if let Some(capacity) = proxy.cache_capacity {
        steps.push(format!(
            "the KSN proxy \"{name}\" keeps at most {capacity} verdicts"
        ));
    }
    if let Some(ms) = proxy.upstream_timeout_ms {
        if ms % 1000 != 0 || ms == 0 {
            return Err((
                "upstream_timeout_ms".into(),
                "the step library says the upstream timeout in whole seconds: give a multiple of 1000",
            ));
        }
        steps.push(format!(
            "the KSN proxy \"{name}\" waits at most {} seconds for its upstream",
            ms / 1000
        ));
    }
    if let Some(grace) = proxy.stale_grace_seconds {
        steps.push(format!(
            "the KSN proxy \"{name}\" serves stale verdicts for {grace} seconds"
        ));
    }
    for (poisoned, what, field) in [
        (proxy.poisoned_upstream, "rogue server", "poisoned_upstream"),
        (proxy.impostor_upstream, "impostor", "impostor_upstream"),
    ] {
        if !poisoned {
            continue;
        }
        if proxy.ksn != Some(KsnKind::Global) {
            return Err((
                field.into(),
                "only the Global KSN's name can be pointed at a rogue server or impostor: set it on a proxy with \
                 ksn = \"global\"",
            ));
        }
        steps.push(format!(
            "the name of the Global KSN resolves to the {what} for \"{name}\""
        ));
    }
    if proxy.self_test_misbehaviour.is_some() {
        return Err((
            "self_test_misbehaviour".into(),
            "a deliberate misbehaviour is for the harness's own tests; remove it from the topology",
        ));
    }
    Ok(steps)
}

fn endpoint_steps(endpoint: &EndpointSpec) -> Result<Vec<String>, Unsayable> {
    if endpoint.colocated {
        return Err((
            "colocated".into(),
            "colocated groups are for `ksnsim sim` at scale; explore runs each endpoint as its own host: remove \
             `colocated` (and lower `count`)",
        ));
    }
    let names: Vec<String> = match endpoint.count {
        1 => vec![endpoint.name.clone()],
        n => (1..=n).map(|i| format!("{}-{i}", endpoint.name)).collect(),
    };
    let mut steps = Vec::new();
    for name in &names {
        let behind = endpoint
            .behind
            .as_ref()
            .map(|proxy| format!(" behind \"{proxy}\""))
            .unwrap_or_default();
        let private = match (endpoint.ksn, &endpoint.license) {
            (KsnKind::Global, _) => String::new(),
            (KsnKind::Private, Some(license)) => format!(" using Private KSN with license \"{license}\""),
            (KsnKind::Private, None) => {
                return Err(("license".into(), "a Private KSN endpoint needs its license"));
            }
        };
        steps.push(format!(
            "an endpoint \"{name}\" in {} mode{behind}{private}",
            mode_words(endpoint.mode)
        ));
        steps.push(match endpoint.accepted_statement {
            Some(version) => format!("\"{name}\" has accepted KSN Statement version {version}"),
            None => format!("\"{name}\" has not accepted the KSN Statement"),
        });
        if endpoint.direct_when_proxy_unavailable {
            steps.push(format!(
                "\"{name}\" may use KSN servers when the proxy is unavailable"
            ));
        }
        if !endpoint.allow_public_dns {
            steps.push(format!("\"{name}\" may not use public DNS servers"));
        }
        if !endpoint.task_running {
            steps.push(format!("the KSN Usage task of \"{name}\" is not started"));
        }
        if let Some(capacity) = endpoint.queue_capacity {
            steps.push(format!(
                "the statistics queue of \"{name}\" holds at most {capacity} records"
            ));
        }
    }
    Ok(steps)
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("\"{item}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Topology {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(name);
        let text = std::fs::read_to_string(&path).expect("the example exists");
        Topology::from_toml(&text, name).expect("the example is valid")
    }

    #[test]
    fn the_two_sites_example_becomes_given_steps_with_every_host() {
        let start =
            starting_world(&example("two-sites.toml"), "two-sites.toml").expect("every field is sayable");
        assert!(start.when.is_empty());
        assert!(
            start
                .given
                .contains(&r#"a Private KSN with registered licenses "LICENSE-A""#.to_owned())
        );
        assert!(
            start
                .given
                .contains(&r#"a distribution point "dp1" with a KSN proxy chained to "as""#.to_owned())
        );
        assert!(
            start
                .given
                .contains(&r#"an endpoint "bank-2" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-A""#.to_owned())
        );
        assert!(
            start
                .given
                .contains(&r#""lab-3" has accepted KSN Statement version 1"#.to_owned())
        );
        // 4 + 3 + 1 + 2 endpoints, 4 proxies; the chained ones serve what their upstream serves.
        assert_eq!(start.hosts.endpoints.len(), 10);
        assert_eq!(start.hosts.proxies.len(), 4);
        assert!(start.hosts.private_ksn);
        let bank = start.hosts.endpoints.iter().find(|e| e.name == "bank-1").unwrap();
        assert!(bank.private);
        assert_eq!(bank.behind.as_deref(), Some("kpsn-dp"));
        assert_eq!(bank.accepted, Some(1));
    }

    #[test]
    fn a_field_the_steps_cannot_say_is_named() {
        let mut topology = example("two-sites.toml");
        topology.proxies[0].upstream_timeout_ms = Some(1500);
        let err = starting_world(&topology, "t.toml").unwrap_err().to_string();
        assert!(err.contains("t.toml: proxy[0].upstream_timeout_ms"), "{err}");
        assert!(err.contains("multiple of 1000"), "{err}");
        let mut topology = example("two-sites.toml");
        topology.endpoints[0].colocated = true;
        let err = starting_world(&topology, "t.toml").unwrap_err().to_string();
        assert!(err.contains("endpoint[0].colocated"), "{err}");
    }
}
