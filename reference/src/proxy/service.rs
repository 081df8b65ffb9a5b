//! The proxy's request handling: route each call, answer lookups from the cache or the upstream, relay
//! everything else. Decisions live in `cache`, `coalesce` and `relay`; this file only sequences them.

use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::http::{Answer, Handler, HttpClient, IncomingRequest, OutgoingRequest, json_answer};
use crate::protocol::{
    ApiRequest, BatchAnswer, BatchRequest, ObjectRef, Ping, Reputation, Statement, StatisticsAccepted,
    StatisticsBatch, header, lookup_path,
};

use super::coalesce::{Inflight, Role};
use super::config::ProxyConfig;
use super::context::ClientContext;
use super::error::ProxyError;
#[cfg(feature = "self-test-misbehaviour")]
use super::misbehave::{ErrorCache, Misbehaviour};
use super::relay::{relay_error, relay_uncached, relayed, says_upstream_down, send};
use crate::verdict_cache::{Cache, CacheKey, Cached};

/// Counters a test or an operator can read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Lookups (single or batch objects) answered from the cache.
    pub hits: u64,
    /// Requests sent upstream.
    pub upstream_requests: u64,
    /// Answers served stale because the upstream was down.
    pub stale: u64,
}

pub(crate) struct ProxyCore {
    pub(crate) config: ProxyConfig,
    client: HttpClient,
    cache: Mutex<Cache>,
    inflight: Inflight<CacheKey, Answer>,
    /// Used only under the `cache-errors` misbehaviour (conformance self-test).
    #[cfg(feature = "self-test-misbehaviour")]
    errors: ErrorCache,
    hits: AtomicU64,
    upstream_requests: AtomicU64,
    stale: AtomicU64,
}

impl ProxyCore {
    pub(crate) fn new(config: ProxyConfig, client: HttpClient) -> Self {
        let cache =
            Cache::new(config.cache_capacity, config.stale_grace).with_max_bytes(config.cache_max_bytes);
        let cache = Mutex::new(cache);
        Self {
            config,
            client,
            cache,
            inflight: Inflight::default(),
            #[cfg(feature = "self-test-misbehaviour")]
            errors: ErrorCache::default(),
            hits: AtomicU64::new(0),
            upstream_requests: AtomicU64::new(0),
            stale: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> ProxyStats {
        ProxyStats {
            hits: self.hits.load(Ordering::Relaxed),
            upstream_requests: self.upstream_requests.load(Ordering::Relaxed),
            stale: self.stale.load(Ordering::Relaxed),
        }
    }

    async fn route(self: &Arc<Self>, request: &IncomingRequest) -> Result<Answer, ProxyError> {
        let call = ApiRequest::parse(request.method.as_str(), &request.path, request.query.as_deref())?;
        let context = ClientContext::read(request)?;
        // Misbehaviour `drop-idempotency-key` (conformance self-test only): the upstream never sees the key.
        #[cfg(feature = "self-test-misbehaviour")]
        let context = if self.misbehaves(Misbehaviour::DropIdempotencyKey) {
            let mut stripped = request.clone();
            stripped.headers.remove(header::IDEMPOTENCY_KEY);
            ClientContext::read(&stripped)?
        } else {
            context
        };
        match call {
            ApiRequest::Lookup(object) => Ok(self.lookup(object, &context).await),
            ApiRequest::Batch => self.batch(&request.body, &context).await,
            ApiRequest::Statistics => {
                // A batch that is not the contract's goes nowhere (PX-ERR-2).
                let batch = StatisticsBatch::from_json(&request.body)?;
                let upload = OutgoingRequest::post("/v1/statistics", request.body.clone());
                #[cfg(feature = "self-test-misbehaviour")]
                if self.misbehaves(Misbehaviour::EarlyAck) {
                    return Ok(self.acknowledge_early(&context, upload, batch.records.len()));
                }
                drop(batch);
                let answer = self.send(&context, upload).await?;
                relay_uncached(&self.config.upstream, &answer, |body| {
                    serde_json::from_slice::<StatisticsAccepted>(body).is_ok()
                })
            }
            ApiRequest::Statement => {
                let answer = self.send(&context, OutgoingRequest::get("/v1/statement")).await?;
                relay_uncached(&self.config.upstream, &answer, |body| {
                    Statement::from_json(body).is_ok()
                })
            }
            ApiRequest::Ping => {
                let answer = self.send(&context, OutgoingRequest::get("/v1/ping")).await?;
                relay_uncached(&self.config.upstream, &answer, |body| {
                    serde_json::from_slice::<Ping>(body).is_ok()
                })
            }
        }
    }

    #[cfg(feature = "self-test-misbehaviour")]
    fn misbehaves(&self, kind: Misbehaviour) -> bool {
        self.config.misbehave == Some(kind)
    }

    /// Misbehaviour `early-ack` (conformance self-test only): 202 now, the upload in the background.
    #[cfg(feature = "self-test-misbehaviour")]
    fn acknowledge_early(&self, context: &ClientContext, upload: OutgoingRequest, records: usize) -> Answer {
        self.upstream_requests.fetch_add(1, Ordering::Relaxed);
        let (client, upstream, context) =
            (self.client.clone(), self.config.upstream.clone(), context.clone());
        tokio::spawn(async move {
            let _ = send(&client, &upstream, &context, upload).await;
        });
        let body =
            serde_json::to_vec(&StatisticsAccepted { accepted: records }).expect("a count always serializes");
        json_answer(202, body).with_header(header::KSN_CACHE, "miss")
    }

    /// The cache key of `object` for this client; misbehaviour `shared-cache` leaves the tenant out.
    fn key(&self, context: &ClientContext, object: ObjectRef) -> CacheKey {
        #[cfg_attr(
            not(feature = "self-test-misbehaviour"),
            expect(unused_mut, reason = "changed by misbehaviour only")
        )]
        let mut key = context.key(object);
        #[cfg(feature = "self-test-misbehaviour")]
        if self.misbehaves(Misbehaviour::SharedCache) {
            key.tenant = None;
        }
        key
    }

