//! The reference KSN proxy over real loopback sockets, against the mock KSN servers (TLS, test PKI) and, where
//! a scripted upstream is simpler, wiremock: one test or more per PX requirement, named by its id.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use futures::future::join_all;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::time::Instant;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use ksnsim_mocks::{DbEntry, Fault, MockKsn, Running, ServerCert, TestPki, Validity};
use ksnsim_reference::clock::{ManualClock, SharedClock};
use ksnsim_reference::http::{Answer, HttpClient, OutgoingRequest, ServerUrl};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::protocol::{
    BatchAnswer, BatchRequest, ErrorCode, KsnType, LicenseKey, ObjectRef, Reputation, Statement, Verdict,
    lookup_path,
};
use ksnsim_reference::proxy::{KsnProxy, ProxyConfig};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;

mod body_budget;
mod child;
mod coalesced_timeout;
mod fd_limit;
mod http_errors;
mod proxy_binary;
mod raw;
mod shutdown;
mod slow_reader;
mod tls_resumption;

const NOW_UNIX: u64 = 1_800_000_000;
const LOOKUPS: &str = "/v1/reputation/file/";

fn clock() -> SharedClock {
    Arc::new(ManualClock::at_unix(NOW_UNIX))
}

static PKI: LazyLock<TestPki> = LazyLock::new(|| {
    let validity = Validity::around(clock().now(), 30);
    TestPki::generate(1, &["localhost", "127.0.0.1"], validity).unwrap()
});

/// A mock KSN server on loopback TLS.
struct Upstream {
    mock: MockKsn,
    url: ServerUrl,
    running: Running,
}

impl Upstream {
    async fn start(kind: KsnType) -> Self {
        Self::start_with_cert(kind, &PKI.server).await
    }

    async fn start_with_cert(kind: KsnType, cert: &ServerCert) -> Self {
        let mock = MockKsn::new(kind, SharedRng::seeded(3), clock());
        let server_tls = tls::server_config(&cert.chain_pem, &cert.key_pem, clock()).unwrap();
        let running = mock
            .start(
                &RealNet::shared(),
                "127.0.0.1:0".parse().unwrap(),
                Some(server_tls),
            )
            .await
            .unwrap();
        let url = format!("https://127.0.0.1:{}", running.addr().port())
            .parse()
            .unwrap();
        Self { mock, url, running }
    }

    fn lookups(&self) -> usize {
        self.mock.requests_to(LOOKUPS)
    }
}

/// A reference proxy on loopback (plain HTTP towards clients), and a client that talks to it.
struct Proxy {
    proxy: KsnProxy,
    url: ServerUrl,
    client: HttpClient,
    running: Running,
}

impl Proxy {
    async fn start(upstream: &ServerUrl) -> Self {
        Self::start_with(upstream, |_| {}).await
    }

    async fn start_with(upstream: &ServerUrl, configure: impl FnOnce(&mut ProxyConfig)) -> Self {
        let net = RealNet::shared();
        let mut config = ProxyConfig::new(upstream.clone());
        config.upstream_timeout = Duration::from_secs(3);
        configure(&mut config);
        let trust = tls::client_config(&PKI.ca_pem, clock()).unwrap();
        let proxy = KsnProxy::new(config, net.clone(), Some(trust));
        let listener = net.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serving = proxy.clone();
        let running = Running::spawn(addr, move |shutdown| async move {
            serving.serve(listener, None, shutdown).await
        });
        Self {
            proxy,
            url: format!("http://{addr}").parse().unwrap(),
            client: HttpClient::new(net, None, Duration::from_secs(5)),
            running,
        }
    }

    async fn send(&self, request: OutgoingRequest) -> Answer {
        self.client.send(&self.url, request).await.unwrap()
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.running.addr()
    }
}

fn file(n: u32) -> ObjectRef {
    ObjectRef::File(format!("{n:064x}").parse().unwrap())
}

/// A lookup with the headers an endpoint in extended mode sends.
fn lookup(object: &ObjectRef) -> OutgoingRequest {
    OutgoingRequest::get(lookup_path(object))
        .header("KSN-Client", "endpoint-1")
        .header("KSN-Mode", "extended")
        .header("KSN-Statement", "1")
}

fn without(mut request: OutgoingRequest, header: &str) -> OutgoingRequest {
    request.headers.retain(|(name, _)| name != header);
    request
}

