//! Lookups and statistics, the agent's two kinds of KSN data, and the background loop that sends queued
//! statistics with backoff and checks the license while in "authentication error".

use std::time::Duration;
use tokio::time::Instant;

use super::endpoint::EndpointAgent;
use super::error::AgentError;
use super::exchange::{Purpose, admit};
use super::settings::Participation;
use super::task::TaskState;
use crate::http::{OutgoingRequest, Shutdown};
use crate::observe::Observation;
use crate::protocol::statistics::StatisticsRecord;
use crate::protocol::{
    BatchAnswer, BatchRequest, ObjectRef, Reputation, StatisticsAccepted, StatisticsBatch, header,
    lookup_path,
};
use crate::verdict_cache::{CacheKey, Cached};

impl EndpointAgent {
    /// The reputation of one object: from the local cache within its ttl, else from KSN.
    pub async fn lookup(&self, object: ObjectRef) -> Result<Reputation, AgentError> {
        let key = {
            let mut state = self.state();
            admit(&state, Purpose::Lookup, Instant::now())?;
            let tenant = state.effective.ksn.license().map(|l| l.tenant());
            let key = CacheKey {
                tenant,
                statement: state.consent.version(),
                object: object.clone(),
            };
            if let Cached::Fresh(reputation) = state.verdicts.get(&key, Instant::now()) {
                return Ok(reputation);
            }
            key
        };
        let answer = self
            .exchange(Purpose::Lookup, OutgoingRequest::get(lookup_path(&object)))
            .await?;
        let garbage = |detail: String| AgentError::Garbage {
            status: answer.status.as_u16(),
            detail,
        };
        let reputation = Reputation::from_json(&answer.body).map_err(|err| garbage(err.to_string()))?;
        if reputation.object != object {
            return Err(garbage(format!(
                "asked for {object}, answered {}",
                reputation.object
            )));
        }
        self.confirm_success()?;
        let ttl = answer.max_age().unwrap_or(reputation.ttl).min(reputation.ttl);
        self.state()
            .verdicts
            .put(key, reputation.clone(), Duration::from_secs(ttl), Instant::now());
        Ok(reputation)
    }

    /// The reputations of several objects in one request, in order.
    pub async fn lookup_batch(&self, objects: Vec<ObjectRef>) -> Result<Vec<Reputation>, AgentError> {
        let body = BatchRequest {
            objects: objects.clone(),
        }
        .to_json();
        let answer = self
            .exchange(
                Purpose::Lookup,
                OutgoingRequest::post("/v1/reputation/batch", body),
            )
            .await?;
        let batch =
            BatchAnswer::from_json_for(&answer.body, &objects).map_err(|err| AgentError::Garbage {
                status: answer.status.as_u16(),
                detail: err.to_string(),
            })?;
        self.confirm_success()?;
        Ok(batch.results)
    }

    /// A detection's statistics record: queued for KSN in extended mode, written to today's file in
    /// save-to-file mode, refused otherwise (EP-MODE-1, EP-MODE-2, EP-STMT-3).
    pub fn record_detection(&self, record: StatisticsRecord) -> Result<(), AgentError> {
        let mut state = self.state();
        match state.effective.effective_participation() {
            Participation::SaveToFile => {
                drop(state);
                return Ok(self.inner.files.append(&record, self.inner.deps.clock.now())?);
            }
            Participation::Extended => {}
            mode => {
                return Err(AgentError::ModeForbids {
                    mode: mode.name(),
                    what: "statistics",
                });
            }
        }
        if state.consent.version().is_none() {
            return Err(AgentError::StatementNotAccepted);
        }
        if !state.consent.allows(super::consent::DataKinds::STATISTICS) {
            return Err(AgentError::Withdrawn("statistics"));
        }
        if let Err(full) = state.queue.push(record) {
            self.observe(Observation::Note(format!("statistics record lost: {full}")));
            self.persist(&state)?;
            return Err(full.into());
        }
        self.persist(&state)
    }

    /// Sends one upload of queued statistics; the upload keeps its Idempotency-Key until acknowledged, and
    /// the key is persisted before anything is sent (EP-STAT-1). Returns the records acknowledged.
    pub async fn upload_statistics(&self) -> Result<usize, AgentError> {
        let upload = {
            let mut state = self.state();
            admit(&state, Purpose::Statistics, Instant::now())?;
            let rng = self.inner.deps.rng.clone();
            let Some(upload) = state
                .queue
                .next_upload(self.inner.config.upload_batch, || rng.uuid().to_string())
            else {
                return Ok(0);
            };
            self.persist(&state)?;
            upload
        };
        let body = StatisticsBatch {
            records: upload.records.clone(),
        }
        .to_json();
        let request = OutgoingRequest::post("/v1/statistics", body)
            .header(header::IDEMPOTENCY_KEY, &upload.idempotency_key);
        let answer = self.exchange(Purpose::Statistics, request).await?;
        if serde_json::from_slice::<StatisticsAccepted>(&answer.body).is_err() {
            let detail = "statistics acknowledgement is not {\"accepted\":N}".to_owned();
            return Err(AgentError::Garbage {
                status: answer.status.as_u16(),
                detail,
            });
        }
        self.confirm_success()?;
        let mut state = self.state();
        let done = state.queue.acknowledge(&upload.idempotency_key);
        self.persist(&state)?;
        Ok(done)
    }

