//! One exchange with KSN, as the agent does it: check its own rules first (nothing leaves the device that
//! the mode, the Statement or the task forbid), pick the route (the proxy, and directly only when allowed,
//! EP-PROXY-1), resolve KSN names through system then public DNS (EP-DNS-1), and judge the answer
//! (401 -> authentication error with no fallback, EP-LIC-1; 429 -> Retry-After honoured, EP-RATE-1).

use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

use super::consent::DataKinds;
use super::endpoint::{AgentState, EndpointAgent};
use super::error::AgentError;
use super::settings::{AgentSettings, Participation};
use super::task::{TaskInput, TaskState};
use crate::http::{Answer, ClientError, OutgoingRequest, ServerUrl};
use crate::observe::Observation;
use crate::protocol::{ErrorBody, ErrorCode, header};

/// What an exchange carries, which decides the rules that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A reputation lookup (file, URL, batch).
    Lookup,
    /// A statistics upload.
    Statistics,
    /// A check of the license key while in "authentication error": a ping, no data.
    LicenseCheck,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Proxy(ServerUrl),
    Direct(ServerUrl),
}

/// The routes to try in order (pure): the proxy when set, then the KSN server only if allowed.
pub(crate) fn routes(settings: &AgentSettings) -> Vec<Route> {
    let direct = Route::Direct(settings.server().clone());
    match (&settings.proxy.address, settings.proxy.enabled) {
        (Some(proxy), true) if settings.proxy.direct_when_unavailable => {
            vec![Route::Proxy(proxy.clone()), direct]
        }
        (Some(proxy), true) => vec![Route::Proxy(proxy.clone())],
        _ => vec![direct],
    }
}

/// Checks the agent's own rules for `purpose` (pure over the state).
pub(crate) fn admit(state: &AgentState, purpose: Purpose, now: Instant) -> Result<(), AgentError> {
    let participation = state.effective.effective_participation();
    let what = match purpose {
        Purpose::Statistics => "statistics",
        Purpose::Lookup | Purpose::LicenseCheck => "requests",
    };
    match (participation, purpose) {
        (Participation::Extended, _) | (Participation::Basic, Purpose::Lookup | Purpose::LicenseCheck) => {}
        (mode, _) => {
            return Err(AgentError::ModeForbids {
                mode: mode.name(),
                what,
            });
        }
    }
    if state.consent.version().is_none() {
        return Err(AgentError::StatementNotAccepted);
    }
    let kind = match purpose {
        Purpose::Statistics => DataKinds::STATISTICS,
        Purpose::Lookup | Purpose::LicenseCheck => DataKinds {
            lookups: true,
            statistics: false,
        },
    };
    if !state.consent.allows(kind) {
        return Err(AgentError::Withdrawn(kind.name()));
    }
    match (state.task, purpose) {
        (TaskState::Running, Purpose::Lookup | Purpose::Statistics) => {}
        (TaskState::AuthenticationError | TaskState::Running, Purpose::LicenseCheck) => {}
        (task, _) => return Err(AgentError::TaskNotRunning(task.name())),
    }
    // A running Retry-After holds every call back, license checks too (EP-RATE-1).
    if let Some(until) = state.restricted_until.filter(|until| now < *until) {
        return Err(AgentError::Restricted(until - now));
    }
    Ok(())
}

impl EndpointAgent {
    /// Sends `request` for `purpose` along the configured routes and judges the answer.
    pub(crate) async fn exchange(
        &self,
        purpose: Purpose,
        request: OutgoingRequest,
    ) -> Result<Answer, AgentError> {
        let (settings, request) = {
            let state = self.state();
            admit(&state, purpose, Instant::now())?;
            (
                state.effective.clone(),
                self.with_ksn_headers(&state, purpose, request),
            )
        };
        let routes = routes(&settings);
        let mut last_proxy_failure = None;
        for route in &routes {
            let outcome = match route {
                Route::Proxy(proxy) => self.send_via_proxy(purpose, proxy, request.clone()).await,
                Route::Direct(server) => {
                    self.send_direct(purpose, server, &settings, request.clone())
                        .await
                }
            };
            match outcome {
                Ok(answer) => return self.judge(purpose, answer),
                Err(AgentError::Transport(err)) if matches!(route, Route::Proxy(_)) => {
                    last_proxy_failure = Some(err)
                }
                Err(err) => return Err(err),
            }
        }
        let err =
            last_proxy_failure.expect("routes end in Direct unless the proxy was the only route and failed");
        Err(AgentError::ProxyUnavailable(err))
    }

