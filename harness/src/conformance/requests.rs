//! The requests the checks send, as an endpoint would: objects named after the check (so no two checks ever
//! share a cache entry), and the contract's headers (`KSN-Client`, `KSN-Mode`, `KSN-Statement`, ...).

use sha2::{Digest, Sha256};

use ksnsim_reference::http::OutgoingRequest;
use ksnsim_reference::protocol::{BatchRequest, KsnType, ObjectRef, lookup_path};

/// The `KSN-Client` of every request, unless a check sets its own.
pub(crate) const CLIENT_ID: &str = "ksnsim-conformance";

/// File object `n` of check `check`: a SHA-256 no other check uses.
pub(crate) fn object(check: &str, n: u32) -> ObjectRef {
    let digest = Sha256::digest(format!("ksnsim-conformance/{check}/{n}"));
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    ObjectRef::File(hex.parse().expect("64 hex digits are a file hash"))
}

/// URL object `n` of check `check` (with characters that must be percent-encoded).
pub(crate) fn url_object(check: &str, n: u32) -> ObjectRef {
    let url = format!(
        "https://conformance.test/{}/{n}?q=a%20b&r=c",
        check.replace('/', "-")
    );
    ObjectRef::Url(url.parse().expect("the check URLs are valid object URLs"))
}

/// A single lookup with the headers of an endpoint in extended mode that accepted Statement 1.
pub(crate) fn lookup(object: &ObjectRef) -> OutgoingRequest {
    endpoint_headers(OutgoingRequest::get(lookup_path(object)))
}

/// A batch lookup of `objects`, in that order.
pub(crate) fn batch(objects: &[ObjectRef]) -> OutgoingRequest {
    let body = BatchRequest {
        objects: objects.to_vec(),
    }
    .to_json();
    endpoint_headers(OutgoingRequest::post("/v1/reputation/batch", body))
}

/// A statistics upload of `records` records under Idempotency-Key `key`.
pub(crate) fn upload(records: usize, key: &str) -> OutgoingRequest {
    let record = r#"{"detection":"conformance","verdict":"untrusted"}"#;
    let body = format!(r#"{{"records":[{}]}}"#, vec![record; records].join(","));
    endpoint_headers(OutgoingRequest::post("/v1/statistics", body)).header("Idempotency-Key", key)
}

/// `GET path` (ping, statement) with the endpoint's headers.
pub(crate) fn call(path: &str) -> OutgoingRequest {
    endpoint_headers(OutgoingRequest::get(path))
}

/// `request` with `Authorization: License key`.
pub(crate) fn licensed(request: OutgoingRequest, key: &str) -> OutgoingRequest {
    request.header("Authorization", format!("License {key}"))
}

/// The license key the checks send to a Private KSN when the tenant does not matter (registered upstream).
pub(crate) const TENANT: &str = "TENANT-A";

/// `request` as an endpoint of a proxy of `kind` sends it: licensed (tenant A) for a Private KSN.
pub(crate) fn for_kind(kind: KsnType, request: OutgoingRequest) -> OutgoingRequest {
    match kind {
        KsnType::Private => licensed(request, TENANT),
        KsnType::Global => request,
    }
}

/// `request` without `header` (case-insensitive).
pub(crate) fn without(mut request: OutgoingRequest, header: &str) -> OutgoingRequest {
    request
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case(header));
    request
}

/// `request` with `header` set to `value`, replacing any earlier value.
pub(crate) fn with(request: OutgoingRequest, header: &str, value: &str) -> OutgoingRequest {
    without(request, header).header(header, value)
}

fn endpoint_headers(request: OutgoingRequest) -> OutgoingRequest {
    request
        .header("KSN-Client", CLIENT_ID)
        .header("KSN-Mode", "extended")
        .header("KSN-Statement", "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_distinct_per_check_and_number_and_stable() {
        assert_eq!(object("PX-CACHE-1", 0), object("PX-CACHE-1", 0));
        assert_ne!(object("PX-CACHE-1", 0), object("PX-CACHE-1", 1));
        assert_ne!(object("PX-CACHE-1", 0), object("PX-CACHE-2", 0));
        assert!(lookup_path(&url_object("PX-FWD-1/answers", 1)).contains("%2520"));
    }

    #[test]
    fn headers_can_be_replaced_and_removed() {
        let request = with(lookup(&object("x", 1)), "ksn-mode", "basic");
        let modes: Vec<&str> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("KSN-Mode"))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(modes, ["basic"]);
    }
}
