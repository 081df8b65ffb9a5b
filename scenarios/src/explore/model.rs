//! The reference model of `ksnsim explore`: what may happen next in a world, so that every step of a
//! generated scenario is meaningful (a host comes back only after it went down, a Statement is accepted only
//! once it is published, a Private license changes only on a Private endpoint). It walks a schedule, keeps
//! the actions that are allowed where they stand, and writes each as the step library's When step.
//!
//! The rules are the seeds' and the wire contract's (the Statement's versions, who has a proxy), written
//! here independently of the reference agent, so that a bug in the agent's own rules is not mirrored by the
//! model that drives it.

use std::collections::BTreeSet;

use super::actions::{Action, Host, Link, MODES, ServerFault, fault_kind};
use super::world_shape::{Hosts, LICENSES};

/// A step of a schedule: generated, or written by hand in the scenario explored around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    Generated(Action),
    /// A When step of the scenario `ksnsim explore FEATURE:LINE` starts from, as written.
    Written(String),
}

/// A When step as it goes into the feature file, and the kind of fault it is (for coverage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenStep {
    pub text: String,
    pub fault: Option<&'static str>,
}

const FILES: [&str; 6] = [
    "invoice.exe",
    "tool.exe",
    "setup.msi",
    "report.pdf",
    "driver.sys",
    "notes.txt",
];
const SITES: [&str; 3] = [
    "https://shop.example/",
    "https://news.example/today",
    "http://files.example/setup.exe",
];
/// The newest Statement version a schedule publishes.
const LAST_VERSION: u32 = 6;

/// What the model knows of one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consent {
    Awaiting,
    Accepted(u32),
    Withdrawn(u32),
}

struct Model<'h> {
    hosts: &'h Hosts,
    published: u32,
    consent: Vec<Consent>,
    private: Vec<bool>,
    down: BTreeSet<String>,
    /// Cut links as (from, to, one-way), as the steps name them.
    cut: BTreeSet<(String, String, bool)>,
}

/// The steps of `schedule` that the model allows where they stand, in order.
pub fn when_steps(hosts: &Hosts, schedule: &[Planned]) -> Vec<WhenStep> {
    let mut model = Model {
        hosts,
        published: 1,
        consent: hosts
            .endpoints
            .iter()
            .map(|e| e.accepted.map_or(Consent::Awaiting, Consent::Accepted))
            .collect(),
        private: hosts.endpoints.iter().map(|e| e.private).collect(),
        down: BTreeSet::new(),
        cut: BTreeSet::new(),
    };
    schedule
        .iter()
        .filter_map(|planned| match planned {
            Planned::Written(text) => Some(WhenStep {
                text: text.clone(),
                fault: None,
            }),
            Planned::Generated(action) => model.step(action).map(|text| WhenStep {
                text,
                fault: fault_kind(action),
            }),
        })
        .collect()
}

/// The host an index names among `len`: past the last, the last (so that removing a host while shrinking
/// leaves the actions on the hosts after it where they were; see [`Action::without_endpoint`]).
pub fn pick(index: u8, len: usize) -> usize {
    usize::from(index).min(len.saturating_sub(1))
}

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

fn ksn(private: bool) -> &'static str {
    if private {
        "the Private KSN"
    } else {
        "the Global KSN"
    }
}