    /// Misbehaviour `cache-errors` (conformance self-test only): keeps a relayed error like a verdict.
    #[cfg(feature = "self-test-misbehaviour")]
    fn remember_error(
        &self,
        key: &CacheKey,
        relayed: Result<Answer, ProxyError>,
    ) -> Result<Answer, ProxyError> {
        if let (true, Ok(answer)) = (self.misbehaves(Misbehaviour::CacheErrors), &relayed) {
            self.errors.put(key.clone(), answer.clone());
        }
        relayed
    }

    async fn send(&self, context: &ClientContext, request: OutgoingRequest) -> Result<Answer, ProxyError> {
        self.upstream_requests.fetch_add(1, Ordering::Relaxed);
        send(&self.client, &self.config.upstream, context, request).await
    }

    fn cached(&self, key: &CacheKey) -> Cached {
        let mut cache = self
            .cache
            .lock()
            .expect("cache lock is never poisoned: no panics while held");
        cache.get(key, Instant::now())
    }

    fn store(&self, key: CacheKey, reputation: Reputation, ttl_seconds: u64) {
        // Misbehaviour `ignore-ttl` (conformance self-test only): a day, whatever the upstream said.
        #[cfg(feature = "self-test-misbehaviour")]
        let ttl_seconds = if self.misbehaves(Misbehaviour::IgnoreTtl) {
            24 * 3600
        } else {
            ttl_seconds
        };
        let mut cache = self
            .cache
            .lock()
            .expect("cache lock is never poisoned: no panics while held");
        cache.put(
            key,
            reputation,
            std::time::Duration::from_secs(ttl_seconds),
            Instant::now(),
        );
    }

