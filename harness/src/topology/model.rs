//! The topology a person writes (TOML): KSN servers, proxies and how they chain, endpoints and their settings.
//! Every field is checked when the file is read; an error names the field and what would be valid.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A whole simulated network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// A name for reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// Simulated time per step, in milliseconds: larger is faster but coarser (default 100).
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    #[serde(default)]
    pub servers: Servers,
    #[serde(default, rename = "proxy")]
    pub proxies: Vec<ProxySpec>,
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<EndpointSpec>,
}

fn default_name() -> String {
    "topology".into()
}

fn default_tick_ms() -> u64 {
    100
}

/// The KSN servers of the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Servers {
    /// Run a Global KSN (host `ksn-global`, name `ksn.global.test`).
    #[serde(default = "yes")]
    pub global: bool,
    /// Run a Private KSN (host `ksn-private`, name `ksn.private.test`).
    #[serde(default)]
    pub private: bool,
    /// License keys the Private KSN's provider has registered at the start.
    #[serde(default)]
    pub licenses: Vec<String>,
    /// The current KSN Statement version (servers honour it and the versions before it).
    #[serde(default = "one")]
    pub statement: u32,
    /// Default reputation ttl, in seconds.
    #[serde(default = "default_ttl")]
    pub ttl_seconds: u64,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

fn default_ttl() -> u64 {
    3600
}

impl Default for Servers {
    fn default() -> Self {
        Self {
            global: true,
            private: false,
            licenses: Vec::new(),
            statement: 1,
            ttl_seconds: 3600,
        }
    }
}

/// Which KSN a proxy or an endpoint uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KsnKind {
    Global,
    Private,
}

/// A KSN proxy: on a distribution point, or the Administration Server's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySpec {
    pub name: String,
    /// The KSN it serves, when its upstream is a KSN server.
    #[serde(default)]
    pub ksn: Option<KsnKind>,
    /// Another proxy to forward to (a chain: distribution point -> Administration Server).
    #[serde(default)]
    pub upstream: Option<String>,
    /// Cache bound (entries).
    #[serde(default)]
    pub cache_capacity: Option<usize>,
    /// Bound on one upstream exchange, milliseconds.
    #[serde(default)]
    pub upstream_timeout_ms: Option<u64>,
    /// Serve an expired verdict for this long while the upstream is down (PX-STALE-1).
    #[serde(default)]
    pub stale_grace_seconds: Option<u64>,
    /// The KSN server's name resolves, for this proxy, to the rogue server (a poisoned resolver, PX-TLS-1).
    #[serde(default)]
    pub poisoned_upstream: bool,
    /// The KSN server's name resolves, for this proxy, to the impostor: a certificate from the trusted CA,
    /// but for another name (the most common real misconfiguration, PX-TLS-1).
    #[serde(default)]
    pub impostor_upstream: bool,
    /// Break one requirement on purpose (`shared-cache`, `cache-errors`, ...: the conformance self-test's
    /// misbehaviours), to show that a scenario or `ksnsim explore` catches it. Never in a real topology.
    #[serde(default)]
    pub self_test_misbehaviour: Option<String>,
}

impl ProxySpec {
    /// A proxy with every setting at its default: relaying to `upstream`, or else to the `ksn` server.
    pub fn new(name: impl Into<String>, ksn: Option<KsnKind>, upstream: Option<String>) -> Self {
        Self {
            name: name.into(),
            ksn,
            upstream,
            cache_capacity: None,
            upstream_timeout_ms: None,
            stale_grace_seconds: None,
            poisoned_upstream: false,
            impostor_upstream: false,
            self_test_misbehaviour: None,
        }
    }
}

/// Participation, as written in a topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Extended,
    Basic,
    SaveToFile,
    Off,
}

