//! ksnsim as the proxy's client: sends one request per connection over loopback (bounded in time), writes
//! what was sent and what came back into the evidence, and reads answers against the contract.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

use ksnsim_reference::http::{Answer, ClientError, HttpClient, OutgoingRequest, ServerUrl};
use ksnsim_reference::net::RealNet;
use ksnsim_reference::protocol::{ErrorCode, Reputation};

use ksnsim_mocks::GARBAGE_BODY;

use super::findings::Findings;
use super::upstream::shorten;

/// A client of one proxy under test.
#[derive(Clone)]
pub(crate) struct ProxyClient {
    http: HttpClient,
    pub url: ServerUrl,
    pub addr: SocketAddr,
}

impl ProxyClient {
    /// A client of the proxy at `addr` that waits at most `bound` for any one answer.
    pub(crate) fn new(addr: SocketAddr, bound: Duration) -> Self {
        Self {
            http: HttpClient::new(RealNet::shared(), None, bound),
            url: format!("http://{addr}")
                .parse()
                .expect("an http URL of a socket address always parses"),
            addr,
        }
    }

    /// Sends `request`, noting the exchange in `findings`.
    pub(crate) async fn send(
        &self,
        findings: &mut Findings,
        request: OutgoingRequest,
    ) -> Result<Answer, ClientError> {
        let shown = describe_request(&request);
        let (answer, took) = self.send_timed(request).await;
        findings.note(format!(
            "{shown} -> {} ({} ms)",
            describe(&answer),
            took.as_millis()
        ));
        answer
    }

    /// Sends `request`; returns the outcome and how long it took.
    pub(crate) async fn send_timed(
        &self,
        request: OutgoingRequest,
    ) -> (Result<Answer, ClientError>, Duration) {
        let started = Instant::now();
        let answer = self.http.send(&self.url, request).await;
        (answer, started.elapsed())
    }
}

/// `GET /v1/reputation/file/3f…` (the path shortened) and the body size of a POST.
pub(crate) fn describe_request(request: &OutgoingRequest) -> String {
    let mut line = format!("{} {}", request.method, shorten(&request.path_and_query, 60));
    if !request.body.is_empty() {
        line.push_str(&format!(" ({} bytes)", request.body.len()));
    }
    line
}

/// `200 ksn-cache=miss {"object":…}`, or `no answer: <why>`.
pub(crate) fn describe(answer: &Result<Answer, ClientError>) -> String {
    match answer {
        Ok(answer) => {
            let mut line = answer.status.as_u16().to_string();
            for name in ["ksn-cache", "warning", "retry-after"] {
                if let Some(value) = answer.header(name) {
                    line.push_str(&format!(" {name}={value}"));
                }
            }
            format!("{line} {}", flat(&answer.body, 120))
        }
        Err(err) => format!("no answer: {err}"),
    }
}

/// What an answer was, for the "seen" half of a failed expectation: `413 too_large`, `413, body not the
/// contract's JSON: <html>…`, `200 {"object":…}`, or `no answer: <why>`.
pub(crate) fn seen(answer: &Result<Answer, ClientError>) -> String {
    match answer {
        Ok(answer) => {
            let status = answer.status.as_u16();
            match answer.error_body() {
                Some(body) => format!("{status} {}", body.error),
                None if answer.status.is_success() => {
                    format!("{status} {}", shorten(&String::from_utf8_lossy(&answer.body), 60))
                }
                None => format!(
                    "{status}, body not the contract's JSON error: {}",
                    first_bytes(&answer.body)
                ),
            }
        }
        Err(err) => format!("no answer: {err}"),
    }
}

/// The first bytes of a body, printable, for evidence.
pub(crate) fn first_bytes(body: &[u8]) -> String {
    flat(body, 60)
}

/// A body on one line (control characters and runs of white space as one space), cut to `max` characters.
fn flat(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let words: Vec<&str> = text
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect();
    match words.join(" ") {
        empty if empty.is_empty() => "(empty)".to_owned(),
        line => shorten(&line, max),
    }
}

/// The status of an answer, or `None` when there was none.
pub(crate) fn status(answer: &Result<Answer, ClientError>) -> Option<u16> {
    answer.as_ref().ok().map(|a| a.status.as_u16())
}

/// The error code of a contract error answer.
pub(crate) fn error_code(answer: &Result<Answer, ClientError>) -> Option<ErrorCode> {
    answer.as_ref().ok()?.error_body().map(|body| body.error)
}

/// True for a 2xx answer.
pub(crate) fn is_success(answer: &Result<Answer, ClientError>) -> bool {
    answer.as_ref().is_ok_and(|a| a.status.is_success())
}

/// The reputation of a 200 answer, if its body is one.
pub(crate) fn reputation(answer: &Result<Answer, ClientError>) -> Option<Reputation> {
    let answer = answer.as_ref().ok()?;
    if answer.status != 200 {
        return None;
    }
    Reputation::from_json(&answer.body).ok()
}

/// Whether `answer` is the origin's reputation: same object, verdict and source. (How long it may be kept is
/// PX-CACHE-2's question: see `ttl_within`.)
pub(crate) fn answers_as_origin(answer: &Result<Answer, ClientError>, origin: &Reputation) -> bool {
    reputation(answer).is_some_and(|got| same_as_origin(&got, origin))
}

/// Whether `got` is `origin`'s verdict on the same object from the same kind of KSN.
pub(crate) fn same_as_origin(got: &Reputation, origin: &Reputation) -> bool {
    got.object == origin.object && got.verdict == origin.verdict && got.source == origin.source
}

/// Whether the answer's ttl (in the body and in `Cache-Control: max-age`, if any) is at most `seconds`.
pub(crate) fn ttl_within(answer: &Result<Answer, ClientError>, seconds: u64) -> bool {
    let max_age_ok = answer
        .as_ref()
        .is_ok_and(|a| a.max_age().is_none_or(|age| age <= seconds));
    max_age_ok && reputation(answer).is_some_and(|r| r.ttl <= seconds)
}

/// Whether `answer` is the upstream's `garbage` answer passed on unchanged: its 200 and its body, byte for
/// byte. The proxy made no answer of its own.
pub(crate) fn relays_garbage(answer: &Result<Answer, ClientError>) -> bool {
    answer
        .as_ref()
        .is_ok_and(|a| a.status == 200 && a.body.as_ref() == GARBAGE_BODY)
}

/// Whether `answer` is the contract error `code` with its status.
pub(crate) fn is_error(answer: &Result<Answer, ClientError>, code: ErrorCode) -> bool {
    status(answer) == Some(code.status()) && error_code(answer) == Some(code)
}

/// Whether `answer` came with `status` and a body `body_ok` accepts.
pub(crate) fn answered(
    answer: &Result<Answer, ClientError>,
    status: u16,
    body_ok: impl FnOnce(&[u8]) -> bool,
) -> bool {
    answer
        .as_ref()
        .is_ok_and(|a| a.status == status && body_ok(&a.body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reference::http::json_answer;

    #[test]
    fn px_fwd_1_an_answer_counts_only_with_its_status_and_a_right_body() {
        let ping = Ok(json_answer(200, r#"{"ksn":"global"}"#));
        let right = |body: &[u8]| body == br#"{"ksn":"global"}"#;
        assert!(answered(&ping, 200, right));
        assert!(!answered(&ping, 202, right), "another status");
        assert!(
            !answered(&ping, 200, |_| false),
            "a body that is not the upstream's"
        );
        let unavailable = Ok(json_answer(503, r#"{"ksn":"global"}"#));
        assert!(!answered(&unavailable, 200, right), "a 503 with the right body");
    }
}