    fn with_ksn_headers(
        &self,
        state: &AgentState,
        purpose: Purpose,
        request: OutgoingRequest,
    ) -> OutgoingRequest {
        let mut request = request.header(header::KSN_CLIENT, self.id());
        if let Some(mode) = state.effective.effective_participation().wire_mode() {
            request = request.header(header::KSN_MODE, mode.as_str());
        }
        if let (Some(version), false) = (state.consent.version(), purpose == Purpose::LicenseCheck) {
            request = request.header(header::KSN_STATEMENT, version.to_string());
        }
        if let Some(license) = state.effective.ksn.license() {
            request = request.header(header::AUTHORIZATION, license.authorization());
        }
        request
    }

    /// Admits the call again at the moment it is sent: consent, mode, task and a Retry-After may have changed
    /// while an earlier route failed or the name was being resolved (a full withdrawal during the DNS lookup
    /// must stop the upload, EP-STMT-3).
    fn readmit(&self, purpose: Purpose) -> Result<(), AgentError> {
        admit(&self.state(), purpose, Instant::now())
    }

    async fn send_via_proxy(
        &self,
        purpose: Purpose,
        proxy: &ServerUrl,
        request: OutgoingRequest,
    ) -> Result<Answer, AgentError> {
        self.readmit(purpose)?;
        self.observe_request(proxy, &request);
        self.inner
            .client
            .send(proxy, request)
            .await
            .map_err(|err| self.failed(proxy, err))
    }

    async fn send_direct(
        &self,
        purpose: Purpose,
        server: &ServerUrl,
        settings: &AgentSettings,
        request: OutgoingRequest,
    ) -> Result<Answer, AgentError> {
        let resolution = self.inner.dns.resolve(&server.host, &settings.dns).await;
        let attempts = match &resolution {
            Ok(found) => found.attempts.clone(),
            Err(err) => err.attempts.clone(),
        };
        for attempt in attempts {
            let outcome = match &attempt.outcome {
                Ok(addrs) => format!("{addrs:?}"),
                Err(failure) => failure.to_string(),
            };
            let name = server.host.clone();
            self.observe(Observation::Dns {
                server: attempt.server,
                name,
                public: attempt.public,
                outcome,
            });
        }
        let mut last = None;
        for ip in resolution?.addrs {
            self.readmit(purpose)?;
            self.observe_request(server, &request);
            match self
                .inner
                .client
                .send_to(SocketAddr::new(ip, server.port), server, request.clone())
                .await
            {
                Ok(answer) => return Ok(answer),
                Err(err) => last = Some(self.failed(server, err)),
            }
        }
        Err(last.expect("a resolution has at least one address"))
    }

    fn observe_request(&self, to: &ServerUrl, request: &OutgoingRequest) {
        let (method, path) = (request.method.to_string(), request.path_and_query.clone());
        self.observe(Observation::Request {
            to: to.to_string(),
            method,
            path,
        });
    }

    fn failed(&self, with: &ServerUrl, err: ClientError) -> AgentError {
        self.observe(Observation::Failed {
            with: with.to_string(),
            error: err.to_string(),
        });
        AgentError::Transport(err)
    }

