//! The v1 API as a mock KSN server answers it: license (Private KSN only, SRV-AUTH-1), Statement
//! (SRV-STMT-1), lookups from the reputation database (SRV-PRIV-1), statistics once per Idempotency-Key
//! (SRV-STAT-1). Pure over the server's state: no I/O, no clock; faults are applied by the caller.

use ksnsim_reference::http::{Answer, IncomingRequest, error_answer, json_answer};
use ksnsim_reference::protocol::{
    ApiRequest, BatchAnswer, BatchRequest, ErrorCode, KsnMode, KsnType, LicenseKey, ObjectRef, Ping,
    ProtocolError, StatementVersion, StatisticsAccepted, StatisticsBatch, header,
};

use super::State;

/// Why a call is refused: the contract error it becomes.
struct Refusal {
    code: ErrorCode,
    message: String,
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

impl From<ProtocolError> for Refusal {
    fn from(err: ProtocolError) -> Self {
        refuse(err.code(), err.to_string())
    }
}

/// The answer to one API call; the state changes with it (statistics counted).
pub(crate) fn answer(state: &mut State, kind: KsnType, request: &IncomingRequest) -> Answer {
    respond(state, kind, request).unwrap_or_else(|refusal| error_answer(refusal.code, refusal.message))
}

fn respond(state: &mut State, kind: KsnType, request: &IncomingRequest) -> Result<Answer, Refusal> {
    let call = ApiRequest::parse(request.method.as_str(), &request.path, request.query.as_deref())?;
    let mode = request
        .header(header::KSN_MODE)
        .map(str::parse::<KsnMode>)
        .transpose()?;
    if kind == KsnType::Private {
        check_license(state, request)?;
    }
    if call.needs_statement() {
        check_statement(state, request)?;
    }
    Ok(match call {
        ApiRequest::Lookup(object) => {
            let reputation = state.db.reputation(&object, kind);
            let max_age = format!("max-age={}", reputation.ttl);
            json_answer(200, reputation.to_json()).with_header(header::CACHE_CONTROL, max_age)
        }
        ApiRequest::Batch => {
            let batch = BatchRequest::from_json(&request.body)?;
            let results = batch
                .objects
                .iter()
                .map(|object: &ObjectRef| state.db.reputation(object, kind))
                .collect();
            json_answer(200, BatchAnswer { results }.to_json())
        }
        ApiRequest::Statistics => statistics(state, mode, request)?,
        ApiRequest::Statement => json_answer(200, state.statement.to_json()),
        ApiRequest::Ping => json_answer(
            200,
            serde_json::to_vec(&Ping { ksn: kind }).expect("a Ping always serializes"),
        ),
    })
}

fn check_license(state: &State, request: &IncomingRequest) -> Result<(), Refusal> {
    let Some(value) = request.header(header::AUTHORIZATION) else {
        return Err(refuse(
            ErrorCode::LicenseNotRegistered,
            "this Private KSN needs `Authorization: License <key>` with a key the provider registered",
        ));
    };
    let registered = LicenseKey::from_authorization(value)
        .ok()
        .filter(|key| state.licenses.contains(key));
    match registered {
        Some(_) => Ok(()),
        None => Err(refuse(
            ErrorCode::LicenseNotRegistered,
            "the license key is not registered with this Private KSN: ask the provider to register it \
             (mock: POST /_mock/licenses)",
        )),
    }
}

fn check_statement(state: &State, request: &IncomingRequest) -> Result<(), Refusal> {
    let Some(value) = request.header(header::KSN_STATEMENT) else {
        return Err(refuse(
            ErrorCode::StatementNotAccepted,
            format!(
                "no KSN-Statement header: accept the KSN Statement (version {}) and send its version",
                state.statement.version
            ),
        ));
    };
    let version: StatementVersion = value.parse()?;
    if state.statement.honours(version) {
        Ok(())
    } else {
        Err(refuse(
            ErrorCode::StatementNotAccepted,
            format!(
                "KSN Statement version {version} is no longer accepted: accept version {} (GET /v1/statement)",
                state.statement.version
            ),
        ))
    }
}

fn statistics(
    state: &mut State,
    mode: Option<KsnMode>,
    request: &IncomingRequest,
) -> Result<Answer, Refusal> {
    if mode != Some(KsnMode::Extended) {
        return Err(refuse(
            ErrorCode::StatisticsNotAllowed,
            "statistics are accepted only with KSN-Mode: extended",
        ));
    }
    let batch = StatisticsBatch::from_json(&request.body)?;
    let key = request.header(header::IDEMPOTENCY_KEY);
    let accepted = state.statistics.accept(key, batch.records.len());
    let body = serde_json::to_vec(&StatisticsAccepted { accepted }).expect("a count always serializes");
    Ok(json_answer(202, body))
}