impl Model<'_> {
    /// An endpoint that is up, by index.
    fn endpoint(&self, index: u8) -> Option<usize> {
        let n = self.hosts.endpoints.len();
        let i = pick(index, n);
        (n > 0 && !self.down.contains(&self.hosts.endpoints[i].name)).then_some(i)
    }

    fn name(&self, i: usize) -> String {
        quoted(&self.hosts.endpoints[i].name)
    }

    /// The two ends of a link, as steps name them.
    fn ends(&self, link: Link) -> Option<(String, String)> {
        let endpoints = &self.hosts.endpoints;
        let proxies = &self.hosts.proxies;
        match link {
            Link::EndpointProxy(_) | Link::EndpointKsn(_) if endpoints.is_empty() => None,
            Link::EndpointProxy(i) => {
                let e = &endpoints[pick(i, endpoints.len())];
                Some((quoted(&e.name), quoted(e.behind.as_ref()?)))
            }
            Link::EndpointKsn(i) => {
                let i = pick(i, endpoints.len());
                Some((self.name(i), ksn(self.private[i]).to_owned()))
            }
            Link::ProxyUpstream(_) if proxies.is_empty() => None,
            Link::ProxyUpstream(i) => {
                let p = &proxies[pick(i, proxies.len())];
                let upstream = p
                    .upstream
                    .as_deref()
                    .map_or_else(|| ksn(p.private).to_owned(), quoted);
                Some((quoted(&p.name), upstream))
            }
        }
    }

    fn host(&self, host: Host) -> Option<String> {
        let names: Vec<&String> = match host {
            Host::Endpoint(_) => self.hosts.endpoints.iter().map(|e| &e.name).collect(),
            Host::Proxy(_) => self.hosts.proxies.iter().map(|p| &p.name).collect(),
        };
        let (Host::Endpoint(i) | Host::Proxy(i)) = host;
        (!names.is_empty()).then(|| names[pick(i, names.len())].clone())
    }

    /// The step for `action` if the model allows it now (and its effect on the model), else `None`.
    fn step(&mut self, action: &Action) -> Option<String> {
        use Action::*;
        Some(match *action {
            Pass { seconds } => duration_passes(seconds),
            Lookup { endpoint, file } => {
                let e = self.name(self.endpoint(endpoint)?);
                format!(
                    "{e} looks up the file \"{}\"",
                    FILES[usize::from(file) % FILES.len()]
                )
            }
            LookupUrl { endpoint, site } => {
                let e = self.name(self.endpoint(endpoint)?);
                format!(
                    "{e} looks up the URL \"{}\"",
                    SITES[usize::from(site) % SITES.len()]
                )
            }
            Batch {
                endpoint,
                first,
                count,
            } => {
                let e = self.name(self.endpoint(endpoint)?);
                let files: Vec<String> = (0..count)
                    .map(|k| quoted(FILES[(usize::from(first) + usize::from(k)) % FILES.len()]))
                    .collect();
                format!("{e} looks up the files {} in one batch", files.join(", "))
            }
            Together { first, count, file } => {
                let n = self.hosts.endpoints.len();
                if n < 2 {
                    return None;
                }
                let count = usize::from(count).clamp(2, n);
                let names: Vec<String> = (0..count)
                    .map(|k| self.name((usize::from(first) + k) % n))
                    .collect();
                format!(
                    "{} look up the file \"{}\" at the same time",
                    names.join(", "),
                    FILES[usize::from(file) % FILES.len()]
                )
            }
            Detect { endpoint, threats } => {
                let e = self.name(self.endpoint(endpoint)?);
                let s = if threats == 1 { "" } else { "s" };
                format!("{e} detects {threats} threat{s}")
            }
            SendQueued { endpoint } => format!(
                "{} sends its queued statistics",
                self.name(self.endpoint(endpoint)?)
            ),
            CheckLicense { endpoint } => {
                format!("{} checks its license", self.name(self.endpoint(endpoint)?))
            }
            PublishStatement { retire_older } => {
                if self.published >= LAST_VERSION {
                    return None;
                }
                self.published += 1;
                let retire = if retire_older {
                    " and older versions are retired"
                } else {
                    ""
                };
                format!("KSN Statement version {} is published{retire}", self.published)
            }
            ShowStatement { endpoint } => self.consent_step(endpoint, "is shown")?,
            AcceptStatement { endpoint } => self.consent_step(endpoint, "accepts")?,
            DeclineStatement { endpoint } => self.consent_step(endpoint, "declines")?,
            Withdraw {
                endpoint,
                statistics_only,
            } => {
                let i = self.endpoint(endpoint)?;
                let version = match self.consent[i] {
                    Consent::Awaiting => return None,
                    Consent::Accepted(v) | Consent::Withdrawn(v) => v,
                };
                self.consent[i] = Consent::Withdrawn(version);
                let partial = if statistics_only { " for statistics" } else { "" };
                format!(
                    "{} withdraws acceptance of the KSN Statement{partial}",
                    self.name(i)
                )
            }
            ChangeLicense { endpoint, license } => {
                let i = self.endpoint(endpoint)?;
                if !self.private[i] {
                    return None;
                }
                let license = LICENSES[usize::from(license) % LICENSES.len()];
                format!("the license of {} changes to \"{license}\"", self.name(i))
            }
            Provider { register, license } => {
                if !self.hosts.private_ksn {
                    return None;
                }
                let verb = if register { "registers" } else { "removes" };
                format!(
                    "the provider {verb} the license \"{}\"",
                    LICENSES[usize::from(license) % LICENSES.len()]
                )
            }
            DisablePrivateKsn { endpoint } => {
                let i = self.endpoint(endpoint)?;
                if !self.private[i] {
                    return None;
                }
                self.private[i] = false;
                format!("Private KSN is disabled on {}", self.name(i))
            }
            SwitchMode { endpoint, mode } => {
                let e = self.name(self.endpoint(endpoint)?);
                format!("{e} switches to {} mode", MODES[usize::from(mode) % MODES.len()])
            }
            PolicyMode { endpoint, mode } => {
                let e = self.name(self.endpoint(endpoint)?);
                match mode {
                    Some(m) => format!(
                        "a policy enforces {} mode on {e}",
                        MODES[usize::from(m) % MODES.len()]
                    ),
                    None => format!("a policy leaves the mode of {e} undefined"),
                }
            }
            PolicyPublicDns { endpoint, allow } => {
                let e = self.name(self.endpoint(endpoint)?);
                format!(
                    "a policy {} public DNS on {e}",
                    if allow { "allows" } else { "forbids" }
                )
            }
            Broken { endpoint, kind } => {
                let i = self.endpoint(endpoint)?;
                let proxy = self.hosts.endpoints[i].behind.clone()?;
                let request = match kind % 4 {
                    0 => "GET \"/v1/reputation/file/not-a-hash\"",
                    1 => "POST \"/v1/reputation/batch\" with 101 objects",
                    2 => "POST \"/v1/statistics\" with 2000000 bytes",
                    _ => "POST \"/v1/reputation/batch\" with 100 objects",
                };
                format!(
                    "a broken client on {} sends {request} to {}",
                    self.name(i),
                    quoted(&proxy)
                )
            }
            Rate { file, local, verdict } => {
                if !self.hosts.private_ksn {
                    return None;
                }
                let verdict = ["trusted", "riskware", "untrusted", "unknown"][usize::from(verdict) % 4];
                format!(
                    "the Private KSN's {} database rates the file \"{}\" {verdict}",
                    if local { "local" } else { "global" },
                    FILES[usize::from(file) % FILES.len()]
                )
            }
            PolicyProxy {
                endpoint,
                direct,
                allow,
            } => {
                let i = self.endpoint(endpoint)?;
                self.hosts.endpoints[i].behind.as_ref()?;
                let e = self.name(i);
                match (direct, allow) {
                    (false, true) => format!("a policy enforces use of the KSN proxy on {e}"),
                    (false, false) => format!("a policy forbids use of the KSN proxy on {e}"),
                    (true, true) => {
                        format!("a policy allows {e} to use KSN servers when the proxy is unavailable")
                    }
                    (true, false) => {
                        format!("a policy forbids {e} to use KSN servers when the proxy is unavailable")
                    }
                }
            }
            Task { endpoint, start } => {
                let e = self.name(self.endpoint(endpoint)?);
                format!(
                    "the KSN Usage task of {e} is {}",
                    if start { "started" } else { "stopped" }
                )
            }
            UseProxy { endpoint, on } => {
                let i = self.endpoint(endpoint)?;
                self.hosts.endpoints[i].behind.as_ref()?;
                format!(
                    "{} {} using the KSN proxy",
                    self.name(i),
                    if on { "starts" } else { "stops" }
                )
            }
            Cut { link, oneway } => {
                let (a, b) = self.ends(link)?;
                if !self.cut.insert((a.clone(), b.clone(), oneway)) {
                    return None;
                }
                if oneway {
                    format!("{a} can no longer reach {b}")
                } else {
                    format!("{a} is cut off from {b}")
                }
            }
            Reconnect { link, oneway } => {
                let (a, b) = self.ends(link)?;
                if !self.cut.remove(&(a.clone(), b.clone(), oneway)) {
                    return None;
                }
                if oneway {
                    format!("{a} can reach {b} again")
                } else {
                    format!("{a} is reconnected to {b}")
                }
            }
            Loss { link, percent } => {
                let (a, b) = self.ends(link)?;
                format!("the link between {a} and {b} loses {percent}% of messages")
            }
            Latency { link, ms } => {
                let (a, b) = self.ends(link)?;
                format!("the link between {a} and {b} has a latency of {ms} milliseconds")
            }
            Down { host } => {
                let name = self.host(host)?;
                if !self.down.insert(name.clone()) {
                    return None;
                }
                format!("{} goes down", quoted(&name))
            }
            Up { host } => {
                let name = self.host(host)?;
                if !self.down.remove(&name) {
                    return None;
                }
                format!("{} comes back", quoted(&name))
            }
            Dns { public, fault } => {
                format!(
                    "the {} DNS {}",
                    if public { "public" } else { "system" },
                    fault.words()
                )
            }
            Server { private, fault } => {
                if private && !self.hosts.private_ksn {
                    return None;
                }
                let server = if private {
                    "the Private KSN"
                } else {
                    "the Global KSN"
                };
                match fault {
                    ServerFault::Recovers => format!("{server} recovers"),
                    ServerFault::Unavailable => format!("{server} becomes unavailable"),
                    ServerFault::Garbage => format!("{server} answers garbage"),
                    ServerFault::WrongObject => format!("{server} answers with verdicts for other objects"),
                    ServerFault::ClosesMidAnswer => format!("{server} closes connections mid-answer"),
                    ServerFault::StopsAnswering => format!("{server} stops answering"),
                    ServerFault::RateLimits { seconds } => {
                        format!("{server} rate-limits clients for {seconds} seconds")
                    }
                    ServerFault::Slow { ms } => format!("{server} answers only after {ms} milliseconds"),
                }
            }
            NextDay => "the date changes to the next day".to_owned(),
            ClockForward { days } => format!("the wall clock moves forward {days} days"),
        })
    }

    /// Show, accept or decline the newest published Statement, where the seeds allow it (EP-STMT-1..3):
    /// before any acceptance each is allowed; under an accepted version only a newer one can be shown or
    /// declined, and accepted again or anew; after a withdrawal only accepting again.
    fn consent_step(&mut self, endpoint: u8, verb: &str) -> Option<String> {
        let i = self.endpoint(endpoint)?;
        let newest = self.published;
        let next = match (self.consent[i], verb) {
            (Consent::Awaiting, "accepts") => Consent::Accepted(newest),
            (Consent::Awaiting, _) => Consent::Awaiting,
            (Consent::Accepted(v) | Consent::Withdrawn(v), "accepts") if newest >= v => {
                Consent::Accepted(newest)
            }
            (Consent::Accepted(v), _) if newest > v => Consent::Accepted(v),
            _ => return None,
        };
        self.consent[i] = next;
        Some(format!("{} {verb} KSN Statement version {newest}", self.name(i)))
    }
}

