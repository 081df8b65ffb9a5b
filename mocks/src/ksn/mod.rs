//! The mock Global and Private KSN servers: the v1 API over shared, switchable state, with a typed handle
//! ([`MockKsn`]) for in-process tests and the harness, and the same operations as JSON under `/_mock/`.
//!
//! - `reputation_db`: verdicts (deterministic defaults, global entries, Private KSN local overrides).
//! - `api`: the contract's calls as the server answers them (SRV-AUTH-1, SRV-STMT-1, SRV-STAT-1, SRV-PRIV-1).
//! - `faults`: delay, unavailable, rate limited, garbage, close mid-answer, hang.
//! - `log`: every API request received and what was answered.
//! - `control`: the `/_mock/` control API (its table is in that module's documentation).
//!
//! ```text
//! client ──HTTP(S)──▶ http::serve ──▶ KsnHandler ──/_mock/──▶ control ──▶ MockKsn state
//!                                               └──/v1/────▶ log, fault, api ──▶ MockKsn state
//! ```
//! The server runs on any [`Net`](ksnsim_reference::net::Net): real sockets or turmoil. It reads no clock
//! but `tokio::time::Instant` and the [`SharedClock`] it is given (the `Date` header every origin server
//! sends, RFC 9110 §6.6.1), and no randomness but the [`SharedRng`] it is given (Statement ids).

mod api;
mod control;
mod date;
pub mod faults;
pub mod log;
pub mod reputation_db;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::time::Instant;

use ksnsim_reference::clock::SharedClock;
use ksnsim_reference::http::{
    Answer, Handler, IncomingRequest, ServerOptions, Shutdown, error_answer, json_answer, serve,
};
use ksnsim_reference::net::{Listener, SharedNet};
use ksnsim_reference::protocol::{
    BatchRequest, ErrorCode, KsnType, LicenseKey, ObjectRef, Reputation, Statement, StatementVersion,
    StatisticsBatch, header,
};
use ksnsim_reference::rng::SharedRng;

use crate::running::Running;
use faults::{Fault, GARBAGE_BODY, HANG_BOUND};
use log::LoggedRequest;
use reputation_db::{DbEntry, Layer, ReputationDb};

/// Statistics received, counted once per Idempotency-Key (SRV-STAT-1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsTotals {
    /// Records counted.
    pub records: u64,
    /// Uploads counted (a repeated Idempotency-Key is not a new upload).
    pub uploads: u64,
}

#[derive(Debug, Default)]
struct StatisticsSink {
    /// Accepted record count by Idempotency-Key, so that a repeat gets the same answer.
    by_key: BTreeMap<String, usize>,
    totals: StatisticsTotals,
}

impl StatisticsSink {
    /// Counts `records` unless `key` was seen; returns the count to acknowledge.
    fn accept(&mut self, key: Option<&str>, records: usize) -> usize {
        if let Some(seen) = key.and_then(|key| self.by_key.get(key)) {
            return *seen;
        }
        if let Some(key) = key {
            self.by_key.insert(key.to_owned(), records);
        }
        self.totals.records += records as u64;
        self.totals.uploads += 1;
        records
    }
}

/// Everything a server knows; one lock, never held across an await.
#[derive(Debug)]
pub(crate) struct State {
    db: ReputationDb,
    licenses: BTreeSet<LicenseKey>,
    statement: Statement,
    statistics: StatisticsSink,
    fault: Option<Fault>,
    log: Vec<LoggedRequest>,
    next_seq: u64,
    started: Option<Instant>,
}

struct Inner {
    kind: KsnType,
    rng: SharedRng,
    clock: SharedClock,
    state: Mutex<State>,
}

/// A mock Global or Private KSN server: a cloneable handle on its state, and the server itself.
#[derive(Clone)]
pub struct MockKsn {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MockKsn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockKsn")
            .field("kind", &self.inner.kind)
            .finish_non_exhaustive()
    }
}

impl MockKsn {
    /// A server of `kind` with an empty database (default ttl 3600 s), Statement version 1, no licenses.
    /// `rng` gives the Statement ids, `clock` the `Date` of every answer.
    pub fn new(kind: KsnType, rng: SharedRng, clock: SharedClock) -> Self {
        let statement = Statement {
            id: rng.uuid().to_string(),
            version: StatementVersion(1),
            includes: vec![StatementVersion(1)],
        };
        let state = State {
            db: ReputationDb::default(),
            licenses: BTreeSet::new(),
            statement,
            statistics: StatisticsSink::default(),
            fault: None,
            log: Vec::new(),
            next_seq: 1,
            started: None,
        };
        Self {
            inner: Arc::new(Inner {
                kind,
                rng,
                clock,
                state: Mutex::new(state),
            }),
        }
    }

    pub fn global(rng: SharedRng, clock: SharedClock) -> Self {
        Self::new(KsnType::Global, rng, clock)
    }

    pub fn private(rng: SharedRng, clock: SharedClock) -> Self {
        Self::new(KsnType::Private, rng, clock)
    }

