//! Statistics uploads the KSN servers acknowledged, read off a trace: each `/v1/statistics` request matched to
//! its answer by (server, exchange), kept when the answer was 202, and each Idempotency-Key counted once per
//! server (an upload without a key counts every time: nothing tells its repeats apart). EP-STAT-1 sums them per
//! endpoint, SRV-STAT-1 per server.

use std::collections::{BTreeMap, BTreeSet};

use crate::trace::{SimEvent, SimEventKind};

/// One upload a KSN server acknowledged, the first time under its key.
pub(crate) struct Acknowledged<'a> {
    pub server: &'a str,
    pub client: Option<&'a str>,
    pub key: Option<&'a str>,
    pub records: usize,
}

/// Every acknowledged upload in trace order, repeats of a key at the same server left out.
pub(crate) fn acknowledged_uploads(events: &[SimEvent]) -> Vec<Acknowledged<'_>> {
    let mut pending: BTreeMap<(&str, u64), Acknowledged<'_>> = BTreeMap::new();
    let mut keys: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut acknowledged = Vec::new();
    for event in events {
        match &event.what {
            SimEventKind::ServerRequest {
                server,
                exchange,
                request,
                ..
            } if server.starts_with("ksn-") && request.path == "/v1/statistics" => {
                let upload = Acknowledged {
                    server,
                    client: request.client_id.as_deref(),
                    key: request.idempotency_key.as_deref(),
                    records: request.records,
                };
                pending.insert((server.as_str(), *exchange), upload);
            }
            SimEventKind::ServerAnswer {
                server,
                exchange,
                status,
                ..
            } => {
                if let Some(upload) = pending.remove(&(server.as_str(), *exchange))
                    && *status == 202
                    && upload.key.is_none_or(|key| keys.insert((upload.server, key)))
                {
                    acknowledged.push(upload);
                }
            }
            _ => {}
        }
    }
    acknowledged
}
