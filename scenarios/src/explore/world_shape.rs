//! The world a generated schedule runs in: which KSN servers, proxies and endpoints there are, written as the
//! step library's Given steps. Shrinks towards fewer hosts and plainer settings (one endpoint in extended
//! mode, straight to the Global KSN).

use proptest::prelude::*;

/// The hosts a schedule's actions can name, however the world was described (generated, or read off a
/// scenario's Given steps by `around`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosts {
    pub endpoints: Vec<EndpointHost>,
    pub proxies: Vec<ProxyHost>,
    pub private_ksn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyHost {
    pub name: String,
    /// The proxy it relays to; `None`: its KSN server.
    pub upstream: Option<String>,
    /// It serves the Private KSN (else the Global KSN).
    pub private: bool,
}

impl ProxyHost {
    fn new(name: &str, upstream: Option<&str>, private: bool) -> Self {
        Self {
            name: name.to_owned(),
            upstream: upstream.map(str::to_owned),
            private,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointHost {
    pub name: String,
    /// The proxy it is configured behind.
    pub behind: Option<String>,
    pub private: bool,
    /// The Statement version it starts under (`None`: never accepted).
    pub accepted: Option<u32>,
}

/// A generated world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldShape {
    pub proxies: ProxyShape,
    pub endpoints: Vec<EndpointShape>,
    /// Verdict ttl the KSN servers give, in seconds (`None`: the servers' default).
    pub ttl_seconds: Option<u32>,
    /// How long the Global proxy may serve a stale verdict, in seconds.
    pub stale_grace_seconds: Option<u32>,
    /// How many verdicts the Global distribution point keeps (`None`: its default), small enough for the
    /// least recently used to be evicted within a schedule (PX-CACHE-7).
    pub cache_capacity: Option<u8>,
    /// The Global distribution point's upstream name resolves to a server it must not trust (PX-TLS-1).
    pub untrusted_upstream: Option<Untrusted>,
}

/// A server a proxy must not trust: the rogue (the right name, a CA nobody trusts) or the impostor (the
/// trusted CA, another name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untrusted {
    Rogue,
    Impostor,
}

/// The Global KSN's proxies: none, a distribution point, or a distribution point chained to the
/// Administration Server's proxy. Private endpoints behind a proxy get a Private distribution point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyShape {
    Direct,
    DistributionPoint,
    Chained,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointShape {
    pub mode: &'static str,
    pub behind_proxy: bool,
    pub private: bool,
    /// Its license with Private KSN, of [`LICENSES`]: tenants side by side behind one proxy, one of them
    /// perhaps not registered (yet).
    pub license: u8,
    pub accepted: bool,
    pub direct_when_proxy_unavailable: bool,
    pub public_dns: bool,
    pub queue_capacity: Option<u8>,
}

/// The Private KSN's licenses: two registered at the start, one the provider has never heard of.
pub const LICENSES: [&str; 3] = ["LICENSE-A", "LICENSE-B", "LICENSE-NEW"];
const GLOBAL_DP: &str = "dp1";
const ADMIN_SERVER: &str = "as";
const PRIVATE_DP: &str = "kpsn-dp";

impl WorldShape {
    pub fn strategy(max_endpoints: usize) -> BoxedStrategy<Self> {
        let proxies = prop_oneof![
            Just(ProxyShape::Direct),
            Just(ProxyShape::DistributionPoint),
            Just(ProxyShape::Chained),
        ];
        // Mostly ttls a schedule outlives, so that expiry, refetch and stale answers are reached.
        let ttl = prop_oneof![1 => Just(None), 2 => (1u32..=120).prop_map(Some), 1 => (121u32..=600).prop_map(Some)];
        let grace = prop_oneof![Just(None), (1u32..=600).prop_map(Some)];
        let capacity = prop_oneof![3 => Just(None), 1 => (1u8..=4).prop_map(Some)];
        let untrusted = prop_oneof![
            18 => Just(None),
            1 => Just(Some(Untrusted::Rogue)),
            1 => Just(Some(Untrusted::Impostor)),
        ];
        (
            proxies,
            proptest::collection::vec(EndpointShape::strategy(), 1..=max_endpoints.max(1)),
            ttl,
            grace,
            capacity,
            untrusted,
        )
            .prop_map(
                |(
                    proxies,
                    endpoints,
                    ttl_seconds,
                    stale_grace_seconds,
                    cache_capacity,
                    untrusted_upstream,
                )| {
                    Self {
                        proxies,
                        endpoints,
                        ttl_seconds,
                        stale_grace_seconds,
                        cache_capacity,
                        untrusted_upstream,
                    }
                },
            )
            .boxed()
    }