    pub fn kind(&self) -> KsnType {
        self.inner.kind
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .expect("mock state lock is never poisoned: no code panics while holding it")
    }

    /// Replaces the reputation database.
    pub fn set_db(&self, db: ReputationDb) {
        self.state().db = db;
    }

    /// The ttl of verdicts whose entry names none.
    pub fn set_default_ttl(&self, seconds: u64) {
        self.state().db.set_default_ttl(seconds);
    }

    /// Sets a verdict where this server keeps its own: the local layer of a Private KSN (an override of the
    /// global verdict, SRV-PRIV-1), the global layer of a Global KSN. Returns what lookups now get.
    pub fn set_reputation(&self, entry: DbEntry) -> Reputation {
        let layer = match self.kind() {
            KsnType::Private => Layer::Local,
            KsnType::Global => Layer::Global,
        };
        self.set_reputation_in(layer, entry)
    }

    /// Sets a verdict in the given layer (a Global KSN ignores the local layer).
    pub fn set_reputation_in(&self, layer: Layer, entry: DbEntry) -> Reputation {
        let object = entry.object.clone();
        let mut state = self.state();
        state.db.set(layer, entry);
        state.db.reputation(&object, self.kind())
    }

    /// What a lookup of `object` gets now.
    pub fn reputation(&self, object: &ObjectRef) -> Reputation {
        self.state().db.reputation(object, self.kind())
    }

    /// Registers a license key (SRV-AUTH-1); returns how many are registered.
    pub fn register_license(&self, key: &LicenseKey) -> usize {
        let mut state = self.state();
        state.licenses.insert(key.clone());
        state.licenses.len()
    }

    /// Unregisters a license key; false if it was not registered.
    pub fn remove_license(&self, key: &LicenseKey) -> bool {
        self.state().licenses.remove(key)
    }

    /// Publishes Statement `version`; requests under `version` or one of `includes` are honoured, all others
    /// get 403 statement_not_accepted (SRV-STMT-1). The id is new, from the injected RNG.
    pub fn publish_statement(&self, version: StatementVersion, includes: &[StatementVersion]) -> Statement {
        let mut includes: Vec<StatementVersion> = includes.to_vec();
        includes.push(version);
        includes.sort();
        includes.dedup();
        let statement = Statement {
            id: self.inner.rng.uuid().to_string(),
            version,
            includes,
        };
        self.state().statement = statement.clone();
        statement
    }

    pub fn statement(&self) -> Statement {
        self.state().statement.clone()
    }