    /// A single lookup: cache, else one upstream request per key however many clients ask at once.
    async fn lookup(self: &Arc<Self>, object: ObjectRef, context: &ClientContext) -> Answer {
        let key = self.key(context, object);
        #[cfg(feature = "self-test-misbehaviour")]
        if self.misbehaves(Misbehaviour::CacheErrors)
            && let Some(error) = self.errors.get(&key)
        {
            return error;
        }
        let stale = match self.cached(&key) {
            Cached::Fresh(reputation) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return hit_answer(&reputation);
            }
            Cached::Stale(reputation) => Some(reputation),
            Cached::Miss => None,
        };
        match self.inflight.join(&key) {
            Role::Leader(leader) => {
                // The fetch runs in a task of its own, so that the leader's client going away does not cancel
                // it: every client waiting on this key gets its answer within the upstream bound (PX-ERR-1).
                let (answer_tx, answer_rx) = oneshot::channel();
                let (core, context) = (self.clone(), context.clone());
                tokio::spawn(async move {
                    let answer = core.fetch_one(&key, &context, stale.as_ref()).await;
                    leader.finish(&answer);
                    let _ = answer_tx.send(answer);
                });
                answer_rx.await.unwrap_or_else(|_| fetch_failed())
            }
            // `Err` only if the fetching task died without an answer.
            Role::Follower(wait) => wait.await.unwrap_or_else(|_| fetch_failed()),
        }
    }

    async fn fetch_one(&self, key: &CacheKey, context: &ClientContext, stale: Option<&Reputation>) -> Answer {
        let outcome = match self
            .send(context, OutgoingRequest::get(lookup_path(&key.object)))
            .await
        {
            Ok(answer) if answer.status.is_success() => self.accept_single(key, &answer),
            #[cfg(feature = "self-test-misbehaviour")]
            Ok(answer) => self.remember_error(key, relay_error(&self.config.upstream, &answer)),
            #[cfg(not(feature = "self-test-misbehaviour"))]
            Ok(answer) => relay_error(&self.config.upstream, &answer),
            Err(err) => Err(err),
        };
        let down = match &outcome {
            Ok(answer) => says_upstream_down(answer),
            Err(err) => err.upstream_down(),
        };
        // Misbehaviour `stale-for-answers` (conformance self-test only): any error answer counts as down.
        #[cfg(feature = "self-test-misbehaviour")]
        let down = down
            || self.misbehaves(Misbehaviour::StaleForAnswers)
                && outcome.as_ref().is_ok_and(|answer| answer.status.as_u16() >= 400);
        match (stale, down) {
            (Some(reputation), true) => self.stale_answer(reputation),
            _ => outcome.unwrap_or_else(|err| err.answer().with_header(header::KSN_CACHE, "miss")),
        }
    }

    /// Checks a 2xx lookup answer, caches it for its `max-age` (or ttl), and relays it.
    fn accept_single(&self, key: &CacheKey, answer: &Answer) -> Result<Answer, ProxyError> {
        let upstream = &self.config.upstream;
        let reputation = Reputation::from_json(&answer.body)
            .map_err(|err| ProxyError::garbage(upstream, err.to_string()))?;
        if reputation.object != key.object {
            return Err(ProxyError::garbage(
                upstream,
                format!("asked for {}, answered {}", key.object, reputation.object),
            ));
        }
        let ttl = answer.max_age().unwrap_or(reputation.ttl).min(reputation.ttl);
        self.store(key.clone(), reputation, ttl);
        Ok(relayed(answer, "miss"))
    }

    fn stale_answer(&self, reputation: &Reputation) -> Answer {
        self.stale.fetch_add(1, Ordering::Relaxed);
        json_answer(200, reputation.to_json())
            .with_header(header::CACHE_CONTROL, "max-age=0")
            .with_header(header::KSN_CACHE, "stale")
            .with_header("warning", "110 ksn-proxy \"Response is Stale\"")
    }

    /// A batch: hits from the cache, the misses (each object once) in one upstream batch (PX-CACHE-5).
    async fn batch(&self, body: &[u8], context: &ClientContext) -> Result<Answer, ProxyError> {
        let request = BatchRequest::from_json(body)?;
        let keys: Vec<CacheKey> = request
            .objects
            .iter()
            .cloned()
            .map(|o| self.key(context, o))
            .collect();
        let mut results: Vec<Option<Reputation>> = Vec::with_capacity(keys.len());
        let mut stale: Vec<Option<Reputation>> = Vec::with_capacity(keys.len());
        for key in &keys {
            let (fresh, old) = match self.cached(key) {
                Cached::Fresh(reputation) => (Some(reputation), None),
                Cached::Stale(reputation) => (None, Some(reputation)),
                Cached::Miss => (None, None),
            };
            results.push(fresh);
            stale.push(old);
        }
        let mut misses: Vec<ObjectRef> = Vec::new();
        for (object, result) in request.objects.iter().zip(&results) {
            if result.is_none() && !misses.contains(object) {
                misses.push(object.clone());
            }
        }
        self.hits.fetch_add(
            (results.len() - results.iter().filter(|r| r.is_none()).count()) as u64,
            Ordering::Relaxed,
        );
        if misses.is_empty() {
            return Ok(batch_answer(results.into_iter().flatten().collect(), "hit"));
        }
        // Misbehaviour `whole-batch` (conformance self-test only): a batch not wholly cached goes upstream whole.
        #[cfg(feature = "self-test-misbehaviour")]
        if self.misbehaves(Misbehaviour::WholeBatch) {
            misses.clone_from(&request.objects);
        }
        let upload = OutgoingRequest::post(
            "/v1/reputation/batch",
            BatchRequest {
                objects: misses.clone(),
            }
            .to_json(),
        );
        let outcome = self.send(context, upload).await;
        let down = match &outcome {
            Ok(answer) => says_upstream_down(answer),
            Err(err) => err.upstream_down(),
        };
        let all_stale = results
            .iter()
            .zip(&stale)
            .all(|(fresh, old)| fresh.is_some() || old.is_some());
        if down && all_stale {
            self.stale.fetch_add(1, Ordering::Relaxed);
            let merged = results
                .into_iter()
                .zip(stale)
                .filter_map(|(fresh, old)| fresh.or(old))
                .collect();
            return Ok(batch_answer(merged, "stale"));
        }
        let answer = outcome?;
        if !answer.status.is_success() {
            return relay_error(&self.config.upstream, &answer);
        }
        let fetched = BatchAnswer::from_json_for(&answer.body, &misses)
            .map_err(|err| ProxyError::garbage(&self.config.upstream, err.to_string()))?;
        for reputation in &fetched.results {
            let ttl = reputation.ttl;
            self.store(
                self.key(context, reputation.object.clone()),
                reputation.clone(),
                ttl,
            );
        }
        let merged = request
            .objects
            .iter()
            .zip(results)
            .map(|(object, fresh)| {
                fresh.unwrap_or_else(|| {
                    let found = fetched.results.iter().find(|r| &r.object == object);
                    found
                        .cloned()
                        .expect("every miss was answered: BatchAnswer::from_json_for checked it")
                })
            })
            .collect();
        Ok(batch_answer(merged, "miss"))
    }
}

