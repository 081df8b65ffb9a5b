//! The mock KSN servers over real loopback TLS: the server requirements (SRV-*), the control API, and each
//! fault kind, as a client of the wire contract sees them.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ksnsim_mocks::{DbEntry, Fault, Layer, MockKsn, Running, StatisticsTotals, TestPki, Validity};
use ksnsim_reference::clock::{ManualClock, SharedClock};
use ksnsim_reference::http::{Answer, HttpClient, OutgoingRequest, ServerUrl};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::protocol::{
    BatchAnswer, BatchRequest, ErrorCode, KsnType, LicenseKey, ObjectRef, Reputation, Source, Statement,
    StatementVersion, Verdict, lookup_path,
};
use ksnsim_reference::rng::SharedRng;
use ksnsim_reference::tls;

mod http_errors;
mod shutdown;

const NOW_UNIX: u64 = 1_800_000_000;

fn clock() -> SharedClock {
    Arc::new(ManualClock::at_unix(NOW_UNIX))
}

static PKI: LazyLock<TestPki> = LazyLock::new(|| {
    let validity = Validity::around(clock().now(), 30);
    TestPki::generate(1, &["localhost", "127.0.0.1"], validity).unwrap()
});

struct Server {
    mock: MockKsn,
    url: ServerUrl,
    client: HttpClient,
    _running: Running,
}

impl Server {
    async fn start(kind: KsnType) -> Self {
        Self::start_with_timeout(kind, Duration::from_secs(5)).await
    }

    async fn start_with_timeout(kind: KsnType, timeout: Duration) -> Self {
        Self::start_with(kind, timeout, clock()).await
    }

    /// A server whose answers are dated by `dates`.
    async fn start_with(kind: KsnType, timeout: Duration, dates: SharedClock) -> Self {
        let net = RealNet::shared();
        let mock = MockKsn::new(kind, SharedRng::seeded(7), dates);
        let server_tls = tls::server_config(&PKI.server.chain_pem, &PKI.server.key_pem, clock()).unwrap();
        let running = mock
            .start(&net, "127.0.0.1:0".parse().unwrap(), Some(server_tls))
            .await
            .unwrap();
        let url = format!("https://127.0.0.1:{}", running.addr().port())
            .parse()
            .unwrap();
        let trust = tls::client_config(&PKI.ca_pem, clock()).unwrap();
        Self {
            mock,
            url,
            client: HttpClient::new(net, Some(trust), timeout),
            _running: running,
        }
    }

    async fn send(&self, request: OutgoingRequest) -> Answer {
        self.client.send(&self.url, request).await.unwrap()
    }

    async fn control(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let mut request = OutgoingRequest::post(path, body.to_owned());
        request.method = method.parse().unwrap();
        let answer = self.send(request).await;
        assert_eq!(answer.status, 200, "{method} {path}: {:?}", answer.body);
        serde_json::from_slice(&answer.body).unwrap()
    }
}

fn file(n: u32) -> ObjectRef {
    ObjectRef::File(format!("{n:064x}").parse().unwrap())
}

fn lookup(object: &ObjectRef) -> OutgoingRequest {
    OutgoingRequest::get(lookup_path(object)).header("KSN-Statement", "1")
}

