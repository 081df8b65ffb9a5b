//! A tap on a server's handler: records every request it receives and every answer it gives, with the peer's
//! host name, without changing either. Wraps the reference proxy and the mock KSN servers alike.

use async_trait::async_trait;
use ksnsim_reference::http::{Answer, Handler, IncomingRequest};
use ksnsim_reference::protocol::{ApiRequest, BatchRequest, LicenseKey, StatisticsBatch, header};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::event::{SeenRequest, SimEventKind};
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
        self.recorder.record(SimEventKind::ServerAnswer {
            server: self.server.clone(),
            peer,
            exchange,
            path,
            status: answer.status.as_u16(),
            cache: answer.header(header::KSN_CACHE).map(str::to_owned),
        });
        answer
    }
}
