//! The `Date` header of every answer (RFC 9110 §6.6.1): an origin server with a clock sends it, and HTTP caches
//! compute an answer's age and freshness from it (RFC 9111 §4.2.3). The time comes from the injected wall clock,
//! so that a simulated server dates its answers in simulated time.

use std::time::SystemTime;

use ksnsim_reference::http::Answer;

/// The header's name, lower case as HTTP/1.1 field names are compared.
pub(crate) const DATE: &str = "date";

/// Sets `Date` to `now` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), replacing any earlier value.
pub(crate) fn stamp(answer: &mut Answer, now: SystemTime) {
    answer.set_header(DATE, httpdate::fmt_http_date(now));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reference::http::json_answer;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn stamps_the_rfc_9110_example_date() {
        let mut answer = json_answer(200, "{}");
        stamp(&mut answer, UNIX_EPOCH + Duration::from_secs(784_111_777));
        assert_eq!(answer.header(DATE), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    }

    #[test]
    fn a_second_stamp_replaces_the_first() {
        let mut answer = json_answer(200, "{}");
        stamp(&mut answer, UNIX_EPOCH);
        stamp(&mut answer, UNIX_EPOCH + Duration::from_secs(86_400));
        assert_eq!(answer.headers.get_all(DATE).iter().count(), 1);
        assert_eq!(answer.header(DATE), Some("Fri, 02 Jan 1970 00:00:00 GMT"));
    }
}
