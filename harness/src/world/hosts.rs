//! Building a world: every host of the topology registered with turmoil, in a fixed order, each running the
//! reference code (agent, proxy) or a mock (KSN servers, DNS servers) over `SimNet`. And applying faults.

use ksnsim_mocks::{DnsMode, MockDns, MockKsn, TestCa, Validity};
use ksnsim_reference::agent::{
    AgentConfig, AgentDeps, AgentSettings, DnsSettings, EndpointAgent, KsnChoice, KsnServers, MemoryStore,
    PUBLIC_DNS, Participation, ProxyUse, StateStore,
};
use ksnsim_reference::http::{HttpClient, ServerOptions, ServerUrl, Shutdown, serve};
use ksnsim_reference::protocol::{KsnType, LicenseKey, StatementVersion};
use ksnsim_reference::proxy::{KsnProxy, ProxyConfig, ProxyConfigFile};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use tokio_rustls::TlsAcceptor;

use super::actions::Mailbox;
use super::faults::{DnsTarget, Fault};
use super::hostnames::*;
use super::{EndpointHandles, HarnessError, SimWorld};
use crate::invariants::WorldFacts;
use crate::sim::{NameTable, SimClock, SimNet};
use crate::topology::{EndpointSpec, KsnKind, Mode, Topology};
use crate::trace::{Recorder, ServerTap};

/// A 64-bit value derived from the seed and a label: independent, reproducible streams per purpose.
pub(crate) fn derive(seed: u64, label: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(label.as_bytes())
        .finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

fn secret(seed: u64, label: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(label.as_bytes())
        .finalize()
        .into()
}

fn setup<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> HarnessError + '_ {
    move |err| HarnessError::Setup(format!("{what}: {err}"))
}

/// TLS material of the world: one trusted CA, a certificate per KSN server, the rogue's (the Global KSN's
/// name, from an untrusted CA) and the impostor's (another name, from the trusted CA).
struct WorldPki {
    ca_pem: String,
    global: (String, String),
    private: (String, String),
    rogue: (String, String),
    impostor: (String, String),
}

fn make_pki(seed: u64, epoch: SystemTime) -> Result<WorldPki, HarnessError> {
    let validity = Validity::around(epoch, 365);
    let ca = TestCa::new("ksnsim world CA", secret(seed, "ca"), 1, validity).map_err(setup("CA"))?;
    let untrusted =
        TestCa::new("ksnsim rogue CA", secret(seed, "rogue-ca"), 1, validity).map_err(setup("rogue CA"))?;
    let global = ca
        .issue(&[GLOBAL_NAME], secret(seed, "global"), 2, validity)
        .map_err(setup("certificate"))?;
    let private = ca
        .issue(&[PRIVATE_NAME], secret(seed, "private"), 3, validity)
        .map_err(setup("certificate"))?;
    let rogue = untrusted
        .issue(&[GLOBAL_NAME], secret(seed, "rogue"), 2, validity)
        .map_err(setup("certificate"))?;
    let impostor = ca
        .issue(&[IMPOSTOR_NAME], secret(seed, "impostor"), 4, validity)
        .map_err(setup("certificate"))?;
    Ok(WorldPki {
        ca_pem: ca.ca_pem().to_owned(),
        global: (global.chain_pem, global.key_pem),
        private: (private.chain_pem, private.key_pem),
        rogue: (rogue.chain_pem, rogue.key_pem),
        impostor: (impostor.chain_pem, impostor.key_pem),
    })
}

