//! What a scenario makes an endpoint do, and what came of it. Actions are handed to the endpoint's host
//! through a mailbox and run there, inside the simulation, by the reference agent itself.

use ksnsim_reference::agent::{DataKinds, EndpointAgent, Participation, Policy, Status};
use ksnsim_reference::http::{HttpClient, OutgoingRequest};
use ksnsim_reference::protocol::statistics::StatisticsRecord;
use ksnsim_reference::protocol::{ErrorCode, LicenseKey, ObjectRef, Reputation, StatementVersion};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// An action of the user, the administrator, or the application's own work.
#[derive(Debug, Clone)]
pub enum EndpointAction {
    Lookup(ObjectRef),
    LookupBatch(Vec<ObjectRef>),
    /// Record `n` detection statistics records.
    RecordDetections(usize),
    /// Send queued statistics now (as the background loop would at its next turn).
    UploadStatistics,
    OfferStatement(StatementVersion),
    AcceptStatement(StatementVersion),
    DeclineStatement(StatementVersion),
    Withdraw(DataKinds),
    StartTask,
    StopTask,
    ChangeLicense(LicenseKey),
    DisablePrivateKsn,
    SetParticipation(Participation),
    SetPolicy(Policy),
    /// Switch "use KSN proxy" on or off.
    UseProxy(bool),
    CheckLicense,
    Status,
    /// Start generated traffic in the background and return at once (see [`LoadPlan`]).
    Load(LoadPlan),
    /// A broken client on this host sends a raw request to `to` (a proxy), bypassing the agent's rules.
    Raw {
        to: String,
        method: String,
        path: String,
        body: Vec<u8>,
    },
}

/// Generated traffic for one endpoint: `lookups` lookups spread over `over`, drawn from a pool of
/// `objects` files (so that proxies see repeats), and a detection recorded every `detection_every` lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadPlan {
    pub lookups: u32,
    pub over: std::time::Duration,
    pub objects: u32,
    pub detection_every: u32,
    pub seed: u64,
}

impl EndpointAction {
    /// A short name for traces.
    pub fn describe(&self) -> String {
        match self {
            Self::Lookup(object) => format!("lookup {object}"),
            Self::LookupBatch(objects) => format!("batch lookup of {} objects", objects.len()),
            Self::RecordDetections(n) => format!("record {n} detections"),
            Self::UploadStatistics => "upload statistics".into(),
            Self::OfferStatement(v) => format!("Statement v{v} shown"),
            Self::AcceptStatement(v) => format!("accept Statement v{v}"),
            Self::DeclineStatement(v) => format!("decline Statement v{v}"),
            Self::Withdraw(kinds) => format!("withdraw acceptance for {}", kinds.name()),
            Self::StartTask => "start the KSN Usage task".into(),
            Self::StopTask => "stop the KSN Usage task".into(),
            Self::ChangeLicense(key) => format!("change license to {key}"),
            Self::DisablePrivateKsn => "disable Private KSN".into(),
            Self::SetParticipation(p) => format!("set participation {}", p.name()),
            Self::SetPolicy(_) => "apply policy".into(),
            Self::UseProxy(on) => format!("use KSN proxy: {on}"),
            Self::CheckLicense => "check license".into(),
            Self::Status => "read status".into(),
            Self::Raw {
                to,
                method,
                path,
                body,
            } => format!("raw {method} {path} ({} bytes) to {to}", body.len()),
            Self::Load(plan) => format!(
                "start load: {} lookups over {} s",
                plan.lookups,
                plan.over.as_secs()
            ),
        }
    }
}

/// What came of an action.
#[derive(Debug, Clone, Default)]
pub struct ActionOutcome {
    /// The error, when the action failed.
    pub error: Option<String>,
    /// The contract error code, when a server refused.
    pub code: Option<ErrorCode>,
    /// True when the agent refused by its own rules (nothing was sent).
    pub refused_locally: bool,
    pub reputations: Vec<Reputation>,
    /// Records accepted by the action (detections recorded, statistics acknowledged).
    pub count: usize,
    pub status: Option<Status>,
    /// The HTTP status of a raw request's answer.
    pub http_status: Option<u16>,
}