/// The answer when the task fetching a lookup ended without one (it cannot, short of a bug): a 502 that says so.
fn fetch_failed() -> Answer {
    crate::http::error_answer(
        crate::protocol::ErrorCode::UpstreamUnavailable,
        "the proxy's upstream fetch for this lookup ended without an answer: retry",
    )
    .with_header(header::KSN_CACHE, "miss")
}

fn hit_answer(reputation: &Reputation) -> Answer {
    json_answer(200, reputation.to_json())
        .with_header(header::CACHE_CONTROL, format!("max-age={}", reputation.ttl))
        .with_header(header::KSN_CACHE, "hit")
}

fn batch_answer(results: Vec<Reputation>, cache: &'static str) -> Answer {
    json_answer(200, BatchAnswer { results }.to_json()).with_header(header::KSN_CACHE, cache)
}

/// The proxy as an HTTP handler.
pub(crate) struct ProxyHandler(pub(crate) Arc<ProxyCore>);

#[async_trait]
impl Handler for ProxyHandler {
    async fn handle(&self, request: IncomingRequest) -> Answer {
        match self.0.route(&request).await {
            Ok(answer) => answer,
            Err(err) => {
                tracing::debug!("{} {}: {err}", request.method, request.path);
                err.answer().with_header(header::KSN_CACHE, "miss")
            }
        }
    }
}