/// Registers every host and returns the world, not yet stepped.
pub(super) fn build(topology: &Topology, seed: u64, epoch: SystemTime) -> Result<SimWorld, HarnessError> {
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .epoch(epoch)
        .tick_duration(Duration::from_millis(topology.tick_ms))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(topology.tick_ms.max(2)))
        .simulation_duration(Duration::from_secs(400 * 24 * 3600))
        // Room for many colocated agents connecting at once (turmoil panics when a backlog overflows).
        .tcp_capacity(16 * 1024)
        .udp_capacity(16 * 1024)
        .build();
    // Addresses first, in a fixed order, so that every host knows every other's address.
    let mut names = NameTable::default();
    let mut fixed: Vec<&str> = vec![SYSTEM_DNS, GLOBAL_KSN, PRIVATE_KSN, ROGUE];
    fixed.extend(topology.proxies.iter().map(|p| p.name.as_str()));
    let endpoint_names = topology.endpoint_names();
    let mut endpoint_hosts: Vec<String> = Vec::new();
    for (name, spec) in &endpoint_names {
        let host = if spec.colocated {
            spec.name.clone()
        } else {
            name.clone()
        };
        if !endpoint_hosts.contains(&host) {
            endpoint_hosts.push(host);
        }
    }
    fixed.extend(endpoint_hosts.iter().map(String::as_str));
    // Last, so that adding it kept every other host's address (and so existing traces) as it was.
    fixed.push(IMPOSTOR);
    for name in &fixed {
        names.insert(name, sim.lookup(*name));
    }
    // Colocated endpoints answer to their own names at their group's address.
    for (name, spec) in endpoint_names.iter().filter(|(_, spec)| spec.colocated) {
        names.alias(name, sim.lookup(spec.name.as_str()));
    }
    let (global_ip, private_ip) = (sim.lookup(GLOBAL_KSN), sim.lookup(PRIVATE_KSN));
    names.alias(GLOBAL_NAME, global_ip);
    names.alias(PRIVATE_NAME, private_ip);
    // Public DNS servers go by their well-known addresses.
    for public in PUBLIC_DNS {
        names.insert(&public.to_string(), IpAddr::V4(public));
    }
    let zone = [(GLOBAL_NAME, global_ip), (PRIVATE_NAME, private_ip)];
    let names = Arc::new(names);
    let recorder = Recorder::default();
    let clock = SimClock::new(epoch);
    let pki = make_pki(seed, epoch)?;
    let trust = tls::client_config(&pki.ca_pem, Arc::new(clock.clone())).map_err(setup("trust"))?;

    let system_dns = dns_server(&zone);
    serve_dns(&mut sim, None, &system_dns, &names);
    let mut public_dns = Vec::new();
    for public in PUBLIC_DNS {
        let server = dns_server(&zone);
        serve_dns(&mut sim, Some(IpAddr::V4(public)), &server, &names);
        public_dns.push(server);
    }

    let mut ksn = BTreeMap::new();
    let servers = [
        (KsnKind::Global, topology.servers.global, GLOBAL_KSN, &pki.global),
        (
            KsnKind::Private,
            topology.servers.private,
            PRIVATE_KSN,
            &pki.private,
        ),
    ];
    for (kind, wanted, host, (chain, key)) in servers {
        if !wanted {
            continue;
        }
        let mock = mock_ksn(topology, kind, seed, &clock)?;
        serve_ksn(&mut sim, host, &mock, chain, key, &clock, &names, &recorder)?;
        ksn.insert(kind, mock);
    }
    for (host, (chain, key)) in [(ROGUE, &pki.rogue), (IMPOSTOR, &pki.impostor)] {
        let server = mock_ksn(topology, KsnKind::Global, seed, &clock)?;
        serve_ksn(&mut sim, host, &server, chain, key, &clock, &names, &recorder)?;
    }

    for proxy in &topology.proxies {
        let upstream: ServerUrl = match (&proxy.upstream, proxy.ksn) {
            (Some(next), _) => format!("http://{next}:{PROXY_PORT}"),
            (None, Some(KsnKind::Private)) => format!("https://{PRIVATE_NAME}:443"),
            (None, _) => format!("https://{GLOBAL_NAME}:443"),
        }
        .parse()
        .map_err(setup("proxy upstream"))?;
        // Configured the way an administrator configures the binary: through its config file's settings, so
        // that the simulation runs the same reading of them (units included) as the field does.
        let mut config = ProxyConfig::new(upstream);
        config.apply_file(&ProxyConfigFile {
            cache_capacity: proxy.cache_capacity,
            upstream_timeout_ms: proxy.upstream_timeout_ms,
            stale_grace_seconds: proxy.stale_grace_seconds,
            ..ProxyConfigFile::default()
        });
        if let Some(kind) = &proxy.self_test_misbehaviour {
            #[cfg(feature = "self-test-misbehaviour")]
            {
                config.misbehave = Some(kind.parse().map_err(setup("proxy self-test misbehaviour"))?);
            }
            #[cfg(not(feature = "self-test-misbehaviour"))]
            return Err(HarnessError::Setup(format!(
                "proxy {}: misbehaviour {kind:?} is for tests only; this build has none (cargo feature \
                 self-test-misbehaviour of ksnsim-harness)",
                proxy.name
            )));
        }
        let impersonator = match (proxy.poisoned_upstream, proxy.impostor_upstream) {
            (true, _) => Some(ROGUE),
            (false, true) => Some(IMPOSTOR),
            (false, false) => None,
        };
        let proxy_names = match impersonator {
            Some(host) => {
                let mut poisoned = (*names).clone();
                poisoned.alias(GLOBAL_NAME, sim.lookup(host));
                poisoned.alias(PRIVATE_NAME, sim.lookup(host));
                Arc::new(poisoned)
            }
            None => names.clone(),
        };
        serve_proxy(&mut sim, &proxy.name, config, &trust, &proxy_names, &recorder);
    }

    let scratch =
        std::env::temp_dir().join(format!("ksnsim-world-{}-{}", std::process::id(), next_world_id()));
    let mut endpoints = BTreeMap::new();
    let deps = EndpointDeps {
        seed,
        names: names.clone(),
        clock: clock.clone(),
        trust: trust.clone(),
        recorder: recorder.clone(),
    };
    let mut groups: BTreeMap<String, (EndpointSpec, Vec<Member>)> = BTreeMap::new();
    for (name, spec) in &endpoint_names {
        let host = if spec.colocated {
            spec.name.clone()
        } else {
            name.clone()
        };
        let member = Member {
            name: name.clone(),
            config: agent_config(name, spec, &names, &scratch)?,
            mailbox: Mailbox::new(),
            store: MemoryStore::default(),
        };
        let handles = EndpointHandles {
            mailbox: member.mailbox.clone(),
            host: host.clone(),
        };
        endpoints.insert(name.clone(), handles);
        groups
            .entry(host)
            .or_insert_with(|| ((*spec).clone(), Vec::new()))
            .1
            .push(member);
    }
    // Registered in the fixed order of the topology, so that turmoil's per-host RNG streams are stable.
    for host in &endpoint_hosts {
        let (spec, members) = groups.remove(host).expect("every endpoint host has its members");
        run_endpoints(&mut sim, host, &spec, members, deps.clone());
    }

    Ok(SimWorld {
        sim,
        topology: topology.clone(),
        seed,
        names,
        recorder,
        clock,
        endpoints,
        ksn,
        system_dns,
        public_dns,
        inputs: Vec::new(),
        facts: WorldFacts::from_topology(topology),
        scratch,
    })
}

