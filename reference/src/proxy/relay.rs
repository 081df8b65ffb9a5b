//! Sending a request upstream and judging what came back: the upstream's status and body are relayed
//! (PX-FWD-1) when they follow the contract; anything else is a 502, and silence is a 504 (PX-ERR-1).

use crate::http::{Answer, HttpClient, OutgoingRequest, ServerUrl, json_answer};
use crate::protocol::{ErrorBody, header};

use super::context::ClientContext;
use super::error::ProxyError;

/// Statuses a proxy passes on as they are, when they carry a contract error body. 502 and 504 come from a
/// proxy further up a chain (PX-CHAIN-1).
const RELAYED_ERRORS: [u16; 8] = [400, 401, 403, 413, 429, 502, 503, 504];

/// Answer headers that travel back to the client with the body.
const RELAYED_ANSWER_HEADERS: [&str; 3] = ["content-type", header::CACHE_CONTROL, header::RETRY_AFTER];

/// Sends `request` upstream with the client's KSN headers.
pub async fn send(
    client: &HttpClient,
    upstream: &ServerUrl,
    context: &ClientContext,
    request: OutgoingRequest,
) -> Result<Answer, ProxyError> {
    client
        .send(upstream, context.relay(request))
        .await
        .map_err(|err| ProxyError::from_client(upstream, err))
}

/// The client's copy of an upstream answer: status, body and the headers that belong to them.
pub fn relayed(upstream_answer: &Answer, cache: &'static str) -> Answer {
    let mut answer = json_answer(upstream_answer.status.as_u16(), upstream_answer.body.clone());
    for name in RELAYED_ANSWER_HEADERS {
        if let Some(value) = upstream_answer.header(name) {
            answer.set_header(name, value);
        }
    }
    answer.with_header(header::KSN_CACHE, cache)
}

/// A non-2xx upstream answer: relayed when it is an error of the contract, a 502 otherwise. Never cached.
pub fn relay_error(upstream: &ServerUrl, answer: &Answer) -> Result<Answer, ProxyError> {
    let status = answer.status.as_u16();
    let is_contract_error = RELAYED_ERRORS.contains(&status)
        && serde_json::from_slice::<ErrorBody>(&answer.body).is_ok_and(|body| body.error.status() == status);
    if is_contract_error {
        Ok(relayed(answer, "miss"))
    } else {
        Err(ProxyError::garbage(
            upstream,
            format!("status {status} with a body that is not a contract error"),
        ))
    }
}

/// Relays an answer that is not cached (statistics, statement, ping): a 2xx must have a body that `valid`
/// accepts, so that the client never gets a success the upstream did not really give (PX-STAT-1).
pub fn relay_uncached(
    upstream: &ServerUrl,
    answer: &Answer,
    valid: impl Fn(&[u8]) -> bool,
) -> Result<Answer, ProxyError> {
    if answer.status.is_success() {
        if valid(&answer.body) {
            Ok(relayed(answer, "miss"))
        } else {
            Err(ProxyError::garbage(
                upstream,
                format!("{} answer with a body that is not the contract's", answer.status),
            ))
        }
    } else {
        relay_error(upstream, answer)
    }
}

/// True when the answer says the upstream is down, so that a stale verdict may stand in (PX-STALE-1).
pub fn says_upstream_down(answer: &Answer) -> bool {
    matches!(answer.status.as_u16(), 502..=504)
}
