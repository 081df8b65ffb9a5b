//! Why a proxy benchmark could not produce figures. Slow answers and non-2xx answers are figures, never
//! one of these.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum ProxyBenchError {
    /// A flag asks for nothing to measure, or for something impossible.
    #[error("{0}")]
    Plan(String),
    /// A proxy command did not start (its last output lines follow).
    #[error("the proxy {name} did not start: {reason}{}", tail_text(.tail))]
    ProxyStart {
        name: String,
        reason: String,
        tail: Vec<String>,
    },
    /// A proxy started but did not answer the lookups that warm its cache.
    #[error("the proxy {name} could not be warmed for {workload}: {reason}")]
    Warming {
        name: String,
        workload: String,
        reason: String,
    },
    /// The CA could not be written where the user asked.
    #[error("--pki: cannot write ksnsim's CA: {0}")]
    CaFile(ksnsim_mocks::PkiError),
    /// ksnsim's own parts (PKI, mock KSN, static answer, runtime) could not start.
    #[error("ksnsim could not start {what}: {reason}")]
    Harness { what: &'static str, reason: String },
}

impl ProxyBenchError {
    /// True when the user's input (a flag, a proxy command) is at fault rather than ksnsim.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::Plan(_) | Self::ProxyStart { .. } | Self::Warming { .. } | Self::CaFile(_)
        )
    }

    pub(crate) fn harness(what: &'static str, reason: impl ToString) -> Self {
        Self::Harness {
            what,
            reason: reason.to_string(),
        }
    }
}

impl From<io::Error> for ProxyBenchError {
    fn from(err: io::Error) -> Self {
        Self::harness("a loopback server", err)
    }
}

fn tail_text(tail: &[String]) -> String {
    if tail.is_empty() {
        "\n  (it printed nothing)".to_owned()
    } else {
        format!("\n  its last output:\n    {}", tail.join("\n    "))
    }
}