fn next_world_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn mock_ksn(
    topology: &Topology,
    kind: KsnKind,
    seed: u64,
    clock: &SimClock,
) -> Result<MockKsn, HarnessError> {
    let ksn_type = match kind {
        KsnKind::Global => KsnType::Global,
        KsnKind::Private => KsnType::Private,
    };
    let mock = MockKsn::new(
        ksn_type,
        SharedRng::seeded(derive(seed, &format!("ksn-{kind:?}"))),
        Arc::new(clock.clone()),
    );
    mock.set_default_ttl(topology.servers.ttl_seconds);
    let current = topology.servers.statement.max(1);
    let honoured: Vec<StatementVersion> = (1..=current).map(StatementVersion).collect();
    mock.publish_statement(StatementVersion(current), &honoured);
    if kind == KsnKind::Private {
        for key in &topology.servers.licenses {
            let key: LicenseKey = key.parse().map_err(setup("servers.licenses"))?;
            mock.register_license(&key);
        }
    }
    Ok(mock)
}

fn dns_server(zone: &[(&str, IpAddr)]) -> MockDns {
    let server = MockDns::new();
    for (name, ip) in zone {
        if let IpAddr::V4(v4) = ip {
            server.set_address(name, *v4);
        }
    }
    server
}

/// The system DNS host (`at` none) or a public DNS server at its real address.
fn serve_dns(sim: &mut turmoil::Sim<'static>, at: Option<IpAddr>, server: &MockDns, names: &Arc<NameTable>) {
    let (server, names) = (server.clone(), names.clone());
    let closure = move || {
        let (server, names) = (server.clone(), names.clone());
        async move {
            let socket = SimNet::shared(names)
                .bind_udp(SocketAddr::from(([0, 0, 0, 0], 53)))
                .await?;
            server.serve(socket, Shutdown::never()).await?;
            Ok(())
        }
    };
    match at {
        Some(ip) => sim.host(ip, closure),
        None => sim.host(SYSTEM_DNS, closure),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call per KSN server; the values are all different"
)]
fn serve_ksn(
    sim: &mut turmoil::Sim<'static>,
    host: &str,
    mock: &MockKsn,
    chain: &str,
    key: &str,
    clock: &SimClock,
    names: &Arc<NameTable>,
    recorder: &Recorder,
) -> Result<(), HarnessError> {
    let config = tls::server_config(chain, key, Arc::new(clock.clone())).map_err(setup("server TLS"))?;
    let acceptor = TlsAcceptor::from(config);
    let handler = ServerTap::wrap(mock.handler(), host, names.clone(), recorder.clone());
    let names = names.clone();
    sim.host(host, move || {
        let (acceptor, handler, names) = (acceptor.clone(), handler.clone(), names.clone());
        async move {
            let listener = SimNet::shared(names)
                .listen(SocketAddr::from(([0, 0, 0, 0], 443)))
                .await?;
            serve(
                listener,
                Some(acceptor),
                handler,
                ServerOptions::default(),
                Shutdown::never(),
            )
            .await?;
            Ok(())
        }
    });
    Ok(())
}

