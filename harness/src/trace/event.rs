//! What the simulation records, structured so that invariant checkers can read it; and its flat form in
//! the reports model (`reports::TraceEvent`), which is what is digested, written and drawn.

use ksnsim_reports::{EventKind, TraceEvent};
use std::fmt::Write as _;
use std::time::Duration;

/// One recorded event, at simulated time `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    pub at: Duration,
    pub what: SimEventKind,
}

/// A request as a server saw it: who sent it, and the KSN headers that matter to the invariants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub client_id: Option<String>,
    pub mode: Option<String>,
    pub statement: Option<String>,
    /// The tenant of the `Authorization` key (never the key itself).
    pub tenant: Option<String>,
    pub idempotency_key: Option<String>,
    /// Records in a statistics upload.
    pub records: usize,
    /// The objects a lookup asks about (one, or a batch's), as `file HASH` / `url URL`: what the tenant check
    /// follows from a KSN server's answer through a proxy's cache. Not in the flat trace (nor its digest).
    pub objects: Vec<String>,
}

/// What an answer said, as the contract reads it: the verdicts a lookup got, the error code, `Retry-After`,
/// and whether a body that should be a contract body was one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnswerSeen {
    /// Each reputation of a lookup's or batch's answer, in order.
    pub verdicts: Vec<VerdictSeen>,
    /// The contract error code of an error answer (`license_not_registered`, ...).
    pub error: Option<String>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// False when the body is not what the contract says this answer carries (a 200 lookup answer that is
    /// not a verdict, an error without the JSON error body).
    pub contract: bool,
    /// The server broke the answer off and closed the connection: the peer never got it whole.
    pub cut: bool,
}

/// One reputation of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictSeen {
    /// `file HASH` / `url URL`, as [`SeenRequest::objects`].
    pub object: String,
    pub verdict: String,
    pub source: String,
    pub ttl: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimEventKind {
    /// `server` (a KSN mock or a proxy) received `request` from host `peer`.
    /// `exchange` numbers the request at its server, so that its answer can be found.
    ServerRequest {
        server: String,
        peer: String,
        exchange: u64,
        request: SeenRequest,
    },
    /// `server` answered host `peer`.
    ServerAnswer {
        server: String,
        peer: String,
        exchange: u64,
        path: String,
        status: u16,
        cache: Option<String>,
        /// What the answer said, read from its body and headers for the executable specification. Not in
        /// the flat trace (nor its digest).
        seen: AnswerSeen,
    },
    /// Endpoint `host` sent a request to `to`.
    ClientRequest {
        host: String,
        to: String,
        method: String,
        path: String,
    },
    /// Endpoint `host` got an answer.
    ClientAnswer {
        host: String,
        status: u16,
        detail: String,
    },
    /// Endpoint `host` failed to exchange with `with`.
    ClientFailed {
        host: String,
        with: String,
        error: String,
    },
    /// Endpoint `host` asked DNS `server` for `name`.
    Dns {
        host: String,
        server: String,
        public: bool,
        name: String,
        outcome: String,
    },
    /// A DNS server host answered a query.
    DnsServed {
        server: String,
        peer: String,
        name: String,
        answer: String,
    },
    /// `host`'s `what` changed (task, consent, participation, ksn).
    State {
        host: String,
        what: String,
        from: String,
        to: String,
    },
    /// The scenario did something to the world (partition, crash, license registered, ...).
    Fault {
        target: String,
        description: String,
    },
    /// The scenario made `host` act (look up, record a detection, accept a Statement), and the outcome.
    Action {
        host: String,
        action: String,
        outcome: String,
    },
    Note {
        host: String,
        text: String,
    },
}

impl SimEvent {
    /// The flat, reportable form.
    pub fn to_trace_event(&self) -> TraceEvent {
        let at_ms = self.at.as_millis() as u64;
        let (kind, from, to, summary) = match &self.what {
            SimEventKind::ServerRequest {
                server,
                peer,
                request,
                ..
            } => {
                let mut summary = format!("{} {}", request.method, request.path);
                for (label, value) in [
                    ("mode", &request.mode),
                    ("statement", &request.statement),
                    ("tenant", &request.tenant),
                    ("key", &request.idempotency_key),
                ] {
                    if let Some(value) = value {
                        let _ = write!(summary, " {label}={value}");
                    }
                }
                if request.records > 0 {
                    let _ = write!(summary, " records={}", request.records);
                }
                (EventKind::Request, peer.clone(), server.clone(), summary)
            }
            SimEventKind::ServerAnswer {
                server,
                peer,
                path,
                status,
                cache,
                ..
            } => {
                let cache = cache
                    .as_deref()
                    .map(|c| format!(" cache={c}"))
                    .unwrap_or_default();
                (
                    EventKind::Answer,
                    server.clone(),
                    peer.clone(),
                    format!("{status} {path}{cache}"),
                )
            }
            SimEventKind::ClientRequest {
                host,
                to,
                method,
                path,
            } => (
                EventKind::Note,
                host.clone(),
                String::new(),
                format!("sends {method} {path} to {to}"),
            ),
            SimEventKind::ClientAnswer { host, status, detail } => (
                EventKind::Note,
                host.clone(),
                String::new(),
                format!("got {status} {detail}"),
            ),
            SimEventKind::ClientFailed { host, with, error } => (
                EventKind::Note,
                host.clone(),
                String::new(),
                format!("failed with {with}: {error}"),
            ),
            SimEventKind::Dns {
                host,
                server,
                public,
                name,
                outcome,
            } => {
                let kind = if *public { "public" } else { "system" };
                (
                    EventKind::Dns,
                    host.clone(),
                    server.clone(),
                    format!("{kind} DNS {name}: {outcome}"),
                )
            }
            SimEventKind::DnsServed {
                server,
                peer,
                name,
                answer,
            } => (
                EventKind::Note,
                server.clone(),
                peer.clone(),
                format!("answered {name}: {answer}"),
            ),
            SimEventKind::State { host, what, from, to } => (
                EventKind::State,
                host.clone(),
                String::new(),
                format!("{what}: {from} -> {to}"),
            ),
            SimEventKind::Fault { target, description } => (
                EventKind::Fault,
                target.clone(),
                String::new(),
                description.clone(),
            ),
            SimEventKind::Action {
                host,
                action,
                outcome,
            } => (
                EventKind::Note,
                host.clone(),
                String::new(),
                format!("{action}: {outcome}"),
            ),
            SimEventKind::Note { host, text } => (EventKind::Note, host.clone(), String::new(), text.clone()),
        };
        TraceEvent {
            at_ms,
            kind,
            from,
            to,
            summary,
        }
    }
}