/// One endpoint (or `count` alike, named `NAME-1`..`NAME-N`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    pub name: String,
    #[serde(default = "one_usize")]
    pub count: usize,
    #[serde(default = "extended")]
    pub mode: Mode,
    #[serde(default = "global")]
    pub ksn: KsnKind,
    /// The license key, with `ksn = "private"`.
    #[serde(default)]
    pub license: Option<String>,
    /// The proxy to go through ("use KSN proxy"); none means direct to the KSN server.
    #[serde(default)]
    pub behind: Option<String>,
    /// "Use KSN servers when the proxy is unavailable".
    #[serde(default)]
    pub direct_when_proxy_unavailable: bool,
    /// Whether public DNS may stand in when the system DNS fails.
    #[serde(default = "yes")]
    pub allow_public_dns: bool,
    /// The Statement version already accepted at the start; none: not accepted.
    #[serde(default)]
    pub accepted_statement: Option<u32>,
    /// Start the KSN Usage task at boot (with an accepted Statement).
    #[serde(default = "yes")]
    pub task_running: bool,
    /// Most statistics records held while they cannot be sent (default 10000).
    #[serde(default)]
    pub queue_capacity: Option<usize>,
    /// Run the `count` endpoints as agents of ONE simulated host named `name` (for scale: a step costs per
    /// host). They share an address; a fault on any of them applies to the whole group.
    #[serde(default)]
    pub colocated: bool,
}

fn one_usize() -> usize {
    1
}

fn extended() -> Mode {
    Mode::Extended
}

fn global() -> KsnKind {
    KsnKind::Global
}

/// A topology that cannot be built; the message names the field and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("topology {origin}: {field}: {problem}")]
pub struct TopologyError {
    pub origin: String,
    pub field: String,
    pub problem: String,
}