fn serve_proxy(
    sim: &mut turmoil::Sim<'static>,
    host: &str,
    config: ProxyConfig,
    trust: &Arc<rustls::ClientConfig>,
    names: &Arc<NameTable>,
    recorder: &Recorder,
) {
    let (trust, names, recorder, name) = (trust.clone(), names.clone(), recorder.clone(), host.to_owned());
    sim.host(host, move || {
        let (config, trust, names, recorder, name) = (
            config.clone(),
            trust.clone(),
            names.clone(),
            recorder.clone(),
            name.clone(),
        );
        async move {
            let net = SimNet::shared(names.clone());
            let options = config.server.clone();
            // A new boot is a new process: the cache starts empty, as after a real restart.
            let proxy = KsnProxy::new(config, net.clone(), Some(trust));
            let listener = net.listen(SocketAddr::from(([0, 0, 0, 0], PROXY_PORT))).await?;
            let handler = ServerTap::wrap(proxy.handler(), &name, names, recorder);
            serve(listener, None, handler, options, Shutdown::never()).await?;
            Ok(())
        }
    });
}

fn agent_config(
    name: &str,
    spec: &EndpointSpec,
    names: &NameTable,
    scratch: &std::path::Path,
) -> Result<AgentConfig, HarnessError> {
    let dns_ip = names
        .ip(SYSTEM_DNS)
        .expect("the system DNS host is always registered");
    let ksn = match (&spec.ksn, &spec.license) {
        (KsnKind::Private, Some(key)) => KsnChoice::Private {
            license: key.parse().map_err(setup("endpoint license"))?,
        },
        _ => KsnChoice::Global,
    };
    let participation = match spec.mode {
        Mode::Extended => Participation::Extended,
        Mode::Basic => Participation::Basic,
        Mode::SaveToFile => Participation::SaveToFile,
        Mode::Off => Participation::Off,
    };
    let proxy_address = match &spec.behind {
        Some(proxy) => Some(
            format!("http://{proxy}:{PROXY_PORT}")
                .parse()
                .map_err(setup("proxy address"))?,
        ),
        None => None,
    };
    let mut dns = DnsSettings::with_system(vec![SocketAddr::new(dns_ip, 53)]);
    dns.allow_public = spec.allow_public_dns;
    let settings = AgentSettings {
        participation,
        ksn,
        proxy: ProxyUse {
            enabled: spec.behind.is_some(),
            address: proxy_address,
            direct_when_unavailable: spec.direct_when_proxy_unavailable,
        },
        dns,
        servers: KsnServers {
            global: format!("https://{GLOBAL_NAME}:443")
                .parse()
                .map_err(setup("server url"))?,
            private: format!("https://{PRIVATE_NAME}:443")
                .parse()
                .map_err(setup("server url"))?,
        },
    };
    let mut config = AgentConfig::new(name, settings, scratch.join(name));
    if let Some(capacity) = spec.queue_capacity {
        config.queue_capacity = capacity;
    }
    Ok(config)
}