    /// The same world with one setting plainer (a proxy fewer, no ttl or grace, an endpoint in extended mode
    /// with default settings), for shrinking; only the variants that differ from it.
    pub fn plainer(&self) -> Vec<Self> {
        let mut variants = Vec::new();
        let mut vary = |change: &dyn Fn(&mut Self)| {
            let mut world = self.clone();
            change(&mut world);
            if world != *self {
                variants.push(world);
            }
        };
        vary(&|w| {
            w.proxies = match w.proxies {
                ProxyShape::Chained => ProxyShape::DistributionPoint,
                _ => ProxyShape::Direct,
            }
        });
        vary(&|w| w.ttl_seconds = None);
        vary(&|w| w.stale_grace_seconds = None);
        vary(&|w| w.cache_capacity = None);
        vary(&|w| w.untrusted_upstream = None);
        for i in 0..self.endpoints.len() {
            vary(&|w| w.endpoints[i].mode = "extended");
            vary(&|w| w.endpoints[i].behind_proxy = false);
            vary(&|w| w.endpoints[i].private = false);
            vary(&|w| w.endpoints[i].license = 0);
            vary(&|w| w.endpoints[i].accepted = true);
            vary(&|w| w.endpoints[i].direct_when_proxy_unavailable = false);
            vary(&|w| w.endpoints[i].public_dns = true);
            vary(&|w| w.endpoints[i].queue_capacity = None);
        }
        variants
    }

    fn has_private(&self) -> bool {
        self.endpoints.iter().any(|e| e.private)
    }

    /// The proxy an endpoint sits behind, if any.
    fn proxy_of(&self, endpoint: &EndpointShape) -> Option<&'static str> {
        match (self.proxies, endpoint.behind_proxy, endpoint.private) {
            (ProxyShape::Direct, _, _) | (_, false, _) => None,
            (_, true, true) => Some(PRIVATE_DP),
            (_, true, false) => Some(GLOBAL_DP),
        }
    }

    /// The hosts its Given steps create.
    pub fn hosts(&self) -> Hosts {
        let mut proxies = Vec::new();
        let uses = |private: bool| {
            self.endpoints
                .iter()
                .any(|e| e.private == private && self.proxy_of(e).is_some())
        };
        if uses(false) {
            if self.proxies == ProxyShape::Chained {
                proxies.push(ProxyHost::new(ADMIN_SERVER, None, false));
                proxies.push(ProxyHost::new(GLOBAL_DP, Some(ADMIN_SERVER), false));
            } else {
                proxies.push(ProxyHost::new(GLOBAL_DP, None, false));
            }
        }
        if uses(true) {
            proxies.push(ProxyHost::new(PRIVATE_DP, None, true));
        }
        let endpoints = self
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| EndpointHost {
                name: format!("ep{}", i + 1),
                behind: self.proxy_of(e).map(str::to_owned),
                private: e.private,
                accepted: e.accepted.then_some(1),
            })
            .collect();
        Hosts {
            endpoints,
            proxies,
            private_ksn: self.has_private(),
        }
    }

    /// The Given steps that describe it, in the step library's words.
    pub fn given_steps(&self) -> Vec<String> {
        let hosts = self.hosts();
        let mut steps = vec!["a Global KSN".to_owned()];
        if hosts.private_ksn {
            steps.push(format!(
                "a Private KSN with registered licenses \"{}\", \"{}\"",
                LICENSES[0], LICENSES[1]
            ));
        }
        if let Some(ttl) = self.ttl_seconds {
            steps.push(format!("the KSN servers give verdicts a ttl of {ttl} seconds"));
        }
        for proxy in &hosts.proxies {
            let (name, ksn) = (&proxy.name, if proxy.private { "Private" } else { "Global" });
            steps.push(match &proxy.upstream {
                _ if name == ADMIN_SERVER => {
                    format!("an Administration Server proxy \"{name}\" for the {ksn} KSN")
                }
                Some(upstream) => {
                    format!("a distribution point \"{name}\" with a KSN proxy chained to \"{upstream}\"")
                }
                None => format!("a distribution point \"{name}\" with a KSN proxy for the {ksn} KSN"),
            });
        }
        if let (Some(grace), true) = (
            self.stale_grace_seconds,
            hosts.proxies.iter().any(|p| p.name == GLOBAL_DP),
        ) {
            steps.push(format!(
                "the KSN proxy \"{GLOBAL_DP}\" serves stale verdicts for {grace} seconds"
            ));
        }
        let global_dp = hosts.proxies.iter().any(|p| p.name == GLOBAL_DP);
        if let (Some(capacity), true) = (self.cache_capacity, global_dp) {
            steps.push(format!(
                "the KSN proxy \"{GLOBAL_DP}\" keeps at most {capacity} verdicts"
            ));
        }
        // Only a distribution point straight to its KSN server: in a chain its upstream is a proxy.
        if let (Some(untrusted), true, false) = (
            self.untrusted_upstream,
            global_dp,
            self.proxies == ProxyShape::Chained,
        ) {
            let server = match untrusted {
                Untrusted::Rogue => "rogue server",
                Untrusted::Impostor => "impostor",
            };
            steps.push(format!(
                "the name of the Global KSN resolves to the {server} for \"{GLOBAL_DP}\""
            ));
        }
        for (shape, host) in self.endpoints.iter().zip(&hosts.endpoints) {
            steps.extend(shape.given_steps(host));
        }
        steps
    }
}