/// `N seconds pass`, or in minutes or hours when it divides evenly.
fn duration_passes(seconds: u32) -> String {
    let (n, unit) = match seconds {
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 {
        format!("1 {unit} passes")
    } else {
        format!("{n} {unit}s pass")
    }
}

#[cfg(test)]
mod tests {
    use super::super::world_shape::{EndpointHost, ProxyHost};
    use super::*;

    fn hosts() -> Hosts {
        Hosts {
            endpoints: vec![EndpointHost {
                name: "ep1".into(),
                behind: Some("dp1".into()),
                private: false,
                accepted: None,
            }],
            proxies: vec![ProxyHost {
                name: "dp1".into(),
                upstream: None,
                private: false,
            }],
            private_ksn: false,
        }
    }

    fn texts(schedule: Vec<Action>) -> Vec<String> {
        let planned: Vec<Planned> = schedule.into_iter().map(Planned::Generated).collect();
        when_steps(&hosts(), &planned)
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn a_host_comes_back_only_after_it_went_down_and_a_down_endpoint_does_nothing() {
        let steps = texts(vec![
            Action::Up { host: Host::Proxy(0) },
            Action::Down {
                host: Host::Endpoint(0),
            },
            Action::Lookup { endpoint: 0, file: 0 },
            Action::Up {
                host: Host::Endpoint(0),
            },
            Action::Lookup { endpoint: 0, file: 1 },
        ]);
        assert_eq!(
            steps,
            [
                r#""ep1" goes down"#,
                r#""ep1" comes back"#,
                r#""ep1" looks up the file "tool.exe""#
            ]
        );
    }

    #[test]
    fn only_a_published_newer_statement_is_accepted_and_withdrawal_needs_acceptance() {
        let steps = texts(vec![
            Action::Withdraw {
                endpoint: 0,
                statistics_only: false,
            },
            Action::AcceptStatement { endpoint: 0 },
            Action::DeclineStatement { endpoint: 0 },
            Action::PublishStatement { retire_older: false },
            Action::DeclineStatement { endpoint: 0 },
            Action::Withdraw {
                endpoint: 0,
                statistics_only: true,
            },
            Action::DeclineStatement { endpoint: 0 },
            Action::AcceptStatement { endpoint: 0 },
        ]);
        assert_eq!(
            steps,
            [
                r#""ep1" accepts KSN Statement version 1"#,
                "KSN Statement version 2 is published",
                r#""ep1" declines KSN Statement version 2"#,
                r#""ep1" withdraws acceptance of the KSN Statement for statistics"#,
                r#""ep1" accepts KSN Statement version 2"#,
            ]
        );
    }

    #[test]
    fn links_are_reconnected_only_when_cut_and_private_steps_need_a_private_ksn() {
        let steps = texts(vec![
            Action::Reconnect {
                link: Link::ProxyUpstream(0),
                oneway: false,
            },
            Action::Cut {
                link: Link::ProxyUpstream(0),
                oneway: true,
            },
            Action::Cut {
                link: Link::ProxyUpstream(0),
                oneway: true,
            },
            Action::Reconnect {
                link: Link::ProxyUpstream(0),
                oneway: true,
            },
            Action::Server {
                private: true,
                fault: ServerFault::Garbage,
            },
            Action::ChangeLicense {
                endpoint: 0,
                license: 0,
            },
            Action::Pass { seconds: 7200 },
            Action::Pass { seconds: 61 },
        ]);
        assert_eq!(
            steps,
            [
                r#""dp1" can no longer reach the Global KSN"#,
                r#""dp1" can reach the Global KSN again"#,
                "2 hours pass",
                "61 seconds pass",
            ]
        );
    }
}
