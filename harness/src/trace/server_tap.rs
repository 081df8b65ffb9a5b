//! A tap on a server's handler: records every request it receives and every answer it gives, with the peer's
//! host name, without changing either. Wraps the reference proxy and the mock KSN servers alike.

use async_trait::async_trait;
use ksnsim_reference::http::{Answer, Handler, IncomingRequest};
use ksnsim_reference::protocol::{ApiRequest, BatchRequest, LicenseKey, StatisticsBatch, header};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::event::{AnswerSeen, SeenRequest, SimEventKind, VerdictSeen};
use super::recorder::Recorder;
use crate::sim::NameTable;

pub struct ServerTap {
    inner: Arc<dyn Handler>,
    server: String,
    names: Arc<NameTable>,
    recorder: Recorder,
    exchanges: AtomicU64,
}

impl ServerTap {
    pub fn wrap(
        inner: Arc<dyn Handler>,
        server: &str,
        names: Arc<NameTable>,
        recorder: Recorder,
    ) -> Arc<dyn Handler> {
        Arc::new(Self {
            inner,
            server: server.to_owned(),
            names,
            recorder,
            exchanges: AtomicU64::new(0),
        })
    }
}

/// What the invariants need to know of a request.
pub fn seen(request: &IncomingRequest) -> SeenRequest {
    let text = |name: &str| request.header(name).map(str::to_owned);
    let path = match &request.query {
        Some(query) => format!("{}?{query}", request.path),
        None => request.path.clone(),
    };
    let records = if request.path == "/v1/statistics" {
        StatisticsBatch::from_json(&request.body).map_or(0, |batch| batch.records.len())
    } else {
        0
    };
    SeenRequest {
        method: request.method.to_string(),
        path,
        client_id: text(header::KSN_CLIENT),
        mode: text(header::KSN_MODE),
        statement: text(header::KSN_STATEMENT),
        tenant: request
            .header(header::AUTHORIZATION)
            .and_then(|value| LicenseKey::from_authorization(value).ok())
            .map(|key| key.tenant().to_string()),
        idempotency_key: text(header::IDEMPOTENCY_KEY),
        records,
        objects: objects_asked(request),
    }
}

/// The objects a lookup asks about; none for any other request, or one the contract cannot read.
fn objects_asked(request: &IncomingRequest) -> Vec<String> {
    match ApiRequest::parse(request.method.as_str(), &request.path, request.query.as_deref()) {
        Ok(ApiRequest::Lookup(object)) => vec![object.to_string()],
        Ok(ApiRequest::Batch) => BatchRequest::from_json(&request.body)
            .map(|batch| batch.objects.iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// What an answer says, read with a plain JSON reader from the contract's text (wire-protocol.md), not with
/// the reference's own parsers: the specification must not inherit a parser's mistakes.
pub fn answer_seen(answer: &Answer, path: &str) -> AnswerSeen {
    let lookup = path.starts_with("/v1/reputation/");
    let json: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
    let status = answer.status.as_u16();
    let retry_after = answer
        .header("retry-after")
        .and_then(|value| value.trim().parse().ok());
    if status >= 400 {
        let error = json
            .as_ref()
            .and_then(|body| body.get("error"))
            .and_then(|code| code.as_str())
            .map(str::to_owned);
        return AnswerSeen {
            contract: error.is_some(),
            error,
            retry_after,
            verdicts: Vec::new(),
            cut: answer.cut_after.is_some(),
        };
    }
    if !(lookup && status == 200) {
        // The contract body of each 2xx: {"accepted":N} for an upload, {"ksn":..} for a ping, {"version":N}
        // for the Statement.
        let field = |name: &str| json.as_ref().and_then(|body| body.get(name).cloned());
        let contract = match path {
            _ if !(200..300).contains(&status) => true,
            "/v1/statistics" => field("accepted").is_some_and(|n| n.is_u64()),
            "/v1/ping" => field("ksn").is_some_and(|k| k.is_string()),
            "/v1/statement" => field("version").is_some_and(|v| v.is_u64()),
            _ => true,
        };
        return AnswerSeen {
            contract,
            retry_after,
            cut: answer.cut_after.is_some(),
            ..AnswerSeen::default()
        };
    }
    let reputations: Option<Vec<&serde_json::Value>> =
        json.as_ref().map(
            |body| match body.get("results").and_then(|results| results.as_array()) {
                Some(results) => results.iter().collect(),
                None => vec![body],
            },
        );
    let verdicts: Option<Vec<VerdictSeen>> =
        reputations.and_then(|list| list.into_iter().map(verdict_seen).collect());
    AnswerSeen {
        contract: verdicts.as_ref().is_some_and(|v| !v.is_empty()),
        verdicts: verdicts.unwrap_or_default(),
        error: None,
        retry_after,
        cut: answer.cut_after.is_some(),
    }
}

/// One contract Reputation object: `{"object":{"file":..}|{"url":..},"verdict":..,"source":..,"ttl":..}`.
fn verdict_seen(reputation: &serde_json::Value) -> Option<VerdictSeen> {
    let object = reputation.get("object")?;
    let object = match (object.get("file"), object.get("url")) {
        (Some(file), None) => format!("file {}", file.as_str()?),
        (None, Some(url)) => format!("url {}", url.as_str()?),
        _ => return None,
    };
    let verdict = reputation.get("verdict")?.as_str()?;
    if !["trusted", "riskware", "untrusted", "unknown"].contains(&verdict) {
        return None;
    }
    Some(VerdictSeen {
        object,
        verdict: verdict.to_owned(),
        source: reputation.get("source")?.as_str()?.to_owned(),
        ttl: reputation.get("ttl")?.as_u64()?,
    })
}

#[async_trait]
impl Handler for ServerTap {
    async fn handle(&self, request: IncomingRequest) -> Answer {
        let peer = self.names.name_of(request.peer.ip());
        let path = request.path.clone();
        let exchange = self.exchanges.fetch_add(1, Ordering::Relaxed);
        self.recorder.record(SimEventKind::ServerRequest {
            server: self.server.clone(),
            peer: peer.clone(),
            exchange,
            request: seen(&request),
        });
        let answer = self.inner.handle(request).await;
        let seen = answer_seen(&answer, &path);
        self.recorder.record(SimEventKind::ServerAnswer {
            server: self.server.clone(),
            peer,
            exchange,
            path,
            status: answer.status.as_u16(),
            cache: answer.header(header::KSN_CACHE).map(str::to_owned),
            seen,
        });
        answer
    }
}