impl EndpointShape {
    fn strategy() -> impl Strategy<Value = Self> {
        let mode = prop_oneof![
            6 => Just("extended"),
            1 => Just("basic"),
            1 => Just("save-to-file"),
            1 => Just("off"),
        ];
        (
            mode,
            any::<bool>(),
            (prop::bool::weighted(0.4), 0u8..3),
            prop::bool::weighted(0.85),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.8),
            prop_oneof![3 => Just(None), 1 => (1u8..=20).prop_map(Some)],
        )
            .prop_map(
                |(mode, behind_proxy, (private, license), accepted, direct, public_dns, queue_capacity)| {
                    Self {
                        mode,
                        behind_proxy,
                        private,
                        license,
                        accepted,
                        direct_when_proxy_unavailable: direct,
                        public_dns,
                        queue_capacity,
                    }
                },
            )
    }

    fn given_steps(&self, host: &EndpointHost) -> Vec<String> {
        let name = &host.name;
        let behind = host
            .behind
            .as_ref()
            .map(|p| format!(" behind \"{p}\""))
            .unwrap_or_default();
        let private = if self.private {
            format!(
                " using Private KSN with license \"{}\"",
                LICENSES[usize::from(self.license) % LICENSES.len()]
            )
        } else {
            String::new()
        };
        let mut steps = vec![format!(
            "an endpoint \"{name}\" in {} mode{behind}{private}",
            self.mode
        )];
        steps.push(match host.accepted {
            Some(version) => format!("\"{name}\" has accepted KSN Statement version {version}"),
            None => format!("\"{name}\" has not accepted the KSN Statement"),
        });
        if self.direct_when_proxy_unavailable && host.behind.is_some() {
            steps.push(format!(
                "\"{name}\" may use KSN servers when the proxy is unavailable"
            ));
        }
        if !self.public_dns {
            steps.push(format!("\"{name}\" may not use public DNS servers"));
        }
        if let Some(capacity) = self.queue_capacity {
            steps.push(format!(
                "the statistics queue of \"{name}\" holds at most {capacity} records"
            ));
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(private: bool, behind_proxy: bool) -> EndpointShape {
        EndpointShape {
            mode: "extended",
            behind_proxy,
            private,
            license: 0,
            accepted: true,
            direct_when_proxy_unavailable: false,
            public_dns: true,
            queue_capacity: None,
        }
    }

    #[test]
    fn a_chained_world_names_each_proxy_once_and_private_endpoints_get_the_private_proxy() {
        let shape = WorldShape {
            proxies: ProxyShape::Chained,
            endpoints: vec![
                endpoint(false, true),
                endpoint(true, true),
                endpoint(false, false),
            ],
            ttl_seconds: None,
            stale_grace_seconds: None,
            cache_capacity: None,
            untrusted_upstream: None,
        };
        let hosts = shape.hosts();
        let proxies: Vec<&str> = hosts.proxies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(proxies, ["as", "dp1", "kpsn-dp"]);
        assert_eq!(hosts.endpoints[1].behind.as_deref(), Some("kpsn-dp"));
        assert_eq!(hosts.endpoints[2].behind, None);
        let steps = shape.given_steps();
        assert!(steps.contains(&r#"a distribution point "dp1" with a KSN proxy chained to "as""#.to_owned()));
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("a Private KSN with registered licenses"))
        );
    }

    #[test]
    fn a_direct_world_has_no_proxy() {
        let shape = WorldShape {
            proxies: ProxyShape::Direct,
            endpoints: vec![endpoint(false, true)],
            ttl_seconds: Some(60),
            stale_grace_seconds: Some(30),
            cache_capacity: None,
            untrusted_upstream: None,
        };
        assert!(shape.hosts().proxies.is_empty());
        let steps = shape.given_steps();
        assert!(!steps.iter().any(|s| s.contains("stale")), "{steps:?}");
        assert_eq!(steps[1], "the KSN servers give verdicts a ttl of 60 seconds");
    }
}