#[derive(Clone)]
struct EndpointDeps {
    seed: u64,
    names: Arc<NameTable>,
    clock: SimClock,
    trust: Arc<rustls::ClientConfig>,
    recorder: Recorder,
}

/// One endpoint agent of a simulated host: its settings, and what outlives the host's crashes.
struct Member {
    name: String,
    config: AgentConfig,
    mailbox: Mailbox,
    store: MemoryStore,
}

/// Registers a simulated host that runs `members` (one endpoint, or a colocated group). Each boot starts
/// every member's agent from its store, as a real device starts its application after a restart.
fn run_endpoints(
    sim: &mut turmoil::Sim<'static>,
    host: &str,
    spec: &EndpointSpec,
    members: Vec<Member>,
    deps: EndpointDeps,
) {
    let accepted = spec.accepted_statement.map(StatementVersion);
    let start_task = spec.task_running;
    let boots = Arc::new(AtomicU64::new(0));
    let members = Arc::new(members);
    sim.host(host, move || {
        let boot = boots.fetch_add(1, Ordering::Relaxed);
        let (members, deps) = (members.clone(), deps.clone());
        async move {
            for member in members.iter() {
                let agent = start_member(member, &deps, boot, accepted, start_task)?;
                let background = agent.clone();
                tokio::spawn(async move { background.run(Shutdown::never()).await });
                let raw = HttpClient::new(SimNet::shared(deps.names.clone()), None, Duration::from_secs(30));
                let mailbox = member.mailbox.clone();
                tokio::spawn(async move { mailbox.serve(&agent, &raw).await });
            }
            // The members' tasks run until the host is crashed or the simulation ends.
            std::future::pending::<()>().await;
            Ok(())
        }
    });
}

/// Starts one member's agent; on its first boot, with the Statement accepted and the task started as the
/// topology says.
fn start_member(
    member: &Member,
    deps: &EndpointDeps,
    boot: u64,
    accepted: Option<StatementVersion>,
    start_task: bool,
) -> Result<EndpointAgent, Box<dyn std::error::Error>> {
    let agent_deps = AgentDeps {
        net: SimNet::shared(deps.names.clone()),
        clock: Arc::new(deps.clock.clone()),
        rng: SharedRng::seeded(derive(
            deps.seed,
            &format!("endpoint {} boot {boot}", member.name),
        )),
        trust: Some(deps.trust.clone()),
        store: Arc::new(member.store.clone()),
        observer: deps.recorder.observer_for(&member.name, deps.names.clone()),
    };
    let first_boot = member.store.load()?.is_none();
    let agent = EndpointAgent::start(member.config.clone(), agent_deps)?;
    if first_boot && let Some(version) = accepted {
        agent.accept_statement(version)?;
        if start_task {
            agent.start_task()?;
        }
    }
    Ok(agent)
}

