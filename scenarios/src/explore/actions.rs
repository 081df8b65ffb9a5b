//! What can happen to a world, as `ksnsim explore` generates it: the users' and administrators' actions, the
//! application's own work, faults and time. Hosts are named by index (resolved against the world's hosts, so
//! that fewer hosts after shrinking still make a schedule); every action has a When step in the step
//! library, and shrinks towards the plainer variant and smaller numbers.

use proptest::prelude::*;

/// One generated step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Time passing: ttls run out, background uploads and license checks run, the 15-minute rule applies.
    Pass {
        seconds: u32,
    },
    Lookup {
        endpoint: u8,
        file: u8,
    },
    LookupUrl {
        endpoint: u8,
        site: u8,
    },
    Batch {
        endpoint: u8,
        first: u8,
        count: u8,
    },
    /// Several endpoints look up one file at the same time (coalescing, tenants side by side).
    Together {
        first: u8,
        count: u8,
        file: u8,
    },
    Detect {
        endpoint: u8,
        threats: u8,
    },
    SendQueued {
        endpoint: u8,
    },
    CheckLicense {
        endpoint: u8,
    },
    PublishStatement {
        retire_older: bool,
    },
    ShowStatement {
        endpoint: u8,
    },
    AcceptStatement {
        endpoint: u8,
    },
    DeclineStatement {
        endpoint: u8,
    },
    Withdraw {
        endpoint: u8,
        statistics_only: bool,
    },
    ChangeLicense {
        endpoint: u8,
        license: u8,
    },
    Provider {
        register: bool,
        license: u8,
    },
    DisablePrivateKsn {
        endpoint: u8,
    },
    SwitchMode {
        endpoint: u8,
        mode: u8,
    },
    /// A policy enforcing a mode (`Some`), or leaving it undefined.
    PolicyMode {
        endpoint: u8,
        mode: Option<u8>,
    },
    PolicyPublicDns {
        endpoint: u8,
        allow: bool,
    },
    /// A policy locking one of the two proxy settings (seed 003): "use KSN proxy" (`direct: false`), or "use
    /// KSN servers when the proxy is unavailable" (`direct: true`).
    PolicyProxy {
        endpoint: u8,
        direct: bool,
        allow: bool,
    },
    Task {
        endpoint: u8,
        start: bool,
    },
    UseProxy {
        endpoint: u8,
        on: bool,
    },
    Cut {
        link: Link,
        oneway: bool,
    },
    Reconnect {
        link: Link,
        oneway: bool,
    },
    Loss {
        link: Link,
        percent: u8,
    },
    Latency {
        link: Link,
        ms: u32,
    },
    Down {
        host: Host,
    },
    Up {
        host: Host,
    },
    Dns {
        public: bool,
        fault: DnsFault,
    },
    Server {
        private: bool,
        fault: ServerFault,
    },
    NextDay,
    ClockForward {
        days: u8,
    },
    /// A broken client beside an endpoint sends its proxy what no agent sends, or the largest request the
    /// contract allows (PX-ERR-2 and the limits of the contract).
    Broken {
        endpoint: u8,
        kind: u8,
    },
    /// The Private KSN's database rates a file, in its local layer or its global one (SRV-PRIV-1).
    Rate {
        file: u8,
        local: bool,
        verdict: u8,
    },
}

/// A link between two hosts of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Link {
    /// An endpoint and the proxy it is configured behind.
    EndpointProxy(u8),
    /// An endpoint and its KSN server.
    EndpointKsn(u8),
    /// A proxy and what it relays to (its upstream proxy, or its KSN server).
    ProxyUpstream(u8),
}