impl Topology {
    /// Reads a topology from TOML; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, TopologyError> {
        let topology: Self = toml::from_str(text).map_err(|err| TopologyError {
            origin: origin.to_owned(),
            field: "(file)".into(),
            problem: err.to_string().trim().to_owned(),
        })?;
        topology.validate(origin)?;
        Ok(topology)
    }

    /// Checks names, references and combinations.
    pub fn validate(&self, origin: &str) -> Result<(), TopologyError> {
        let fail = |field: String, problem: String| TopologyError {
            origin: origin.to_owned(),
            field,
            problem,
        };
        if self.tick_ms == 0 || self.tick_ms > 1000 {
            return Err(fail(
                "tick_ms".into(),
                format!("{} is out of range: use 1 to 1000", self.tick_ms),
            ));
        }
        if !self.servers.global && !self.servers.private {
            return Err(fail(
                "servers".into(),
                "no KSN server: set global = true or private = true".into(),
            ));
        }
        let mut names = BTreeSet::new();
        for name in self
            .proxies
            .iter()
            .map(|p| &p.name)
            .chain(self.endpoints.iter().map(|e| &e.name))
        {
            check_name(name).map_err(|problem| fail(format!("name {name:?}"), problem))?;
            if RESERVED.contains(&name.as_str()) || !names.insert(name.clone()) {
                return Err(fail(
                    format!("name {name:?}"),
                    "is used twice or reserved: pick another".into(),
                ));
            }
        }
        for (i, proxy) in self.proxies.iter().enumerate() {
            let field = format!("proxy[{i}] ({})", proxy.name);
            if proxy.poisoned_upstream && proxy.impostor_upstream {
                return Err(fail(
                    field,
                    "poisoned_upstream and impostor_upstream both set: a name resolves to one server; pick one".into(),
                ));
            }
            match (&proxy.ksn, &proxy.upstream) {
                (Some(kind), None) => self.check_server(*kind).map_err(|p| fail(field.clone(), p))?,
                (None, Some(upstream)) => {
                    let earlier = self.proxies[..i].iter().any(|p| &p.name == upstream);
                    if !earlier {
                        let problem =
                            format!("upstream {upstream:?} must name a proxy listed before this one");
                        return Err(fail(field, problem));
                    }
                }
                _ => {
                    return Err(fail(
                        field,
                        "set exactly one of ksn = \"global\"|\"private\" or upstream = \"<proxy>\"".into(),
                    ));
                }
            }
        }
        for (i, endpoint) in self.endpoints.iter().enumerate() {
            let field = format!("endpoint[{i}] ({})", endpoint.name);
            self.check_server(endpoint.ksn)
                .map_err(|p| fail(field.clone(), p))?;
            if endpoint.count == 0 || endpoint.count > 100_000 {
                return Err(fail(field, "count must be 1 to 100000".into()));
            }
            match (endpoint.ksn, &endpoint.license) {
                (KsnKind::Private, None) => {
                    return Err(fail(field, "ksn = \"private\" needs a license".into()));
                }
                (KsnKind::Global, Some(_)) => {
                    return Err(fail(field, "a license is only for ksn = \"private\"".into()));
                }
                _ => {}
            }
            if let Some(proxy) = &endpoint.behind {
                let Some(spec) = self.proxies.iter().find(|p| &p.name == proxy) else {
                    return Err(fail(field, format!("behind {proxy:?}: no proxy of that name")));
                };
                if self.proxy_kind(spec) != Some(endpoint.ksn) {
                    return Err(fail(
                        field,
                        format!("proxy {proxy:?} does not serve the {:?} KSN", endpoint.ksn),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_server(&self, kind: KsnKind) -> Result<(), String> {
        match kind {
            KsnKind::Global if !self.servers.global => Err("the Global KSN is not in [servers]".into()),
            KsnKind::Private if !self.servers.private => Err("the Private KSN is not in [servers]".into()),
            _ => Ok(()),
        }
    }

    /// The KSN a proxy serves, following its chain.
    pub fn proxy_kind(&self, proxy: &ProxySpec) -> Option<KsnKind> {
        let mut current = proxy;
        for _ in 0..=self.proxies.len() {
            match (&current.ksn, &current.upstream) {
                (Some(kind), _) => return Some(*kind),
                (None, Some(upstream)) => current = self.proxies.iter().find(|p| &p.name == upstream)?,
                (None, None) => return None,
            }
        }
        None
    }

    /// The simulated host an endpoint runs on: its own, or its colocated group's.
    pub fn host_of(&self, endpoint: &str) -> Option<String> {
        self.endpoint_names()
            .into_iter()
            .find(|(name, _)| name == endpoint)
            .map(
                |(name, spec)| {
                    if spec.colocated { spec.name.clone() } else { name }
                },
            )
    }

    /// Every endpoint host name, `count` expanded.
    pub fn endpoint_names(&self) -> Vec<(String, &EndpointSpec)> {
        let mut names = Vec::new();
        for spec in &self.endpoints {
            if spec.count == 1 {
                names.push((spec.name.clone(), spec));
            } else {
                names.extend((1..=spec.count).map(|n| (format!("{}-{n}", spec.name), spec)));
            }
        }
        names
    }
}

/// Host names the world uses for itself.
pub const RESERVED: [&str; 5] = ["ksn-global", "ksn-private", "dns", "rogue", "impostor"];

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err("use 1 to 40 lowercase letters, digits and dashes".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        name = "two distribution points"
        [servers]
        private = true
        licenses = ["LICENSE-A"]
        [[proxy]]
        name = "as"
        ksn = "global"
        [[proxy]]
        name = "dp1"
        upstream = "as"
        [[endpoint]]
        name = "ep"
        count = 3
        behind = "dp1"
        accepted_statement = 1
        [[endpoint]]
        name = "kpsn"
        ksn = "private"
        license = "LICENSE-A"
    "#;

    #[test]
    fn example_reads_and_expands_counts() {
        let topology = Topology::from_toml(EXAMPLE, "example.toml").unwrap();
        let names: Vec<String> = topology.endpoint_names().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["ep-1", "ep-2", "ep-3", "kpsn"]);
        assert_eq!(topology.proxy_kind(&topology.proxies[1]), Some(KsnKind::Global));
    }

    #[test]
    fn errors_name_the_field_and_the_fix() {
        let err = Topology::from_toml("[[endpoint]]\nname = \"e\"\nbehind = \"nope\"", "t.toml").unwrap_err();
        assert_eq!(err.field, "endpoint[0] (e)");
        assert!(err.problem.contains("no proxy of that name"), "{err}");
        let err = Topology::from_toml("[[endpoint]]\nname = \"e\"\nmood = 1", "t.toml").unwrap_err();
        assert!(err.to_string().contains("mood"), "{err}");
        let err = Topology::from_toml("[[endpoint]]\nname = \"dns\"", "t.toml").unwrap_err();
        assert!(err.problem.contains("reserved"), "{err}");
        let err = Topology::from_toml(
            "[[endpoint]]\nname = \"e\"\nksn = \"private\"\nlicense = \"K\"",
            "t.toml",
        )
        .unwrap_err();
        assert!(err.problem.contains("Private KSN is not"), "{err}");
    }
}
