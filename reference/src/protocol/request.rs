//! Which API call a request is, from its method, path and query; and the paths clients build.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::ProtocolError;
use super::objects::{FileHash, ObjectRef, ObjectUrl};

/// One call of the v1 API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRequest {
    /// `GET /v1/reputation/file/{sha256}` or `GET /v1/reputation/url?u=...`.
    Lookup(ObjectRef),
    /// `POST /v1/reputation/batch`.
    Batch,
    /// `POST /v1/statistics`.
    Statistics,
    /// `GET /v1/statement`.
    Statement,
    /// `GET /v1/ping`.
    Ping,
}

const API_SUMMARY: &str = "the API has GET /v1/reputation/file/{sha256}, GET /v1/reputation/url?u={url}, \
                           POST /v1/reputation/batch, POST /v1/statistics, GET /v1/statement, GET /v1/ping";

impl ApiRequest {
    /// Reads the call from the request line. Unknown paths and wrong methods are bad requests that list the API.
    pub fn parse(method: &str, path: &str, query: Option<&str>) -> Result<Self, ProtocolError> {
        let (call, expected) = match path {
            "/v1/reputation/batch" => (Self::Batch, "POST"),
            "/v1/statistics" => (Self::Statistics, "POST"),
            "/v1/statement" => (Self::Statement, "GET"),
            "/v1/ping" => (Self::Ping, "GET"),
            "/v1/reputation/url" => (Self::Lookup(ObjectRef::Url(url_from_query(query)?)), "GET"),
            _ => match path.strip_prefix("/v1/reputation/file/") {
                Some(hash) => (Self::Lookup(ObjectRef::File(hash.parse::<FileHash>()?)), "GET"),
                None => {
                    return Err(ProtocolError::bad(format!(
                        "unknown path {path:?}: {API_SUMMARY}"
                    )));
                }
            },
        };
        if method != expected {
            return Err(ProtocolError::bad(format!(
                "{path} takes {expected}, not {method}"
            )));
        }
        Ok(call)
    }

    /// Whether the contract requires `KSN-Statement` on this call (all but ping and statement).
    pub fn needs_statement(&self) -> bool {
        !matches!(self, Self::Statement | Self::Ping)
    }

    /// A short name for logs and traces.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Lookup(ObjectRef::File(_)) => "file lookup",
            Self::Lookup(ObjectRef::Url(_)) => "url lookup",
            Self::Batch => "batch lookup",
            Self::Statistics => "statistics",
            Self::Statement => "statement",
            Self::Ping => "ping",
        }
    }
}

/// Characters left as they are in the `u` parameter; everything else is percent-encoded.
const URL_PARAM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The path and query of a single lookup of `object`.
pub fn lookup_path(object: &ObjectRef) -> String {
    match object {
        ObjectRef::File(hash) => format!("/v1/reputation/file/{hash}"),
        ObjectRef::Url(url) => format!(
            "/v1/reputation/url?u={}",
            utf8_percent_encode(url.as_str(), URL_PARAM)
        ),
    }
}

fn url_from_query(query: Option<&str>) -> Result<ObjectUrl, ProtocolError> {
    let encoded = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("u="))
        .ok_or_else(|| {
            ProtocolError::bad("URL lookup needs the URL in the query: /v1/reputation/url?u={url}")
        })?;
    let decoded = percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| ProtocolError::bad("the u parameter is not percent-encoded UTF-8"))?;
    decoded.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_is_recognised() {
        let hash = "ab".repeat(32);
        assert!(matches!(
            ApiRequest::parse("GET", &format!("/v1/reputation/file/{hash}"), None).unwrap(),
            ApiRequest::Lookup(ObjectRef::File(_))
        ));
        assert_eq!(
            ApiRequest::parse("POST", "/v1/reputation/batch", None).unwrap(),
            ApiRequest::Batch
        );
        assert_eq!(
            ApiRequest::parse("POST", "/v1/statistics", None).unwrap(),
            ApiRequest::Statistics
        );
        assert_eq!(
            ApiRequest::parse("GET", "/v1/statement", None).unwrap(),
            ApiRequest::Statement
        );
        assert_eq!(
            ApiRequest::parse("GET", "/v1/ping", None).unwrap(),
            ApiRequest::Ping
        );
    }

    #[test]
    fn url_lookup_path_round_trips_odd_characters() {
        let url: ObjectUrl = "https://ex.test/a b?c=d&e=f+g#h"
            .replace(' ', "%20")
            .parse()
            .unwrap();
        let path = lookup_path(&ObjectRef::Url(url.clone()));
        let (p, q) = path.split_once('?').unwrap();
        assert_eq!(
            ApiRequest::parse("GET", p, Some(q)).unwrap(),
            ApiRequest::Lookup(ObjectRef::Url(url))
        );
    }

    #[test]
    fn wrong_method_and_unknown_path_say_what_is_expected() {
        let err = ApiRequest::parse("GET", "/v1/statistics", None).unwrap_err();
        assert!(err.to_string().contains("takes POST"), "{err}");
        let err = ApiRequest::parse("GET", "/v2/x", None).unwrap_err();
        assert!(err.to_string().contains("the API has"), "{err}");
        assert!(ApiRequest::parse("GET", "/v1/reputation/url", Some("x=1")).is_err());
    }
}