/// A host that can go down and come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Host {
    Endpoint(u8),
    Proxy(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsFault {
    Recovers,
    StopsAnswering,
    ServFail,
    NxDomain,
    PointsElsewhere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerFault {
    Recovers,
    Unavailable,
    Garbage,
    WrongObject,
    ClosesMidAnswer,
    StopsAnswering,
    RateLimits { seconds: u8 },
    Slow { ms: u32 },
}

/// The modes, in the order they shrink to.
pub const MODES: [&str; 4] = ["extended", "basic", "save-to-file", "off"];

/// Every kind of fault an action can be, for the requirement x fault coverage (`None`: not a fault).
pub fn fault_kind(action: &Action) -> Option<&'static str> {
    Some(match action {
        Action::Cut { oneway: false, .. } => "partition",
        Action::Cut { oneway: true, .. } => "one-way partition",
        Action::Loss { .. } => "loss",
        Action::Latency { .. } => "latency",
        Action::Down { .. } => "crash",
        Action::Dns { public: false, fault } if *fault != DnsFault::Recovers => "system DNS fault",
        Action::Dns { public: true, fault } if *fault != DnsFault::Recovers => "public DNS fault",
        Action::Server { fault, .. } => match fault {
            ServerFault::Recovers => return None,
            ServerFault::RateLimits { .. } => "KSN rate limit",
            ServerFault::Slow { .. } => "KSN slow",
            _ => "KSN server fault",
        },
        Action::NextDay | Action::ClockForward { .. } => "clock jump",
        Action::Withdraw { .. } => "withdrawal",
        Action::Broken { .. } => "hostile client",
        Action::ChangeLicense { .. } | Action::Provider { .. } | Action::DisablePrivateKsn { .. } => {
            "license change"
        }
        Action::SwitchMode { .. } | Action::PolicyMode { .. } => "mode change",
        _ => return None,
    })
}

impl Action {
    /// A schedule's actions under swarm testing (Groce et al., ISSTA 2012): each schedule draws the kinds of
    /// action it may use, about half of them, so that rare sequences of a few kinds (a verdict cached, its ttl
    /// run out, the server rate-limiting, the same lookup again) are not drowned by the others. An action of
    /// a kind the swarm left out is dropped; lookups and time passing are always in.
    pub fn swarm_schedule(
        endpoints: usize,
        proxies: usize,
        steps: std::ops::RangeInclusive<usize>,
    ) -> BoxedStrategy<Vec<Self>> {
        (
            any::<u32>(),
            proptest::collection::vec(Self::strategy(endpoints, proxies), steps),
        )
            .prop_map(|(mask, actions)| {
                let allowed = mask | 0b11;
                actions
                    .into_iter()
                    .filter(|action| allowed & (1 << action.kind()) != 0)
                    .collect()
            })
            .boxed()
    }

    /// Any action in a world of at most `endpoints` endpoints and `proxies` proxies, weighted so that most
    /// schedules do work and let time pass between faults.
    pub fn strategy(endpoints: usize, proxies: usize) -> BoxedStrategy<Self> {
        let bound = |count: usize| u8::try_from(count.clamp(1, 255)).unwrap_or(u8::MAX);
        let (endpoints, proxies) = (bound(endpoints), bound(proxies));
        let endpoint = move || 0u8..endpoints;
        let link = prop_oneof![
            endpoint().prop_map(Link::EndpointProxy),
            endpoint().prop_map(Link::EndpointKsn),
            (0u8..proxies).prop_map(Link::ProxyUpstream),
        ];
        let host = prop_oneof![
            (0u8..proxies).prop_map(Host::Proxy),
            endpoint().prop_map(Host::Endpoint)
        ];
        // Mostly short, sometimes past a ttl, now and then past the 15-minute availability rule.
        let seconds = prop_oneof![
            3 => 1u32..=10,
            3 => 11u32..=120,
            2 => 121u32..=900,
            1 => 901u32..=1800,
        ];
        prop_oneof![
            6 => seconds.prop_map(|seconds| Self::Pass { seconds }),
            10 => (endpoint(), 0u8..4).prop_map(|(endpoint, file)| Self::Lookup { endpoint, file }),
            1 => (endpoint(), 0u8..3).prop_map(|(endpoint, site)| Self::LookupUrl { endpoint, site }),
            3 => (endpoint(), 0u8..4, 2u8..=5)
                .prop_map(|(endpoint, first, count)| Self::Batch { endpoint, first, count }),
            2 => (0u8..4, 2u8..=3, 0u8..4).prop_map(|(first, count, file)| Self::Together { first, count, file }),
            4 => (endpoint(), 1u8..=5).prop_map(|(endpoint, threats)| Self::Detect { endpoint, threats }),
            3 => endpoint().prop_map(|endpoint| Self::SendQueued { endpoint }),
            1 => endpoint().prop_map(|endpoint| Self::CheckLicense { endpoint }),
            1 => any::<bool>().prop_map(|retire_older| Self::PublishStatement { retire_older }),
            1 => endpoint().prop_map(|endpoint| Self::ShowStatement { endpoint }),
            2 => endpoint().prop_map(|endpoint| Self::AcceptStatement { endpoint }),
            1 => endpoint().prop_map(|endpoint| Self::DeclineStatement { endpoint }),
            2 => (endpoint(), any::<bool>())
                .prop_map(|(endpoint, statistics_only)| Self::Withdraw { endpoint, statistics_only }),
            1 => (endpoint(), 0u8..3).prop_map(|(endpoint, license)| Self::ChangeLicense { endpoint, license }),
            1 => (any::<bool>(), 0u8..3).prop_map(|(register, license)| Self::Provider { register, license }),
            1 => endpoint().prop_map(|endpoint| Self::DisablePrivateKsn { endpoint }),
            2 => (endpoint(), 0u8..4).prop_map(|(endpoint, mode)| Self::SwitchMode { endpoint, mode }),
            1 => (endpoint(), prop::option::of(0u8..4))
                .prop_map(|(endpoint, mode)| Self::PolicyMode { endpoint, mode }),
            1 => (endpoint(), any::<bool>())
                .prop_map(|(endpoint, allow)| Self::PolicyPublicDns { endpoint, allow }),
            1 => (endpoint(), any::<bool>(), any::<bool>())
                .prop_map(|(endpoint, direct, allow)| Self::PolicyProxy { endpoint, direct, allow }),
            1 => (endpoint(), any::<bool>()).prop_map(|(endpoint, start)| Self::Task { endpoint, start }),
            1 => (endpoint(), any::<bool>()).prop_map(|(endpoint, on)| Self::UseProxy { endpoint, on }),
            3 => (link.clone(), any::<bool>()).prop_map(|(link, oneway)| Self::Cut { link, oneway }),
            3 => (link.clone(), any::<bool>()).prop_map(|(link, oneway)| Self::Reconnect { link, oneway }),
            1 => (link.clone(), 1u8..=60).prop_map(|(link, percent)| Self::Loss { link, percent }),
            1 => (link, 1u32..=3000).prop_map(|(link, ms)| Self::Latency { link, ms }),
            2 => host.clone().prop_map(|host| Self::Down { host }),
            2 => host.prop_map(|host| Self::Up { host }),
            3 => (any::<bool>(), DnsFault::strategy()).prop_map(|(public, fault)| Self::Dns { public, fault }),
            4 => (prop::bool::weighted(0.3), ServerFault::strategy())
                .prop_map(|(private, fault)| Self::Server { private, fault }),
            1 => Just(Self::NextDay),
            1 => (1u8..=40).prop_map(|days| Self::ClockForward { days }),
            1 => (endpoint(), 0u8..4).prop_map(|(endpoint, kind)| Self::Broken { endpoint, kind }),
            1 => (0u8..4, any::<bool>(), 0u8..4)
                .prop_map(|(file, local, verdict)| Self::Rate { file, local, verdict }),
        ]
        .boxed()
    }
}

impl Action {
    /// Its kind, as a bit of a [`Swarm`] mask.
    fn kind(&self) -> u32 {
        use Action::*;
        match self {
            Pass { .. } => 0,
            Lookup { .. } => 1,
            LookupUrl { .. } => 2,
            // Several lookups at once are lookups in batch's company.
            Batch { .. } | Together { .. } => 3,
            Detect { .. } => 4,
            SendQueued { .. } => 5,
            CheckLicense { .. } => 6,
            PublishStatement { .. } => 7,
            ShowStatement { .. } => 8,
            AcceptStatement { .. } => 9,
            DeclineStatement { .. } => 10,
            Withdraw { .. } => 11,
            ChangeLicense { .. } => 12,
            Provider { .. } => 13,
            DisablePrivateKsn { .. } => 14,
            SwitchMode { .. } => 15,
            PolicyMode { .. } => 16,
            PolicyPublicDns { .. } => 17,
            Task { .. } => 18,
            UseProxy { .. } => 19,
            Cut { .. } => 20,
            Reconnect { .. } => 21,
            Loss { .. } => 22,
            Latency { .. } => 23,
            Down { .. } => 24,
            Up { .. } => 25,
            Dns { .. } => 26,
            Server { .. } => 27,
            NextDay => 28,
            ClockForward { .. } => 29,
            PolicyProxy { .. } => 30,
            Broken { .. } => 31,
            // Only 32 bits: the Private KSN's own settings share one with the provider's.
            Rate { .. } => 13,
        }
    }

    /// The endpoint it names, if it names one.
    fn endpoint_mut(&mut self) -> Option<&mut u8> {
        use Action::*;
        match self {
            Lookup { endpoint, .. }
            | LookupUrl { endpoint, .. }
            | Batch { endpoint, .. }
            | Detect { endpoint, .. }
            | SendQueued { endpoint }
            | CheckLicense { endpoint }
            | ShowStatement { endpoint }
            | AcceptStatement { endpoint }
            | DeclineStatement { endpoint }
            | Withdraw { endpoint, .. }
            | ChangeLicense { endpoint, .. }
            | DisablePrivateKsn { endpoint }
            | SwitchMode { endpoint, .. }
            | PolicyMode { endpoint, .. }
            | PolicyPublicDns { endpoint, .. }
            | PolicyProxy { endpoint, .. }
            | Broken { endpoint, .. }
            | Task { endpoint, .. }
            | UseProxy { endpoint, .. } => Some(endpoint),
            Cut { link, .. } | Reconnect { link, .. } | Loss { link, .. } | Latency { link, .. } => {
                match link {
                    Link::EndpointProxy(i) | Link::EndpointKsn(i) => Some(i),
                    Link::ProxyUpstream(_) => None,
                }
            }
            Down { host } | Up { host } => match host {
                Host::Endpoint(i) => Some(i),
                Host::Proxy(_) => None,
            },
            _ => None,
        }
    }

    /// The action in a world without endpoint `removed` (of `count`): `None` when it was that endpoint's,
    /// else naming the same endpoint as before.
    pub fn without_endpoint(&self, removed: usize, count: usize) -> Option<Self> {
        let mut action = self.clone();
        if let Some(index) = action.endpoint_mut() {
            let resolved = super::model::pick(*index, count);
            match resolved.cmp(&removed) {
                std::cmp::Ordering::Equal => return None,
                std::cmp::Ordering::Greater => *index = u8::try_from(resolved - 1).unwrap_or(u8::MAX),
                std::cmp::Ordering::Less => *index = u8::try_from(resolved).unwrap_or(u8::MAX),
            }
        }
        Some(action)
    }
}

impl DnsFault {
    fn strategy() -> impl Strategy<Value = Self> {
        prop_oneof![
            Just(Self::Recovers),
            Just(Self::StopsAnswering),
            Just(Self::ServFail),
            Just(Self::NxDomain),
            Just(Self::PointsElsewhere),
        ]
    }

    pub fn words(self) -> &'static str {
        match self {
            Self::Recovers => "recovers",
            Self::StopsAnswering => "stops answering",
            Self::ServFail => "answers SERVFAIL",
            Self::NxDomain => "answers NXDOMAIN",
            Self::PointsElsewhere => "points the KSN names elsewhere",
        }
    }
}

