//! Answers as plain values (status, headers, body), built once and turned into hyper responses at the edge.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::protocol::{ErrorBody, ErrorCode};

/// A complete HTTP answer, as the proxy and the mocks produce and the clients receive it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Break the body off after this many bytes and close the connection (a misbehaving server, for tests).
    pub cut_after: Option<usize>,
}

impl Answer {
    /// Sets a header; values that HTTP cannot carry are a programming error caught by the caller's tests.
    pub fn with_header(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        self.set_header(name, value);
        self
    }

    pub fn set_header(&mut self, name: &'static str, value: impl AsRef<str>) {
        if let Ok(value) = HeaderValue::from_str(value.as_ref()) {
            self.headers.insert(HeaderName::from_static(name), value);
        }
    }

    /// A header's value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `max-age` of `Cache-Control`, if the answer has one; `Some(0)` for `no-store` or `no-cache`.
    pub fn max_age(&self) -> Option<u64> {
        let control = self.header(crate::protocol::header::CACHE_CONTROL)?;
        let mut age = None;
        for directive in control.split(',').map(str::trim) {
            if directive == "no-store" || directive == "no-cache" {
                return Some(0);
            }
            if let Some(value) = directive.strip_prefix("max-age=") {
                age = value.parse().ok();
            }
        }
        age
    }

    /// The JSON error body, if this is an error answer of the contract.
    pub fn error_body(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A JSON answer with the given status.
pub fn json_answer(status: u16, body: impl Into<Bytes>) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Answer {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        headers,
        body: body.into(),
        cut_after: None,
    }
}

/// An error answer of the contract: the code's status and `{"error":..,"message":..}`.
pub fn error_answer(code: ErrorCode, message: impl Into<String>) -> Answer {
    json_answer(code.status(), ErrorBody::new(code, message).to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_reads_cache_control() {
        let answer = |v: &str| json_answer(200, "{}").with_header("cache-control", v);
        assert_eq!(answer("max-age=60").max_age(), Some(60));
        assert_eq!(answer("public, max-age=5").max_age(), Some(5));
        assert_eq!(answer("no-store").max_age(), Some(0));
        assert_eq!(json_answer(200, "{}").max_age(), None);
    }

    #[test]
    fn error_answer_has_status_and_body_of_the_code() {
        let a = error_answer(ErrorCode::UpstreamTimeout, "slow");
        assert_eq!(a.status.as_u16(), 504);
        assert_eq!(a.error_body().unwrap().error, ErrorCode::UpstreamTimeout);
    }
}
