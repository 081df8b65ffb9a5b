//! Why a conformance run could not produce verdicts at all. A proxy that breaks a requirement is a verdict,
//! never one of these; a proxy that does not start is an `error` verdict on the checks that needed it.

use std::io;
use std::net::SocketAddr;

use ksnsim_mocks::PkiError;
use ksnsim_reference::tls::TlsSetupError;

#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// `--only` selects no check.
    #[error("--only {only:?} matches no check; check ids start with: {known}")]
    NoCheckSelected { only: String, known: String },
    /// The CA could not be written where the user asked.
    #[error("--pki: cannot write ksnsim's CA: {0}")]
    CaFile(PkiError),
    /// ksnsim's KSN server cannot listen where the user asked (an already running proxy's upstream).
    #[error("--upstream-listen {addr}: cannot listen there: {source}; free the port or choose another")]
    UpstreamListen { addr: SocketAddr, source: io::Error },
    /// ksnsim's own PKI could not be made.
    #[error("ksnsim could not make its test PKI: {0}")]
    Pki(PkiError),
    /// ksnsim's TLS configuration could not be built from its own PKI.
    #[error("ksnsim could not build its TLS configuration: {0}")]
    Tls(TlsSetupError),
    /// A mock KSN server could not start on loopback.
    #[error("ksnsim could not start its mock KSN server on loopback: {0}")]
    Upstream(io::Error),
    /// The user interrupted the run (Ctrl-C); every proxy process it had started was killed.
    #[error("interrupted (Ctrl-C): no verdicts; every proxy process ksnsim had started was killed")]
    Interrupted,
    /// The async runtime could not start.
    #[error("ksnsim could not start its async runtime: {0}")]
    Runtime(io::Error),
}

impl ConformanceError {
    /// True when the user's input (a flag) is at fault rather than ksnsim.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::NoCheckSelected { .. } | Self::CaFile(_) | Self::UpstreamListen { .. }
        )
    }
}