    /// Switches a fault on (`Some`) or off (`None`).
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state().fault = fault;
    }

    pub fn fault(&self) -> Option<Fault> {
        self.state().fault
    }

    /// The API requests received since the last [`clear_log`](Self::clear_log).
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.state().log.clone()
    }

    /// Empties the log; returns how many entries it had.
    pub fn clear_log(&self) -> usize {
        std::mem::take(&mut self.state().log).len()
    }

    /// How many logged requests have `path` (see [`LoggedRequest::is`]).
    pub fn requests_to(&self, path: &str) -> usize {
        self.state().log.iter().filter(|r| r.is(path)).count()
    }

    pub fn statistics(&self) -> StatisticsTotals {
        self.state().statistics.totals
    }

    /// The server as a request handler, for a server loop of the caller's.
    pub fn handler(&self) -> Arc<dyn Handler> {
        Arc::new(KsnHandler(self.clone()))
    }

    /// Serves on `listener` (TLS when `tls` is given, as KSN servers do) until `shutdown` fires.
    pub async fn serve(
        &self,
        listener: Box<dyn Listener>,
        tls: Option<Arc<rustls::ServerConfig>>,
        shutdown: Shutdown,
    ) -> io::Result<()> {
        self.serve_with(listener, tls, ServerOptions::default(), shutdown)
            .await
    }

    /// [`serve`](Self::serve) with limits and a shutdown grace period of the caller's (the `ksn-mock` binary).
    pub async fn serve_with(
        &self,
        listener: Box<dyn Listener>,
        tls: Option<Arc<rustls::ServerConfig>>,
        options: ServerOptions,
        shutdown: Shutdown,
    ) -> io::Result<()> {
        self.state().started.get_or_insert_with(Instant::now);
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        serve(listener, acceptor, self.handler(), options, shutdown).await
    }

    /// Listens on `addr` through `net` and serves in a task of its own until the returned handle is stopped
    /// or dropped.
    pub async fn start(
        &self,
        net: &SharedNet,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> io::Result<Running> {
        let listener = net.listen(addr).await?;
        let bound = listener.local_addr()?;
        let mock = self.clone();
        Ok(Running::spawn(bound, move |shutdown| async move {
            mock.serve(listener, tls, shutdown).await
        }))
    }

    fn log_received(&self, request: &IncomingRequest, fault: Option<Fault>) -> u64 {
        let mut state = self.state();
        let started = *state.started.get_or_insert_with(Instant::now);
        let seq = state.next_seq;
        state.next_seq += 1;
        let text = |name: &str| request.header(name).map(str::to_owned);
        let path = match &request.query {
            Some(query) => format!("{}?{query}", request.path),
            None => request.path.clone(),
        };
        let records = request
            .path
            .eq("/v1/statistics")
            .then(|| StatisticsBatch::from_json(&request.body).ok())
            .flatten()
            .map(|batch| batch.records.len());
        let objects = request
            .path
            .eq("/v1/reputation/batch")
            .then(|| serde_json::from_slice::<BatchRequest>(&request.body).ok())
            .flatten()
            .map(|batch| batch.objects.len());
        state.log.push(LoggedRequest {
            seq,
            at_ms: u64::try_from(Instant::now().saturating_duration_since(started).as_millis())
                .unwrap_or(u64::MAX),
            peer: request.peer.to_string(),
            method: request.method.to_string(),
            path,
            client: text(header::KSN_CLIENT),
            mode: text(header::KSN_MODE),
            statement: text(header::KSN_STATEMENT),
            authorization: text(header::AUTHORIZATION),
            idempotency_key: text(header::IDEMPOTENCY_KEY),
            status: None,
            records,
            objects,
            fault,
        });
        seq
    }

    fn log_answered(&self, seq: u64, status: u16) {
        let mut state = self.state();
        if let Some(entry) = state.log.iter_mut().rev().find(|entry| entry.seq == seq) {
            entry.status = Some(status);
        }
    }

    /// An API call: log it, apply the fault in force, answer from the state.
    async fn api(&self, request: &IncomingRequest) -> Answer {
        let fault = self.fault();
        let seq = self.log_received(request, fault);
        let answer = match fault {
            None => self.answer(request),
            Some(Fault::Delay { ms }) => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                self.answer(request)
            }
            Some(Fault::Unavailable) => error_answer(
                ErrorCode::Unavailable,
                "KSN is in maintenance (mock fault `unavailable`): try again later",
            ),
            Some(Fault::RateLimited { retry_after }) => error_answer(
                ErrorCode::RateLimited,
                format!(
                    "too many requests from this client: wait {retry_after} s (mock fault `rate_limited`)"
                ),
            )
            .with_header(header::RETRY_AFTER, retry_after.to_string()),
            Some(Fault::Garbage) => json_answer(200, GARBAGE_BODY),
            Some(Fault::WrongObject) => {
                let mut answer = self.answer(request);
                if answer.status.as_u16() == 200 && request.path.starts_with("/v1/reputation/") {
                    answer.body = another_object(&answer.body).into();
                }
                answer
            }
            Some(Fault::CloseMidAnswer) => {
                let mut answer = self.answer(request);
                answer.cut_after = Some(answer.body.len() / 2);
                answer
            }
            Some(Fault::Hang) => {
                tokio::time::sleep(HANG_BOUND).await;
                error_answer(ErrorCode::Unavailable, "KSN hung for an hour (mock fault `hang`)")
            }
        };
        self.log_answered(seq, answer.status.as_u16());
        answer
    }

    fn answer(&self, request: &IncomingRequest) -> Answer {
        api::answer(&mut self.state(), self.kind(), request)
    }
}

/// The reputation body `body` with its object (a batch: its first result's object) replaced by another one:
/// a file hash reversed, a URL with `#other` appended. A body that is not a reputation is left as it is.
fn another_object(body: &[u8]) -> Vec<u8> {
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    let reputation = match json.get_mut("results").and_then(|r| r.as_array_mut()) {
        Some(results) => results.first_mut(),
        None => Some(&mut json),
    };
    if let Some(object) = reputation.and_then(|r| r.get_mut("object")) {
        if let Some(file) = object.get_mut("file") {
            let other: String = file.as_str().unwrap_or_default().chars().rev().collect();
            *file = serde_json::Value::String(other);
        } else if let Some(url) = object.get_mut("url") {
            let other = format!("{}#other", url.as_str().unwrap_or_default());
            *url = serde_json::Value::String(other);
        }
    }
    serde_json::to_vec(&json).unwrap_or_else(|_| body.to_vec())
}

/// The mock as an HTTP handler: `/_mock/` is the control API, everything else the KSN API.
struct KsnHandler(MockKsn);

#[async_trait]
impl Handler for KsnHandler {
    async fn handle(&self, request: IncomingRequest) -> Answer {
        let mut answer = if request.path.starts_with("/_mock/") {
            control::answer(&self.0, &request)
        } else {
            self.0.api(&request).await
        };
        // Dated when it is sent, as an origin server does (after any delay or hang of a fault).
        date::stamp(&mut answer, self.0.inner.clock.now());
        answer
    }

    /// A request the server refused before reading its body (a body over the limit: 413): logged with the
    /// status it got, as a real server's access log shows it, and dated like every answer.
    async fn refused(&self, request: IncomingRequest, mut answer: Answer) -> Answer {
        if !request.path.starts_with("/_mock/") {
            let seq = self.0.log_received(&request, self.0.fault());
            self.0.log_answered(seq, answer.status.as_u16());
        }
        date::stamp(&mut answer, self.0.inner.clock.now());
        answer
    }
}
