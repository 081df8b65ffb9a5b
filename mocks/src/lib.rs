//! The mocks of ksnsim: Global and Private KSN servers, DNS servers and the test PKI, all written against the
//! reference [`Net`](ksnsim_reference::net::Net) seam so that they run on real sockets and inside turmoil.
//!
//! - [`ksn`]: the mock KSN servers ([`MockKsn`]), their faults, request log and `/_mock/` control API.
//! - [`dns`]: a DNS server ([`MockDns`]) with a zone and switchable misbehaviour (silence, SERVFAIL, ...).
//! - [`pki`]: a deterministic CA with good and deliberately bad server certificates ([`TestPki`]).
//! - [`running`]: a server spawned in its own task, stopped by its handle.
//!
//! Library code reads no real clock and no real randomness: callers pass a `SharedNet`, a `SharedRng` and,
//! for certificate validity, times computed from their `SharedClock`. Only the `ksn-mock` binary uses the
//! machine's clock and sockets.

pub mod dns;
mod error;
pub mod ksn;
pub mod pki;
pub mod running;

pub use dns::{DnsMode, DnsQueryLog, MockDns};
pub use error::{DbError, PkiError};
pub use ksn::faults::{Fault, GARBAGE_BODY, HANG_BOUND};
pub use ksn::log::LoggedRequest;
pub use ksn::reputation_db::{DEFAULT_TTL_SECONDS, DbEntry, Layer, ReputationDb, default_verdict};
pub use ksn::{MockKsn, StatisticsTotals};
pub use pki::{ServerCert, TestCa, TestPki, Validity, WRONG_NAME};
pub use running::Running;