    /// In "authentication error", asks the Private KSN whether the key is registered now (a ping carrying
    /// only the license); success returns the task to running (EP-LIC-1).
    pub async fn check_license(&self) -> Result<(), AgentError> {
        self.exchange(Purpose::LicenseCheck, OutgoingRequest::get("/v1/ping"))
            .await
            .map(|_| ())
    }

    /// Works in the background until `shutdown`: sends queued statistics every upload interval, backs off
    /// after failures (with jitter from the injected RNG), checks the license while it is rejected.
    pub async fn run(&self, mut shutdown: Shutdown) {
        let mut failures: u32 = 0;
        // The first turn comes at a random point of the first interval, so that devices started together
        // (after a power cut, a policy push) do not all call KSN in the same instant.
        let interval_ms = self.inner.config.upload_interval.as_millis().max(1) as u64;
        let mut first = Some(Duration::from_millis(self.inner.deps.rng.below(interval_ms)));
        loop {
            let wait = first.take().unwrap_or_else(|| self.next_wait(failures));
            tokio::select! {
                biased;
                () = shutdown.wait() => return,
                () = tokio::time::sleep(wait) => {}
            }
            let task = self.state().task;
            let outcome = match task {
                TaskState::AuthenticationError => self.check_license().await.map(|()| 0),
                TaskState::Running => self.drain_queue().await,
                _ => Ok(0),
            };
            failures = match outcome {
                Ok(_) => 0,
                Err(AgentError::RateLimited(_) | AgentError::Restricted(_)) => failures,
                Err(err) if err.refused_locally() => 0,
                Err(_) => failures.saturating_add(1),
            };
        }
    }

    /// Uploads until the queue is empty or an upload fails (bounded by the queue's size).
    async fn drain_queue(&self) -> Result<usize, AgentError> {
        let mut total = 0;
        let rounds = self
            .state()
            .queue
            .len()
            .div_ceil(self.inner.config.upload_batch.max(1));
        for _ in 0..rounds {
            match self.upload_statistics().await? {
                0 => break,
                n => total += n,
            }
        }
        Ok(total)
    }

    fn next_wait(&self, failures: u32) -> Duration {
        let config = &self.inner.config;
        let state = self.state();
        if let Some(until) = state.restricted_until {
            let now = Instant::now();
            if now < until {
                return until - now;
            }
        }
        if state.task == TaskState::AuthenticationError {
            return config.license_retry;
        }
        if failures == 0 {
            return config.upload_interval;
        }
        backoff(config.backoff_base, config.backoff_max, failures, |n| {
            self.inner.deps.rng.below(n)
        })
    }
}

/// The wait after `failures` (at least 1) failed turns in a row: `base` doubled per failure after the first,
/// capped at `max`, plus a jitter of up to a quarter of that drawn by `below` (uniform in `0..n`), so that devices
/// that failed together do not all retry in the same instant.
fn backoff(base: Duration, max: Duration, failures: u32, below: impl FnOnce(u64) -> u64) -> Duration {
    let exponential = base.saturating_mul(1 << failures.min(16).saturating_sub(1));
    let capped = exponential.min(max);
    let jitter_ms = below((capped.as_millis() as u64 / 4).max(1));
    capped + Duration::from_millis(jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(30);
    const MAX: Duration = Duration::from_secs(3600);

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
        let no_jitter = |_| 0;
        assert_eq!(backoff(BASE, MAX, 1, no_jitter), BASE);
        assert_eq!(backoff(BASE, MAX, 2, no_jitter), BASE * 2);
        assert_eq!(backoff(BASE, MAX, 5, no_jitter), BASE * 16);
        assert_eq!(backoff(BASE, MAX, 8, no_jitter), MAX);
        assert_eq!(backoff(BASE, MAX, u32::MAX, no_jitter), MAX);
    }

    #[test]
    fn backoff_jitter_adds_up_to_a_quarter_and_never_subtracts() {
        // The draw is asked for a bound of a quarter of the capped wait, and the largest draw is added on top.
        let mut asked = 0;
        let largest = backoff(BASE, MAX, 3, |n| {
            asked = n;
            n - 1
        });
        assert_eq!(asked, (BASE * 4).as_millis() as u64 / 4);
        assert_eq!(largest, BASE * 4 + Duration::from_millis(asked - 1));
        assert_eq!(backoff(BASE, MAX, 3, |_| 0), BASE * 4);
        // A wait too short for a quarter still draws from 0..1.
        let tiny = Duration::from_millis(2);
        let mut asked_tiny = 0;
        assert_eq!(
            backoff(tiny, MAX, 1, |n| {
                asked_tiny = n;
                0
            }),
            tiny
        );
        assert_eq!(asked_tiny, 1);
    }
}
