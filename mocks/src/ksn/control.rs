//! The control API under `/_mock/`: the typed operations of [`MockKsn`](super::MockKsn) as JSON over HTTP,
//! for the conformance runner and for `ksn-mock` users. Never logged, never affected by faults.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | GET /_mock/log | — | `{"requests":[LoggedRequest, ...]}` |
//! | DELETE /_mock/log | — | `{"cleared":N}` |
//! | POST /_mock/licenses | `{"key":"K"}` | `{"licenses":N}` (registered keys now) |
//! | DELETE /_mock/licenses/{key} | — | `{"removed":true|false}` |
//! | POST /_mock/statement | `{"version":N,"includes":[..]}` | the Statement, as GET /v1/statement gives it |
//! | POST /_mock/reputation | `{"object":..,"verdict":..,"ttl":..,"layer":..}` | the Reputation lookups now get |
//! | GET /_mock/faults | — | `{"fault":Fault or null}` |
//! | PUT /_mock/faults | a Fault, e.g. `{"kind":"delay","ms":500}` | `{"fault":Fault}` |
//! | DELETE /_mock/faults | — | `{"fault":null}` |
//! | GET /_mock/statistics | — | `{"records":N,"uploads":M}` |
//!
//! `ttl` and `layer` are optional in POST /_mock/reputation: `layer` is `local` on a Private KSN (an override
//! of the global verdict) and `global` on a Global KSN unless given. Bad input gets 400 bad_request.

use http::Method;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::json;

use ksnsim_reference::http::{Answer, IncomingRequest, error_answer, json_answer};
use ksnsim_reference::protocol::{ErrorCode, LicenseKey, ObjectRef, StatementVersion, Verdict};

use super::MockKsn;
use super::faults::Fault;
use super::log::LoggedRequest;
use super::reputation_db::{DbEntry, Layer};

const CONTROL_SUMMARY: &str = "the control API has GET|DELETE /_mock/log, POST /_mock/licenses, \
     DELETE /_mock/licenses/{key}, POST /_mock/statement, POST /_mock/reputation, GET|PUT|DELETE /_mock/faults, \
     GET /_mock/statistics";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LicenseBody {
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementBody {
    version: StatementVersion,
    #[serde(default)]
    includes: Vec<StatementVersion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReputationBody {
    object: ObjectRef,
    verdict: Verdict,
    ttl: Option<u64>,
    layer: Option<Layer>,
}

#[derive(Debug, Serialize)]
struct LogBody {
    requests: Vec<LoggedRequest>,
}

#[derive(Debug, Serialize)]
struct FaultBody {
    fault: Option<Fault>,
}

/// Answers one control request.
pub(crate) fn answer(mock: &MockKsn, request: &IncomingRequest) -> Answer {
    route(mock, request).unwrap_or_else(|message| error_answer(ErrorCode::BadRequest, message))
}

fn route(mock: &MockKsn, request: &IncomingRequest) -> Result<Answer, String> {
    let method = &request.method;
    let path = request.path.as_str();
    match (method, path) {
        (&Method::GET, "/_mock/log") => ok(LogBody { requests: mock.log() }),
        (&Method::DELETE, "/_mock/log") => ok(json!({ "cleared": mock.clear_log() })),
        (&Method::POST, "/_mock/licenses") => {
            let body: LicenseBody = parse(request, "license")?;
            let key = parse_key(&body.key)?;
            ok(json!({ "licenses": mock.register_license(&key) }))
        }
        (&Method::POST, "/_mock/statement") => {
            let body: StatementBody = parse(request, "statement")?;
            if body.version.0 == 0 || body.includes.iter().any(|v| v.0 == 0) {
                return Err("Statement versions are positive integers such as 3".to_owned());
            }
            ok(mock.publish_statement(body.version, &body.includes))
        }
        (&Method::POST, "/_mock/reputation") => {
            let body: ReputationBody = parse(request, "reputation")?;
            let entry = DbEntry {
                object: body.object,
                verdict: body.verdict,
                ttl: body.ttl,
            };
            let reputation = match body.layer {
                Some(layer) => mock.set_reputation_in(layer, entry),
                None => mock.set_reputation(entry),
            };
            ok(reputation)
        }
        (&Method::GET, "/_mock/faults") => ok(FaultBody { fault: mock.fault() }),
        (&Method::PUT, "/_mock/faults") => {
            let fault: Fault = parse(request, "fault")?;
            mock.set_fault(Some(fault));
            ok(FaultBody { fault: Some(fault) })
        }
        (&Method::DELETE, "/_mock/faults") => {
            mock.set_fault(None);
            ok(FaultBody { fault: None })
        }
        (&Method::GET, "/_mock/statistics") => ok(mock.statistics()),
        (&Method::DELETE, _) if path.starts_with("/_mock/licenses/") => {
            let encoded = path.trim_start_matches("/_mock/licenses/");
            let key = percent_decode_str(encoded)
                .decode_utf8()
                .map_err(|_| "the license key in the path is not percent-encoded UTF-8".to_owned())?;
            ok(json!({ "removed": mock.remove_license(&parse_key(&key)?) }))
        }
        _ => Err(format!("no control call {method} {path}: {CONTROL_SUMMARY}")),
    }
}

fn ok(value: impl Serialize) -> Result<Answer, String> {
    let body = serde_json::to_vec(&value).map_err(|err| format!("answer could not be written: {err}"))?;
    Ok(json_answer(200, body))
}

fn parse<T: serde::de::DeserializeOwned>(request: &IncomingRequest, what: &str) -> Result<T, String> {
    serde_json::from_slice(&request.body)
        .map_err(|err| format!("{} body of {what} is not valid: {err}", request.path))
}

fn parse_key(key: &str) -> Result<LicenseKey, String> {
    key.parse().map_err(|err| format!("{err}"))
}