fn licensed(request: OutgoingRequest, key: &str) -> OutgoingRequest {
    request.header("Authorization", format!("License {key}"))
}

fn batch(objects: &[ObjectRef]) -> OutgoingRequest {
    let body = BatchRequest {
        objects: objects.to_vec(),
    }
    .to_json();
    OutgoingRequest::post("/v1/reputation/batch", body)
        .header("KSN-Mode", "extended")
        .header("KSN-Statement", "1")
}

fn upload(records: usize, key: &str) -> OutgoingRequest {
    let body = format!(
        r#"{{"records":[{}]}}"#,
        vec![r#"{"detection":"x"}"#; records].join(",")
    );
    OutgoingRequest::post("/v1/statistics", body)
        .header("KSN-Mode", "extended")
        .header("KSN-Statement", "1")
        .header("Idempotency-Key", key)
}

fn code(answer: &Answer) -> ErrorCode {
    answer
        .error_body()
        .unwrap_or_else(|| panic!("not a contract error: {} {:?}", answer.status, answer.body))
        .error
}

fn status_and_code(answer: &Answer) -> (u16, ErrorCode) {
    (answer.status.as_u16(), code(answer))
}

fn reputation(answer: &Answer) -> Reputation {
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    Reputation::from_json(&answer.body).unwrap()
}

fn cache(answer: &Answer) -> &str {
    answer.header("ksn-cache").unwrap_or("(none)")
}

fn set(mock: &MockKsn, object: &ObjectRef, verdict: Verdict, ttl: u64) {
    mock.set_reputation(DbEntry {
        object: object.clone(),
        verdict,
        ttl: Some(ttl),
    });
}

#[tokio::test]
async fn px_fwd_1_lookups_and_calls_are_relayed_with_the_upstream_status_and_body() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;

    let single = proxy.send(lookup(&file(1))).await;
    assert_eq!(single.body, ksn.mock.reputation(&file(1)).to_json());
    assert_eq!((cache(&single), single.max_age()), ("miss", Some(3600)));

    let url = ObjectRef::Url(
        "https://example.test/a?b=c&d=e f"
            .replace(' ', "%20")
            .parse()
            .unwrap(),
    );
    assert_eq!(
        proxy.send(lookup(&url)).await.body,
        ksn.mock.reputation(&url).to_json()
    );

    let objects = [file(2), url.clone(), file(3)];
    let answer = proxy.send(batch(&objects)).await;
    let results = BatchAnswer::from_json_for(&answer.body, &objects)
        .unwrap()
        .results;
    for (result, object) in results.iter().zip(&objects) {
        let origin = ksn.mock.reputation(object);
        assert_eq!((&result.object, result.verdict), (&origin.object, origin.verdict));
        assert!(
            result.ttl <= origin.ttl,
            "the cached URL answer counts its ttl down"
        );
    }

    let ping = proxy.send(OutgoingRequest::get("/v1/ping")).await;
    assert_eq!(ping.body.as_ref(), br#"{"ksn":"global"}"#);
    let statement = proxy.send(OutgoingRequest::get("/v1/statement")).await;
    assert_eq!(
        Statement::from_json(&statement.body).unwrap(),
        ksn.mock.statement()
    );
    assert_eq!(
        proxy.send(upload(2, "fwd")).await.body.as_ref(),
        br#"{"accepted":2}"#
    );

    // Contract errors of the upstream come back as they are.
    let unaccepted = proxy.send(OutgoingRequest::get(lookup_path(&file(4)))).await;
    assert_eq!(
        status_and_code(&unaccepted),
        (403, ErrorCode::StatementNotAccepted)
    );
    assert!(
        ksn.mock.log().iter().all(|r| r.status.is_some()),
        "every call reached the KSN"
    );
}

#[tokio::test]
async fn px_fwd_1_upstream_answers_that_break_the_contract_become_502_and_are_not_cached() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/reputation/file/0+1$"))
        .respond_with(ResponseTemplate::new(500).set_body_string("<h1>Internal Server Error</h1>"))
        .expect(2)
        .mount(&upstream)
        .await;
    let other = ksnsim_mocks::default_verdict(&file(9));
    let wrong_object = Reputation {
        object: file(9),
        verdict: other,
        source: ksnsim_reference::protocol::Source::Global,
        ttl: 60,
    };
    Mock::given(method("GET"))
        .and(path_regex("^/v1/reputation/file/0+2$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(wrong_object.to_json(), "application/json"))
        .expect(2)
        .mount(&upstream)
        .await;
    // A status the contract has (503), but a load balancer's page instead of a contract error body.
    Mock::given(method("GET"))
        .and(path_regex("^/v1/reputation/file/0+3$"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<h1>Service Unavailable</h1>"))
        .expect(2)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/ping"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"ksn":"galactic"}"#, "application/json"))
        .expect(1)
        .mount(&upstream)
        .await;
    let proxy = Proxy::start(&upstream.uri().parse().unwrap()).await;
    for object in [file(1), file(1), file(2), file(2), file(3), file(3)] {
        let answer = proxy.send(lookup(&object)).await;
        assert_eq!(
            status_and_code(&answer),
            (502, ErrorCode::UpstreamUnavailable),
            "{object}"
        );
    }
    let ping = proxy.send(OutgoingRequest::get("/v1/ping")).await;
    assert_eq!(status_and_code(&ping), (502, ErrorCode::UpstreamUnavailable));
    upstream.verify().await;
}

#[tokio::test]
async fn px_cache_1_repeated_identical_lookups_cost_one_upstream_request() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;
    let first = reputation(&proxy.send(lookup(&file(1))).await);
    for _ in 0..4 {
        let answer = proxy.send(lookup(&file(1))).await;
        assert_eq!(cache(&answer), "hit");
        assert_eq!(reputation(&answer).verdict, first.verdict);
        assert!(answer.max_age().unwrap() <= 3600);
    }
    assert_eq!(ksn.lookups(), 1);
    assert_eq!(proxy.proxy.stats().hits, 4);
}

#[tokio::test]
async fn px_cache_2_a_lookup_is_fetched_again_after_its_ttl() {
    let ksn = Upstream::start(KsnType::Global).await;
    set(&ksn.mock, &file(1), Verdict::Trusted, 1);
    let proxy = Proxy::start(&ksn.url).await;
    proxy.send(lookup(&file(1))).await;
    assert_eq!(
        cache(&proxy.send(lookup(&file(1))).await),
        "hit",
        "fresh within its ttl"
    );
    assert_eq!(ksn.lookups(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = proxy.send(lookup(&file(1))).await;
    assert_eq!((cache(&again), ksn.lookups()), ("miss", 2));
}

#[tokio::test]
async fn px_cache_3_error_answers_are_not_cached() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;
    ksn.mock.set_fault(Some(Fault::Unavailable));
    for _ in 0..2 {
        let answer = proxy.send(lookup(&file(1))).await;
        assert_eq!(status_and_code(&answer), (503, ErrorCode::Unavailable));
    }
    ksn.mock.set_fault(Some(Fault::RateLimited { retry_after: 30 }));
    for _ in 0..2 {
        let answer = proxy.send(lookup(&file(1))).await;
        assert_eq!(status_and_code(&answer), (429, ErrorCode::RateLimited));
        assert_eq!(
            answer.header("retry-after"),
            Some("30"),
            "Retry-After travels with the 429"
        );
    }
    assert_eq!(ksn.lookups(), 4, "every error went upstream again");
    ksn.mock.set_fault(None);
    assert_eq!(cache(&proxy.send(lookup(&file(1))).await), "miss");
    assert_eq!(cache(&proxy.send(lookup(&file(1))).await), "hit");
    assert_eq!(ksn.lookups(), 5);

    // A 4xx of the server (here 403: no KSN-Statement) is not cached either.
    for _ in 0..2 {
        let request = without(lookup(&file(2)), "KSN-Statement");
        assert_eq!(proxy.send(request).await.status, 403);
    }
    assert_eq!(ksn.lookups(), 7);
}

#[tokio::test]
async fn px_cache_4_private_answers_are_keyed_by_tenant() {
    let ksn = Upstream::start(KsnType::Private).await;
    for key in ["TENANT-A", "TENANT-B"] {
        ksn.mock.register_license(&key.parse::<LicenseKey>().unwrap());
    }
    set(&ksn.mock, &file(1), Verdict::Untrusted, 600);
    let proxy = Proxy::start(&ksn.url).await;
    let ask = |key: &str| licensed(lookup(&file(1)), key);

    assert_eq!(cache(&proxy.send(ask("TENANT-A")).await), "miss");
    assert_eq!(cache(&proxy.send(ask("TENANT-A")).await), "hit");
    let b = proxy.send(ask("TENANT-B")).await;
    assert_eq!((cache(&b), reputation(&b).verdict), ("miss", Verdict::Untrusted));
    assert_eq!(ksn.lookups(), 2, "tenant B did not get tenant A's cached answer");
    assert_eq!(
        ksn.mock.log()[1].authorization.as_deref(),
        Some("License TENANT-B")
    );

    let rejected = proxy.send(ask("TENANT-C")).await;
    assert_eq!(status_and_code(&rejected), (401, ErrorCode::LicenseNotRegistered));
    let no_key = proxy.send(lookup(&file(1))).await;
    assert_eq!(status_and_code(&no_key), (401, ErrorCode::LicenseNotRegistered));
    let batch_c = proxy.send(licensed(batch(&[file(1)]), "TENANT-C")).await;
    assert_eq!(
        batch_c.status, 401,
        "a batch of cached objects is no way around the license check"
    );
    assert_eq!(ksn.mock.log().len(), 5);

    // Two keys in one request: which one would the upstream read? Refused before anything is looked up.
    let two_keys = licensed(ask("TENANT-A"), "TENANT-C");
    assert_eq!(
        status_and_code(&proxy.send(two_keys).await),
        (400, ErrorCode::BadRequest)
    );
    assert_eq!(ksn.mock.log().len(), 5);
}

#[tokio::test]
async fn px_cache_5_a_batch_is_answered_partly_from_cache_and_forwards_only_the_misses() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;
    proxy.send(lookup(&file(1))).await;
    let objects = [file(2), file(1), file(3), file(2)];
    let answer = proxy.send(batch(&objects)).await;
    let results = BatchAnswer::from_json_for(&answer.body, &objects)
        .unwrap()
        .results;
    let verdicts: Vec<Verdict> = results.iter().map(|r| r.verdict).collect();
    let expected: Vec<Verdict> = objects.iter().map(|o| ksn.mock.reputation(o).verdict).collect();
    assert_eq!(verdicts, expected, "answers in request order");
    let forwarded = ksn
        .mock
        .log()
        .into_iter()
        .find(|r| r.is("/v1/reputation/batch"))
        .unwrap();
    assert_eq!(
        forwarded.objects,
        Some(2),
        "only the two distinct misses went upstream"
    );

    let again = proxy.send(batch(&objects)).await;
    assert_eq!(cache(&again), "hit");
    assert_eq!(
        ksn.mock.log().len(),
        2,
        "a batch of cached objects costs nothing upstream"
    );
    assert_eq!(
        proxy.proxy.stats().hits,
        1 + 4,
        "every cached object of a batch counts as a hit: one in the first batch, four in the second"
    );
}

#[tokio::test]
async fn px_cache_6_concurrent_identical_misses_are_coalesced() {
    let ksn = Upstream::start(KsnType::Global).await;
    ksn.mock.set_fault(Some(Fault::Delay { ms: 300 }));
    let proxy = Proxy::start(&ksn.url).await;
    let answers = join_all((0..10).map(|_| proxy.send(lookup(&file(1))))).await;
    assert!(
        answers
            .iter()
            .all(|a| a.status == 200 && a.body == answers[0].body)
    );
    assert_eq!(ksn.lookups(), 1, "ten concurrent misses, one upstream request");
}

#[tokio::test]
async fn px_cache_7_the_cache_is_bounded_and_evicts_the_least_recently_used() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start_with(&ksn.url, |c| c.cache_capacity = 2).await;
    let (a, b, c) = (file(1), file(2), file(3));
    for (object, expected) in [
        (&a, "miss"),
        (&b, "miss"),
        (&a, "hit"),
        (&c, "miss"), // full: evicts b, the least recently used
        (&a, "hit"),
        (&b, "miss"),
    ] {
        assert_eq!(cache(&proxy.send(lookup(object)).await), expected, "{object}");
    }
    let asked = |o: &ObjectRef| ksn.mock.requests_to(&lookup_path(o));
    assert_eq!((asked(&a), asked(&b), asked(&c)), (1, 2, 1));
}

#[tokio::test]
async fn px_auth_1_authorization_and_ksn_headers_reach_the_upstream_unchanged() {
    let ksn = Upstream::start(KsnType::Private).await;
    ksn.mock
        .register_license(&"Tenant-Key/1+x".parse::<LicenseKey>().unwrap());
    let proxy = Proxy::start(&ksn.url).await;
    let headers = |mut request: OutgoingRequest| {
        request.headers.retain(|(name, _)| name != "KSN-Client");
        request
            .header("KSN-Client", "ep-42 (rack 7)")
            .header("Authorization", "License Tenant-Key/1+x")
    };
    let basic = headers(without(lookup(&file(1)), "KSN-Mode")).header("KSN-Mode", "basic");
    assert_eq!(proxy.send(basic).await.status, 200);
    assert_eq!(proxy.send(headers(upload(1, "idem-7f3a"))).await.status, 202);
    assert_eq!(proxy.send(headers(batch(&[file(2)]))).await.status, 200);

    let log = ksn.mock.log();
    assert_eq!(log.len(), 3);
    for entry in &log {
        assert_eq!(entry.client.as_deref(), Some("ep-42 (rack 7)"), "{}", entry.path);
        assert_eq!(entry.authorization.as_deref(), Some("License Tenant-Key/1+x"));
        assert_eq!(entry.statement.as_deref(), Some("1"));
    }
    assert_eq!(log[0].mode.as_deref(), Some("basic"));
    assert_eq!(log[1].mode.as_deref(), Some("extended"));
    assert_eq!(log[1].idempotency_key.as_deref(), Some("idem-7f3a"));
}

#[tokio::test]
async fn px_stat_1_statistics_are_acknowledged_only_after_the_upstream_accepted_them() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;
    for fault in [Fault::Unavailable, Fault::Garbage, Fault::CloseMidAnswer] {
        ksn.mock.set_fault(Some(fault));
        let answer = proxy.send(upload(3, "upload-1")).await;
        assert!(
            !answer.status.is_success(),
            "{fault}: {} {:?}",
            answer.status,
            answer.body
        );
        assert!(
            answer.error_body().is_some(),
            "{fault}: the error is the contract's"
        );
    }
    assert_eq!(
        ksn.mock.statistics().records,
        3,
        "only the cut-off answer's upload was counted upstream"
    );
    ksn.mock.set_fault(None);
    let accepted = proxy.send(upload(3, "upload-1")).await;
    assert_eq!(
        (accepted.status.as_u16(), accepted.body.as_ref()),
        (202, br#"{"accepted":3}"#.as_slice())
    );
    assert_eq!(
        ksn.mock.statistics().records,
        3,
        "the retry under the same key counted nothing twice"
    );
    let keys: Vec<Option<String>> = ksn.mock.log().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(
        keys,
        vec![Some("upload-1".to_owned()); 4],
        "every attempt kept the Idempotency-Key"
    );

    let malformed = OutgoingRequest::post("/v1/statistics", r#"{"records":"many"}"#)
        .header("KSN-Mode", "extended")
        .header("KSN-Statement", "1");
    assert_eq!(proxy.send(malformed).await.status, 400);
    assert_eq!(ksn.mock.log().len(), 4, "a malformed upload is not relayed");
}

#[tokio::test]
async fn px_stat_2_statistics_statement_and_ping_answers_are_never_cached() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;
    for _ in 0..2 {
        assert_eq!(cache(&proxy.send(upload(1, "same")).await), "miss");
        assert_eq!(
            cache(&proxy.send(OutgoingRequest::get("/v1/statement")).await),
            "miss"
        );
        assert_eq!(cache(&proxy.send(OutgoingRequest::get("/v1/ping")).await), "miss");
    }
    for call in ["/v1/statistics", "/v1/statement", "/v1/ping"] {
        assert_eq!(ksn.mock.requests_to(call), 2, "{call}");
    }
    // A Statement published meanwhile is seen at once.
    let newer = ksn
        .mock
        .publish_statement(ksnsim_reference::protocol::StatementVersion(2), &[]);
    let seen = proxy.send(OutgoingRequest::get("/v1/statement")).await;
    assert_eq!(Statement::from_json(&seen.body).unwrap(), newer);
}

#[tokio::test]
async fn px_err_1_an_unreachable_upstream_gets_502_fast() {
    let net = RealNet::shared();
    let closed = net.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let proxy = Proxy::start(&format!("https://127.0.0.1:{port}").parse().unwrap()).await;
    let started = Instant::now();
    for request in [lookup(&file(1)), upload(1, "k"), OutgoingRequest::get("/v1/ping")] {
        let answer = proxy.send(request).await;
        assert_eq!(status_and_code(&answer), (502, ErrorCode::UpstreamUnavailable));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn px_err_1_a_silent_upstream_gets_504_within_the_bound() {
    let ksn = Upstream::start(KsnType::Global).await;
    ksn.mock.set_fault(Some(Fault::Hang));
    let bound = Duration::from_millis(300);
    let proxy = Proxy::start_with(&ksn.url, |c| c.upstream_timeout = bound).await;
    let started = Instant::now();
    let answers = join_all([proxy.send(lookup(&file(1))), proxy.send(upload(1, "k"))]).await;
    let elapsed = started.elapsed();
    for answer in &answers {
        assert_eq!(status_and_code(answer), (504, ErrorCode::UpstreamTimeout));
    }
    assert!(elapsed >= bound && elapsed < bound * 4, "{elapsed:?}");
}

#[tokio::test]
async fn px_err_2_malformed_and_oversized_requests_get_400_or_413_and_service_goes_on() {
    let ksn = Upstream::start(KsnType::Global).await;
    let proxy = Proxy::start(&ksn.url).await;

    // A client that sends half a request head and then nothing holds one connection, not the proxy.
    let mut stalled = RealNet::shared()
        .connect(proxy.url.to_string()[7..].parse().unwrap())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stalled, b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();

    let with_statement = |request: OutgoingRequest| request.header("KSN-Statement", "1");
    let too_many: Vec<ObjectRef> = (0..101).map(file).collect();
    let huge = format!(r#"{{"records":[{{"pad":"{}"}}]}}"#, "x".repeat(2 * 1024 * 1024));
    let cases = [
        (
            with_statement(OutgoingRequest::get("/v1/reputation/file/not-a-hash")),
            400,
            ErrorCode::BadRequest,
        ),
        (
            with_statement(OutgoingRequest::get("/v2/reputation")),
            400,
            ErrorCode::BadRequest,
        ),
        (
            with_statement(OutgoingRequest::post("/v1/ping", "")),
            400,
            ErrorCode::BadRequest,
        ),
        (
            with_statement(OutgoingRequest::post("/v1/reputation/batch", "{not json")),
            400,
            ErrorCode::BadRequest,
        ),
        (
            without(lookup(&file(1)), "KSN-Mode").header("KSN-Mode", "turbo"),
            400,
            ErrorCode::BadRequest,
        ),
        (batch(&too_many), 413, ErrorCode::TooLarge),
        (
            with_statement(OutgoingRequest::post("/v1/statistics", huge)).header("KSN-Mode", "extended"),
            413,
            ErrorCode::TooLarge,
        ),
    ];
    for (request, status, error) in cases {
        let shown = format!(
            "{} {}",
            request.method,
            &request.path_and_query[..30.min(request.path_and_query.len())]
        );
        let answer = proxy.send(request).await;
        assert_eq!(status_and_code(&answer), (status, error), "{shown}");
    }
    assert!(ksn.mock.log().is_empty(), "nothing malformed was relayed");
    assert_eq!(
        proxy.proxy.stats().upstream_requests,
        0,
        "not even what the KSN would refuse unread"
    );
    let normal = proxy.send(lookup(&file(1))).await;
    assert_eq!(normal.status, 200, "the proxy keeps serving everyone else");
    drop(stalled);
}

async fn px_tls_1_case(cert: &ServerCert) {
    let ksn = Upstream::start_with_cert(KsnType::Global, cert).await;
    let proxy = Proxy::start(&ksn.url).await;
    for request in [lookup(&file(1)), upload(2, "k"), batch(&[file(1)])] {
        let answer = proxy.send(request).await;
        assert_eq!(status_and_code(&answer), (502, ErrorCode::UpstreamUnavailable));
    }
    assert!(ksn.mock.log().is_empty(), "no request data reached the server");
    assert_eq!(ksn.mock.statistics().records, 0);
}

#[tokio::test]
async fn px_tls_1_an_untrusted_upstream_certificate_means_502_and_nothing_sent() {
    px_tls_1_case(&PKI.untrusted).await;
}

#[tokio::test]
async fn px_tls_1_an_upstream_certificate_for_another_name_means_502_and_nothing_sent() {
    px_tls_1_case(&PKI.wrong_name).await;
}

#[tokio::test]
async fn px_type_1_a_proxy_sends_only_to_the_ksn_type_it_is_set_for() {
    let global = Upstream::start(KsnType::Global).await;
    let private = Upstream::start(KsnType::Private).await;
    private
        .mock
        .register_license(&"TENANT-A".parse::<LicenseKey>().unwrap());
    let every_call = || {
        [
            lookup(&file(1)),
            batch(&[file(2)]),
            upload(1, "k"),
            OutgoingRequest::get("/v1/statement"),
            OutgoingRequest::get("/v1/ping"),
        ]
    };
    let to_private = Proxy::start(&private.url).await;
    for request in every_call() {
        assert!(
            to_private
                .send(licensed(request, "TENANT-A"))
                .await
                .status
                .is_success()
        );
    }
    assert_eq!((private.mock.log().len(), global.mock.log().len()), (5, 0));

    let to_global = Proxy::start(&global.url).await;
    for request in every_call() {
        assert!(to_global.send(request).await.status.is_success());
    }
    assert_eq!((private.mock.log().len(), global.mock.log().len()), (5, 5));
}

#[tokio::test]
async fn px_chain_1_a_distribution_point_proxy_works_through_the_administration_server_proxy() {
    let ksn = Upstream::start(KsnType::Global).await;
    set(&ksn.mock, &file(1), Verdict::Riskware, 5);
    let admin = Proxy::start(&ksn.url).await;
    let dp1 = Proxy::start(&admin.url).await;
    let dp2 = Proxy::start(&admin.url).await;

    let first = dp1.send(lookup(&file(1))).await;
    assert_eq!(
        (reputation(&first).verdict, reputation(&first).ttl),
        (Verdict::Riskware, 5)
    );
    let second = dp2.send(lookup(&file(1))).await;
    assert_eq!(reputation(&second).verdict, Verdict::Riskware);
    assert_eq!(
        ksn.lookups(),
        1,
        "the second distribution point was answered by the admin proxy's cache"
    );
    assert_eq!(admin.proxy.stats().hits, 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let dp3 = Proxy::start(&admin.url).await;
    for answer in [dp1.send(lookup(&file(1))).await, dp3.send(lookup(&file(1))).await] {
        let ttl = reputation(&answer).ttl;
        assert!(ttl <= 4, "ttl {ttl} outlives the origin's 5 s");
        assert!(answer.max_age().unwrap() <= 4);
    }
    assert_eq!(ksn.lookups(), 1);

    assert_eq!(dp1.send(upload(2, "chain")).await.status, 202);
    ksn.mock.set_fault(Some(Fault::Unavailable));
    let down = dp2.send(lookup(&file(2))).await;
    assert_eq!(
        status_and_code(&down),
        (503, ErrorCode::Unavailable),
        "errors come back through the chain"
    );
    assert_eq!(ksn.mock.statistics().records, 2);
}

#[tokio::test]
async fn px_stale_1_a_stale_answer_stands_in_while_the_upstream_is_down_and_says_so() {
    let ksn = Upstream::start(KsnType::Global).await;
    set(&ksn.mock, &file(1), Verdict::Untrusted, 1);
    let proxy = Proxy::start_with(&ksn.url, |c| c.stale_grace = Duration::from_secs(30)).await;
    proxy.send(lookup(&file(1))).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ksn.running.stop().await.unwrap();

    let stale = proxy.send(lookup(&file(1))).await;
    assert_eq!(
        (reputation(&stale).verdict, cache(&stale)),
        (Verdict::Untrusted, "stale")
    );
    assert_eq!(
        reputation(&stale).ttl,
        0,
        "a stale answer is not to be cached downstream"
    );
    let never_cached = proxy.send(lookup(&file(2))).await;
    assert_eq!(
        status_and_code(&never_cached),
        (502, ErrorCode::UpstreamUnavailable)
    );
    assert_eq!(proxy.proxy.stats().stale, 1);
}