impl ActionOutcome {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    pub fn summary(&self) -> String {
        if let Some(status) = self.http_status {
            let code = self.code.map(|c| format!(" {c}")).unwrap_or_default();
            return format!("HTTP {status}{code}");
        }
        match (&self.error, self.reputations.as_slice()) {
            (Some(error), _) => format!("error: {error}"),
            (None, [one]) => format!("{} (ttl {})", one.verdict, one.ttl),
            (None, many) if !many.is_empty() => format!("{} verdicts", many.len()),
            (None, _) => match &self.status {
                Some(status) => status.summary.clone(),
                None if self.count > 0 => format!("ok ({})", self.count),
                None => "ok".into(),
            },
        }
    }
}

pub(crate) type Slot = Arc<Mutex<Option<ActionOutcome>>>;

/// The endpoint's mailbox: the world posts, the host (each boot of it) takes.
#[derive(Clone)]
pub(crate) struct Mailbox {
    tx: mpsc::UnboundedSender<(EndpointAction, Slot)>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(EndpointAction, Slot)>>>,
    /// Numbers detections across actions and restarts, so that every record is distinct.
    detections: Arc<AtomicU64>,
    /// Detection records the agent accepted (queued or written), for the EP-STAT-1 balance.
    pub(crate) recorded: Arc<AtomicU64>,
}

impl Mailbox {
    pub(crate) fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        Self {
            tx,
            rx,
            detections: Arc::new(AtomicU64::new(0)),
            recorded: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn post(&self, action: EndpointAction) -> Slot {
        let slot: Slot = Arc::new(Mutex::new(None));
        // The receiver lives as long as the world (it is in `self`), so the send cannot fail.
        let _ = self.tx.send((action, slot.clone()));
        slot
    }

    /// Serves actions on `agent` until the host stops; `raw` sends the requests of [`EndpointAction::Raw`].
    pub(crate) async fn serve(&self, agent: &EndpointAgent, raw: &HttpClient) {
        let mut rx = self.rx.lock().await;
        while let Some((action, slot)) = rx.recv().await {
            let outcome = match action {
                EndpointAction::Raw {
                    to,
                    method,
                    path,
                    body,
                } => send_raw(raw, &to, &method, path, body).await,
                action => self.perform(agent, action).await,
            };
            *slot
                .lock()
                .expect("slot lock is never poisoned: no panics while held") = Some(outcome);
        }
    }
}

impl Mailbox {
    async fn perform(&self, agent: &EndpointAgent, action: EndpointAction) -> ActionOutcome {
        perform(agent, action, self).await
    }