    /// Updates the agent from an answer: success keeps KSN available, 401 is an authentication error (no
    /// fallback to Global KSN), 429 restricts until Retry-After.
    fn judge(&self, purpose: Purpose, answer: Answer) -> Result<Answer, AgentError> {
        let status = answer.status.as_u16();
        let body: Option<ErrorBody> = answer.error_body();
        let mut detail = body.as_ref().map_or_else(
            || answer.header(header::KSN_CACHE).unwrap_or("").to_owned(),
            |b| b.error.to_string(),
        );
        if let Some(retry_after) = answer.header(header::RETRY_AFTER) {
            detail.push_str(&format!(" (Retry-After: {retry_after})"));
        }
        self.observe(Observation::Answer {
            from: "ksn".into(),
            status,
            detail,
        });
        let mut state = self.state();
        let now = Instant::now();
        if answer.status.is_success() {
            // A ping carries nothing to read: its 2xx is the success. Any other 2xx succeeds only once its
            // body has been read as the contract says (`confirm_success`): a 200 whose body is not a verdict
            // or an acknowledgement is no successful exchange (EP-STATUS-1, EP-STAT-1).
            if purpose == Purpose::LicenseCheck {
                self.succeeded_locked(&mut state)?;
            }
            return Ok(answer);
        }
        match body {
            Some(body)
                if body.error == ErrorCode::LicenseNotRegistered
                    && state.effective.ksn.license().is_some() =>
            {
                if purpose != Purpose::LicenseCheck || state.task == TaskState::Running {
                    self.task_locked(&mut state, TaskInput::LicenseRejected)?;
                    self.persist(&state)?;
                }
                Err(AgentError::Refused { status, body })
            }
            Some(body) if body.error == ErrorCode::RateLimited => {
                let wait = retry_after(&answer);
                state.restricted_until = Some(now + wait);
                Err(AgentError::RateLimited(wait))
            }
            Some(body) => Err(AgentError::Refused { status, body }),
            None => Err(AgentError::Garbage {
                status,
                detail: String::from_utf8_lossy(&answer.body).chars().take(80).collect(),
            }),
        }
    }
}

impl EndpointAgent {
    /// The answer to a lookup, batch or upload was read as the contract says: KSN is available (EP-STATUS-1).
    pub(crate) fn confirm_success(&self) -> Result<(), AgentError> {
        let mut state = self.state();
        self.succeeded_locked(&mut state)
    }

    /// A successful exchange: KSN is available, and a rejected license is accepted again (EP-LIC-1).
    fn succeeded_locked(&self, state: &mut AgentState) -> Result<(), AgentError> {
        state.last_success = Some(Instant::now());
        if state.task == TaskState::AuthenticationError {
            self.task_locked(state, TaskInput::LicenseAccepted)?;
            self.persist(state)?;
        }
        Ok(())
    }
}

/// `Retry-After` in seconds; a missing or unreadable one means a minute.
fn retry_after(answer: &Answer) -> Duration {
    let seconds = answer
        .header(header::RETRY_AFTER)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::consent::Consent;
    use crate::agent::policy::Policy;
    use crate::agent::queue::StatisticsQueue;
    use crate::agent::settings::tests::settings;
    use crate::protocol::StatementVersion;
    use crate::verdict_cache::Cache;

    /// An agent that may send everything: extended mode, Statement 1 accepted, task running.
    fn sending(restricted_until: Option<Instant>) -> AgentState {
        AgentState {
            local: settings(),
            policy: Policy::default(),
            effective: settings(),
            consent: Consent::Accepted {
                version: StatementVersion(1),
                offered: None,
            },
            task: TaskState::Running,
            queue: StatisticsQueue::new(10),
            verdicts: Cache::new(10, Duration::ZERO),
            last_success: None,
            restricted_until,
        }
    }

    #[test]
    fn ep_proxy_1_direct_only_when_allowed() {
        let mut s = settings();
        assert_eq!(routes(&s), vec![Route::Direct(s.servers.global.clone())]);
        s.proxy.enabled = true;
        s.proxy.address = Some("http://dp1:13111".parse().unwrap());
        assert_eq!(
            routes(&s),
            vec![Route::Proxy("http://dp1:13111".parse().unwrap())]
        );
        s.proxy.direct_when_unavailable = true;
        assert_eq!(routes(&s).len(), 2);
        assert_eq!(routes(&s)[1], Route::Direct(s.servers.global.clone()));
    }

    #[test]
    fn ep_rate_1_a_retry_after_holds_calls_back_until_its_instant_and_no_longer() {
        let now = Instant::now();
        let until = now + Duration::from_secs(30);
        let state = sending(Some(until));
        for purpose in [Purpose::Lookup, Purpose::Statistics, Purpose::LicenseCheck] {
            match admit(&state, purpose, now) {
                Err(AgentError::Restricted(left)) => assert_eq!(left, Duration::from_secs(30), "{purpose:?}"),
                other => panic!("{purpose:?} during a Retry-After: {other:?}"),
            }
            assert!(
                admit(&state, purpose, until).is_ok(),
                "{purpose:?} at the instant the Retry-After ends"
            );
            assert!(
                admit(&state, purpose, until + Duration::from_millis(1)).is_ok(),
                "{purpose:?} after the Retry-After"
            );
        }
        assert!(admit(&sending(None), Purpose::Statistics, now).is_ok());
    }
}
