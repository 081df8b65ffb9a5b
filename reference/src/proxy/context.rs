//! What the proxy reads from a client's headers: the tenant and Statement version that key the cache, and
//! the headers it must pass upstream unchanged (PX-AUTH-1). Malformed headers are bad requests (PX-ERR-2).

use crate::http::{IncomingRequest, OutgoingRequest};
use crate::protocol::{KsnMode, LicenseKey, ObjectRef, ProtocolError, StatementVersion, TenantId, header};

use crate::verdict_cache::CacheKey;

#[derive(Debug, Clone)]
pub struct ClientContext {
    pub tenant: Option<TenantId>,
    pub statement: Option<StatementVersion>,
    relayed: Vec<(String, String)>,
}

impl ClientContext {
    /// Reads and checks the KSN headers of `request`.
    pub fn read(request: &IncomingRequest) -> Result<Self, ProtocolError> {
        if let Some(mode) = request.header(header::KSN_MODE) {
            mode.parse::<KsnMode>()?;
        }
        let statement = request
            .header(header::KSN_STATEMENT)
            .map(str::parse)
            .transpose()?;
        let tenant = match request.header(header::AUTHORIZATION) {
            Some(value) => Some(LicenseKey::from_authorization(value)?.tenant()),
            None => None,
        };
        let mut relayed = Vec::new();
        for name in header::RELAYED {
            // The proxy reads the first value (the tenant that keys the cache); an upstream could read another,
            // and answer one tenant's request under another's key (PX-CACHE-4). One value each, then.
            if request.headers.get_all(name).iter().nth(1).is_some() {
                return Err(ProtocolError::BadRequest(format!(
                    "header {name} appears more than once: send it once"
                )));
            }
            for value in request.headers.get_all(name) {
                let value = value.to_str().map_err(|_| {
                    ProtocolError::BadRequest(format!("header {name} is not printable ASCII"))
                })?;
                relayed.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(Self {
            tenant,
            statement,
            relayed,
        })
    }

    /// The cache key of `object` for this client.
    pub fn key(&self, object: ObjectRef) -> CacheKey {
        CacheKey {
            tenant: self.tenant.clone(),
            statement: self.statement,
            object,
        }
    }

    /// `request` with the client's KSN headers added, unchanged.
    pub fn relay(&self, mut request: OutgoingRequest) -> OutgoingRequest {
        request.headers.extend(self.relayed.iter().cloned());
        request
    }
}