    /// Records one detection on `agent`, counting it when queued for KSN (records written to a file in
    /// save-to-file mode never go to KSN, so they are not in the EP-STAT-1 balance).
    fn record(&self, agent: &EndpointAgent) -> Result<(), ksnsim_reference::agent::AgentError> {
        let for_ksn =
            agent.settings().effective_participation() == ksnsim_reference::agent::Participation::Extended;
        let n = self.detections.fetch_add(1, Ordering::Relaxed);
        agent.record_detection(detection(agent.id(), n))?;
        if for_ksn {
            self.recorded.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

async fn perform(agent: &EndpointAgent, action: EndpointAction, mailbox: &Mailbox) -> ActionOutcome {
    use EndpointAction::*;
    let mut outcome = ActionOutcome::default();
    let result = match action {
        Lookup(object) => agent.lookup(object).await.map(|r| outcome.reputations.push(r)),
        LookupBatch(objects) => agent.lookup_batch(objects).await.map(|r| outcome.reputations = r),
        // Every detection is offered to the agent, even after one is refused (a full queue counts each).
        RecordDetections(n) => {
            let mut last = Ok(());
            for _ in 0..n {
                match mailbox.record(agent) {
                    Ok(()) => outcome.count += 1,
                    Err(err) => last = Err(err),
                }
            }
            last
        }
        Load(plan) => {
            let (agent, mailbox) = (agent.clone(), mailbox.clone());
            tokio::spawn(async move { run_load(&agent, &mailbox, plan).await });
            Ok(())
        }
        UploadStatistics => agent.upload_statistics().await.map(|n| outcome.count = n),
        OfferStatement(v) => agent.offer_statement(v),
        AcceptStatement(v) => agent.accept_statement(v),
        DeclineStatement(v) => agent.decline_statement(v),
        Withdraw(kinds) => agent.withdraw(kinds),
        StartTask => agent.start_task(),
        StopTask => agent.stop_task(),
        ChangeLicense(key) => agent.change_license(key),
        DisablePrivateKsn => agent.disable_private_ksn(),
        SetParticipation(p) => agent.set_participation(p),
        SetPolicy(policy) => agent.set_policy(policy),
        UseProxy(on) => {
            let mut settings = agent.local_settings();
            settings.proxy.enabled = on;
            agent.set_settings(settings)
        }
        CheckLicense => agent.check_license().await,
        Status | Raw { .. } => Ok(()),
    };
    if let Err(err) = result {
        outcome.code = err.code();
        outcome.refused_locally = err.refused_locally();
        outcome.error = Some(err.to_string());
    }
    outcome.status = Some(agent.status());
    outcome
}

/// A detection record: which endpoint, which detection (numbered per action).
fn detection(endpoint: &str, n: u64) -> StatisticsRecord {
    let mut record = StatisticsRecord::new();
    record.insert("endpoint".into(), endpoint.into());
    record.insert("detection".into(), n.into());
    record.insert("kind".into(), "file".into());
    record
}

/// The generated traffic of one endpoint; outcomes are in the trace, failures are expected under faults.
async fn run_load(agent: &EndpointAgent, mailbox: &Mailbox, plan: LoadPlan) {
    let rng = ksnsim_reference::rng::SharedRng::seeded(plan.seed);
    let gap = plan.over / plan.lookups.max(1);
    for n in 0..plan.lookups {
        // Spread the lookups with jitter, so that endpoints do not move in lockstep.
        let jitter = rng.below(gap.as_millis().max(1) as u64);
        tokio::time::sleep(gap / 2 + std::time::Duration::from_millis(jitter / 2)).await;
        let file = format!("{:064x}", rng.below(u64::from(plan.objects.max(1))));
        if let Ok(hash) = file.parse() {
            let _ = agent.lookup(ObjectRef::File(hash)).await;
        }
        if plan.detection_every > 0 && n % plan.detection_every == 0 {
            let _ = mailbox.record(agent);
        }
    }
}

/// A request that no well-behaved agent would send, straight to a proxy's client port.
async fn send_raw(client: &HttpClient, to: &str, method: &str, path: String, body: Vec<u8>) -> ActionOutcome {
    let mut outcome = ActionOutcome::default();
    let url =
        format!("http://{to}:{}", super::hostnames::PROXY_PORT).parse::<ksnsim_reference::http::ServerUrl>();
    let Ok(url) = url else {
        outcome.error = Some(format!("{to} is not a host name"));
        return outcome;
    };
    let mut request = OutgoingRequest::get(path);
    if let Ok(method) = method.parse() {
        request.method = method;
    }
    request.body = body.into();
    match client.send(&url, request).await {
        Ok(answer) => {
            outcome.http_status = Some(answer.status.as_u16());
            outcome.code = answer.error_body().map(|b| b.error);
        }
        Err(err) => outcome.error = Some(err.to_string()),
    }
    outcome
}