impl ServerFault {
    fn strategy() -> impl Strategy<Value = Self> {
        prop_oneof![
            2 => Just(Self::Recovers),
            1 => Just(Self::Unavailable),
            1 => Just(Self::Garbage),
            1 => Just(Self::WrongObject),
            1 => Just(Self::ClosesMidAnswer),
            1 => Just(Self::StopsAnswering),
            2 => (1u8..=120).prop_map(|seconds| Self::RateLimits { seconds }),
            1 => (1u32..=5000).prop_map(|ms| Self::Slow { ms }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_an_endpoint_drops_its_actions_and_keeps_the_others_on_theirs() {
        let lookup = |endpoint| Action::Lookup { endpoint, file: 0 };
        assert_eq!(lookup(1).without_endpoint(1, 3), None);
        assert_eq!(lookup(2).without_endpoint(1, 3), Some(lookup(1)));
        assert_eq!(lookup(0).without_endpoint(1, 3), Some(lookup(0)));
        // Index 2 in a world of 2 names the last endpoint (1): removing endpoint 0 leaves it at 0.
        assert_eq!(lookup(2).without_endpoint(0, 2), Some(lookup(0)));
        let proxy_down = Action::Down { host: Host::Proxy(0) };
        assert_eq!(proxy_down.without_endpoint(0, 2), Some(proxy_down.clone()));
    }
}