/// Applies `fault` to `world`; returns the host it concerns and a description for the trace.
pub(super) fn apply_fault(world: &mut SimWorld, fault: &Fault) -> Result<(String, String), HarnessError> {
    let pair = |world: &SimWorld, a: &str, b: &str| -> Result<(String, String), HarnessError> {
        Ok((world.check_host(a)?, world.check_host(b)?))
    };
    Ok(match fault {
        Fault::Partition { a, b, oneway } => {
            let (ha, hb) = pair(world, a, b)?;
            if *oneway {
                world.sim.partition_oneway(ha.as_str(), hb.as_str())
            } else {
                world.sim.partition(ha.as_str(), hb.as_str())
            }
            (
                a.clone(),
                format!("partition {a} {} {b}", if *oneway { "->" } else { "<->" }),
            )
        }
        Fault::Repair { a, b, oneway } => {
            let (ha, hb) = pair(world, a, b)?;
            if *oneway {
                world.sim.repair_oneway(ha.as_str(), hb.as_str())
            } else {
                world.sim.repair(ha.as_str(), hb.as_str())
            }
            (
                a.clone(),
                format!("repair {a} {} {b}", if *oneway { "->" } else { "<->" }),
            )
        }
        Fault::Hold { a, b } => {
            let (ha, hb) = pair(world, a, b)?;
            world.sim.hold(ha.as_str(), hb.as_str());
            (a.clone(), format!("hold {a} <-> {b}"))
        }
        Fault::Release { a, b } => {
            let (ha, hb) = pair(world, a, b)?;
            world.sim.release(ha.as_str(), hb.as_str());
            (a.clone(), format!("release {a} <-> {b}"))
        }
        Fault::Latency { a, b, latency } => {
            let (ha, hb) = pair(world, a, b)?;
            world.sim.set_link_latency(ha.as_str(), hb.as_str(), *latency);
            (
                a.clone(),
                format!("latency {a} <-> {b} {} ms", latency.as_millis()),
            )
        }
        Fault::Loss { a, b, rate } => {
            let (ha, hb) = pair(world, a, b)?;
            world.sim.set_link_fail_rate(ha.as_str(), hb.as_str(), *rate);
            (a.clone(), format!("loss {a} <-> {b} {:.1}%", rate * 100.0))
        }
        Fault::Crash(host) => {
            let target = world.check_host(host)?;
            world.sim.crash(target.as_str());
            (host.clone(), format!("crash {host}"))
        }
        Fault::Restart(host) => {
            let target = world.check_host(host)?;
            world.sim.bounce(target.as_str());
            (host.clone(), format!("restart {host}"))
        }
        Fault::Dns { target, mode } => {
            let servers: Vec<&MockDns> = match target {
                DnsTarget::System => vec![&world.system_dns],
                DnsTarget::AllPublic => world.public_dns.iter().collect(),
            };
            let mode = resolve_mode(world, mode);
            for server in servers {
                server.set_mode(mode);
            }
            let name = match target {
                DnsTarget::System => SYSTEM_DNS.to_owned(),
                DnsTarget::AllPublic => "public DNS".to_owned(),
            };
            (name.clone(), format!("DNS {name}: {mode:?}"))
        }
        Fault::Ksn { kind, fault } => {
            let mock = world
                .ksn
                .get(kind)
                .ok_or_else(|| world.unknown(&format!("{kind:?} KSN")))?;
            mock.set_fault(*fault);
            let host = if *kind == KsnKind::Global {
                GLOBAL_KSN
            } else {
                PRIVATE_KSN
            };
            (host.to_owned(), format!("{host} fault: {fault:?}"))
        }
        Fault::License { key, registered } => {
            let mock = world
                .ksn
                .get(&KsnKind::Private)
                .ok_or_else(|| world.unknown("Private KSN"))?;
            let key: LicenseKey = key
                .parse()
                .map_err(|err| HarnessError::Setup(format!("license key: {err}")))?;
            if *registered {
                mock.register_license(&key);
            } else {
                mock.remove_license(&key);
            }
            let verb = if *registered { "registered" } else { "removed" };
            (
                PRIVATE_KSN.to_owned(),
                format!("license {verb} for tenant {}", key.tenant()),
            )
        }
        Fault::PublishStatement {
            version,
            retire_older,
        } => {
            for mock in world.ksn.values() {
                let mut honoured = if *retire_older {
                    Vec::new()
                } else {
                    mock.statement().includes
                };
                honoured.push(StatementVersion(*version));
                mock.publish_statement(StatementVersion(*version), &honoured);
            }
            (
                GLOBAL_KSN.to_owned(),
                format!(
                    "Statement v{version} published{}",
                    if *retire_older { ", older retired" } else { "" }
                ),
            )
        }
        Fault::ClockJump(by) => {
            world.clock.jump(*by);
            ("clock".to_owned(), format!("wall clock jumps {} s", by.as_secs()))
        }
    })
}

/// A "wrong address" DNS fault with the unspecified address points at the rogue server.
fn resolve_mode(world: &SimWorld, mode: &DnsMode) -> DnsMode {
    match (mode, world.names.ip(ROGUE)) {
        (DnsMode::WrongAddress { address }, Some(IpAddr::V4(rogue))) if address.is_unspecified() => {
            DnsMode::WrongAddress { address: rogue }
        }
        (other, _) => *other,
    }
}
