//! The endpoint agent on real loopback sockets, the very code the simulation runs: its DNS client asks a
//! real UDP DNS server (a mock on loopback), it verifies the KSN server's certificate over real TLS, and it
//! sends statistics that a real mock KSN counts. The parity half of issue 3 (the simulated half is in
//! harness/tests/world).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use ksnsim_mocks::{MockDns, MockKsn, Running, TestPki, Validity};
use ksnsim_reference::agent::{
    AgentConfig, AgentDeps, AgentError, AgentSettings, DnsSettings, EndpointAgent, KsnChoice, KsnServers,
    MemoryStore, Participation, ProxyUse,
};
use ksnsim_reference::clock::{ManualClock, SharedClock};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::observe::Unobserved;
use ksnsim_reference::protocol::{KsnType, ObjectRef, StatementVersion};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;

const KSN_NAME: &str = "ksn.global.test";

struct Loopback {
    ksn: MockKsn,
    _ksn_running: Running,
    dns: MockDns,
    dns_addr: SocketAddr,
    _dns_running: Running,
    ksn_port: u16,
    trust: Arc<rustls::ClientConfig>,
    clock: SharedClock,
    pki: TestPki,
}

async fn loopback() -> Loopback {
    let clock: SharedClock = Arc::new(ManualClock::at_unix(1_800_000_000));
    let pki = TestPki::generate(5, &[KSN_NAME], Validity::around(clock.now(), 30)).unwrap();
    let net = RealNet::shared();
    let ksn = MockKsn::new(KsnType::Global, SharedRng::seeded(1), clock.clone());
    let server_tls = tls::server_config(&pki.server.chain_pem, &pki.server.key_pem, clock.clone()).unwrap();
    let ksn_running = ksn
        .start(&net, "127.0.0.1:0".parse().unwrap(), Some(server_tls))
        .await
        .unwrap();
    let dns = MockDns::new();
    dns.set_address(KSN_NAME, Ipv4Addr::LOCALHOST);
    let dns_running = dns.start(&net, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Loopback {
        ksn,
        ksn_port: ksn_running.addr().port(),
        _ksn_running: ksn_running,
        dns,
        dns_addr: dns_running.addr(),
        _dns_running: dns_running,
        trust: tls::client_config(&pki.ca_pem, clock.clone()).unwrap(),
        clock,
        pki,
    }
}

fn agent(world: &Loopback, allow_public: bool) -> EndpointAgent {
    let server = format!("https://{KSN_NAME}:{}", world.ksn_port).parse().unwrap();
    let mut dns = DnsSettings::with_system(vec![world.dns_addr]);
    dns.allow_public = allow_public;
    // Public DNS is never reached in these tests: it is only allowed where the system DNS answers.
    let settings = AgentSettings {
        participation: Participation::Extended,
        ksn: KsnChoice::Global,
        proxy: ProxyUse {
            enabled: false,
            address: None,
            direct_when_unavailable: false,
        },
        dns,
        servers: KsnServers {
            global: server,
            private: "https://ksn.private.test".parse().unwrap(),
        },
    };
    let dir = std::env::temp_dir().join(format!("ksnsim-agent-test-{}", std::process::id()));
    let deps = AgentDeps {
        net: RealNet::shared(),
        clock: world.clock.clone(),
        rng: SharedRng::seeded(9),
        trust: Some(world.trust.clone()),
        store: Arc::new(MemoryStore::default()),
        observer: Arc::new(Unobserved),
    };
    EndpointAgent::start(AgentConfig::new("real-ep", settings, dir), deps).unwrap()
}

fn file(n: u8) -> ObjectRef {
    ObjectRef::File(format!("{n:064x}").parse().unwrap())
}

#[tokio::test]
async fn the_agent_resolves_verifies_and_looks_up_over_real_sockets() {
    let world = loopback().await;
    let agent = agent(&world, false);
    assert!(
        agent.lookup(file(1)).await.unwrap_err().refused_locally(),
        "EP-STMT-1: nothing before acceptance"
    );
    assert_eq!(world.dns.log().len(), 0);
    agent.accept_statement(StatementVersion(1)).unwrap();
    agent.start_task().unwrap();
    let reputation = agent.lookup(file(1)).await.unwrap();
    assert_eq!(reputation.object, file(1));
    assert_eq!(world.dns.log().len(), 1, "one DNS query on real UDP");
    assert_eq!(world.ksn.requests_to("/v1/reputation/file/"), 1);
    agent.lookup(file(1)).await.unwrap();
    assert_eq!(
        world.ksn.requests_to("/v1/reputation/file/"),
        1,
        "the agent's own cache answers a repeat"
    );
}

#[tokio::test]
async fn ep_stat_1_statistics_reach_a_real_server_once() {
    let world = loopback().await;
    let agent = agent(&world, false);
    agent.accept_statement(StatementVersion(1)).unwrap();
    agent.start_task().unwrap();
    for n in 0..3 {
        let mut record = ksnsim_reference::protocol::statistics::StatisticsRecord::new();
        record.insert("n".into(), n.into());
        agent.record_detection(record).unwrap();
    }
    assert_eq!(agent.upload_statistics().await.unwrap(), 3);
    assert_eq!(world.ksn.statistics().records, 3);
    assert_eq!(agent.status().queued_statistics, 0);
}

#[tokio::test]
async fn ep_dns_2_an_answer_pointing_elsewhere_fails_tls_and_sends_nothing() {
    let world = loopback().await;
    // An impostor on 127.0.0.2, same port, with a certificate from the trusted CA for another name; the
    // poisoned answer points there.
    let impostor = MockKsn::new(KsnType::Global, SharedRng::seeded(2), world.clock.clone());
    let cert = &world.pki.wrong_name;
    let impostor_tls = tls::server_config(&cert.chain_pem, &cert.key_pem, world.clock.clone()).unwrap();
    let at = SocketAddr::from(([127, 0, 0, 2], world.ksn_port));
    let _impostor = impostor
        .start(&RealNet::shared(), at, Some(impostor_tls))
        .await
        .unwrap();
    world.dns.set_address(KSN_NAME, Ipv4Addr::new(127, 0, 0, 2));
    let agent = agent(&world, false);
    agent.accept_statement(StatementVersion(1)).unwrap();
    agent.start_task().unwrap();
    let err = agent.lookup(file(2)).await.unwrap_err();
    assert!(
        err.to_string().contains("TLS"),
        "expected a TLS failure, got: {err}"
    );
    assert_eq!(impostor.log().len(), 0, "no request data reached the impostor");
    assert_eq!(world.ksn.log().len(), 0);
}

/// A loopback port with nothing listening on it (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn ep_proxy_1_a_failed_direct_attempt_is_not_reported_as_the_proxy_being_unavailable() {
    let world = loopback().await;
    let agent = agent(&world, false);
    agent.accept_statement(StatementVersion(1)).unwrap();
    agent.start_task().unwrap();
    let mut settings = agent.local_settings();
    settings.proxy = ProxyUse {
        enabled: true,
        address: Some(format!("http://127.0.0.1:{}", closed_port()).parse().unwrap()),
        direct_when_unavailable: true,
    };
    settings.servers.global = format!("https://{KSN_NAME}:{}", closed_port()).parse().unwrap();
    agent.set_settings(settings).unwrap();
    let err = agent.lookup(file(3)).await.unwrap_err();
    assert!(
        matches!(err, AgentError::Transport(_)),
        "the proxy was down and the direct attempt that was allowed failed too: the last failure is the \
         direct one, not \"the proxy is unavailable and direct use is not allowed\"; got: {err}"
    );
    assert_eq!(
        world.dns.log().len(),
        1,
        "the direct attempt resolved the KSN name"
    );
}