fn upload(records: usize, mode: &str, key: &str) -> OutgoingRequest {
    let body = format!(
        r#"{{"records":[{}]}}"#,
        vec![r#"{"detection":"x"}"#; records].join(",")
    );
    OutgoingRequest::post("/v1/statistics", body)
        .header("KSN-Statement", "1")
        .header("KSN-Mode", mode)
        .header("Idempotency-Key", key)
}

fn code(answer: &Answer) -> ErrorCode {
    answer
        .error_body()
        .unwrap_or_else(|| panic!("not a contract error: {} {:?}", answer.status, answer.body))
        .error
}

fn license(key: &str) -> LicenseKey {
    key.parse().unwrap()
}

#[tokio::test]
async fn every_answer_carries_a_date_from_the_injected_clock() {
    let dates = ManualClock::at_unix(NOW_UNIX);
    let server = Server::start_with(KsnType::Private, Duration::from_secs(5), Arc::new(dates.clone())).await;
    let date = |answer: &Answer| answer.header("date").map(str::to_owned);
    // 1_800_000_000 s after the epoch, as RFC 9110 §5.6.7 writes it.
    let at_start = Some("Fri, 15 Jan 2027 08:00:00 GMT".to_owned());

    let refused = server.send(OutgoingRequest::get("/v1/ping")).await;
    assert_eq!((refused.status.as_u16(), date(&refused)), (401, at_start.clone()));
    let control = server.send(OutgoingRequest::get("/_mock/statistics")).await;
    assert_eq!((control.status.as_u16(), date(&control)), (200, at_start.clone()));
    server.mock.set_fault(Some(Fault::Unavailable));
    let faulty = server.send(OutgoingRequest::get("/v1/ping")).await;
    assert_eq!((faulty.status.as_u16(), date(&faulty)), (503, at_start));
    server.mock.set_fault(None);

    dates.advance(Duration::from_secs(90));
    server.mock.register_license(&license("TENANT-A"));
    let ok = server
        .send(lookup(&file(1)).header("Authorization", "License TENANT-A"))
        .await;
    assert_eq!(
        (ok.status.as_u16(), date(&ok)),
        (200, Some("Fri, 15 Jan 2027 08:01:30 GMT".to_owned())),
        "the date follows the injected clock, not the machine's"
    );
}

#[tokio::test]
async fn srv_auth_1_private_ksn_accepts_only_registered_license_keys() {
    let server = Server::start(KsnType::Private).await;
    let ping = || OutgoingRequest::get("/v1/ping");
    let no_key = server.send(ping()).await;
    assert_eq!(
        (no_key.status.as_u16(), code(&no_key)),
        (401, ErrorCode::LicenseNotRegistered)
    );
    let with_key = |key: &str| ping().header("Authorization", format!("License {key}"));
    let unknown = server.send(with_key("TENANT-A")).await;
    assert_eq!(
        (unknown.status.as_u16(), code(&unknown)),
        (401, ErrorCode::LicenseNotRegistered)
    );

    server.mock.register_license(&license("TENANT-A"));
    assert_eq!(server.send(with_key("TENANT-A")).await.status, 200);
    let other = server.send(with_key("TENANT-B")).await;
    assert_eq!(other.status, 401, "only the registered key is accepted");
    let lookup_without_key = server.send(lookup(&file(1))).await;
    assert_eq!(lookup_without_key.status, 401, "lookups need the key too");

    server.mock.remove_license(&license("TENANT-A"));
    assert_eq!(
        server.send(with_key("TENANT-A")).await.status,
        401,
        "a removed key is refused"
    );
}

#[tokio::test]
async fn srv_auth_1_global_ksn_ignores_authorization() {
    let server = Server::start(KsnType::Global).await;
    let answer = server
        .send(lookup(&file(1)).header("Authorization", "License NEVER-REGISTERED"))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(server.send(lookup(&file(1))).await.status, 200);
}

#[tokio::test]
async fn srv_stmt_1_requests_need_an_honoured_statement_version() {
    let server = Server::start(KsnType::Global).await;
    let object = file(1);
    let under = |version: &str| OutgoingRequest::get(lookup_path(&object)).header("KSN-Statement", version);

    let missing = server.send(OutgoingRequest::get(lookup_path(&object))).await;
    assert_eq!(
        (missing.status.as_u16(), code(&missing)),
        (403, ErrorCode::StatementNotAccepted)
    );
    assert_eq!(server.send(under("1")).await.status, 200);
    let unknown = server.send(under("2")).await;
    assert_eq!(code(&unknown), ErrorCode::StatementNotAccepted);
    assert_eq!(
        server.send(under("one")).await.status,
        400,
        "a malformed version is a bad request"
    );

    // Ping and the Statement itself need no accepted version.
    assert_eq!(server.send(OutgoingRequest::get("/v1/ping")).await.status, 200);
    let statement = server.send(OutgoingRequest::get("/v1/statement")).await;
    let statement = Statement::from_json(&statement.body).unwrap();
    assert_eq!(
        (statement.version, statement.includes.clone()),
        (StatementVersion(1), vec![StatementVersion(1)])
    );

    // Version 2 retires version 1; version 3 keeps honouring 2.
    let v2 = server.mock.publish_statement(StatementVersion(2), &[]);
    assert_ne!(v2.id, statement.id, "a new Statement has a new id");
    let retired = server.send(under("1")).await;
    assert_eq!(
        (retired.status.as_u16(), code(&retired)),
        (403, ErrorCode::StatementNotAccepted)
    );
    assert_eq!(server.send(under("2")).await.status, 200);
    server
        .control("POST", "/_mock/statement", r#"{"version":3,"includes":[2]}"#)
        .await;
    assert_eq!(
        server.send(under("2")).await.status,
        200,
        "version 2 is still honoured"
    );
    assert_eq!(server.send(under("3")).await.status, 200);
    assert_eq!(server.send(under("1")).await.status, 403);
    let upload = server
        .send(upload(1, "extended", "k").header("KSN-Statement", "1"))
        .await;
    assert_eq!(upload.status, 403, "statistics need an honoured version too");
}

#[tokio::test]
async fn srv_stat_1_statistics_need_extended_mode() {
    let server = Server::start(KsnType::Global).await;
    let basic = server.send(upload(2, "basic", "key-1")).await;
    assert_eq!(
        (basic.status.as_u16(), code(&basic)),
        (403, ErrorCode::StatisticsNotAllowed)
    );
    let mut no_mode = upload(2, "extended", "key-2");
    no_mode.headers.retain(|(name, _)| name != "KSN-Mode");
    let no_mode = server.send(no_mode).await;
    assert_eq!(code(&no_mode), ErrorCode::StatisticsNotAllowed);
    assert_eq!(server.mock.statistics(), StatisticsTotals::default());
    assert_eq!(server.send(upload(2, "extended", "key-3")).await.status, 202);
}

#[tokio::test]
async fn srv_stat_1_a_repeated_idempotency_key_never_counts_twice() {
    let server = Server::start(KsnType::Global).await;
    for _ in 0..3 {
        let answer = server.send(upload(4, "extended", "same-key")).await;
        assert_eq!(answer.status, 202);
        assert_eq!(answer.body.as_ref(), br#"{"accepted":4}"#);
    }
    // A repeat is acknowledged with the first count even when its body differs.
    let repeat = server.send(upload(1, "extended", "same-key")).await;
    assert_eq!(repeat.body.as_ref(), br#"{"accepted":4}"#);
    assert_eq!(server.send(upload(3, "extended", "other-key")).await.status, 202);
    assert_eq!(
        server.mock.statistics(),
        StatisticsTotals {
            records: 7,
            uploads: 2
        }
    );
    let totals = server.control("GET", "/_mock/statistics", "").await;
    assert_eq!(totals, serde_json::json!({"records":7,"uploads":2}));
    let bad = server.send(upload(0, "extended", "empty")).await;
    assert_eq!(bad.status, 400, "an empty upload is a bad request");
}

#[tokio::test]
async fn srv_priv_1_local_reputation_overrides_the_global_verdict() {
    let server = Server::start(KsnType::Private).await;
    server.mock.register_license(&license("TENANT-A"));
    let object = file(1);
    let ask = || lookup(&object).header("Authorization", "License TENANT-A");
    let entry = |verdict| DbEntry {
        object: object.clone(),
        verdict,
        ttl: Some(30),
    };
    server
        .mock
        .set_reputation_in(Layer::Global, entry(Verdict::Trusted));
    let global = Reputation::from_json(&server.send(ask()).await.body).unwrap();
    assert_eq!(
        (global.verdict, global.source),
        (Verdict::Trusted, Source::Private)
    );

    server.mock.set_reputation(entry(Verdict::Untrusted));
    let local = Reputation::from_json(&server.send(ask()).await.body).unwrap();
    assert_eq!(
        local.verdict,
        Verdict::Untrusted,
        "local untrusted beats global trusted"
    );

    let batch = BatchRequest {
        objects: vec![file(2), object.clone()],
    };
    let answer = server
        .send(
            OutgoingRequest::post("/v1/reputation/batch", batch.to_json())
                .header("KSN-Statement", "1")
                .header("Authorization", "License TENANT-A"),
        )
        .await;
    let results = BatchAnswer::from_json_for(&answer.body, &batch.objects)
        .unwrap()
        .results;
    assert_eq!(
        results[1].verdict,
        Verdict::Untrusted,
        "batches see the override too"
    );
}

#[tokio::test]
async fn lookups_carry_max_age_and_batches_answer_in_request_order() {
    let server = Server::start(KsnType::Global).await;
    server.mock.set_default_ttl(120);
    server.mock.set_reputation(DbEntry {
        object: file(5),
        verdict: Verdict::Riskware,
        ttl: Some(7),
    });
    let single = server.send(lookup(&file(5))).await;
    assert_eq!(single.header("cache-control"), Some("max-age=7"));
    let rep = Reputation::from_json(&single.body).unwrap();
    assert_eq!(
        (rep.verdict, rep.ttl, rep.source),
        (Verdict::Riskware, 7, Source::Global)
    );
    assert_eq!(server.send(lookup(&file(6))).await.max_age(), Some(120));

    let objects = vec![
        file(9),
        ObjectRef::Url("https://x.test/a".parse().unwrap()),
        file(5),
        file(9),
    ];
    let batch = BatchRequest {
        objects: objects.clone(),
    };
    let answer = server
        .send(OutgoingRequest::post("/v1/reputation/batch", batch.to_json()).header("KSN-Statement", "1"))
        .await;
    assert_eq!(answer.status, 200);
    let results = BatchAnswer::from_json_for(&answer.body, &objects)
        .unwrap()
        .results;
    assert_eq!(results[2].verdict, Verdict::Riskware);
    assert_eq!(results[0], results[3], "the same object gets the same verdict");
    assert_eq!(
        server.mock.log()[2].objects,
        Some(4),
        "the log counts batch objects"
    );
}

#[tokio::test]
async fn control_api_drives_the_same_state_as_the_typed_handle() {
    let server = Server::start(KsnType::Private).await;
    let hash = format!("{:064x}", 3);
    let licenses = server
        .control("POST", "/_mock/licenses", r#"{"key":"K/1"}"#)
        .await;
    assert_eq!(licenses, serde_json::json!({"licenses":1}));
    let auth = || lookup(&file(3)).header("Authorization", "License K/1");
    assert_eq!(server.send(auth()).await.status, 200);

    let set = format!(r#"{{"object":{{"file":"{hash}"}},"verdict":"untrusted","ttl":9}}"#);
    let rep = server.control("POST", "/_mock/reputation", &set).await;
    assert_eq!(rep["verdict"], "untrusted");
    assert_eq!(server.mock.reputation(&file(3)).verdict, Verdict::Untrusted);
    let global_layer = format!(r#"{{"object":{{"file":"{hash}"}},"verdict":"trusted","layer":"global"}}"#);
    let still = server.control("POST", "/_mock/reputation", &global_layer).await;
    assert_eq!(still["verdict"], "untrusted", "the local override still wins");

    let statement = server
        .control("POST", "/_mock/statement", r#"{"version":4}"#)
        .await;
    assert_eq!(statement["includes"], serde_json::json!([4]));
    assert_eq!(server.mock.statement().version, StatementVersion(4));

    let fault = server
        .control("PUT", "/_mock/faults", r#"{"kind":"unavailable"}"#)
        .await;
    assert_eq!(fault, serde_json::json!({"fault":{"kind":"unavailable"}}));
    assert_eq!(server.mock.fault(), Some(Fault::Unavailable));
    assert_eq!(
        server.control("GET", "/_mock/faults", "").await["fault"]["kind"],
        "unavailable"
    );
    server.control("DELETE", "/_mock/faults", "").await;
    assert_eq!(server.mock.fault(), None);

    let log = server.control("GET", "/_mock/log", "").await;
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "control calls are not logged: {log}");
    assert_eq!(requests[0]["authorization"], "License K/1");
    assert_eq!(server.control("DELETE", "/_mock/log", "").await["cleared"], 1);
    assert!(server.mock.log().is_empty());

    let removed = server.control("DELETE", "/_mock/licenses/K%2F1", "").await;
    assert_eq!(removed, serde_json::json!({"removed":true}));
    assert_eq!(server.send(auth()).await.status, 401);

    for (method, path, body) in [
        ("PUT", "/_mock/faults", r#"{"kind":"explode"}"#),
        ("POST", "/_mock/licenses", r#"{"key":"has space"}"#),
        ("POST", "/_mock/statement", r#"{"version":0}"#),
        ("GET", "/_mock/nothing", ""),
        ("DELETE", "/_mock/nothing", ""),
    ] {
        let mut request = OutgoingRequest::post(path, body.to_owned());
        request.method = method.parse().unwrap();
        let answer = server.send(request).await;
        assert_eq!(
            (answer.status.as_u16(), code(&answer)),
            (400, ErrorCode::BadRequest),
            "{path} {body}"
        );
    }
}

#[tokio::test]
async fn request_log_records_what_arrived_and_what_was_answered() {
    let server = Server::start(KsnType::Global).await;
    server
        .send(
            lookup(&file(1))
                .header("KSN-Client", "endpoint-1")
                .header("KSN-Mode", "basic"),
        )
        .await;
    server
        .send(upload(3, "extended", "idem-1").header("KSN-Client", "endpoint-1"))
        .await;
    server.send(OutgoingRequest::get("/v1/nothing")).await;
    let log = server.mock.log();
    assert_eq!(log.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(log[0].client.as_deref(), Some("endpoint-1"));
    assert_eq!(log[0].mode.as_deref(), Some("basic"));
    assert_eq!(log[0].statement.as_deref(), Some("1"));
    assert_eq!(
        (log[0].status, log[0].path.clone()),
        (Some(200), lookup_path(&file(1)))
    );
    assert_eq!(
        (log[1].records, log[1].idempotency_key.as_deref()),
        (Some(3), Some("idem-1"))
    );
    assert_eq!(log[1].status, Some(202));
    assert_eq!(
        log[2].status,
        Some(400),
        "unknown paths are logged with their 400"
    );
    assert!(log.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    assert_eq!(server.mock.requests_to("/v1/statistics"), 1);
    assert_eq!(server.mock.requests_to("/v1/reputation/file/"), 1);
    assert_eq!(
        server.mock.requests_to("/v1/"),
        3,
        "a path ending in / counts what is under it"
    );
    assert_eq!(server.mock.requests_to("/v1/reputation/batch"), 0);
    assert_eq!(
        server.mock.clear_log(),
        3,
        "clearing says how many entries there were"
    );
    assert_eq!(server.mock.requests_to("/v1/"), 0);
}

/// A body over the limit is refused from its declared length, before the server reads it: the request is in the
/// log all the same, with its 413 (what reached the KSN is judged from the log: PX-ERR-2/oversized-body), and
/// the answer is dated like every other.
#[tokio::test]
async fn request_log_records_a_body_refused_for_its_size() {
    let server = Server::start(KsnType::Global).await;
    let body = format!(r#"{{"records":[{{"pad":"{}"}}]}}"#, "x".repeat(2 * 1024 * 1024));
    let answer = server
        .send(
            OutgoingRequest::post("/v1/statistics", body)
                .header("KSN-Statement", "1")
                .header("KSN-Mode", "extended"),
        )
        .await;
    assert_eq!(answer.status, 413);
    assert_eq!(code(&answer), ErrorCode::TooLarge);
    assert!(answer.header("Date").is_some(), "the 413 carries no Date");
    let log = server.mock.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].path.as_str(), log[0].status, log[0].records),
        ("/v1/statistics", Some(413), None)
    );
    assert_eq!(server.mock.requests_to("/v1/statistics"), 1);
}

#[tokio::test]
async fn fault_delay_answers_normally_after_the_delay() {
    let server = Server::start(KsnType::Global).await;
    server.mock.set_fault(Some(Fault::Delay { ms: 200 }));
    let started = tokio::time::Instant::now();
    let answer = server.send(lookup(&file(1))).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(answer.status, 200);
    assert_eq!(server.mock.log()[0].fault, Some(Fault::Delay { ms: 200 }));
}

#[tokio::test]
async fn fault_unavailable_answers_503_with_the_contract_body() {
    let server = Server::start(KsnType::Global).await;
    server.mock.set_fault(Some(Fault::Unavailable));
    let answer = server.send(lookup(&file(1))).await;
    assert_eq!(
        (answer.status.as_u16(), code(&answer)),
        (503, ErrorCode::Unavailable)
    );
    assert_eq!(server.mock.log()[0].status, Some(503));
    server.mock.set_fault(None);
    assert_eq!(server.send(lookup(&file(1))).await.status, 200);
}

#[tokio::test]
async fn fault_rate_limited_answers_429_with_retry_after() {
    let server = Server::start(KsnType::Global).await;
    server
        .mock
        .set_fault(Some(Fault::RateLimited { retry_after: 30 }));
    let answer = server.send(lookup(&file(1))).await;
    assert_eq!(
        (answer.status.as_u16(), code(&answer)),
        (429, ErrorCode::RateLimited)
    );
    assert_eq!(answer.header("retry-after"), Some("30"));
}

#[tokio::test]
async fn fault_garbage_answers_200_with_a_body_that_is_not_the_contract() {
    let server = Server::start(KsnType::Global).await;
    server.mock.set_fault(Some(Fault::Garbage));
    let answer = server.send(lookup(&file(1))).await;
    assert_eq!(answer.status, 200);
    assert!(Reputation::from_json(&answer.body).is_err());
    assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_err());
}

#[tokio::test]
async fn fault_wrong_object_answers_a_well_formed_verdict_for_another_object() {
    let server = Server::start(KsnType::Global).await;
    server.mock.set_fault(Some(Fault::WrongObject));
    let answer = server.send(lookup(&file(1))).await;
    assert_eq!(answer.status, 200);
    let reputation = Reputation::from_json(&answer.body).expect("a well-formed reputation");
    assert_ne!(reputation.object, file(1), "it names another object");
    server.mock.set_fault(None);
    let answer = server.send(lookup(&file(1))).await;
    assert_eq!(Reputation::from_json(&answer.body).unwrap().object, file(1));
}

#[tokio::test]
async fn fault_close_mid_answer_breaks_the_answer_off_after_doing_the_work() {
    let server = Server::start(KsnType::Global).await;
    server.mock.set_fault(Some(Fault::CloseMidAnswer));
    let err = server
        .client
        .send(&server.url, upload(2, "extended", "cut"))
        .await
        .unwrap_err();
    assert!(
        !err.is_timeout(),
        "the connection breaks, it does not hang: {err}"
    );
    assert_eq!(
        server.mock.statistics().records,
        2,
        "the upload was counted before the answer broke"
    );
    server.mock.set_fault(None);
    let retry = server.send(upload(2, "extended", "cut")).await;
    assert_eq!(
        (retry.status.as_u16(), server.mock.statistics().records),
        (202, 2)
    );
}

/// The fault's contract, below the wire: the answer is the one the server would give, its body cut after its
/// first half (the client gets a head and part of a body, then the connection breaks; the test above).
#[tokio::test]
async fn fault_close_mid_answer_keeps_the_first_half_of_the_body() {
    let mock = MockKsn::global(SharedRng::seeded(7), clock());
    let request = |path: String| ksnsim_reference::http::IncomingRequest {
        method: hyper::Method::GET,
        path,
        query: None,
        headers: [("ksn-statement", "1")]
            .into_iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect(),
        body: Default::default(),
        peer: "127.0.0.1:4000".parse().unwrap(),
    };
    let whole = mock.handler().handle(request(lookup_path(&file(1)))).await;
    assert_eq!((whole.status.as_u16(), whole.cut_after), (200, None));
    mock.set_fault(Some(Fault::CloseMidAnswer));
    let cut = mock.handler().handle(request(lookup_path(&file(1)))).await;
    assert_eq!(cut.body, whole.body, "the answer is the one it would have been");
    assert!(
        whole.body.len() > 4,
        "a body long enough to have a middle: {:?}",
        whole.body
    );
    assert_eq!(cut.cut_after, Some(whole.body.len() / 2));
}

#[test]
fn a_mock_server_debugs_as_its_kind() {
    let global = format!("{:?}", MockKsn::global(SharedRng::seeded(7), clock()));
    let private = format!("{:?}", MockKsn::private(SharedRng::seeded(7), clock()));
    assert_eq!(
        (global.as_str(), private.as_str()),
        ("MockKsn { kind: Global, .. }", "MockKsn { kind: Private, .. }")
    );
}

#[tokio::test]
async fn fault_hang_answers_nothing_until_the_client_gives_up() {
    let server = Server::start_with_timeout(KsnType::Global, Duration::from_millis(300)).await;
    server.mock.set_fault(Some(Fault::Hang));
    let started = tokio::time::Instant::now();
    let err = server
        .client
        .send(&server.url, lookup(&file(1)))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let log = server.mock.log();
    assert_eq!(
        (log.len(), log[0].status),
        (1, None),
        "the request arrived and was never answered"
    );
}

#[tokio::test]
async fn faults_never_apply_to_the_control_api() {
    let server = Server::start(KsnType::Global).await;
    for fault in [
        Fault::Unavailable,
        Fault::Garbage,
        Fault::WrongObject,
        Fault::CloseMidAnswer,
        Fault::Hang,
        Fault::RateLimited { retry_after: 1 },
    ] {
        server.mock.set_fault(Some(fault));
        let statistics = server.control("GET", "/_mock/statistics", "").await;
        assert_eq!(statistics["uploads"], 0, "{fault}");
    }
    server.control("DELETE", "/_mock/faults", "").await;
    assert_eq!(server.send(lookup(&file(1))).await.status, 200);
}

#[tokio::test]
async fn ksn_mock_binary_prints_its_addresses_serves_tls_and_stops_on_sigterm() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("ksn-mock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A database of the operator's: a global verdict with its own ttl, a local one only the Private KSN has, and
    // a default ttl for everything else.
    let db = dir.join("db.json");
    let entry = |object: &ObjectRef, verdict: &str, ttl: Option<u64>| {
        let mut entry = serde_json::json!({"object": object, "verdict": verdict});
        if let Some(ttl) = ttl {
            entry["ttl"] = ttl.into();
        }
        entry
    };
    let contents = serde_json::json!({
        "global": [entry(&file(1), "riskware", Some(60))],
        "local": [entry(&file(2), "untrusted", None)],
    });
    std::fs::write(&db, contents.to_string()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ksn-mock"))
        .args([
            "--global",
            "127.0.0.1:0",
            "--private",
            "127.0.0.1:0",
            "--license",
            "K-1",
            "--ttl",
            "120",
        ])
        .arg("--pki")
        .arg(&dir)
        .arg("--db")
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut urls = Vec::new();
    for kind in ["global", "private"] {
        let line = lines.next().unwrap().unwrap();
        let url = line
            .strip_prefix(&format!("listening {kind} "))
            .unwrap_or_else(|| panic!("{line}"));
        urls.push(url.parse::<ServerUrl>().unwrap());
    }
    let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let trust = tls::client_config(&ca, ksnsim_reference::clock::SystemClock::shared()).unwrap();
    let client = HttpClient::new(RealNet::shared(), Some(trust), Duration::from_secs(5));
    let ping = |key: Option<&str>| {
        let request = OutgoingRequest::get("/v1/ping");
        match key {
            Some(key) => request.header("Authorization", format!("License {key}")),
            None => request,
        }
    };
    let global = client.send(&urls[0], ping(None)).await.unwrap();
    assert_eq!(global.body.as_ref(), br#"{"ksn":"global"}"#);
    let private = client.send(&urls[1], ping(Some("K-1"))).await.unwrap();
    assert_eq!(private.body.as_ref(), br#"{"ksn":"private"}"#);
    let verdict = |answer: Answer| {
        let reputation: Reputation = serde_json::from_slice(&answer.body).unwrap();
        (reputation.verdict, reputation.ttl)
    };
    let licensed = |request: OutgoingRequest| request.header("Authorization", "License K-1");
    let from_db = client.send(&urls[0], lookup(&file(1))).await.unwrap();
    assert_eq!(
        verdict(from_db),
        (Verdict::Riskware, 60),
        "--db: the entry's verdict and ttl"
    );
    let local = client.send(&urls[1], licensed(lookup(&file(2)))).await.unwrap();
    assert_eq!(
        verdict(local),
        (Verdict::Untrusted, 120),
        "--db: the Private KSN's local entry; --ttl: the ttl of an entry without its own"
    );

    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a clean stop on SIGTERM");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ksn_mock_binary_rejects_bad_flags_and_files_with_exit_code_2() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ksn-mock"))
            .args(args)
            .output()
            .unwrap()
    };
    let dir = std::env::temp_dir().join(format!("ksn-mock-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("db.json");
    std::fs::write(&db, r#"{"globl":[]}"#).unwrap();
    let pki = dir.to_str().unwrap();
    for (args, says) in [
        (vec!["--pki", pki], "nothing to run"),
        (
            vec!["--global", "nonsense", "--pki", pki],
            "invalid value 'nonsense'",
        ),
        (
            vec![
                "--global",
                "127.0.0.1:0",
                "--pki",
                pki,
                "--db",
                db.to_str().unwrap(),
            ],
            "globl",
        ),
        (
            vec!["--global", "127.0.0.1:0", "--pki", pki, "--license", "has space"],
            "license key",
        ),
    ] {
        let output = run(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
